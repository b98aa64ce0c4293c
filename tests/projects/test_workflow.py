"""The create, edit and delete workflows on their own: no HTTP, on SQLite and PostgreSQL.

Bria is the sandbox's fake in process, with failures scripted per call.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from tests.support.apps import CHARACTER
from tests.support.jobs import consumer_running
from tests.support.scripted import scripted_services
from webapp.database.tables import submissions as submissions_table
from webapp.ledger.submissions import CREATE, DONE, NOT_DONE, PENDING, REFUSED, UNKNOWN
from webapp.projects import service as submissions
from webapp.projects.outcomes import Result
from webapp.projects.service import create_project, delete_project, edit_project
from webapp.projects.snapshot import ProjectSnapshot
from webapp.projects.words import field_named
from webapp.sandbox import Reply
from webapp.web.forms import new_submission_id


@pytest.fixture
def setup(database_url, tmp_path):
    svc, bria = scripted_services(database_url, tmp_path)
    yield svc, bria
    svc.engine.dispose()


def sent_earlier(svc, submission_id: str, seconds: float) -> None:
    """As if the submission had been sent `seconds` earlier (the database's clock moves
    on; rewriting its time is how a test waits without waiting)."""
    with svc.engine.begin() as db:
        db.execute(
            update(submissions_table)
            .where(submissions_table.c.id == submission_id)
            .values(attempted_at=submissions_table.c.attempted_at - seconds)
        )


def create(svc, payload=CHARACTER, submission_id=None, allow_duplicate=False):
    submission_id = submission_id or new_submission_id()
    return create_project(svc, submission_id, dict(payload), dict(payload), allow_duplicate)


def test_a_create_goes_in_a_straight_line_and_costs_one_post(setup):
    svc, bria = setup
    outcome = create(svc)
    assert outcome.result is Result.DONE and outcome.recorded
    assert outcome.project["project_name"] == "Lora adventures"
    assert [m for m, _, _ in bria.sent] == ["GET", "POST"]  # the name check's list, the create
    kept = svc.ledger.get(outcome.submission_id)
    assert (kept.state, kept.target_id, kept.payload) == (DONE, outcome.project["id"], CHARACTER)
    # The shared list knows it at once: the next name check needs no call.
    assert [p["id"] for p in svc.get(ProjectSnapshot).named("lora adventures")] == [
        outcome.project["id"]
    ]


def test_the_same_id_sent_again_is_a_replay_not_a_second_project(setup):
    svc, bria = setup
    first = create(svc)
    again = create(svc, submission_id=first.submission_id)
    assert again.result is Result.DONE and again.project == first.project
    changed = create(svc, {**CHARACTER, "project_name": "Other"}, first.submission_id)
    assert changed.result is Result.ALREADY_SENT and changed.previous.id == first.submission_id
    assert len(bria.calls("POST")) == 1


def test_a_name_in_the_list_is_a_duplicate_unless_the_person_chooses_it(setup):
    svc, bria = setup
    bria.fake.projects.add(project_name="LORA   Adventures", ip_type="icons")
    warned = create(svc, {**CHARACTER, "project_name": "ｌｏｒａ\u200b adventures"})
    assert warned.result is Result.DUPLICATES and bria.calls("POST") == []
    assert svc.ledger.get(warned.submission_id) is None  # nothing claimed: it may still be sent
    chosen = create(svc, submission_id=warned.submission_id, allow_duplicate=True)
    assert chosen.result is Result.DONE and len(bria.calls("POST")) == 1


def test_twenty_people_sending_one_new_name_at_once_create_one_project(setup):
    svc, bria = setup
    svc.get(ProjectSnapshot).refresh(strict=True)
    bria.delay = 0.2
    start = threading.Barrier(20)

    def person(_: int):
        start.wait()
        return create(svc).result

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(person, range(20)))
    assert results.count(Result.DONE) == 1
    assert results.count(Result.DUPLICATES) == 19
    assert len(bria.calls("POST")) == 1


def test_a_refusal_frees_the_name_and_is_not_sent_again(setup):
    svc, bria = setup
    svc.get(ProjectSnapshot).refresh(strict=True)
    bria.then(Reply(400, {"error": {"message": "ip_name is too long"}}))
    outcome = create(svc)
    assert outcome.result is Result.REFUSED
    assert outcome.failure.kind == "bad_request" and field_named(outcome.failure) == "ip_name"
    assert svc.ledger.get(outcome.submission_id).state == REFUSED
    assert svc.ledger.holds_for("lora adventures") == []
    assert create(svc, submission_id=outcome.submission_id).result is Result.REFUSED
    assert len(bria.calls("POST")) == 1


def test_bria_out_of_reach_sends_nothing_and_the_same_form_may_be_sent_again(setup):
    svc, bria = setup
    svc.get(ProjectSnapshot).refresh(strict=True)
    bria.then(requests.exceptions.ConnectTimeout("no route"))
    outcome = create(svc)
    assert outcome.result is Result.NOT_SENT and outcome.failure.kind == "unreachable"
    assert create(svc, submission_id=outcome.submission_id).result is Result.DONE


def test_a_spent_budget_sends_nothing_and_says_when_to_try_again(database_url, tmp_path):
    svc, bria = scripted_services(database_url, tmp_path, per_minute=1)
    try:
        outcome = create(svc)  # the name check's list takes the one request of the minute
        assert outcome.result is Result.NOT_SENT
        assert outcome.failure.kind == "budget" and 50 < outcome.failure.retry_after <= 60
        assert bria.calls("POST") == []
    finally:
        svc.engine.dispose()


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(Reply(500, {"error": {"message": "oops"}}), id="500"),
        pytest.param(requests.exceptions.ReadTimeout("slow"), id="timeout"),
        pytest.param(requests.exceptions.ConnectionError("reset"), id="broken"),
    ],
)
def test_an_unconfirmed_create_that_happened_is_found_in_the_list(setup, failure):
    svc, bria = setup
    svc.get(ProjectSnapshot).refresh(strict=True)
    bria.then(failure, act_first=True)
    outcome = create(svc)
    assert outcome.result is Result.DONE
    assert outcome.project["project_name"] == "Lora adventures"
    assert len(bria.calls("POST")) == 1
    assert svc.ledger.get(outcome.submission_id).state == DONE


def test_an_unconfirmed_create_not_in_the_list_is_unknown_and_never_resent(setup):
    svc, bria = setup
    svc.get(ProjectSnapshot).refresh(strict=True)
    bria.then(Reply(503, ""))
    outcome = create(svc)
    assert outcome.result is Result.UNKNOWN and outcome.failure.outcome_unknown
    assert svc.ledger.get(outcome.submission_id).state == UNKNOWN
    assert create(svc, submission_id=outcome.submission_id).result is Result.UNKNOWN
    assert len(bria.calls("POST")) == 1
    # The name stays held: nobody else creates it while its outcome is unknown.
    assert create(svc, {**CHARACTER}).result is Result.DUPLICATES


def test_reconciling_claims_only_a_project_that_is_ours(setup):
    svc, bria = setup
    store = bria.fake.projects
    svc.get(ProjectSnapshot).refresh(strict=True)
    bria.then(Reply(503, ""))
    outcome = create(svc, allow_duplicate=True)
    submission = svc.ledger.get(outcome.submission_id)
    # Someone else's projects of that name: an older one, and one that differs in a field.
    store.add(**CHARACTER, created_at="2020-01-01T00:00:00Z")
    store.add(**{**CHARACTER, "project_description": "Autumn"})
    # Another unknown submission with the same answers already accounts for this one.
    theirs = store.add(**CHARACTER)
    other = new_submission_id()
    svc.ledger.claim(other, CREATE, CHARACTER, CHARACTER)
    svc.ledger.record_unknown(other, {"kind": "timeout"})
    svc.ledger.record_done(other, theirs)

    assert submissions.reconcile(svc, submission, must_read=True) is None
    assert svc.ledger.get(outcome.submission_id).state == UNKNOWN
    ours = store.add(**CHARACTER)
    settled = submissions.reconcile(svc, submission, must_read=True)
    assert settled is not None and settled.project["id"] == ours["id"]


def test_a_create_still_pending_past_its_time_is_settled_from_the_list_not_waited_on(
    database_url, tmp_path, monkeypatch
):
    monkeypatch.setattr(submissions, "PENDING_GRACE_SECONDS", 1.0)
    svc, bria = scripted_services(database_url, tmp_path, timeout=0.2)
    try:
        submission_id = new_submission_id()
        # A worker claimed it, sent it, and died before writing what Bria answered.
        assert svc.ledger.claim(submission_id, CREATE, CHARACTER, CHARACTER, name_key="lora").won
        bria.fake.projects.create(CHARACTER)
        # Past its time: the 0.2 s a create may take, a second more, and the grace.
        sent_earlier(svc, submission_id, seconds=0.2 + 1 + submissions.PENDING_GRACE_SECONDS + 0.3)
        started = time.monotonic()
        replay = create(svc, submission_id=submission_id)
        assert (
            replay.result is Result.DONE
            and replay.project["project_name"] == CHARACTER["project_name"]
        )
        # The time a create may take (0.2 s, 1 s more, the grace) and a list read; waiting
        # on the first sending's lease or the list's age would take 10 s or more.
        assert time.monotonic() - started < 0.2 + 1 + submissions.PENDING_GRACE_SECONDS + 3
        assert bria.calls("POST") == []
    finally:
        svc.engine.dispose()


def test_a_create_bria_did_not_make_is_settled_as_not_done_once_the_list_says_so(
    database_url, tmp_path, monkeypatch
):
    monkeypatch.setattr(submissions, "CLOCK_SKEW_SECONDS", 0.0)
    svc, bria = scripted_services(database_url, tmp_path, timeout=0.1)
    try:
        svc.get(ProjectSnapshot).refresh(strict=True)
        bria.then(Reply(500, ""))
        outcome = create(svc)
        assert outcome.result is Result.UNKNOWN
        sent_earlier(svc, outcome.submission_id, seconds=1.3)  # past the time, 1 s more
        submission = svc.ledger.get(outcome.submission_id)
        assert submissions.reconcile(svc, submission, must_read=True) is None
        assert svc.ledger.get(outcome.submission_id).state == NOT_DONE
        assert svc.ledger.holds_for("lora adventures") == []
    finally:
        svc.engine.dispose()


def test_a_double_click_waits_for_the_first_and_shows_the_same_project(setup):
    svc, bria = setup
    svc.get(ProjectSnapshot).refresh(strict=True)
    bria.delay = 0.3
    submission_id = new_submission_id()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(create, svc, CHARACTER, submission_id)
        deadline = time.monotonic() + 10
        while not bria.calls("POST"):  # the first click is at Bria
            assert time.monotonic() < deadline
            time.sleep(0.005)
        second = pool.submit(create, svc, CHARACTER, submission_id)
        outcomes = [first.result(), second.result()]
    assert [o.result for o in outcomes] == [Result.DONE, Result.DONE]
    assert outcomes[0].project["id"] == outcomes[1].project["id"]
    assert len(bria.calls("POST")) == 1


def test_a_resend_that_finds_its_own_first_sending_done_is_a_replay(setup, monkeypatch):
    """The resend looked its id up just before the first sending claimed it, then found the
    project that sending made in the name check: it shows that project, not a warning."""
    svc, bria = setup
    first = create(svc)
    real_get, looked = svc.ledger.get, []

    def get(submission_id: str):
        looked.append(submission_id)
        # The resend's first look was taken before the first sending's claim.
        return None if len(looked) == 1 else real_get(submission_id)

    monkeypatch.setattr(svc.ledger, "get", get)
    again = create(svc, submission_id=first.submission_id)
    assert again.result is Result.DONE and again.project == first.project
    assert len(bria.calls("POST")) == 1


@pytest.mark.integration
def test_when_the_database_fails_after_bria_created_it_nothing_is_lost(setup, monkeypatch):
    svc, bria = setup
    svc.get(ProjectSnapshot).refresh(strict=True)
    real = svc.ledger.record_done
    failures = iter([True, True, False])

    def flaky(*args, **kwargs):
        if next(failures, False):
            raise OperationalError("UPDATE", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(svc.ledger, "record_done", flaky)
    outcome = create(svc)
    assert outcome.result is Result.DONE and not outcome.recorded
    assert outcome.project["project_name"] == "Lora adventures"  # shown from Bria's answer
    assert svc.ledger.get(outcome.submission_id).state == PENDING
    # The write waits on the job runner, and is made once the database takes it.
    with consumer_running(svc.jobs):
        deadline = time.monotonic() + 10
        while svc.ledger.get(outcome.submission_id).state != DONE:
            assert time.monotonic() < deadline, "the outcome was never written"
            time.sleep(0.05)
    assert len(bria.calls("POST")) == 1


def test_a_database_out_of_reach_before_bria_is_asked_sends_nothing(setup, monkeypatch):
    svc, bria = setup

    def down(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("could not connect"))

    monkeypatch.setattr(svc.ledger, "get", down)
    with pytest.raises(submissions.DatabaseUnavailable):
        create(svc)
    assert bria.sent == []


def test_a_201_that_cannot_be_read_is_settled_as_created(setup):
    svc, bria = setup
    svc.get(ProjectSnapshot).refresh(strict=True)
    bria.then(Reply(201, {"id": None}), act_first=True)
    outcome = create(svc)
    assert outcome.result is Result.DONE and outcome.project is None
    kept = svc.ledger.get(outcome.submission_id)
    assert kept.state == DONE and kept.message["kind"] == "created_unreadable"
    assert create(svc, submission_id=outcome.submission_id).result is Result.DONE


def test_an_edit_sends_only_what_may_change_and_checks_a_new_name(setup):
    svc, bria = setup
    mine = bria.fake.projects.create(CHARACTER)
    bria.fake.projects.add(project_name="Taken name", ip_type="icons")
    changes = {"project_name": "Taken name", "project_description": "", "ip_name": "Mira"}

    warned = edit_project(svc, new_submission_id(), mine, changes, changes)
    assert warned.result is Result.DUPLICATES and bria.calls("PUT") == []

    same_name = {**changes, "project_name": "lora  ADVENTURES"}
    done = edit_project(svc, new_submission_id(), mine, same_name, same_name)
    assert done.result is Result.DONE
    [(_, path, body)] = bria.calls("PUT")
    assert path == f"/v1/tailored-gen/projects/{mine['id']}"
    assert set(__import__("json").loads(body)) == {"project_name", "project_description", "ip_name"}
    assert svc.get(ProjectSnapshot).named("lora adventures")[0]["ip_name"] == "Mira"


def test_a_delete_removes_the_project_from_the_list_and_frees_its_name(setup):
    svc, bria = setup
    outcome = create(svc)
    project = outcome.project
    busy = bria.fake.projects
    busy.set_training(project["id"])
    refused = delete_project(svc, new_submission_id(), project)
    assert refused.result is Result.REFUSED and refused.failure.kind == "conflict"
    busy.set_training(project["id"], False)
    deleted = delete_project(svc, new_submission_id(), project)
    assert deleted.result is Result.DONE
    assert svc.get(ProjectSnapshot).named("lora adventures") == []
    assert svc.ledger.holds_for("lora adventures") == []
    assert create(svc).result is Result.DONE
