"""The app as a team deploys it: gunicorn servers of two workers each, sharing one database
and one Bria. On PostgreSQL, two servers under a role that cannot create tables; on SQLite,
one server. The same guarantees hold across every worker and server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from tests.conftest import TOKEN, prepare_database
from tests.support.fake_api import FakeBriaServer
from tests.support.pages import VALID, hidden_inputs, main_text
from tests.support.postgres import PostgresCluster
from tests.support.processes import gunicorn_servers
from webapp.database.engine import make_engine
from webapp.database.tables import sign_in_attempts

#: Servers and processes of their own.
pytestmark = pytest.mark.integration

PASSWORD = "team password"
BUDGET = 10


@dataclass
class Deployment:
    urls: list[str]
    api: FakeBriaServer
    database_url: str

    def url(self, number: int) -> str:
        return self.urls[number % len(self.urls)]


@contextmanager
def database(kind: str, folder: Path, postgres: PostgresCluster | None) -> Iterator[str]:
    """A migrated database; for PostgreSQL, the URL of a role that cannot create tables."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'ledger.sqlite3'}"
        prepare_database(url)
        yield url
        return
    assert postgres is not None
    name = postgres.create_database()
    prepare_database(postgres.url(name))  # the deploy step, as the schema's owner
    role, password = postgres.create_app_role(name)
    try:
        yield postgres.url(name, role, password)
    finally:
        postgres.drop_database(name)


@contextmanager
def deployed(kind: str, folder: Path, postgres: PostgresCluster | None, **settings: str):
    """Servers started together on one migrated database, talking to one fake Bria."""
    with ExitStack() as stack:
        api = stack.enter_context(FakeBriaServer(TOKEN, folder=folder))
        url = stack.enter_context(database(kind, folder, postgres))
        servers = 2 if kind == "postgresql" else 1
        envs = [
            {
                "DATABASE_URL": url,
                "BRIA_API_TOKEN": TOKEN,
                "BRIA_API_BASE_URL": api.base_url,
                "BRIA_API_TIMEOUT": "5",
                "SECRET_KEY": "one secret for the team",
                "WEB_CONCURRENCY": "2",
                "WEBAPP_INSTANCE_PATH": str(folder / f"server-{number}"),
                **settings,
            }
            for number in range(servers)
        ]
        logs = [folder / f"server-{number}.log" for number in range(servers)]
        started = stack.enter_context(gunicorn_servers(envs, logs))
        yield Deployment([server.url for server in started], api, url)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def kind(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def team(kind, tmp_path_factory, request) -> Iterator[Deployment]:
    postgres = request.getfixturevalue("postgres") if kind == "postgresql" else None
    with deployed(
        kind, tmp_path_factory.mktemp(f"team-{kind}"), postgres, BRIA_REQUESTS_PER_MINUTE="100000"
    ) as deployment:
        yield deployment


def open_form(url: str) -> tuple[requests.Session, dict[str, str]]:
    browser = requests.Session()
    page = browser.get(url + "/", timeout=10)
    assert page.status_code == 200
    return browser, hidden_inputs(page.text)


def send(browser: requests.Session, url: str, data: dict[str, str]) -> str:
    """Post a form, follow the redirect as a browser would, and return the page's words."""
    answer = browser.post(url + "/", data=data, timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    return main_text(answer.text)


def created(api: FakeBriaServer, name: str) -> int:
    return sum(1 for project in api.fake.projects if project["project_name"] == name)


def test_both_servers_started_together_under_a_role_that_cannot_create_tables(team):
    for url in team.urls:
        assert requests.get(url + "/readyz", timeout=5).json() == {
            "status": "ready",
            "mode": "live",
        }


def test_one_new_name_sent_through_both_servers_at_once_creates_one_project(team):
    name = "Sent through both"
    people = [open_form(team.url(number)) for number in range(2)]
    team.api.fake.delay = 0.3
    start = threading.Barrier(2)

    def person(number: int) -> str:
        browser, tokens = people[number]
        start.wait()
        return send(browser, team.url(number), {**tokens, **VALID, "project_name": name})

    try:
        with ThreadPoolExecutor(2) as pool:
            pages = list(pool.map(person, range(2)))
    finally:
        team.api.fake.delay = 0
    assert created(team.api, name) == 1
    assert sorted("Project created" in page for page in pages) == [False, True]
    warned = next(page for page in pages if "Project created" not in page)
    assert f"A project called “{name}”" in warned


def test_twenty_people_sending_one_new_name_at_once_create_one_project(team):
    name = "Twenty at once"
    people = [open_form(team.url(number)) for number in range(20)]
    start = threading.Barrier(20)

    def person(number: int) -> str:
        browser, tokens = people[number]
        start.wait()
        return send(browser, team.url(number), {**tokens, **VALID, "project_name": name})

    with ThreadPoolExecutor(20) as pool:
        pages = list(pool.map(person, range(20)))
    assert created(team.api, name) == 1
    assert sum("Project created" in page for page in pages) == 1
    assert all("Project created" in page or f"A project called “{name}”" in page for page in pages)


def test_one_form_sent_again_and_again_to_every_server_makes_one_post(team):
    name = "Replayed everywhere"
    browser, tokens = open_form(team.url(0))
    data = {**tokens, **VALID, "project_name": name}
    team.api.fake.delay = 0.3
    start = threading.Barrier(6)

    def resend(number: int) -> str:
        twin = requests.Session()
        twin.cookies.update(browser.cookies)
        start.wait()
        return send(twin, team.url(number), data)

    try:
        with ThreadPoolExecutor(6) as pool:
            pages = list(pool.map(resend, range(6)))
    finally:
        team.api.fake.delay = 0
    assert created(team.api, name) == 1
    posts = [r for r in team.api.fake.posts() if r.body.get("project_name") == name]
    assert len(posts) == 1
    assert all("Project created" in page for page in pages)


@pytest.fixture(scope="module")
def limited(kind, tmp_path_factory, request) -> Iterator[Deployment]:
    """Servers with the access password on, behind a proxy (the tests name the client), and
    a Bria budget of ten requests a minute."""
    postgres = request.getfixturevalue("postgres") if kind == "postgresql" else None
    with deployed(
        kind,
        tmp_path_factory.mktemp(f"limited-{kind}"),
        postgres,
        ACCESS_PASSWORD_HASH=generate_password_hash(PASSWORD),
        BEHIND_PROXY="1",
        BRIA_REQUESTS_PER_MINUTE=str(BUDGET),
    ) as deployment:
        yield deployment


def sign_in(url: str, password: str, client: str) -> requests.Session:
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = client
    page = browser.get(url + "/sign-in", timeout=10).text
    browser.post(url + "/sign-in", data={**hidden_inputs(page), "password": password}, timeout=30)
    return browser


def test_forty_wrong_passwords_at_once_through_every_server_get_at_most_five_checks(limited):
    start = threading.Barrier(40)

    def guess(number: int) -> None:
        start.wait()
        sign_in(limited.url(number), f"guess {number}", "203.0.113.40")

    with ThreadPoolExecutor(40) as pool:
        list(pool.map(guess, range(40)))
    engine = make_engine(limited.database_url)
    with engine.connect() as db:
        checked = db.execute(
            select(func.count()).where(sign_in_attempts.c.client == "203.0.113.40")
        ).scalar_one()
    engine.dispose()
    assert 1 <= checked <= 5
    # The right password now waits for the pause, and the page says for how long.
    paused = sign_in(limited.url(0), PASSWORD, "203.0.113.40")
    page = main_text(paused.get(limited.url(0) + "/sign-in", timeout=10).text)
    if checked == 5:
        assert "Try again in 15 minutes" in page or "Try again in 14 minutes" in page


def test_a_burst_of_creates_and_views_spends_at_most_the_budget_and_says_so(limited):
    fake = limited.api.fake
    shown = [fake.add_project(project_name=f"Shown {n}") for n in range(5)]
    browsers = [sign_in(limited.url(n), PASSWORD, f"198.51.100.{n}") for n in range(6)]
    forms = []
    for number in range(60):
        browser = browsers[number % 6]
        page = browser.get(limited.url(number) + "/", timeout=10).text
        forms.append((browser, hidden_inputs(page)))
    before = len(fake.received)
    start = threading.Barrier(60 + 20)

    def create(number: int) -> str:
        browser, tokens = forms[number]
        start.wait()
        data = {**tokens, **VALID, "project_name": f"Burst {number}"}
        answer = browser.post(limited.url(number) + "/", data=data, timeout=30)
        assert answer.status_code < 500
        return main_text(answer.text)

    def view(number: int) -> list[str]:
        browser = browsers[number % 6]
        start.wait()
        pages = []
        for round_ in range(10):
            project = shown[(number + round_) % 5]
            answer = browser.get(f"{limited.url(number)}/projects/{project['id']}", timeout=30)
            assert answer.status_code < 500
            pages.append(main_text(answer.text))
        return pages

    with ThreadPoolExecutor(80) as pool:
        creates = [pool.submit(create, n) for n in range(60)]
        views = [pool.submit(view, n) for n in range(20)]
        create_pages = [f.result() for f in creates]
        view_pages = [page for f in views for page in f.result()]

    assert len(fake.received) - before <= BUDGET
    told = "used all the Bria requests its plan allows for now"
    for page in create_pages:
        assert "Project created" in page or (told in page and "Try again in" in page), page[:300]
    assert any(told in page for page in create_pages)
    for page in view_pages:
        assert "Shown" in page or told in page, page[:300]
    assert len(view_pages) == 200
