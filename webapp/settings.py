"""Settings read from the environment (and a `.env` file), with their defaults and checks.

A setting that cannot be used stops the app at start-up with one line naming it:
a careless value must never be half-used (an `http://` address carrying the token
in clear) or silently ignored (the sandbox standing in for a token that did not
load). Values are read as plain strings on purpose: Flask's `from_prefixed_env`
parses JSON, which would turn an all-digit token into an int.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from webapp.database.engine import DatabaseSettings, normalise_url

DEFAULT_BASE_URL = "https://engine.prod.bria-api.com/v1"
DEFAULT_CONSOLE_URL = "https://platform.bria.ai/console/tailored-generation"
DEFAULT_TIMEOUT_SECONDS = 30.0
TIMEOUT_RANGE = (1.0, 300.0)
CONNECT_TIMEOUT_SECONDS = 5.0
#: The free plan's limit; the README lists the other plans'.
DEFAULT_REQUESTS_PER_MINUTE = 10
#: gunicorn's threads a worker (gunicorn.conf.py reads the same WEB_THREADS).
DEFAULT_THREADS = 64
#: How long a job may run before another consumer may take its work over: longer
#: than the slowest Bria call (a 25 MB upload on a slow link takes minutes).
DEFAULT_JOB_LEASE_SECONDS = 600.0
#: Threads of a job consumer: its jobs wait on Bria, they do not compute.
DEFAULT_JOB_WORKERS = 8
#: How old the shared list of projects may be before it is read from Bria again.
DEFAULT_LIST_MAX_AGE_SECONDS = 30.0
#: Long enough for a person who leaves the tab open over lunch or overnight.
CSRF_TIME_LIMIT_SECONDS = 24 * 60 * 60
#: A long paste into the description gets a message beside it, with every answer kept:
#: the limit on a body is far above what the form accepts.
MAX_BODY_BYTES = 2**20
BOOLEAN_WORDS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


class ConfigError(ValueError):
    """A setting cannot be used; the message names it and says why, in one line."""


@dataclass(frozen=True)
class Settings:
    bria_api_token: str
    bria_api_base_url: str
    bria_api_timeout: float
    bria_requests_per_minute: int
    bria_console_url: str
    bria_list_max_age: float
    secret_key: str
    database_url: str
    database: DatabaseSettings
    access_password_hash: str
    allowed_hosts: list[str]
    max_waiting_on_bria: int
    behind_proxy: bool
    session_cookie_secure: bool
    job_queue_url: str
    job_lease_seconds: float
    job_workers: int

    @property
    def sandbox(self) -> bool:
        return not self.bria_api_token

    def as_flask_config(self) -> dict[str, Any]:
        return {
            "BRIA_API_TOKEN": self.bria_api_token,
            "BRIA_API_BASE_URL": self.bria_api_base_url,
            "BRIA_API_TIMEOUT": self.bria_api_timeout,
            "BRIA_REQUESTS_PER_MINUTE": self.bria_requests_per_minute,
            "BRIA_CONSOLE_URL": self.bria_console_url,
            "BRIA_LIST_MAX_AGE": self.bria_list_max_age,
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "DATABASE": self.database,
            "ACCESS_PASSWORD_HASH": self.access_password_hash,
            # Flask answers 400 to a request for any other host: a page elsewhere cannot
            # reach the app through a name it controls (DNS rebinding).
            "TRUSTED_HOSTS": self.allowed_hosts,
            "BEHIND_PROXY": self.behind_proxy,
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
        }


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return False
    if raw not in BOOLEAN_WORDS:
        known = ", ".join(BOOLEAN_WORDS)
        raise ConfigError(f"{name} must be one of {known}, got {env.get(name)!r}")
    return BOOLEAN_WORDS[raw]


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


_HOST = re.compile(r"^[A-Za-z0-9.-]+$|^[0-9a-fA-F:.]+$")


def _api_url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = (env.get(name) or default).strip().rstrip("/")
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        raise ConfigError(f"{name} is not a web address, got {raw!r}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or port == 0:
        raise ConfigError(f"{name} must be an https:// address, got {raw!r}")
    if not _HOST.match(parts.hostname) or not raw.isascii() or " " in raw:
        raise ConfigError(f"{name} has a host name that cannot be right, got {raw!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"{name} must use https:// for a host other than this machine (the token would "
            f"travel in clear), got {raw!r}"
        )
    if parts.username or parts.password or "?" in raw or "#" in raw:
        raise ConfigError(f"{name} must not carry a user, a query or a fragment, got {raw!r}")
    return raw


def _token(env: Mapping[str, str]) -> str:
    token = (env.get("BRIA_API_TOKEN") or "").strip()
    if token and not all(33 <= ord(ch) <= 126 for ch in token):
        raise ConfigError(
            "BRIA_API_TOKEN must be printable ASCII without spaces or quotes such as “ ”: "
            "copy it again from Bria's console"
        )
    others = sorted(name for name in env if name.startswith("BRIA_") and name != "BRIA_API_TOKEN")
    if not token and ("BRIA_API_TOKEN" in env or others):
        present = "BRIA_API_TOKEN is empty" if "BRIA_API_TOKEN" in env else "it is not set"
        raise ConfigError(
            f"BRIA_API_TOKEN is needed: {present} while {', '.join(others) or 'it'} "
            "is. Set the token, or remove every BRIA_ setting to run the sandbox."
        )
    return token


#: Names the app answers to when ALLOWED_HOSTS is not set: this machine only.
LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1", "[::1]"]
#: Werkzeug's password hashes: "method$salt$hash" (see `flask --app webapp hash-password`).
_PASSWORD_HASH = re.compile(r"^(scrypt|pbkdf2):[a-z0-9:]+\$[^$]+\$[0-9a-f]+$")
SHORTEST_SECRET_KEY = 16


def _secret_key(env: Mapping[str, str], instance_path: Path) -> str:
    key = (env.get("SECRET_KEY") or "").strip()
    if not key:
        return load_secret_key(instance_path)
    if len(key) < SHORTEST_SECRET_KEY:
        raise ConfigError(
            f"SECRET_KEY must be at least {SHORTEST_SECRET_KEY} characters (it signs sessions): "
            "make one with `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    return key


def _password_hash(env: Mapping[str, str]) -> str:
    value = (env.get("ACCESS_PASSWORD_HASH") or "").strip()
    if value and not _PASSWORD_HASH.match(value):
        raise ConfigError(
            "ACCESS_PASSWORD_HASH must be a hash, not the password: make it with "
            "`flask --app webapp hash-password`"
        )
    return value


def _hosts(env: Mapping[str, str]) -> list[str]:
    raw = (env.get("ALLOWED_HOSTS") or "").strip()
    if not raw:
        return list(LOCAL_HOSTS)
    hosts = [host.strip().lower() for host in raw.split(",") if host.strip()]
    for host in hosts:
        if not re.fullmatch(r"\.?[a-z0-9.-]+|\[?[0-9a-f:.]+\]?", host):
            raise ConfigError(f"ALLOWED_HOSTS must list host names, got {host!r}")
    return hosts


def _waiting_on_bria(env: Mapping[str, str]) -> int:
    """How many requests of one process may wait on Bria at once: three quarters of its
    threads (gunicorn's WEB_THREADS), so that the rest always serve the pages that need
    no Bria (the form, /healthz, sign-in) however slow Bria is."""
    threads = _whole(env, "WEB_THREADS", DEFAULT_THREADS, 1, 1000)
    return max(1, threads - max(1, threads // 4))


def load_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, creating it once if it does not exist.

    Created with O_EXCL so that several workers starting together agree on one
    key: the first one writes, the others read what it wrote.
    """
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.01)
        raise ConfigError(f"{path} is empty; delete it and start again") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def read_settings(env: Mapping[str, str], instance_path: Path) -> Settings:
    """Every setting the app needs, checked; raises `ConfigError` naming the first bad one."""
    token = _token(env)
    database_url = normalise_url(
        (env.get("DATABASE_URL") or "").strip() or f"sqlite:///{instance_path / 'webapp.sqlite3'}"
    )
    database = DatabaseSettings(
        pool_size=_whole(env, "DATABASE_POOL_SIZE", DatabaseSettings.pool_size, 1, 100),
        max_overflow=_whole(env, "DATABASE_MAX_OVERFLOW", DatabaseSettings.max_overflow, 0, 100),
        pool_timeout=_number(env, "DATABASE_POOL_TIMEOUT", DatabaseSettings.pool_timeout, 0.1, 60),
        connect_timeout=_number(
            env, "DATABASE_CONNECT_TIMEOUT", DatabaseSettings.connect_timeout, 1, 60
        ),
        statement_timeout=_number(
            env, "DATABASE_STATEMENT_TIMEOUT", DatabaseSettings.statement_timeout, 0.1, 60
        ),
    )
    return Settings(
        bria_api_token=token,
        bria_api_base_url=_api_url(env, "BRIA_API_BASE_URL", DEFAULT_BASE_URL),
        bria_api_timeout=_number(env, "BRIA_API_TIMEOUT", DEFAULT_TIMEOUT_SECONDS, *TIMEOUT_RANGE),
        bria_requests_per_minute=_whole(
            env, "BRIA_REQUESTS_PER_MINUTE", DEFAULT_REQUESTS_PER_MINUTE, 1, 100_000
        ),
        bria_console_url=_api_url(env, "BRIA_CONSOLE_URL", DEFAULT_CONSOLE_URL),
        bria_list_max_age=_number(env, "BRIA_LIST_MAX_AGE", DEFAULT_LIST_MAX_AGE_SECONDS, 0, 3600),
        secret_key=_secret_key(env, instance_path),
        database_url=database_url,
        database=database,
        access_password_hash=_password_hash(env),
        allowed_hosts=_hosts(env),
        max_waiting_on_bria=_waiting_on_bria(env),
        behind_proxy=_flag(env, "BEHIND_PROXY"),
        session_cookie_secure=_flag(env, "SESSION_COOKIE_SECURE"),
        job_queue_url=_queue_url(env),
        job_lease_seconds=_number(env, "JOB_LEASE_SECONDS", DEFAULT_JOB_LEASE_SECONDS, 1, 3600),
        job_workers=_whole(env, "JOB_WORKERS", DEFAULT_JOB_WORKERS, 1, 64),
    )


def _queue_url(env: Mapping[str, str]) -> str:
    raw = (env.get("JOB_QUEUE_URL") or "").strip()
    if raw and urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"JOB_QUEUE_URL must be a redis:// address, got {raw!r}")
    return raw


def dotenv_problem(path: Path) -> str | None:
    """One line naming the first line of `.env` that cannot be read, or None.

    python-dotenv only warns about such a line and goes on without it: a token
    on that line would be missing, and the app would quietly run something else.
    """
    if not path.is_file():
        return None
    from dotenv.parser import parse_stream

    try:
        with path.open(encoding="utf-8") as stream:
            for binding in parse_stream(stream):
                if binding.error:
                    return (
                        f"{path} line {binding.original.line} cannot be read: "
                        "write it as NAME=value, quoting a value with spaces"
                    )
    except UnicodeDecodeError:
        return f"{path} is not UTF-8 text: save it as UTF-8"
    except OSError as error:
        return f"{path} cannot be read: {error.strerror}"
    return None


FIXED_SETTINGS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
    "WTF_CSRF_TIME_LIMIT": CSRF_TIME_LIMIT_SECONDS,
    # Flask-WTF's strict referrer check fails for people whose browsers or
    # proxies strip the Referer header; the token and SameSite cookies suffice.
    "WTF_CSRF_SSL_STRICT": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "BRIA_CONNECT_TIMEOUT": CONNECT_TIMEOUT_SECONDS,
}
