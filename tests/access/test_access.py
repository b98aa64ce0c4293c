"""The access password, on SQLite and PostgreSQL: limits that hold under concurrency,
and sessions that end on the server."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.security import generate_password_hash

from webapp.access import gate as access
from webapp.access.gate import SIGN_IN_ATTEMPTS, AccessGate

HASH = generate_password_hash("open sesame")


@pytest.fixture
def hashing(monkeypatch):
    """Counts password checks, and the most running at once."""
    seen = {"checks": 0, "busy": 0, "peak": 0}
    lock = threading.Lock()
    real = access.check_password_hash

    def counted(password_hash: str, password: str) -> bool:
        with lock:
            seen["checks"] += 1
            seen["busy"] += 1
            seen["peak"] = max(seen["peak"], seen["busy"])
        try:
            time.sleep(0.05)
            return real(password_hash, password)
        finally:
            with lock:
                seen["busy"] -= 1

    monkeypatch.setattr(access, "check_password_hash", counted)
    return seen


def test_forty_wrong_passwords_at_once_get_at_most_five_checks(engines, hashing):
    gates = [AccessGate(engine, HASH) for engine in engines]
    start = threading.Barrier(40)

    def guess(number: int) -> access.Attempt:
        start.wait()
        return gates[number % 4].attempt("203.0.113.9", f"guess {number}")

    with ThreadPoolExecutor(40) as pool:
        attempts = list(pool.map(guess, range(40)))
    assert hashing["checks"] <= SIGN_IN_ATTEMPTS
    assert sum(a.checked for a in attempts) == hashing["checks"]
    assert not any(a.matched for a in attempts)
    assert all(
        0 < a.retry_after <= access.SIGN_IN_WINDOW_SECONDS for a in attempts if not a.checked
    )
    # Attempts a refusal overlapped may be left: used one by one, they reach five, no more.
    while gates[0].status("203.0.113.9").remaining:
        gates[0].attempt("203.0.113.9", "one more guess")
    assert hashing["checks"] == SIGN_IN_ATTEMPTS
    # During the pause even the right password is not checked.
    assert not gates[0].attempt("203.0.113.9", "open sesame").checked
    assert hashing["checks"] == SIGN_IN_ATTEMPTS


def test_a_process_hashes_at_most_two_passwords_at_once(engines, hashing):
    gate = AccessGate(engines[0], HASH)

    def guess(number: int) -> access.Attempt:
        return gate.attempt(f"198.51.100.{number}", "guess")

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(guess, range(12)))
    assert hashing["checks"] == 12
    assert hashing["peak"] == access.HASHES_AT_ONCE


def test_attempts_left_are_counted_and_a_right_password_starts_afresh(engines):
    gate = AccessGate(engines[0], HASH)
    first = gate.attempt("client", "wrong")
    assert (first.checked, first.matched, first.remaining) == (True, False, 4)
    assert gate.status("client").remaining == 4
    assert gate.attempt("client", "open sesame").matched
    assert gate.status("client").remaining == SIGN_IN_ATTEMPTS
    for _ in range(SIGN_IN_ATTEMPTS):
        gate.attempt("client", "wrong")
    paused = gate.status("client")
    assert paused.remaining == 0 and 14 * 60 < paused.retry_after <= 15 * 60
    assert gate.status("someone else").remaining == SIGN_IN_ATTEMPTS


def test_signing_out_ends_the_session_on_every_server(engines):
    here, there = AccessGate(engines[0], HASH), AccessGate(engines[1], HASH)
    session = here.start_session()
    assert here.session_is_valid(session) and there.session_is_valid(session)
    there.end_session(session)
    assert not here.session_is_valid(session)
    assert not here.session_is_valid("made-up") and not here.session_is_valid(None)


def test_a_new_access_password_ends_every_session(engines):
    session = AccessGate(engines[0], HASH).start_session()
    renewed = AccessGate(engines[0], generate_password_hash("a new one"))
    assert not renewed.session_is_valid(session)
