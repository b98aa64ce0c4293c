"""The files read before the settings: the instance's secret key and the `.env` file."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from webapp.settings.words import ConfigError


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
