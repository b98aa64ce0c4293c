"""Shared helpers for tests: read the form page and post it back like a browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient

VALID = {
    "project_name": "Lora adventures",
    "project_description": "Our mascot for the spring campaign",
    "ip_medium": "illustration",
    "ip_type": "defined_character",
    "ip_name": "Lora",
    "ip_description": "a female character with purple hair",
    "training_version": "",
}


class _Inputs(HTMLParser):
    """Collects hidden inputs and the error messages shown on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.hidden[values["name"] or ""] = values.get("value") or ""


def hidden_inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.hidden


def field_errors(html: str) -> dict[str, str]:
    """{field id: message} for every error message next to a field."""
    found = re.findall(
        r'<p class="error-message" id="([a-z_]+)-error">'
        r'<span class="visually-hidden">Error:</span> (.*?)</p>',
        html,
    )
    return dict(found)


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


def submit(client: FlaskClient, page_html: str | None = None, **fields: Any) -> Any:
    """Post the create form with the hidden tokens of `page_html` (or a fresh form)."""
    if page_html is None:
        page_html = client.get("/").get_data(as_text=True)
    data = {**hidden_inputs(page_html), **fields}
    return client.post("/", data=data)
