"""The server-side client of Bria's API: one transport, one small module per resource.

`Bria(transport).projects.create(payload)`: views and jobs never see `requests`, a
status code or a body; they get checked data or one of the `BriaError` kinds.
"""

from __future__ import annotations

from webapp.bria.datasets import Datasets
from webapp.bria.generation import Generation
from webapp.bria.images import Images
from webapp.bria.models import Models
from webapp.bria.projects import Projects
from webapp.bria.transport import Transport


class Bria:
    """Every resource's endpoints over one transport (one pool, one budget)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.projects = Projects(transport)
        self.datasets = Datasets(transport)
        self.images = Images(transport)
        self.models = Models(transport)
        self.generation = Generation(transport)

    def __repr__(self) -> str:
        return f"Bria({self.transport!r})"
