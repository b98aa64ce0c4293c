"""A setting that cannot be used, said in one line that names it and never repeats a secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

#: Settings whose values may hold a secret (a password in an address): never repeated.
SECRET_SETTINGS = (
    "BRIA_API_TOKEN",
    "SECRET_KEY",
    "ACCESS_PASSWORD_HASH",
    "DATABASE_URL",
    "JOB_QUEUE_URL",
    "TEAM_WEBHOOK_URL",
)


class ConfigError(ValueError):
    """A setting cannot be used; the message names it and says why, in one line."""


#: What pydantic says, in the app's words (the bounds come from the field).
_WORDS = {
    "greater_than_equal": "must be between {ge:g} and {le:g}",
    "less_than_equal": "must be between {ge:g} and {le:g}",
    "finite_number": "must be between {ge:g} and {le:g}",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number from {ge} to {le}",
    "int_from_float": "must be a whole number from {ge} to {le}",
    "too_short": (
        "must be at least {min_length} characters (it signs sessions): make one with "
        "`python -c 'import secrets; print(secrets.token_hex(32))'`"
    ),
}


def in_words(error: ValidationError, env: Mapping[str, str], fields: dict[str, Any]) -> ConfigError:
    """The first problem pydantic found, as the one line the app stops with (`fields`:
    the settings' fields, whose bounds the words quote)."""
    first = error.errors(include_url=False)[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    field = next((f for f in fields.values() if f.alias == name), None)
    bounds = {"ge": None, "le": None, "min_length": None}
    for rule in field.metadata if field else ():
        for key in bounds:
            if getattr(rule, key, None) is not None:
                bounds[key] = getattr(rule, key)
    if first["type"] == "value_error":
        reason = str(first.get("ctx", {}).get("error", first["msg"]))
    elif first["type"] in ("int_parsing", "int_from_float", "greater_than_equal") and isinstance(
        bounds["ge"], int
    ):
        reason = _WORDS["int_parsing"].format(**bounds)
    else:
        reason = _WORDS.get(first["type"], first["msg"]).format(**bounds)
    raw = env.get(name)
    if name in SECRET_SETTINGS or raw is None or ", got " in reason:
        return ConfigError(f"{name} {reason}")
    return ConfigError(f"{name} {reason}, got {raw!r}")


def token_problem(env: Mapping[str, str]) -> str | None:
    """A BRIA_ setting with no token: the sandbox must not quietly stand in for Bria."""
    token = (env.get("BRIA_API_TOKEN") or "").strip()
    others = sorted(name for name in env if name.startswith("BRIA_") and name != "BRIA_API_TOKEN")
    if token or not ("BRIA_API_TOKEN" in env or others):
        return None
    present = "BRIA_API_TOKEN is empty" if "BRIA_API_TOKEN" in env else "it is not set"
    return (
        f"BRIA_API_TOKEN is needed: {present} while {', '.join(others) or 'it'} "
        "is. Set the token, or remove every BRIA_ setting to run the sandbox."
    )
