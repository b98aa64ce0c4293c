"""Settings: defaults that run the sandbox, and careless values refused at start-up by name."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from tests.conftest import prepare_database
from tests.support.processes import environment, gunicorn_command
from webapp.settings import (
    DEFAULT_BASE_URL,
    ConfigError,
    dotenv_problem,
    load_secret_key,
    read_settings,
)


def test_defaults_mean_sandbox_mode_with_a_generated_secret(tmp_path):
    settings = read_settings({}, tmp_path)
    assert settings.sandbox and settings.token == ""
    assert settings.bria_api_base_url == DEFAULT_BASE_URL
    assert settings.bria_api_timeout == 30.0
    assert settings.bria_requests_per_minute == 10
    assert len(settings.secret_key.get_secret_value()) == 64
    assert settings.database_url == f"sqlite:///{tmp_path / 'webapp.sqlite3'}"
    assert not settings.behind_proxy and not settings.session_cookie_secure


def test_values_are_read_as_text_so_a_numeric_token_stays_a_string(tmp_path):
    settings = read_settings(
        {
            "BRIA_API_TOKEN": "0012345",
            "BRIA_API_BASE_URL": "https://x.example/v1/",
            "BRIA_API_TIMEOUT": "2.5",
            "SECRET_KEY": "sixteen-chars-or-more",
            "BEHIND_PROXY": "Yes",
            "DATABASE_URL": "postgres://app:pw@db.internal/ledger",
            "DATABASE_POOL_SIZE": "3",
        },
        tmp_path,
    )
    assert settings.token == "0012345"
    assert settings.bria_api_base_url == "https://x.example/v1"
    assert settings.bria_api_timeout == 2.5
    assert settings.secret_key.get_secret_value() == "sixteen-chars-or-more"
    assert settings.behind_proxy
    assert settings.database_url == "postgresql+psycopg://app:pw@db.internal/ledger"
    assert settings.database.pool_size == 3


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BRIA_API_TOKEN": "t", "BRIA_API_TIMEOUT": "soon"}, "BRIA_API_TIMEOUT"),
        ({"BRIA_API_TOKEN": "t", "BRIA_API_TIMEOUT": "0"}, "BRIA_API_TIMEOUT"),
        ({"BRIA_API_TOKEN": "t", "BRIA_API_TIMEOUT": "inf"}, "BRIA_API_TIMEOUT"),
        ({"BRIA_API_TOKEN": "t", "BRIA_API_TIMEOUT": "nan"}, "BRIA_API_TIMEOUT"),
        ({"BRIA_API_TOKEN": "t", "BRIA_API_TIMEOUT": "100000"}, "BRIA_API_TIMEOUT"),
        ({"BRIA_API_TOKEN": "t", "BRIA_API_BASE_URL": "engine.example"}, "BRIA_API_BASE_URL"),
        (
            {"BRIA_API_TOKEN": "t", "BRIA_API_BASE_URL": "http://engine.example/v1"},
            "BRIA_API_BASE_URL",
        ),
        (
            {"BRIA_API_TOKEN": "t", "BRIA_API_BASE_URL": "https://u:p@engine.example/v1"},
            "BRIA_API_BASE_URL",
        ),
        ({"BRIA_API_TOKEN": "“abc123”"}, "BRIA_API_TOKEN"),
        ({"BRIA_API_TOKEN": "abc 123"}, "BRIA_API_TOKEN"),
        ({"BRIA_API_TOKEN": "abc\x00"}, "BRIA_API_TOKEN"),
        ({"BRIA_API_BASE_URL": "https://engine.prod.bria-api.com/v1"}, "BRIA_API_TOKEN"),
        ({"BRIA_API_TOKEN": ""}, "BRIA_API_TOKEN"),
        ({"BRIA_REQUESTS_PER_MINUTE": "10"}, "BRIA_API_TOKEN"),
        ({"BRIA_API_TOKEN": "t", "BRIA_REQUESTS_PER_MINUTE": "ten"}, "BRIA_REQUESTS_PER_MINUTE"),
        ({"BRIA_API_TOKEN": "t", "BRIA_REQUESTS_PER_MINUTE": "0"}, "BRIA_REQUESTS_PER_MINUTE"),
        ({"BEHIND_PROXY": "yes please"}, "BEHIND_PROXY"),
        ({"SESSION_COOKIE_SECURE": "2"}, "SESSION_COOKIE_SECURE"),
        ({"DATABASE_POOL_SIZE": "-1"}, "DATABASE_POOL_SIZE"),
        ({"DATABASE_STATEMENT_TIMEOUT": "inf"}, "DATABASE_STATEMENT_TIMEOUT"),
    ],
)
def test_unusable_settings_are_refused_with_their_name(tmp_path, env, named):
    with pytest.raises(ConfigError) as refused:
        read_settings(env, tmp_path)
    message = str(refused.value)
    assert message.startswith(named) and "\n" not in message


def test_a_local_api_may_use_plain_http(tmp_path):
    for host in ("127.0.0.1", "localhost", "[::1]"):
        url = f"http://{host}:8080/v1"
        assert read_settings({"BRIA_API_TOKEN": "t", "BRIA_API_BASE_URL": url}, tmp_path)


def test_a_dotenv_line_that_cannot_be_read_is_named(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SECRET_KEY=fine\nBRIA_API_TOKEN = 'abc\nOTHER=1\n")
    problem = dotenv_problem(dotenv)
    assert problem is not None and "line 2 cannot be read" in problem
    dotenv.write_text('BRIA_API_TOKEN=abc\n# a comment\n\nQUOTED="with spaces"\n')
    assert dotenv_problem(dotenv) is None
    assert dotenv_problem(tmp_path / "missing.env") is None


def start(
    tmp_path, env: dict[str, str], dotenv: str | None = None, command: list[str] | None = None
):
    """Start the app as a server would, in `tmp_path`, and return how that went."""
    prepare_database(f"sqlite:///{tmp_path / 'webapp.sqlite3'}")
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    command = command or [sys.executable, "-c", "from webapp import create_app; create_app()"]
    return subprocess.run(
        command,
        cwd=tmp_path,
        env=environment({"WEBAPP_INSTANCE_PATH": str(tmp_path), **env}),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    ("env", "dotenv", "named"),
    [
        ({}, "BRIA_API_TOKEN = 'unterminated\n", ".env line 1 cannot be read"),
        ({"BRIA_API_TIMEOUT": "inf", "BRIA_API_TOKEN": "t"}, None, "BRIA_API_TIMEOUT"),
        ({"BRIA_API_TOKEN": "“pasted”"}, None, "BRIA_API_TOKEN"),
        ({"BEHIND_PROXY": "yes please"}, None, "BEHIND_PROXY"),
        ({}, "BRIA_API_BASE_URL=http://bria.example/v1\nBRIA_API_TOKEN=t\n", "BRIA_API_BASE_URL"),
    ],
)
def test_the_app_refuses_to_start_with_one_line_naming_the_setting(tmp_path, env, dotenv, named):
    started = start(tmp_path, env, dotenv)
    assert started.returncode == 3
    [line] = started.stderr.splitlines()
    assert line.startswith("webapp cannot start: ") and named in line
    assert "unterminated" not in line and "pasted" not in line


@pytest.mark.integration
def test_debug_mode_under_gunicorn_is_refused(tmp_path):
    started = start(
        tmp_path,
        {"FLASK_DEBUG": "1", "BIND": "127.0.0.1:0"},
        command=gunicorn_command(),
    )
    assert started.returncode != 0
    assert "webapp cannot start: FLASK_DEBUG is on under gunicorn" in started.stderr


def test_the_secret_key_is_created_once_and_shared_by_every_worker(tmp_path):
    keys = []
    start_together = threading.Barrier(8)

    def worker():
        start_together.wait()
        keys.append(load_secret_key(tmp_path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert load_secret_key(tmp_path) == keys[0]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BRIA_API_TOKEN": "t", "BRIA_REQUESTS_PER_MINUTE": "²"}, "BRIA_REQUESTS_PER_MINUTE"),
        ({"BRIA_API_TOKEN": "t", "BRIA_API_BASE_URL": "https://[::1/v1"}, "BRIA_API_BASE_URL"),
        (
            {"BRIA_API_TOKEN": "t", "BRIA_API_BASE_URL": "https://b.example:99999/v1"},
            "BRIA_API_BASE_URL",
        ),
        (
            {"BRIA_API_TOKEN": "t", "BRIA_API_BASE_URL": "https://b.example/v1?"},
            "BRIA_API_BASE_URL",
        ),
        ({"BRIA_API_TOKEN": "t", "BRIA_API_BASE_URL": "https://b ex.com/v1"}, "BRIA_API_BASE_URL"),
        ({"ACCESS_PASSWORD_HASH": "open sesame"}, "ACCESS_PASSWORD_HASH"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": "good.example, bad/host"}, "ALLOWED_HOSTS"),
    ],
)
def test_more_careless_values_are_refused_with_their_name(tmp_path, env, named):
    with pytest.raises(ConfigError) as refused:
        read_settings(env, tmp_path)
    assert str(refused.value).startswith(named)


def test_allowed_hosts_default_to_this_machine(tmp_path):
    assert read_settings({}, tmp_path).allowed_hosts == ["localhost", "127.0.0.1", "::1", "[::1]"]
    named = read_settings({"ALLOWED_HOSTS": "Projects.Example, .team.example"}, tmp_path)
    assert named.allowed_hosts == ["projects.example", ".team.example"]


def test_a_dotenv_that_is_not_utf8_is_named(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"BRIA_API_TOKEN=caf\xe9\n")
    assert dotenv_problem(dotenv) == f"{dotenv} is not UTF-8 text: save it as UTF-8"
