"""The Bria request budget, shared by every process, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.support.bria import bria_failure
from webapp.bria.errors import BriaNotSent
from webapp.bria.transport.budget import Admission, RequestBudget


def test_sixty_requests_at_once_from_four_processes_spend_exactly_the_budget(engines):
    budgets = [RequestBudget(engine, per_minute=10) for engine in engines]
    start = threading.Barrier(60)

    def ask(number: int) -> bool:
        start.wait()
        try:
            budgets[number % 4].spend()
        except BriaNotSent as spent:
            assert spent.kind == "budget"
            assert 0 < spent.retry_after <= 60
            return False
        return True

    with ThreadPoolExecutor(60) as pool:
        granted = list(pool.map(ask, range(60)))
    assert granted.count(True) == 10
    assert budgets[0].spent_in_window() == 10


def test_bria_saying_too_many_pauses_every_process(engines):
    first, second = (RequestBudget(engine, per_minute=100) for engine in engines[:2])
    first.spend()
    first.pause(30)
    with bria_failure("budget", BriaNotSent) as spent:
        second.spend()
    assert 28 < spent.value.retry_after <= 30


def test_a_process_lets_only_so_many_calls_wait_on_bria_at_once(engines):
    admission = Admission(max_waiting=2, budget=None)
    both_inside = threading.Barrier(3)
    leave = threading.Event()

    def waiting_call() -> None:
        with admission("GET"):
            both_inside.wait(5)
            leave.wait(5)

    threads = [threading.Thread(target=waiting_call) for _ in range(2)]
    for thread in threads:
        thread.start()
    both_inside.wait(5)
    with bria_failure("busy", BriaNotSent), admission("GET"):
        pass
    leave.set()
    for thread in threads:
        thread.join()
    with admission("GET"):
        pass  # a place is free again


def test_reading_leaves_a_fifth_of_each_minute_to_creating_changing_and_deleting(engines):
    budget = RequestBudget(engines[0], per_minute=10)
    for _ in range(8):
        budget.spend(reading=True)
    with bria_failure("budget", BriaNotSent):
        budget.spend(reading=True)
    budget.spend()  # a create still goes
    budget.spend()
    with bria_failure("budget", BriaNotSent):
        budget.spend()
