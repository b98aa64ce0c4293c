"""Reading the app's pages as a browser would: parsed HTML, not patterns on its text."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
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


def soup(html: str | bytes) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def hidden_inputs(html: str) -> dict[str, str]:
    return {
        str(tag["name"]): str(tag.get("value", ""))
        for tag in soup(html).select("input[type=hidden][name]")
    }


def field_errors(html: str) -> dict[str, str]:
    """{field id: message} for every error message next to a field."""
    found = {}
    for tag in soup(html).select("p.error-message"):
        for hidden in tag.select(".visually-hidden"):
            hidden.extract()
        found[str(tag["id"]).removesuffix("-error")] = " ".join(tag.get_text().split())
    return found


def input_value(html: str, name: str) -> str | None:
    """The value an input, textarea or checked radio of that name would send."""
    page = soup(html)
    textarea = page.select_one(f"textarea[name={name}]")
    if textarea is not None:
        return textarea.get_text()
    radio = page.select_one(f"input[type=radio][name={name}][checked]")
    if radio is not None:
        return str(radio.get("value", ""))
    field = page.select_one(f"input[name={name}]:not([type=radio])")
    return None if field is None else str(field.get("value", ""))


def main_text(html: str) -> str:
    """The words of the page's main part, as one line."""
    main = soup(html).select_one("main")
    return " ".join((main or soup(html)).get_text(" ").split())


def title(html: str) -> str:
    tag = soup(html).title
    return " ".join(tag.get_text().split()) if tag else ""


def links(html: str) -> list[str]:
    return [str(a["href"]) for a in soup(html).select("main a[href]")]


def submit(
    client: FlaskClient, page_html: str | None = None, path: str = "/", **fields: Any
) -> Any:
    """Post a form with the hidden tokens of `page_html` (or of a fresh create form)."""
    if page_html is None:
        page_html = client.get(path).get_data(as_text=True)
    return client.post(path, data={**hidden_inputs(page_html), **fields})


def follow(client: FlaskClient, response: Any) -> Any:
    """The GET a browser makes after a 303."""
    assert response.status_code in (302, 303), (response.status_code, response.get_data()[:500])
    return client.get(response.headers["Location"])


def submission_path(response: Any) -> str:
    location = response.headers["Location"]
    assert re.fullmatch(r"/submissions/[A-Za-z0-9_-]{20,64}", location), location
    return location
