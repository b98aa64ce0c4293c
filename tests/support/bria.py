"""The Bria client as tests make it, and a check for the kind of failure it raised."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from webapp.bria import Bria
from webapp.bria.errors import BriaError
from webapp.bria.transport import Transport

TOKEN = "test-token-5f1e0c9a7b3d"


def make_client(base_url: str, token: str = TOKEN, **kwargs: Any) -> Bria:
    """The app's client for `base_url` (`timeout` defaults to 2 s)."""
    kwargs.setdefault("timeout", 2.0)
    return Bria(Transport(base_url, token, **kwargs))


@contextmanager
def bria_failure(kind: str, cls: type[BriaError] = BriaError) -> Iterator[Any]:
    """`with bria_failure("timeout") as raised:` the block raises that kind, of `cls`."""
    with pytest.raises(cls) as raised:
        yield raised
    assert raised.value.kind == kind, raised.value
