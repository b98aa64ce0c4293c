"""The generation tests' fakes: a trained model at the fake API, in a project whose
character gives the generation prefix."""

from __future__ import annotations

import pytest

from tests.support.training import completed_dataset_at, model_at
from webapp.sandbox import FakeBria


@pytest.fixture
def bria(fake_api) -> FakeBria:
    return fake_api.fake.api


@pytest.fixture
def trained(bria) -> dict:
    """A model whose training completed, in a project with a character."""
    _, dataset_id = completed_dataset_at(bria, ip_name="Lora", ip_description="purple hair")
    return model_at(bria, dataset_id, name="Fox", status="Completed")


@pytest.fixture
def no_backoff(monkeypatch):
    """A failed attempt is tried again at once (instead of after 10 s, 20 s, …)."""
    monkeypatch.setattr("webapp.jobs.FIRST_RETRY_SECONDS", 0.0)
