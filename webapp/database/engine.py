"""The ledger's database: one engine per process, on SQLite or PostgreSQL, and its clock.

Everything that must hold across threads, workers and servers is kept here, so
the engine is built to fail fast rather than hang: connections, statements and
waits for a pooled connection all have time limits (see `DatabaseSettings`).

Write transactions start with their write. SQLite then takes its write lock at
the first statement and waits (busy timeout) for another writer instead of
failing when a read snapshot would have to be upgraded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Float, Table, create_engine, event, exc, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.functions import FunctionElement

POSTGRES_DRIVER = "postgresql+psycopg"


@dataclass(frozen=True)
class DatabaseSettings:
    """Limits that keep a failing database from holding requests for long.

    `pool_size + max_overflow` is the most connections one worker opens; the
    README shows the arithmetic for several workers and servers.
    """

    pool_size: int = 5
    max_overflow: int = 5
    pool_timeout: float = 5.0
    connect_timeout: float = 3.0
    statement_timeout: float = 5.0


def normalise_url(url: str) -> str:
    """Accept `postgres://` (as hosting providers hand out) and `postgresql://`, and name
    the driver the app ships with (psycopg 3); SQLite URLs pass unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return POSTGRES_DRIVER + "://" + url[len(prefix) :]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, settings: DatabaseSettings | None = None) -> Engine:
    settings = settings or DatabaseSettings()
    url = normalise_url(url)
    pool = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.pool_timeout,
    }
    if is_sqlite(url):
        _create_private_file(url)
        busy_ms = int(settings.statement_timeout * 1000)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.statement_timeout},
            **pool,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Each pooled connection keeps its own page cache, filling as the ledger grows:
            # 1 MB each bounds a worker's share (the operating system caches the file too).
            cursor.execute("PRAGMA cache_size=-1024")
            cursor.close()

        return engine
    statement_ms = int(settings.statement_timeout * 1000)
    engine = create_engine(
        url,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": max(1, round(settings.connect_timeout)),
            # The server ends a statement (or a wait for a lock) that runs too long.
            "options": f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms}",
            # A server that vanished is noticed by the kernel, not after hours.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": int(settings.connect_timeout * 1000) + statement_ms,
        },
        **pool,
    )
    from webapp.database.postgres import bound_connections  # psycopg: an optional extra

    bound_connections(engine, settings.connect_timeout, settings.statement_timeout)
    return engine


def _create_private_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        create_private_file(Path(database))


def create_private_file(path: Path) -> None:
    """Create a SQLite file readable by its owner only: it holds what people typed.
    SQLite gives its -wal and -shm files the same permissions as the database."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class db_now(FunctionElement[float]):
    """Seconds since 1970 by the database's clock, with sub-second precision.

    Every server compares times it did not measure itself (a sign-in limit, the
    request budget, a lease), so they all read one clock: the database's.
    """

    type = Float()
    name = "db_now"
    inherit_cache = True


@compiles(db_now, "postgresql")
def _db_now_postgresql(element: db_now, compiler: Any, **kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"


@compiles(db_now, "sqlite")
def _db_now_sqlite(element: db_now, compiler: Any, **kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"


def insert_unless_present(engine: Engine, table: Table) -> Insert:
    """`INSERT … ON CONFLICT DO NOTHING`: a claim that someone else made first simply
    inserts nothing (rowcount 0), in SQLite and PostgreSQL alike. SQLAlchemy keeps an
    INSERT's rowcount only when asked to (`preserve_rowcount`)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)


def upsert_newer_wins(
    engine: Engine, table: Table, key: str = "id", stamp: str = "read_at"
) -> Insert:
    """`INSERT … ON CONFLICT (key) DO UPDATE` of every column, unless the row there is
    newer (its `stamp`) than the one arriving: a snapshot's slow read never undoes what
    the app wrote meanwhile. SQLite and PostgreSQL alike."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    columns = [column.name for column in table.columns if column.name != key]
    return insert.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={name: insert.excluded[name] for name in columns},
        where=table.c[stamp] <= insert.excluded[stamp],
    )


#: What a database that is down, unreachable, hanging or full of locks raises: the
#: app tells the person and loses nothing, rather than showing a server error.
UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,
    exc.DisconnectionError,
)


class DatabaseUnavailable(Exception):
    """The database cannot be read or written now: nothing was sent to Bria."""


def write_heartbeat(engine: Engine) -> None:
    """Write the one heartbeat row: proof that the database takes writes."""
    from webapp.database.tables import heartbeat

    with engine.begin() as db:
        db.execute(update(heartbeat).where(heartbeat.c.id == 1).values(beat_at=db_now()))
