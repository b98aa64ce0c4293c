"""The sandbox's one SQLite file: every resource's table, shared by every process.

Each call opens its own short connection, so gunicorn workers, the job consumer
and `flask` commands share one sandbox. Tables are created, and older files
brought up to date, in one immediate transaction: processes that start together
on one file wait for each other instead of racing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from webapp.database.engine import create_private_file

#: Each resource's table, as a fresh sandbox creates it.
TABLES = {
    "projects": (
        "CREATE TABLE IF NOT EXISTS projects ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " body TEXT NOT NULL,"
        " training INTEGER NOT NULL DEFAULT 0)"
    ),
    "datasets": (
        "CREATE TABLE IF NOT EXISTS datasets ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " project_id INTEGER NOT NULL,"
        " body TEXT NOT NULL)"
    ),
    "models": (
        "CREATE TABLE IF NOT EXISTS models ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " project_id INTEGER NOT NULL,"
        " body TEXT NOT NULL)"
    ),
    "generations": (
        "CREATE TABLE IF NOT EXISTS generations ("
        " id TEXT PRIMARY KEY,"
        " model_id INTEGER NOT NULL,"
        " body TEXT NOT NULL,"
        " picture BLOB)"
    ),
    # `picture`: a small copy of the image, for its addresses and for visual schemas.
    "images": (
        "CREATE TABLE IF NOT EXISTS images ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " dataset_id INTEGER NOT NULL,"
        " body TEXT NOT NULL,"
        " picture BLOB)"
    ),
}
#: Columns added since a table was first made: (table, column, definition).
ADDED_COLUMNS = (("projects", "training", "INTEGER NOT NULL DEFAULT 0"),)


class SandboxDatabase:
    def __init__(self, path: Path) -> None:
        self.path = path
        create_private_file(path)
        #: Writers of this process one at a time (SQLite serialises processes itself).
        self.write_lock = threading.Lock()
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            for statement in TABLES.values():
                db.execute(statement)
            for table, column, definition in ADDED_COLUMNS:
                columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one unit of work: committed at the end, always closed."""
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            with db:
                yield db
        finally:
            db.close()
