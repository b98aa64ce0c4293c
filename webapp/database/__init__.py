"""The app's database (SQLite on one machine, PostgreSQL for several): the engine, its
clock, the tables and their migrations. Every guarantee across threads, workers and
servers is kept here."""
