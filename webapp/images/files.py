"""Where the originals (until Bria has them) and the thumbnails live, for every server.

`UPLOAD_STORE=folder` (the default with SQLite): files in the instance folder, readable
by their owner only. `UPLOAD_STORE=database` (the default with PostgreSQL, for several
servers): rows of the shared database, so that a file received by one server can be
sent by a job on another. Keys are made by the app (`upload-17-original`), never from a
name a person gave.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from webapp.database.engine import db_now, insert_unless_present
from webapp.database.tables import blobs

_KEY = re.compile(r"^[a-z0-9-]{1,100}$")


def key(upload_id: int, kind: str) -> str:
    return f"upload-{int(upload_id)}-{kind}"


class FileStore(Protocol):
    def put(self, db: Connection, name: str, stream: BinaryIO) -> None: ...

    def read(self, name: str) -> bytes | None: ...

    def delete(self, name: str) -> None: ...


class FolderStore:
    """Files in a folder of the instance folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, name: str) -> Path:
        if not _KEY.match(name):
            raise ValueError(f"not a key the app makes: {name!r}")
        return self.folder / name

    def put(self, db: Connection, name: str, stream: BinaryIO) -> None:
        path = self._path(name)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as target:
            shutil.copyfileobj(stream, target, 1 << 20)

    def read(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


class DatabaseStore:
    """Files as rows of the shared database (in the caller's transaction when it writes)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = insert_unless_present(engine, blobs)

    def put(self, db: Connection, name: str, stream: BinaryIO) -> None:
        if not _KEY.match(name):
            raise ValueError(f"not a key the app makes: {name!r}")
        db.execute(delete(blobs).where(blobs.c.key == name))
        db.execute(self._insert.values(key=name, data=stream.read(), created_at=db_now()))

    def read(self, name: str) -> bytes | None:
        with self.engine.connect() as db:
            return db.execute(select(blobs.c.data).where(blobs.c.key == name)).scalar()

    def delete(self, name: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(blobs).where(blobs.c.key == name))


def file_store(svc: Any) -> FileStore:
    """This process's store (`svc.get(file_store)`), as the settings say."""
    if svc.settings.files_in_database:
        return DatabaseStore(svc.engine)
    return FolderStore(svc.instance / "uploads")
