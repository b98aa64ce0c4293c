"""Whatever Bria (or something in between) answers a create with, over real HTTP: no server
error reaches the person, nothing is left pending, and the token is in no page or log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from tests.conftest import TOKEN, dispose, make_app
from tests.support.fake_api import FakeBriaServer, Scripted
from tests.support.pages import VALID, hidden_inputs
from webapp.database.tables import budget_gate
from webapp.ledger.submissions import PENDING
from webapp.projects.snapshot import ProjectSnapshot

KEYS = ["id", "project_name", "error", "message", "request_id", "ip_type", "detail", "status"]
odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from([TOKEN, f"quota for {TOKEN}", "x" * 295 + TOKEN, "a\nb\r\nc", "<b>x</b>"]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(), odd_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=12,
)
bodies = st.one_of(
    json_values.map(json.dumps),
    odd_text,
    st.just("<html><title>502 Bad Gateway</title></html>"),
    st.just(""),
    st.binary(max_size=40),
)
answers = st.builds(
    Scripted,
    status=st.one_of(
        st.sampled_from([200, 201, 204, 301, 302, 400, 401, 403, 404, 409, 429, 500, 502, 503]),
        st.integers(200, 599),
    ),
    body=bodies,
    content_type=st.sampled_from(["application/json", "text/plain", "text/html", "image/png"]),
    headers=st.dictionaries(
        st.sampled_from(["X-Request-Id", "Retry-After", "Location"]),
        st.one_of(odd_text.filter(lambda t: "\n" not in t and "\r" not in t), st.just(TOKEN)),
        max_size=2,
    ),
    drop=st.sampled_from([False] * 5 + [True]),
    cut=st.one_of(st.none(), st.integers(0, 5)),
    create=st.booleans(),
)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBriaServer]:
    with FakeBriaServer(TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def app(tmp_path_factory, fake):
    app = make_app(
        tmp_path_factory.mktemp("answers") / "instance",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL=fake.base_url,
        BRIA_API_TIMEOUT=1.5,
        BRIA_REQUESTS_PER_MINUTE=100_000,
        BRIA_LIST_MAX_AGE=3600,
    )
    yield app
    dispose(app)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=answers, number=st.integers(0, 10**9))
def test_any_answer_to_a_create_is_told_plainly_and_settled(app, fake, caplog, answer, number):
    client = app.test_client()
    svc = app.extensions["webapp"]
    svc.get(ProjectSnapshot).refresh(strict=True)  # read once: the script reaches the create itself
    with svc.engine.begin() as db:  # a scripted "too many requests" pauses the next ones
        db.execute(update(budget_gate).values(paused_until=None))
    page = client.get("/").get_data(as_text=True)
    tokens = hidden_inputs(page)
    fake.fake.answer_next(answer)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        sent = client.post("/", data={**tokens, **VALID, "project_name": f"Answer {number}"})
        assert sent.status_code < 500
        shown = client.get(sent.headers["Location"]) if sent.status_code == 303 else sent
    assert shown.status_code < 500
    html = shown.get_data(as_text=True)
    for length in range(4, len(TOKEN) + 1):
        assert TOKEN[:length] not in html
    assert TOKEN not in caplog.text
    kept = svc.ledger.get(tokens["submission_id"])
    assert kept is None or kept.state != PENDING
    fake.fake.script.clear()
