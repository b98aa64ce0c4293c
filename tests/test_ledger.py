"""The ledger lets each submission id reach the API once, even under concurrency."""

import threading
from concurrent.futures import ThreadPoolExecutor

from webapp.ledger import CREATED, PENDING, REFUSED, UNKNOWN, Ledger, make_engine, new_submission_id


def make_ledger(tmp_path):
    return Ledger(make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite3'}"))


def test_an_id_is_claimed_once(tmp_path):
    ledger = make_ledger(tmp_path)
    sid = new_submission_id()
    assert ledger.claim(sid, "Name")
    assert not ledger.claim(sid, "Name")
    assert ledger.get(sid).state == PENDING


def test_sixteen_threads_racing_for_one_id_give_one_winner(tmp_path):
    ledger = make_ledger(tmp_path)
    sid = new_submission_id()
    start = threading.Barrier(16)

    def race(_):
        start.wait()
        return ledger.claim(sid, "Name")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(race, range(16)))
    assert results.count(True) == 1


def test_outcomes_are_recorded_and_read_back(tmp_path):
    ledger = make_ledger(tmp_path)
    created, refused, unknown = (new_submission_id() for _ in range(3))
    for sid in (created, refused, unknown):
        ledger.claim(sid, "Name")
    ledger.record_created(created, {"id": 7, "project_name": "Name"})
    ledger.record_refused(refused, "No")
    ledger.record_unknown(unknown, "Maybe")

    assert (ledger.get(created).state, ledger.get(created).project_id) == (CREATED, 7)
    assert ledger.get(created).project == {"id": 7, "project_name": "Name"}
    assert (ledger.get(refused).state, ledger.get(refused).message) == (REFUSED, "No")
    assert (ledger.get(unknown).state, ledger.get(unknown).message) == (UNKNOWN, "Maybe")
    assert ledger.project_ids_created() == {7}
    assert ledger.get(created).claimed_at.tzinfo is not None


def test_the_ledger_lives_in_a_file_that_outlasts_the_process_objects(tmp_path):
    sid = new_submission_id()
    make_ledger(tmp_path).claim(sid, "Name")
    assert make_ledger(tmp_path).get(sid).state == PENDING


def test_workers_starting_together_on_a_new_database_all_start(tmp_path):
    """gunicorn starts its workers at once; each makes the tables if they are missing."""
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    start = threading.Barrier(8)

    def boot(_):
        start.wait()
        return Ledger(make_engine(url))

    with ThreadPoolExecutor(8) as pool:
        ledgers = list(pool.map(boot, range(8)))
    assert ledgers[0].claim(new_submission_id(), "Name")
