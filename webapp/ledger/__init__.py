"""What the app promised and what became of it, kept in the database for every server:
the submissions ledger (each form reaches Bria once) and reads made once for everyone."""
