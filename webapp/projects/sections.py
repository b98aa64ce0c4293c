"""Sections other features add to a project's page (its datasets, its models), so that
the projects feature shows them without knowing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

#: (template, context maker): the maker takes the project and returns the template's values.
Section = tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]
KEY = "webapp.project_sections"


def add_section(
    app: Flask, template: str, context: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    app.extensions.setdefault(KEY, []).append((template, context))


def sections_for(project: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(template, make(project)) for template, make in current_app.extensions.get(KEY, [])]
