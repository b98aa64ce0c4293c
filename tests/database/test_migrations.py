"""Schema migrations are the deploy step; a worker refuses a database it cannot use."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import inspect

from tests.support.processes import UPGRADE_COMMAND, environment, free_port, gunicorn_command
from webapp.database import migrate
from webapp.database.engine import make_engine
from webapp.database.tables import metadata

#: Servers and processes of their own.
pytestmark = pytest.mark.integration

#: The newest schema revision this code knows.
HEAD = migrate.expected_revision()

TABLES = {table.name for table in metadata.sorted_tables} | {"alembic_version"}


def run_python(code: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_db_upgrade_creates_the_schema_on_an_empty_sqlite_file(tmp_path):
    database = tmp_path / "ledger.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{database}", "WEBAPP_INSTANCE_PATH": str(tmp_path)}
    done = subprocess.run(
        UPGRADE_COMMAND,
        cwd=tmp_path,
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Database at revision {migrate.expected_revision()}."
    engine = make_engine(f"sqlite:///{database}")
    assert set(inspect(engine).get_table_names()) == TABLES
    assert migrate.schema_problem(engine) is None
    engine.dispose()
    assert oct(database.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        (None, "The database has no tables yet: run `flask --app webapp db upgrade` first."),
        (
            "0001",
            f"The database schema is out of date (0001, this code needs {HEAD}): "
            "run `flask --app webapp db upgrade`.",
        ),
    ],
)
def test_a_worker_on_a_database_that_is_behind_exits_with_one_line_naming_the_command(
    tmp_path, revision, expected
):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    if revision:
        engine = make_engine(url)
        migrate.upgrade(engine, revision)
        engine.dispose()
    env = {"DATABASE_URL": url, "WEBAPP_INSTANCE_PATH": str(tmp_path)}
    started = run_python("from webapp import create_app; create_app()", env, tmp_path)
    assert started.returncode == 3
    assert started.stderr.splitlines() == [f"webapp cannot start: {expected}"]


def gunicorn_refusing(database_url: str, folder) -> str:
    """Start gunicorn as `make serve` does on this database; it must stop. Its output."""
    env = {"DATABASE_URL": database_url, "WEBAPP_INSTANCE_PATH": str(folder), "BIND": "127.0.0.1:0"}
    served = subprocess.run(
        gunicorn_command(),
        cwd=folder,
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode != 0
    assert "Traceback" not in served.stderr
    return served.stderr


def test_under_gunicorn_a_database_that_is_behind_stops_the_server(tmp_path):
    output = gunicorn_refusing(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", tmp_path)
    assert (
        "webapp cannot start: The database has no tables yet: "
        "run `flask --app webapp db upgrade` first." in output
    )


def test_under_gunicorn_a_database_out_of_reach_at_the_first_start_stops_the_server(tmp_path):
    """Nothing has ever found this database usable: a setting to fix, not an outage to ride
    out (workers started later during an outage are tests/test_database_outage.py's)."""
    output = gunicorn_refusing(f"postgresql://app@127.0.0.1:{free_port()}/webapp", tmp_path)
    [line] = [line for line in output.splitlines() if "webapp" in line]
    assert line.startswith("webapp cannot start: the database cannot be used: ")


def test_a_database_made_by_the_releases_before_migrations_is_adopted(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:  # exactly what those releases created at start-up
        old.execute(
            "CREATE TABLE submissions (id VARCHAR(64) PRIMARY KEY, state VARCHAR(16) NOT NULL, "
            "project_name VARCHAR(200) NOT NULL, project_id INTEGER, project TEXT, message TEXT, "
            "claimed_at DATETIME NOT NULL, settled_at DATETIME)"
        )
        old.execute(
            "CREATE TABLE sign_in_failures (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "client VARCHAR(100) NOT NULL, failed_at DATETIME NOT NULL)"
        )
        old.execute("CREATE INDEX ix_sign_in_failures_client ON sign_in_failures (client)")
        old.execute(
            "INSERT INTO submissions VALUES "
            "(?, 'created', 'Kept', 7, '{\"id\": 7}', NULL, ?, NULL)",
            ("x" * 32, datetime.now(UTC).isoformat()),
        )
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    assert migrate.schema_problem(engine) is None
    from webapp.ledger.submissions import Ledger

    kept = Ledger(engine).get("x" * 32)
    assert (kept.label, kept.target_id, kept.kind) == ("Kept", 7, "create")
    engine.dispose()


def test_downgrade_and_upgrade_again(database_url):
    engine = make_engine(database_url)
    from alembic import command

    config = migrate._config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()


def test_deploy_scripts_running_the_upgrade_at_once_on_postgresql_all_succeed(postgres, tmp_path):
    name = postgres.create_database()
    url = postgres.url(name)
    env = environment({"DATABASE_URL": url, "WEBAPP_INSTANCE_PATH": str(tmp_path)})
    deploys = [
        subprocess.Popen(UPGRADE_COMMAND, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outcomes = [deploy.communicate(timeout=60)[0] for deploy in deploys]
    assert [deploy.returncode for deploy in deploys] == [0] * 4
    assert outcomes == [f"Database at revision {HEAD}.\n"] * 4
    engine = make_engine(url)
    assert migrate.schema_problem(engine) is None
    engine.dispose()
    postgres.drop_database(name)


def test_an_upgrade_waits_for_another_longer_than_the_apps_limits(postgres, tmp_path):
    """The app's engine gives up on a statement or a lock after DATABASE_STATEMENT_TIMEOUT;
    a migration waiting for another server's to finish must not."""
    name = postgres.create_database()
    env = {
        "DATABASE_URL": postgres.url(name),
        "DATABASE_STATEMENT_TIMEOUT": "1",
        "WEBAPP_INSTANCE_PATH": str(tmp_path),
    }
    with psycopg.connect(
        host="127.0.0.1", port=postgres.port, user="postgres", dbname=name, autocommit=True
    ) as other_migration:
        other_migration.execute("SELECT pg_advisory_lock(%s)", (migrate.MIGRATION_LOCK_ID,))
        deploy = subprocess.Popen(
            UPGRADE_COMMAND, cwd=tmp_path, env=environment(env), stdout=subprocess.PIPE, text=True
        )
        # The upgrade waits on the lock past the app's limits (1 s, and 2 s more on this side).
        waited = 0.0
        while waited <= 3.5:
            assert deploy.poll() is None, "the upgrade gave up waiting"
            row = other_migration.execute(
                "SELECT EXTRACT(EPOCH FROM now() - state_change) FROM pg_stat_activity "
                "WHERE datname = %s AND wait_event = 'advisory'",
                (name,),
            ).fetchone()
            waited = float(row[0]) if row else 0.0
            time.sleep(0.05)
        assert deploy.poll() is None, "the upgrade gave up waiting"
    assert deploy.communicate(timeout=60)[0] == f"Database at revision {HEAD}.\n"
    assert deploy.returncode == 0
    postgres.drop_database(name)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(
            lambda path: path.write_bytes(b"this is not a database" * 100),
            "webapp cannot start: the database cannot be read: file is not a database",
            id="corrupted",
        ),
    ],
)
def test_a_database_that_cannot_be_read_stops_the_start(tmp_path, make, expected):
    path = tmp_path / "ledger.sqlite3"
    make(path)
    env = {"DATABASE_URL": f"sqlite:///{path}", "WEBAPP_INSTANCE_PATH": str(tmp_path)}
    started = run_python("from webapp import create_app; create_app()", env, tmp_path)
    assert started.returncode == 3
    assert started.stderr.splitlines() == [expected]


def test_a_database_that_cannot_be_written_stops_the_start(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    env = {
        "DATABASE_URL": f"sqlite:///file:{path}?mode=ro&uri=true",
        "WEBAPP_INSTANCE_PATH": str(tmp_path),
    }
    started = run_python("from webapp import create_app; create_app()", env, tmp_path)
    assert started.returncode == 3
    [line] = started.stderr.splitlines()
    assert line.startswith("webapp cannot start: the database cannot be used: ")
    assert "readonly" in line
