"""What every page shares: headers, error pages, versioned static files, people's words
for the API's values, the forms' common parts and gunicorn's access log."""
