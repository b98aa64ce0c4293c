"""The ledger on SQLite and PostgreSQL: an id reaches Bria once, a new name is held once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from webapp.database.engine import make_engine
from webapp.ledger.submissions import (
    CREATE,
    DONE,
    DUPLICATES,
    EDIT,
    INVALID,
    NOT_SENT,
    PENDING,
    REFUSED,
    UNKNOWN,
    Ledger,
)
from webapp.web.forms import new_submission_id

PAYLOAD = {"project_name": "Lora", "ip_medium": "illustration", "ip_type": "icons"}
ANSWERS = {**PAYLOAD, "project_description": ""}


@pytest.fixture
def ledger(database_url):
    engine = make_engine(database_url)
    yield Ledger(engine)
    engine.dispose()


def test_an_id_is_claimed_once_and_its_outcome_kept(ledger):
    submission_id = new_submission_id()
    assert ledger.claim(submission_id, CREATE, PAYLOAD, ANSWERS, name_key="lora").won
    assert not ledger.claim(submission_id, CREATE, PAYLOAD, ANSWERS, name_key="lora").won
    pending = ledger.get(submission_id)
    assert (pending.state, pending.kind, pending.payload) == (PENDING, CREATE, PAYLOAD)
    assert pending.attempted_at is not None

    assert ledger.record_done(submission_id, {"id": 7, "project_name": "Lora"})
    done = ledger.get(submission_id)
    assert (done.state, done.target_id, done.answer["id"]) == (DONE, 7, 7)
    assert ledger.get("no-such-submission-id-000") is None


def test_sixteen_threads_racing_for_one_id_give_one_winner(ledger):
    submission_id = new_submission_id()
    start = threading.Barrier(16)

    def race(_: int) -> bool:
        start.wait()
        return ledger.claim(submission_id, CREATE, PAYLOAD, ANSWERS).won

    with ThreadPoolExecutor(16) as pool:
        assert sorted(pool.map(race, range(16))) == [False] * 15 + [True]


def test_twenty_people_sending_one_new_name_at_once_hold_it_once(ledger):
    ids = [new_submission_id() for _ in range(20)]
    start = threading.Barrier(20)

    def send(submission_id: str):
        start.wait()
        return ledger.claim(submission_id, CREATE, PAYLOAD, ANSWERS, name_key="lora")

    with ThreadPoolExecutor(20) as pool:
        claims = list(pool.map(send, ids))
    winners = [i for i, claim in zip(ids, claims, strict=True) if claim.won]
    assert len(winners) == 1
    assert {claim.name_held_by for claim in claims if not claim.won} == {winners[0]}
    # Losing the name leaves the id unclaimed: the person may still choose to send it.
    assert [ledger.get(i) for i in ids if i not in winners] == [None] * 19
    assert [s.id for s in ledger.holds_for("lora")] == winners


def test_a_draft_keeps_the_answers_and_can_still_be_sent(ledger):
    submission_id = new_submission_id()
    answers = {**ANSWERS, "project_name": "  Lora  "}
    assert ledger.save_draft(submission_id, CREATE, INVALID, answers, {"ip_type": "Select"})
    draft = ledger.get(submission_id)
    assert (draft.state, draft.answers, draft.problems) == (INVALID, answers, {"ip_type": "Select"})
    assert not draft.reached_bria
    assert ledger.save_draft(submission_id, CREATE, DUPLICATES, answers)
    assert ledger.claim(submission_id, CREATE, PAYLOAD, ANSWERS).won
    # Once it reached Bria, its row is never overwritten by a draft again.
    assert not ledger.save_draft(submission_id, CREATE, INVALID, answers)
    assert ledger.get(submission_id).state == PENDING


def test_outcomes_that_created_nothing_free_the_name(ledger):
    refused, unknown, unsent = (new_submission_id() for _ in range(3))
    for submission_id, name in ((refused, "a"), (unknown, "b"), (unsent, "c")):
        assert ledger.claim(submission_id, CREATE, PAYLOAD, ANSWERS, name_key=name).won
    ledger.record_refused(refused, {"kind": "bad_request"})
    ledger.record_unknown(unknown, {"kind": "timeout"})
    ledger.record_not_sent(unsent, {"kind": "budget"})
    assert ledger.get(refused).state == REFUSED and ledger.holds_for("a") == []
    assert ledger.get(unknown).state == UNKNOWN and len(ledger.holds_for("b")) == 1
    assert ledger.get(unsent).state == NOT_SENT and ledger.holds_for("c") == []
    assert ledger.claim(unsent, CREATE, PAYLOAD, ANSWERS, name_key="c").won  # nothing was sent


def test_a_project_is_accounted_for_by_one_create_only(ledger):
    first, second = new_submission_id(), new_submission_id()
    for submission_id in (first, second):
        ledger.claim(submission_id, CREATE, PAYLOAD, ANSWERS)
        ledger.record_unknown(submission_id, {"kind": "timeout"})
    project = {"id": 5, "project_name": "Lora"}
    assert ledger.record_done(first, project)
    assert not ledger.record_done(second, project)
    assert ledger.get(second).state == UNKNOWN
    assert ledger.ids_accounted_for(CREATE, [5, 6]) == {5}
    # An edit of that project is not a create: it does not compete for it.
    edit = new_submission_id()
    ledger.claim(edit, EDIT, {"project_name": "L"}, {}, target_id=5)
    assert ledger.record_done(edit, project)


def test_names_of_work_done_before_a_list_read_are_freed_by_it(ledger):
    done, later = new_submission_id(), new_submission_id()
    ledger.claim(done, CREATE, PAYLOAD, ANSWERS, name_key="lora")
    ledger.record_done(done, {"id": 1, "project_name": "Lora"})
    as_of = ledger.get(done).updated_at + 0.001
    ledger.claim(later, CREATE, PAYLOAD, ANSWERS, name_key="mira")
    ledger.release_names_listed_since(as_of)
    assert ledger.holds_for("lora") == []
    assert [s.id for s in ledger.holds_for("mira")] == [later]


def test_the_ledger_outlasts_its_engine(database_url):
    submission_id = new_submission_id()
    first = make_engine(database_url)
    Ledger(first).claim(submission_id, CREATE, PAYLOAD, ANSWERS)
    first.dispose()
    second = make_engine(database_url)
    assert Ledger(second).get(submission_id).state == PENDING
    second.dispose()


def test_drafts_nobody_came_back_to_are_forgotten_but_sent_forms_are_kept(ledger):
    draft, sent = new_submission_id(), new_submission_id()
    ledger.save_draft(draft, CREATE, INVALID, ANSWERS)
    ledger.claim(sent, CREATE, PAYLOAD, ANSWERS)
    assert ledger.forget_drafts_older_than(3600) == 0
    assert ledger.forget_drafts_older_than(-1) == 1
    assert ledger.get(draft) is None and ledger.get(sent) is not None
