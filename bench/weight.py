"""What a page weighs with everything it makes the browser load, and what comes from elsewhere.

Shared by the benchmark (over HTTP) and the budget test (through Flask's test client).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

#: Attributes that make a browser load something as the page opens.
LOADING_ATTRIBUTES = {
    ("link", "href"),
    ("script", "src"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


@dataclass
class Weight:
    total_bytes: int = 0
    by_url: dict[str, int] = field(default_factory=dict)
    elsewhere: list[str] = field(default_factory=list)


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (tag, name) in LOADING_ATTRIBUTES:
                self.urls.append(value)
            if name == "style" and value:
                self.urls += [a or b for a, b in _CSS_URL.findall(value)]


def references(html: str) -> list[str]:
    """The URLs a browser loads for this HTML, as written in it."""
    parser = _References()
    parser.feed(html)
    return parser.urls


def page_weight(fetch: Callable[[str], bytes], page_url: str) -> Weight:
    """Fetch the page and, on its own origin, everything it loads (CSS `url()` too).

    References to another origin are listed in `elsewhere` and not fetched.
    """
    origin = urlsplit(page_url)[:2]
    weight = Weight()
    queue = [page_url]
    while queue:
        url = queue.pop(0)
        if url in weight.by_url:
            continue
        body = fetch(url)
        weight.by_url[url] = len(body)
        weight.total_bytes += len(body)
        path = urlsplit(url).path
        if url == page_url:
            found = references(body.decode("utf-8", "replace"))
        elif path.endswith(".css"):
            found = [a or b for a, b in _CSS_URL.findall(body.decode("utf-8", "replace"))]
        else:
            found = []
        for reference in found:
            if reference.startswith("data:"):
                continue
            absolute = urljoin(url, reference)
            if urlsplit(absolute)[:2] != origin:
                weight.elsewhere.append(absolute)
            else:
                queue.append(absolute)
    return weight
