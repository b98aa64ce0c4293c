"""Following trainings for everyone, and telling the team when one ends.

One follower per model (`follow:model:<id>`), whichever server asked for it: it reads
the model every two minutes for the first hour and every ten after (slower still when
many models train at once, so that half the request budget stays for people), until
the training ends. The server whose read first sees the end writes it on the model's
timeline, and that alone sends the team chat one message (`webhook:<event>`).
"""

from __future__ import annotations

import logging

import requests

from webapp.bria.errors import RATE_LIMITED, BriaNotFound, BriaNotSent
from webapp.catalog.models import Event, ModelRecords
from webapp.jobs import Jobs, Retry, Work
from webapp.rules.models import CREATED, ENDED, TRAINING
from webapp.services import Services
from webapp.training.service import FOLLOW
from webapp.training.words import ending_news

log = logging.getLogger("webapp.training")

WEBHOOK = "training.webhook"
FIRST_HOUR_SECONDS, LATER_SECONDS = 120.0, 600.0


def follow(svc: Services, work: Work) -> float | None:
    records = svc.get(ModelRecords)
    model_id = int(work.payload["model"])
    try:
        model, freshness = records.model(model_id, fresh=True)
    except BriaNotFound:
        return None  # deleted at Bria: nothing more to follow
    problem = freshness.problem
    if problem is not None:
        if isinstance(problem, BriaNotSent) or problem.kind == RATE_LIMITED:
            raise Retry(problem.retry_after or 60, "Waiting for the request budget")
        # Bria failed to answer this time: look again at the usual pace.
        return pace(svc, records, model_id)
    for event in records.timeline(model_id):
        if event.status in ENDED and event.started_by is not None:
            tell_the_team(svc, event)
    if not still_followed(model):
        return None
    return pace(svc, records, model_id)


def still_followed(model: dict) -> bool:
    """Training, or in a status the app does not know (Bria's own words for a step it
    added): followed until it ends or goes back to not being trained."""
    status = model.get("status")
    return status in TRAINING or status not in (*ENDED, CREATED)


def pace(svc: Services, records: ModelRecords, model_id: int) -> float:
    """When to look again: every two minutes in the first hour of training, every ten
    after; and never faster than half the budget allows for all trainings together."""
    timeline = records.timeline(model_id)
    started = next((e.at for e in timeline if e.status == "InProgress"), None)
    elapsed = (svc.jobs.queue.now() - started) if started else 0.0
    wanted = FIRST_HOUR_SECONDS if elapsed < 3600 else LATER_SECONDS
    if svc.sandbox:
        return min(wanted, 5.0)  # the sandbox trains in a minute, and has no budget
    following = svc.jobs.queue.open_count(FOLLOW)
    half_budget = max(1, svc.settings.bria_requests_per_minute // 2)
    return max(wanted, 60.0 * following / half_budget)


def tell_the_team(svc: Services, event: Event) -> None:
    """Ask for the one team-chat message about this ending (if a webhook is set)."""
    if svc.settings.team_webhook_url:
        svc.jobs.submit(f"webhook:{event.id}", WEBHOOK, {"event": event.id})


def post_webhook(svc: Services, work: Work) -> None:
    """The message, as Slack's and Teams' incoming webhooks take it: `{"text": …}`. No
    token, no secret, no address of the app in it."""
    records = svc.get(ModelRecords)
    event = records.event(int(work.payload["event"]))
    if event is None:
        return None
    model = records.names([event.model_id]).get(event.model_id, {})
    name = str(model.get("name") or event.model_id)
    text = ending_news(event, name)
    try:
        answer = requests.post(
            svc.settings.team_webhook_url, json={"text": text}, timeout=10, allow_redirects=False
        )
    except requests.RequestException as error:
        # requests' own words name the address, and a webhook's address is its secret.
        raise RuntimeError(f"the team chat was not reached ({type(error).__name__})") from None
    if answer.status_code >= 300:
        raise RuntimeError(f"the team chat answered {answer.status_code}")
    return None


def describe_webhook(error: BaseException) -> str:
    return "The team chat did not take the message: check TEAM_WEBHOOK_URL."


def register(jobs: Jobs) -> None:
    jobs.register(FOLLOW, follow, lease_seconds=120, max_attempts=20)
    jobs.register(
        WEBHOOK, post_webhook, lease_seconds=60, max_attempts=6, describe=describe_webhook
    )
