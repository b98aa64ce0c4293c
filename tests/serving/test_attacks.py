"""Hostile input, odd answers and careless use, replayed black-box against the app as
`make serve` runs it (nginx in front of gunicorn), with the access password on."""

from __future__ import annotations

import os
import re
import socket
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from werkzeug.security import generate_password_hash

from tests.conftest import TOKEN
from tests.support.fake_api import AS_THE_API_WOULD, FakeBriaServer, Scripted
from tests.support.pages import VALID, hidden_inputs, main_text
from tests.support.processes import logged_lines, make_serve, migrate

#: Servers and processes of their own.
pytestmark = pytest.mark.integration

PASSWORD = "correct horse"


@dataclass
class Target:
    url: str
    api: FakeBriaServer
    log: Path
    access_log: Path
    instance: Path

    def signed_in(self) -> requests.Session:
        browser = requests.Session()
        page = browser.get(self.url + "/sign-in", timeout=10).text
        answer = browser.post(
            self.url + "/sign-in",
            data={**hidden_inputs(page), "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303
        return browser

    def create(
        self, browser: requests.Session, bria_answers: Scripted, **fields: str
    ) -> requests.Response:
        """Create a project; Bria lists projects as it would, then answers the create so."""
        page = browser.get(self.url + "/", timeout=10).text
        self.api.fake.answer_next(AS_THE_API_WOULD, bria_answers)
        return browser.post(
            self.url + "/", data={**hidden_inputs(page), **VALID, **fields}, timeout=30
        )


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("attacks")
    with FakeBriaServer(TOKEN, folder=folder) as api:
        env = {
            "BRIA_API_TOKEN": TOKEN,
            "BRIA_API_BASE_URL": api.base_url,
            "BRIA_API_TIMEOUT": "2",
            "BRIA_REQUESTS_PER_MINUTE": "10000",
            "BRIA_LIST_MAX_AGE": "0",  # every page asks Bria: the tests script its answers
            "ACCESS_PASSWORD_HASH": generate_password_hash(PASSWORD),
            "WEBAPP_INSTANCE_PATH": str(folder / "instance"),
            "ACCESS_LOG": str(folder / "access.log"),
            "LOG_LEVEL": "info",
        }
        migrate(env)
        log = folder / "server.log"
        with make_serve(env, log) as url:
            yield Target(url, api, log, folder / "access.log", folder / "instance")


@pytest.mark.parametrize(
    "next_path",
    [
        "/%09/evil.example",
        "/%0d/evil.example",
        "/%0a/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/%20/evil.example",
    ],
)
def test_signing_in_never_sends_anyone_to_another_site(target, next_path):
    browser = requests.Session()
    page = browser.get(f"{target.url}/sign-in?next={next_path}", timeout=10)
    assert page.status_code == 200
    answer = browser.post(
        f"{target.url}/sign-in?next={next_path}",
        data={**hidden_inputs(page.text), "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"
    # Signed in, the page redirects at once, to the same safe place.
    again = browser.get(f"{target.url}/sign-in?next={next_path}", allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"] == "/"


def test_a_path_on_this_site_is_followed_after_signing_in(target):
    browser = requests.Session()
    page = browser.get(target.url + "/projects?q=lora", timeout=10)  # redirected to sign in
    assert page.url.endswith("/sign-in?next=/projects?q%3Dlora")
    answer = browser.post(
        page.url, data={**hidden_inputs(page.text), "password": PASSWORD}, allow_redirects=False
    )
    assert answer.headers["Location"] == "/projects?q=lora"


def test_a_post_from_another_site_gets_neither_its_answers_nor_a_project(target):
    browser = target.signed_in()
    forged = {**VALID, "project_name": "Planted by evil", "csrf_token": "x"}
    answer = browser.post(
        target.url + "/", data=forged, headers={"Origin": "https://evil.example"}, timeout=10
    )
    assert answer.status_code == 400
    assert "Planted by evil" not in answer.text
    assert "A form from another website tried to send this" in main_text(answer.text)
    assert not any(p["project_name"] == "Planted by evil" for p in target.api.fake.projects)


def test_no_piece_of_the_token_reaches_a_page_whatever_bria_quotes_back(target):
    browser = target.signed_in()
    for offset in (250, 290, 296):
        message = "x" * offset + TOKEN + " is not allowed"
        refused = Scripted(400, {"error": {"message": message}})
        page = target.create(browser, refused, project_name=f"Quoted {offset}").text
        assert "Bria did not accept the project" in main_text(page)
        for length in range(4, len(TOKEN) + 1):
            assert TOKEN[:length] not in page


def test_request_ids_cannot_forge_log_lines_or_carry_the_token(target):
    browser = target.signed_in()
    forging = {"error": {"message": "no"}, "request_id": "r1\nINFO forged log line"}
    target.create(browser, Scripted(400, forging), project_name="Forged id one")
    quoting = {"error": {"message": "no"}, "request_id": TOKEN}
    target.create(browser, Scripted(400, quoting), project_name="Forged id two")
    assert len(logged_lines(target.log, "status=400 elapsed_ms", at_least=2)) >= 2
    log = target.log.read_text()
    assert "forged log line" not in log
    assert TOKEN not in log
    assert re.search(r"status=400 elapsed_ms=[\d.]+ request_id=-", log)


def test_the_access_log_cannot_be_forged_through_the_path(target):
    forged = "/x%0a10.0.0.1%20%22POST%20/sign-in%22%20302"
    with socket.create_connection(("127.0.0.1", int(target.url.rsplit(":", 1)[1]))) as raw:
        raw.sendall(
            f"GET {forged}?secret=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        raw.recv(65536)
    mine = logged_lines(target.access_log, "/x%0a10.0.0.1")
    lines = target.access_log.read_text().splitlines()
    assert len(mine) == 1
    assert not any(line.startswith("10.0.0.1") for line in lines)
    assert "secret" not in target.access_log.read_text()


def test_odd_entries_in_the_list_and_an_unreadable_201_break_nothing(target):
    browser = target.signed_in()
    target.api.fake.answer_next(
        Scripted(
            200,
            [
                {"id": "7", "project_name": "Text id"},
                {"id": None, "project_name": "No id"},
                {"id": 8, "project_name": 8},
                {"id": 9, "project_name": ["a", "list"]},
                {"id": 10, "project_name": "Odd type", "ip_type": {"an": "object"}},
                {"id": 11, "project_name": "Fine one", "ip_type": "icons"},
            ],
        )
    )
    listed = browser.get(target.url + "/projects?q=fine", timeout=10)
    assert listed.status_code == 200 and "Fine one" in main_text(listed.text)

    page = browser.get(target.url + "/", timeout=10).text
    data = {**hidden_inputs(page), **VALID, "project_name": "Null id"}
    target.api.fake.answer_next(
        AS_THE_API_WOULD, Scripted(201, {"id": None, "project_name": "Null id"}, create=True)
    )
    first = browser.post(target.url + "/", data=data, timeout=30)
    assert first.status_code == 200
    assert "Project created" in main_text(first.text)
    assert "its answer could not be read" in main_text(first.text)
    started = time.monotonic()
    again = browser.post(target.url + "/", data=data, timeout=30)
    assert time.monotonic() - started < 2
    assert "Project created" in main_text(again.text)
    assert len([p for p in target.api.fake.posts() if p.body.get("project_name") == "Null id"]) == 1


def test_an_answer_trickled_by_bria_ends_within_the_timeout_and_a_second(target):
    browser = target.signed_in()
    trickled = Scripted(201, {"id": 99, "project_name": "Slow"}, trickle=0.5)
    started = time.monotonic()
    answer = target.create(browser, trickled, project_name="Trickled")
    took = time.monotonic() - started
    assert answer.status_code == 200
    # Unbounded, the answer would take 17 s; bounded, the timeout and its margin (3 s), plus
    # the form, the name check, the look at the list after and the reply's page.
    assert took < 2 + 1 + 4
    assert "Bria did not confirm whether your project was created" in main_text(answer.text)


def test_signing_out_ends_the_session_for_a_copied_cookie_too(target):
    browser = target.signed_in()
    copied = requests.Session()
    copied.cookies.update(browser.cookies)
    assert copied.get(target.url + "/projects", allow_redirects=False).status_code == 200
    page = browser.get(target.url + "/", timeout=10).text
    out = browser.post(target.url + "/sign-out", data=hidden_inputs(page), allow_redirects=False)
    assert out.headers["Location"] == "/signed-out"
    stolen = copied.get(target.url + "/projects", allow_redirects=False)
    assert stolen.status_code == 302 and stolen.headers["Location"].startswith("/sign-in")


def test_static_files_are_cached_only_under_their_own_hash(target):
    page = target.signed_in().get(target.url + "/", timeout=10).text
    [css] = re.findall(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', page)
    assert requests.get(target.url + css).headers["Cache-Control"] == (
        "public, max-age=31536000, immutable"
    )
    assert (
        requests.get(target.url + "/static/app.css?v=000000000000").headers["Cache-Control"]
        == "no-cache"
    )
    missing = requests.get(target.url + "/static/nothing.css?v=000000000000")
    assert missing.status_code == 404
    assert "max-age" not in missing.headers["Cache-Control"]


def test_the_ledger_and_the_secret_key_are_readable_by_their_owner_only(target):
    for name in ("webapp.sqlite3", "secret_key"):
        mode = stat.S_IMODE(os.stat(target.instance / name).st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert stat.S_IMODE(os.stat(target.instance).st_mode) & 0o077 == 0
