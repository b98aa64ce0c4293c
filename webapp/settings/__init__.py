"""Settings read from the environment (and a `.env` file), with their defaults and checks.

pydantic-settings reads and types them; what is the app's own is the words. A
setting that cannot be used stops the app at start-up with one line naming it
(`BRIA_API_TIMEOUT must be between 1 and 300, got 'inf'`): a careless value must
never be half-used (an `http://` address carrying the token in clear) or silently
ignored (the sandbox standing in for a token that did not load). Values are read as
text: Flask's `from_prefixed_env` would parse JSON and turn an all-digit token into
an int. The token and the secret key are `SecretStr`: no repr or log shows them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from webapp.database.engine import DatabaseSettings, normalise_url
from webapp.settings.files import dotenv_problem, load_secret_key
from webapp.settings.words import ConfigError, in_words, token_problem

__all__ = ["ConfigError", "Settings", "dotenv_problem", "load_secret_key", "read_settings"]

DEFAULT_BASE_URL = "https://engine.prod.bria-api.com/v1"
CONNECT_TIMEOUT_SECONDS = 5.0
#: gunicorn's threads a worker (gunicorn.conf.py reads the same WEB_THREADS).
DEFAULT_THREADS = 64
#: Long enough for a person who leaves the tab open over lunch or overnight.
CSRF_TIME_LIMIT_SECONDS = 24 * 60 * 60
#: Every form's body: a long paste into a description gets a message beside it, with
#: every answer kept, far below this. Upload routes set their own, larger limit.
MAX_BODY_BYTES = 2**20
BOOLEAN_WORDS = {**dict.fromkeys(("1", "true", "yes", "on"), True)}
BOOLEAN_WORDS |= dict.fromkeys(("0", "false", "no", "off"), False)
#: Names the app answers to when ALLOWED_HOSTS is not set: this machine only.
LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1", "[::1]"]
#: Werkzeug's password hashes: "method$salt$hash" (see `flask --app webapp hash-password`).
_PASSWORD_HASH = re.compile(r"^(scrypt|pbkdf2):[a-z0-9:]+\$[^$]+\$[0-9a-f]+$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+$|^[0-9a-fA-F:.]+$")
SHORTEST_SECRET_KEY = 16


def _flag(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    word = value.strip().lower()
    if word not in BOOLEAN_WORDS:
        raise ValueError(f"must be one of {', '.join(BOOLEAN_WORDS)}")
    return BOOLEAN_WORDS[word]


Flag = Annotated[bool, BeforeValidator(_flag)]


def _number(default: float, low: float, high: float, name: str) -> Any:
    return Field(default, ge=low, le=high, allow_inf_nan=False, alias=name)


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _api_url(raw: str) -> str:
    raw = raw.strip().rstrip("/")
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        raise ValueError("is not a web address") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or port == 0:
        raise ValueError("must be an https:// address")
    if not _HOST.match(parts.hostname) or not raw.isascii() or " " in raw:
        raise ValueError("has a host name that cannot be right")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            "must use https:// for a host other than this machine (the token would travel in clear)"
        )
    if parts.username or parts.password or "?" in raw or "#" in raw:
        raise ValueError("must not carry a user, a query or a fragment")
    return raw


class Settings(BaseSettings):
    """Every setting the app reads, by the environment variable that sets it."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", str_strip_whitespace=True, validate_default=True
    )

    bria_api_token: SecretStr = Field(SecretStr(""), alias="BRIA_API_TOKEN")
    bria_api_base_url: str = Field(DEFAULT_BASE_URL, alias="BRIA_API_BASE_URL")
    bria_api_timeout: float = _number(30.0, 1, 300, "BRIA_API_TIMEOUT")
    bria_requests_per_minute: int = Field(10, ge=1, le=100_000, alias="BRIA_REQUESTS_PER_MINUTE")
    #: Where generation lives (Bria's v2 path): by default the base URL's host, /v2.
    bria_api_v2_url: str = Field("", alias="BRIA_API_V2_URL")
    bria_list_max_age: float = _number(30.0, 0, 3600, "BRIA_LIST_MAX_AGE")
    secret_key: SecretStr = Field(alias="SECRET_KEY", min_length=SHORTEST_SECRET_KEY)
    database_url: str = Field(alias="DATABASE_URL")
    database_pool_size: int = Field(5, ge=1, le=100, alias="DATABASE_POOL_SIZE")
    database_max_overflow: int = Field(5, ge=0, le=100, alias="DATABASE_MAX_OVERFLOW")
    database_pool_timeout: float = _number(5.0, 0.1, 60, "DATABASE_POOL_TIMEOUT")
    database_connect_timeout: float = _number(3.0, 1, 60, "DATABASE_CONNECT_TIMEOUT")
    database_statement_timeout: float = _number(5.0, 0.1, 60, "DATABASE_STATEMENT_TIMEOUT")
    access_password_hash: str = Field("", alias="ACCESS_PASSWORD_HASH")
    allowed_hosts: Annotated[list[str], BeforeValidator(lambda v: _hosts(v))] = Field(
        default_factory=lambda: list(LOCAL_HOSTS), alias="ALLOWED_HOSTS"
    )
    web_threads: int = Field(DEFAULT_THREADS, ge=1, le=1000, alias="WEB_THREADS")
    behind_proxy: Flag = Field(False, alias="BEHIND_PROXY")
    session_cookie_secure: Flag = Field(False, alias="SESSION_COOKIE_SECURE")
    #: Where the job runner keeps its queue: Redis for several servers, else SQLite.
    job_queue_url: str = Field("", alias="JOB_QUEUE_URL")
    #: How long a job may run before another consumer may take its work over: longer
    #: than the slowest Bria call (a 25 MB upload on a slow link takes minutes).
    job_lease_seconds: float = _number(600.0, 1, 3600, "JOB_LEASE_SECONDS")
    #: Threads of a job consumer: its jobs wait on Bria, they do not compute.
    job_workers: int = Field(8, ge=1, le=64, alias="JOB_WORKERS")
    #: Where uploaded files wait for Bria: "folder" (the instance folder) or "database"
    #: (every server reads them); by default the database when it is PostgreSQL.
    upload_store: str = Field("", alias="UPLOAD_STORE")
    #: The header the organisation's sign-in proxy sets to who is asking (read only
    #: with BEHIND_PROXY; the proxy must overwrite it on every request).
    trusted_user_header: str = Field("", alias="TRUSTED_USER_HEADER")
    #: A team chat's incoming webhook (Slack, Teams): told when a training ends.
    team_webhook_url: str = Field("", alias="TEAM_WEBHOOK_URL")
    #: The sandbox's training: how long it takes, and how it ends.
    sandbox_training_seconds: float = _number(60.0, 0, 86400, "SANDBOX_TRAINING_SECONDS")
    sandbox_training_outcome: str = Field("Completed", alias="SANDBOX_TRAINING_OUTCOME")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        **others: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what `read_settings` hands over: the environment it was given."""
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _blank_values_are_unset(cls, data: Any) -> Any:
        """`FOO=` in a .env file means "not set": the default applies."""
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}

    @field_validator("bria_api_base_url", "bria_api_v2_url")
    @classmethod
    def _https(cls, value: str) -> str:
        return _api_url(value) if value else value

    @field_validator("team_webhook_url")
    @classmethod
    def _webhook(cls, value: str) -> str:
        if value and not value.startswith("https://"):
            raise ValueError("must be an https:// address")
        return value

    @field_validator("trusted_user_header")
    @classmethod
    def _header(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9-]{1,60}", value):
            raise ValueError("must be a header name, like X-Forwarded-User")
        return value

    @field_validator("sandbox_training_outcome")
    @classmethod
    def _outcome(cls, value: str) -> str:
        if value not in ("Completed", "Failed"):
            raise ValueError("must be Completed or Failed")
        return value

    @field_validator("bria_api_token")
    @classmethod
    def _printable(cls, value: SecretStr) -> SecretStr:
        if not all(33 <= ord(ch) <= 126 for ch in value.get_secret_value()):
            raise ValueError(
                "must be printable ASCII without spaces or quotes such as “ ”: copy it again "
                "from Bria's console"
            )
        return value

    @field_validator("access_password_hash")
    @classmethod
    def _a_hash(cls, value: str) -> str:
        if value and not _PASSWORD_HASH.match(value):
            raise ValueError(
                "must be a hash, not the password: make it with `flask --app webapp hash-password`"
            )
        return value

    @field_validator("upload_store")
    @classmethod
    def _store(cls, value: str) -> str:
        if value and value not in ("folder", "database"):
            raise ValueError("must be folder or database")
        return value

    @field_validator("job_queue_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis:// address")
        return value

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str) -> str:
        return normalise_url(value)

    # -- what the rest of the app reads ---------------------------------------

    @property
    def token(self) -> str:
        return self.bria_api_token.get_secret_value()

    @property
    def sandbox(self) -> bool:
        return not self.token

    @property
    def files_in_database(self) -> bool:
        """Uploaded files kept in the shared database rather than the instance folder."""
        if self.upload_store:
            return self.upload_store == "database"
        return not self.database_url.startswith("sqlite")

    @property
    def max_waiting_on_bria(self) -> int:
        """How many requests of one process may wait on Bria at once: three quarters of its
        threads, so that the rest always serve the pages that need no Bria (the form,
        /healthz, sign-in) however slow Bria is."""
        return max(1, self.web_threads - max(1, self.web_threads // 4))

    @property
    def database(self) -> DatabaseSettings:
        return DatabaseSettings(
            pool_size=self.database_pool_size,
            max_overflow=self.database_max_overflow,
            pool_timeout=self.database_pool_timeout,
            connect_timeout=self.database_connect_timeout,
            statement_timeout=self.database_statement_timeout,
        )

    def as_flask_config(self) -> dict[str, Any]:
        return {
            "BRIA_API_TIMEOUT": self.bria_api_timeout,
            "SECRET_KEY": self.secret_key.get_secret_value(),
            "DATABASE_URL": self.database_url,
            "DATABASE": self.database,
            # Flask answers 400 to a request for any other host: a page elsewhere cannot
            # reach the app through a name it controls (DNS rebinding).
            "TRUSTED_HOSTS": self.allowed_hosts,
            "BEHIND_PROXY": self.behind_proxy,
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
        }


def _hosts(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    hosts = [host.strip().lower() for host in value.split(",") if host.strip()]
    for host in hosts:
        if not re.fullmatch(r"\.?[a-z0-9.-]+|\[?[0-9a-f:.]+\]?", host):
            raise ValueError(f"must list host names, got {host!r}")
    return hosts


def read_settings(env: Mapping[str, str], instance_path: Path) -> Settings:
    """Every setting the app needs, checked; raises `ConfigError` naming the first bad one."""
    problem = token_problem(env)
    if problem:
        raise ConfigError(problem)
    known = {field.alias for field in Settings.model_fields.values()}
    given: dict[str, Any] = {name: env[name] for name in known if name in env}
    if not (given.get("SECRET_KEY") or "").strip():
        given["SECRET_KEY"] = load_secret_key(instance_path)
    if not (given.get("DATABASE_URL") or "").strip():
        given["DATABASE_URL"] = f"sqlite:///{instance_path / 'webapp.sqlite3'}"
    try:
        return Settings(**given)
    except ValidationError as error:
        raise in_words(error, env, Settings.model_fields) from None


FIXED_SETTINGS: dict[str, Any] = {
    # A form's whole body, its text fields in memory, and its parts; an upload route
    # raises the first and the last for itself (Werkzeug writes files to disk).
    "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
    "MAX_FORM_MEMORY_SIZE": MAX_BODY_BYTES,
    "MAX_FORM_PARTS": 100,
    "WTF_CSRF_TIME_LIMIT": CSRF_TIME_LIMIT_SECONDS,
    # Flask-WTF's strict referrer check fails for people whose browsers or
    # proxies strip the Referer header; the token and SameSite cookies suffice.
    "WTF_CSRF_SSL_STRICT": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}
