"""The API's rules, one module per resource, at the bottom of the app: they import
nothing of it. Forms, the sandbox, the Bria client, templates and (through the
pages' data attributes) the browser script all read them from here."""
