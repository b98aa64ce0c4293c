"""The production command: gunicorn with `gunicorn.conf.py`, as `make serve` starts it."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.pages import VALID, hidden_inputs, main_text
from tests.support.processes import gunicorn, migrate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """gunicorn serving the app in sandbox mode; yields its URL and its log file."""
    folder = tmp_path_factory.mktemp("serve")
    log = folder / "gunicorn.log"
    env = {
        "ACCESS_LOG": "-",
        "LOG_LEVEL": "info",
        "WEB_CONCURRENCY": "2",
        "WEBAPP_INSTANCE_PATH": str(folder / "instance"),
    }
    migrate(env)
    with gunicorn("webapp:create_app()", env, "/healthz", log) as url:
        yield url, log


def test_healthz_answers_under_gunicorn(served):
    url, _ = served
    answer = requests.get(url + "/healthz", timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "mode": "sandbox"}


def test_a_project_is_created_through_gunicorn(served):
    url, _ = served
    browser = requests.Session()
    tokens = hidden_inputs(browser.get(url + "/", timeout=5).text)
    sent = browser.post(
        url + "/",
        data={**tokens, **VALID, "project_name": "Served"},
        allow_redirects=False,
        timeout=10,
    )
    assert sent.status_code == 303
    page = browser.get(url + sent.headers["Location"], timeout=5)
    assert page.status_code == 200
    assert "Project created" in main_text(page.text) and "Served" in main_text(page.text)
    assert "Sandbox" in page.text


def test_static_files_have_versioned_urls_and_a_year_of_cache(served):
    url, _ = served
    html = requests.get(url + "/", timeout=5).text
    [css_url] = re.findall(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', html)
    answer = requests.get(url + css_url, timeout=5)
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    expected = hashlib.sha256((ROOT / "static" / "app.css").read_bytes()).hexdigest()[:12]
    assert css_url.endswith(expected)


def test_the_access_log_has_no_query_strings(served):
    url, log = served
    requests.get(url + "/projects?q=private+words", timeout=5)
    deadline = time.monotonic() + 5
    while '"GET /projects"' not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    text = log.read_text()
    assert re.search(r'"GET /projects" 200 \d+ \d+ms', text), text[-2000:]
    assert "private" not in text
