"""The training tests' fakes: Bria's models at the fake API, where nothing ends by itself
(each test moves a model on as Bria would), and a completed dataset to train from."""

from __future__ import annotations

import pytest

from tests.support.training import completed_dataset_at
from webapp.sandbox import FakeBria


@pytest.fixture
def bria(fake_api) -> FakeBria:
    api = fake_api.fake.api
    api.model_endpoints.training_seconds = 24 * 3600.0
    return api


@pytest.fixture
def dataset(bria) -> tuple[int, int]:
    """(project id, dataset id) of a completed dataset at the fake."""
    return completed_dataset_at(bria)


@pytest.fixture
def no_backoff(monkeypatch):
    """A failed attempt is tried again at once (instead of after 10 s, 20 s, …)."""
    monkeypatch.setattr("webapp.jobs.FIRST_RETRY_SECONDS", 0.0)
