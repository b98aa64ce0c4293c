"""The production command, as `make serve` starts it: nginx in front (`deploy/nginx.conf`) of
gunicorn with `gunicorn.conf.py`."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.pages import VALID, hidden_inputs, main_text
from tests.support.processes import (
    ROOT,
    children_of,
    free_port,
    logged_lines,
    make_serve,
    migrate,
    running,
)

#: Servers and processes of their own.
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """`make serve`'s stack in sandbox mode, with few threads (so that slow clients would
    take them all if they reached them); yields its URL and its log file."""
    folder = tmp_path_factory.mktemp("serve")
    log = folder / "serve.log"
    env = {
        "ACCESS_LOG": "-",
        "LOG_LEVEL": "info",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
        "WEBAPP_INSTANCE_PATH": str(folder / "instance"),
    }
    migrate(env)
    with make_serve(env, log) as url:
        yield url, log


def test_healthz_answers_through_nginx_and_gunicorn_with_the_job_consumer_running(served):
    url, _ = served
    deadline = time.monotonic() + 30
    while True:  # make serve starts the consumer beside gunicorn: it says so once it runs
        answer = requests.get(url + "/healthz", timeout=5)
        assert answer.status_code == 200
        if answer.json()["jobs"]["consumer"] == "running" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert answer.json() == {
        "status": "ok",
        "mode": "sandbox",
        "jobs": {"consumer": "running", "waiting": 0},
    }


def test_a_body_over_a_megabyte_gets_the_apps_page_in_words_from_nginx(served):
    url, _ = served
    answer = requests.post(url + "/", data={"project_name": "x" * (2 * 2**20)}, timeout=10)
    assert answer.status_code == 413
    assert "<h1>What you sent is too large</h1>" in answer.text
    assert "A form can carry up to 1 MB of text" in main_text(answer.text)


def test_pages_styles_and_scripts_go_compressed(served):
    url, _ = served
    page = requests.get(url + "/", timeout=5)
    assert page.headers["Content-Encoding"] == "gzip"
    for asset in re.findall(r'(?:href|src)="(/static/app\.(?:css|js)\?v=\w+)"', page.text):
        answer = requests.get(url + asset, timeout=5)
        assert answer.headers["Content-Encoding"] == "gzip", asset
        assert answer.headers["Vary"] == "Accept-Encoding"
    assert requests.get(url + "/healthz", timeout=5).headers.get("Content-Encoding") is None


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
    before = len(logged_lines(log, '"GET /projects"', at_least=0))
    requests.get(url + "/projects?q=private+words", timeout=5)
    assert len(logged_lines(log, '"GET /projects"', at_least=before + 1)) == before + 1
    text = log.read_text()
    assert re.search(r'"GET /projects" 200 \d+ \d+ms', text), text[-2000:]
    assert "private" not in text


def test_slow_clients_never_reach_a_thread_so_the_app_answers_meanwhile(served):
    """Twenty connections trickle their headers (more than the four threads) and as
    many sit idle: nginx holds them all, gunicorn never sees them."""
    url, _ = served
    port = int(url.rsplit(":", 1)[1])
    slow = []
    for _ in range(20):
        trickling = socket.create_connection(("127.0.0.1", port), timeout=5)
        trickling.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.append(trickling)
        slow.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    try:
        for _ in range(3):
            for trickling in slow[::2]:
                trickling.sendall(b"X-Slow: 1\r\n")
            answer = requests.get(url + "/healthz", timeout=5)
            assert answer.status_code == 200
            time.sleep(0.5)
    finally:
        for sock in slow:
            sock.close()


def test_the_client_address_reaches_the_log_through_the_proxy(served):
    url, log = served
    before = len(logged_lines(log, '"GET /projects"', at_least=0))
    requests.get(url + "/projects?q=x", headers={"X-Forwarded-For": "203.0.113.99"}, timeout=5)
    lines = logged_lines(log, '"GET /projects"', at_least=before + 1)
    # nginx sets X-Forwarded-For to the address it saw: a client cannot choose its own.
    assert len(lines) == before + 1 and all(line.startswith("127.0.0.1 ") for line in lines)


def test_an_app_that_does_not_answer_in_time_gets_the_apps_page_in_words_from_nginx(tmp_path):
    """gunicorn stopped (as a machine out of memory might leave it): nginx waits its read
    time (WEB_TIMEOUT + 5 s), then answers with the app's own page, not a bare 504."""
    env = {"WEB_CONCURRENCY": "1", "WEB_TIMEOUT": "1", "WEBAPP_INSTANCE_PATH": str(tmp_path)}
    migrate(env)
    port = free_port()
    settings = {"BIND": f"127.0.0.1:{port}", "PATH": os.environ["PATH"] + ":/usr/sbin", **env}
    url = f"http://127.0.0.1:{port}"
    with running(["deploy/serve"], settings, url + "/healthz", tmp_path / "serve.log") as serve:
        gunicorn = [
            pid
            for pid in children_of(serve.pid)
            if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        stopped = gunicorn + [worker for pid in gunicorn for worker in children_of(pid)]
        assert stopped, "gunicorn is not among deploy/serve's processes"
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        try:
            answer = requests.get(url + "/healthz", timeout=30)
        finally:
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)
    assert answer.status_code == 504
    assert "<h1>This app took too long to answer</h1>" in answer.text
    assert "wait a minute and look for it before you send it again" in main_text(answer.text)
