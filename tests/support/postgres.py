"""A real PostgreSQL server for the tests, started by the test run itself.

Debian's `postgresql` package provides the binaries (`make test` and `.ci/run`
install it when missing); a cluster is made with `initdb` in a temporary folder
and started with `pg_ctl` on a free port, as the `postgres` user when the tests
run as root (PostgreSQL refuses to run as root). Each test gets a database of
its own.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.support.processes import children_of, free_port

SUPERUSER = "postgres"


def binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    if not found:
        raise RuntimeError(
            "PostgreSQL's server binaries are missing: install Debian's postgresql package "
            "(`make test` does so)"
        )
    return found[-1].parent


class PostgresCluster:
    def __init__(self) -> None:
        self.bin = binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="webapp-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd=self.folder)

    def start(self) -> PostgresCluster:
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        )
        self._start(self._options())
        return self

    def _options(self) -> str:
        return (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300"
        )

    def _start(self, options: str) -> None:
        # The server's own output goes to a file: a pipe would be held open by it.
        log = str(self.folder / "server.log")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def pause(self) -> None:
        """Stop the server (fast shutdown) as if its machine went away."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._start(self._options())

    def processes(self) -> list[int]:
        """The server's process and its children (backends, writers)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return [postmaster, *children_of(postmaster)]

    def freeze(self) -> None:
        """Stop every process of the server in its tracks: connections stay open, the
        kernel still acknowledges, nothing answers (a wedged server)."""
        for pid in self.processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.processes():
            os.kill(pid, signal.SIGCONT)

    def url(self, database: str, user: str = SUPERUSER, password: str = "") -> str:
        secret = f":{password}" if password else ""
        return f"postgresql+psycopg://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str, database: str = "postgres") -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True
        ) as connection:
            connection.execute(sql)

    def create_database(self) -> str:
        name = "test_" + secrets.token_hex(6)
        self.admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create_app_role(self, database: str) -> tuple[str, str]:
        """A role that may read and write rows but not create tables: how the app runs."""
        role, password = "app_" + secrets.token_hex(4), secrets.token_hex(12)
        self.admin(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        self.admin(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
        for statement in (
            f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}",
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        ):
            self.admin(statement, database)
        return role, password
