"""The long-lived objects a request needs, built once per process by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from webapp.bria import BriaClient
from webapp.catalog import ProjectCatalog
from webapp.ledger import Ledger


@dataclass(frozen=True)
class Services:
    client: BriaClient
    ledger: Ledger
    catalog: ProjectCatalog
    sandbox: bool


def services() -> Services:
    return current_app.extensions["webapp"]
