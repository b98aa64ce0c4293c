"""Sections one feature adds to another's page (a project's datasets and models, a
dataset's models), so that the page shows them without knowing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

#: Makes a section's values from the thing its page shows (a project, a dataset).
Maker = Callable[[dict[str, Any]], dict[str, Any]]
KEY = "webapp.sections"
PROJECT, DATASET = "project", "dataset"


def add_section(app: Flask, page: str, template: str, make: Maker) -> None:
    """Show `template` on `page` (PROJECT, DATASET), with the values `make` returns."""
    app.extensions.setdefault(KEY, {}).setdefault(page, []).append((template, make))


def sections_for(page: str, thing: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    made = current_app.extensions.get(KEY, {}).get(page, [])
    return [(template, make(thing)) for template, make in made]
