"""Settings read from the environment (and a `.env` file), with defaults and checks.

Values are read as plain strings on purpose: Flask's `from_prefixed_env` parses
JSON, which would turn an all-digit token into an int.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_BASE_URL = "https://engine.prod.bria-api.com/v1"
SANDBOX_BASE_URL = "https://sandbox.bria.invalid/v1"
DEFAULT_TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 5.0
#: Long enough for a person who leaves the tab open over lunch or overnight.
CSRF_TIME_LIMIT_SECONDS = 24 * 60 * 60
MAX_BODY_BYTES = 64 * 1024
PROJECT_LIST_TTL_SECONDS = 30.0


class ConfigError(ValueError):
    """A setting in the environment cannot be used; the message says which and why."""


def _positive_float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero, got {raw!r}")
    return value


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, creating it once if it does not exist.

    Created with O_EXCL so that several workers starting together agree on one
    key: the first one writes, the others read what it wrote.
    """
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
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


def settings_from_environment(
    instance_path: Path, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the Flask config values the app needs from environment variables."""
    env = os.environ if environ is None else environ
    token = (env.get("BRIA_API_TOKEN") or "").strip()
    base_url = (env.get("BRIA_API_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    if not base_url.startswith(("https://", "http://")):
        raise ConfigError(f"BRIA_API_BASE_URL must start with https://, got {base_url!r}")
    timeout = _positive_float(
        "BRIA_API_TIMEOUT", env.get("BRIA_API_TIMEOUT") or str(DEFAULT_TIMEOUT_SECONDS)
    )
    secret_key = env.get("SECRET_KEY") or load_secret_key(instance_path)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'webapp.sqlite3'}"
    return {
        "BRIA_API_TOKEN": token,
        "BRIA_API_BASE_URL": base_url,
        "BRIA_API_TIMEOUT": timeout,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "ACCESS_PASSWORD_HASH": (env.get("ACCESS_PASSWORD_HASH") or "").strip(),
        "BEHIND_PROXY": _flag(env.get("BEHIND_PROXY")),
        "SESSION_COOKIE_SECURE": _flag(env.get("SESSION_COOKIE_SECURE")),
    }


FIXED_SETTINGS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
    "WTF_CSRF_TIME_LIMIT": CSRF_TIME_LIMIT_SECONDS,
    # Flask-WTF's strict referrer check fails for people whose browsers or
    # proxies strip the Referer header; the token and SameSite cookies suffice.
    "WTF_CSRF_SSL_STRICT": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PROJECT_LIST_TTL": PROJECT_LIST_TTL_SECONDS,
    "BRIA_CONNECT_TIMEOUT": CONNECT_TIMEOUT_SECONDS,
}
