"""PostgreSQL connections that cannot hang: every exchange with the server has a deadline."""

from __future__ import annotations

import time
from typing import Any

import psycopg
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

#: A statement may take the server's statement timeout and this, counted on this side.
STATEMENT_MARGIN_SECONDS = 2.0


class TimedConnection(psycopg.Connection):
    """A psycopg connection whose every wait on the server ends within `wait_limit`.

    The server's own limits (statement and lock timeouts) do nothing when the server
    itself stops answering (frozen, or its host wedged while the kernel still
    acknowledges): a thread would wait for ever, and a pooled connection would take
    every thread in turn. psycopg waits on its socket in short intervals; here each
    wait has a deadline, and a connection past it is closed, so the pool replaces it
    and the waiting request gets an error it can report. No thread watches it.
    """

    #: Seconds any one exchange with the server may take (set per use by the engine).
    wait_limit: float = 10.0

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        limit = self.wait_limit if timeout is None else min(timeout, self.wait_limit)
        started = time.monotonic()
        try:
            return super().wait(gen, interval=interval, timeout=limit)
        except psycopg.OperationalError:
            if time.monotonic() - started < limit:
                raise
            self.close()  # mid-exchange: nothing more can be said on it
            raise psycopg.OperationalError(
                f"the database did not answer within {limit:g} seconds"
            ) from None


def bound_connections(engine: Engine, connect_timeout: float, statement_timeout: float) -> None:
    """Connections are `TimedConnection`s: each checkout pings the server within the
    connect timeout (a stale one after a restart is swapped for a fresh one), and each
    statement then has the statement timeout and a margin."""
    statement_limit = statement_timeout + STATEMENT_MARGIN_SECONDS

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        return TimedConnection.connect(*cargs, **cparams)

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        dbapi_connection.wait_limit = connect_timeout
        try:
            dbapi_connection.execute("SELECT 1")
        except Exception as error:  # the pool swaps in a fresh connection and tries again
            raise exc.DisconnectionError(str(error)) from error
        dbapi_connection.wait_limit = statement_limit
