"""The form page's budget: 30 KB with everything it loads, and nothing from another origin."""

from __future__ import annotations

from urllib.parse import urlsplit

from bench.weight import page_weight, references
from tests.support.pages import follow, submit

BUDGET_BYTES = 30 * 1024


def fetch_with(client):
    def fetch(url: str) -> bytes:
        parts = urlsplit(url)
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        assert response.status_code == 200, url
        data = response.get_data()
        response.close()
        return data

    return fetch


def test_the_form_page_with_its_css_and_javascript_stays_within_30_kb(client):
    weight = page_weight(fetch_with(client), "http://localhost/")
    loaded = sorted(urlsplit(url).path for url in weight.by_url)
    assert loaded == ["/", "/static/app.css", "/static/app.js", "/static/favicon.svg"]
    assert weight.total_bytes <= BUDGET_BYTES, weight.by_url
    assert weight.elsewhere == []


def test_the_form_page_with_errors_stays_within_the_budget_too(client):
    html = follow(client, submit(client, project_name="")).get_data()
    assert (
        len(html)
        + sum(
            len(fetch_with(client)("http://localhost" + url)) for url in references(html.decode())
        )
        <= BUDGET_BYTES
    )


def test_a_reference_to_another_origin_is_caught():
    pages = {
        "http://localhost/": b'<link rel="stylesheet" href="/s.css">'
        b'<script src="https://cdn.example/lib.js"></script>',
        "http://localhost/s.css": b"body{background:url('//fonts.example/x.woff2')}",
    }
    weight = page_weight(pages.__getitem__, "http://localhost/")
    assert weight.elsewhere == ["https://cdn.example/lib.js", "http://fonts.example/x.woff2"]
    assert weight.total_bytes == sum(len(body) for body in pages.values())
