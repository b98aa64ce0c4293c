"""Waiting in tests for the event meant, never for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

Value = TypeVar("Value")


def poll(condition: Callable[[], Value], seconds: float = 20.0, what: str = "it") -> Value:
    """Until `condition()` is true (its value), or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not happen in {seconds:g} s"
        time.sleep(0.02)
