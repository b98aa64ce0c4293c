"""The upload queue's jobs in real mode, against the fake API over real HTTP: each file
reaches Bria once, whatever Bria answers (refusals, 429, 5xx, no answer, a dropped
connection, an answer lost after Bria made the image), and a person can take files out
and try again."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from tests.images import pictures
from tests.images.flows import (
    add_files,
    dataset_at,
    end_pause,
    make_due,
    page_of,
    paused_for,
    posted_names,
    run_jobs,
    services,
    states,
    uploads,
)
from tests.support.apps import TOKEN, dispose, make_app
from tests.support.fake_api import AS_THE_API_WOULD, Scripted
from tests.support.jobs import consumer_running
from tests.support.pages import follow, hidden_inputs, main_text, soup
from tests.support.waiting import poll
from webapp.bria.errors import BriaNotSent
from webapp.database.tables import refreshes
from webapp.database.tables import work as work_table
from webapp.images import service as images
from webapp.images import tasks
from webapp.images.queue import UploadQueue
from webapp.rules.images import MAX_FILE_BYTES

pytestmark = pytest.mark.integration


@pytest.fixture
def dataset(fake_api):
    return dataset_at(fake_api.fake.api)


@pytest.fixture
def no_backoff(monkeypatch):
    """A failed attempt is tried again at once (instead of after 10 s, 20 s, …)."""
    monkeypatch.setattr("webapp.jobs.FIRST_RETRY_SECONDS", 0.0)


def one_file(live_app, live_client, dataset, seed: int = 1, name: str = "photo.png"):
    project_id, dataset_id = dataset
    add_files(live_client, project_id, dataset_id, [(name, pictures.picture(seed))])
    return next(u for u in uploads(live_app, dataset_id) if u.original_name == name)


def upload_now(live_app, upload_id: int):
    return services(live_app).get(UploadQueue.of).get(upload_id)


def work_of(live_app, upload_id: int):
    return services(live_app).jobs.queue.get(f"upload:{upload_id}")


def since(fake_api, mark: int) -> list[tuple[str, str]]:
    """The requests the fake received after the first `mark` ones: (method, path)."""
    return [(r.method, r.path) for r in fake_api.fake.received[mark:]]


def images_at_fake(fake_api, dataset_id: int) -> list[dict]:
    return fake_api.fake.api.images.of_dataset(dataset_id)


def forget_failed_reads(live_app) -> None:
    """As if a failed read of Bria were older than the few seconds it answers for."""
    with services(live_app).engine.begin() as db:
        db.execute(update(refreshes).values(failed_at=refreshes.c.failed_at - 3600))


def test_each_accepted_file_reaches_bria_exactly_once(live_app, live_client, fake_api, dataset):
    project_id, dataset_id = dataset
    files = [(f"photo-{seed}.jpg", pictures.picture(seed, "JPEG")) for seed in range(6)]
    files += [("again.jpg", files[0][1]), ("empty.jpg", b"")]
    add_files(live_client, project_id, dataset_id, files)

    with consumer_running(services(live_app).jobs):
        poll(
            lambda: all(u.state in ("at_bria", "rejected") for u in uploads(live_app, dataset_id)),
            seconds=60,
            what="every file reaching Bria",
        )
    sent = posted_names(fake_api.fake.received)
    accepted = [u for u in uploads(live_app, dataset_id) if u.state == "at_bria"]
    assert len(accepted) == 6
    assert Counter(sent) == Counter({u.image_name: 1 for u in accepted})
    at_fake = images_at_fake(fake_api, dataset_id)
    assert sorted(i["image_name"] for i in at_fake) == sorted(u.image_name for u in accepted)
    assert {u.bria_image_id for u in accepted} == {i["id"] for i in at_fake}

    # The same work run again (a second wake, a sweep) sends nothing more.
    for upload in accepted:
        services(live_app).jobs.run(f"upload:{upload.id}")
    assert services(live_app).jobs.sweep() == 0
    assert posted_names(fake_api.fake.received) == sent


# -- Bria refuses a file ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "said", "words"),
    [
        (
            409,
            "The dataset already has 200 images",
            "Bria did not take it: the dataset is completed, or already has 200 images.",
        ),
        (412, "Image resolution too low", "Bria did not take it: the image is too small for it."),
        (
            415,
            "Unsupported image format",
            "Bria did not take it: it does not read this kind of file.",
        ),
        (
            422,
            "The image did not pass content moderation",
            "Bria did not take it: the image did not pass its content checks.",
        ),
    ],
)
def test_a_file_bria_refuses_is_refused_with_bria_reason_in_words(
    live_app, live_client, fake_api, dataset, status, said, words
):
    upload = one_file(live_app, live_client, dataset)
    fake_api.fake.answer_next(Scripted(status, {"error": {"code": "refused", "message": said}}))
    services(live_app).jobs.run(f"upload:{upload.id}")

    refused = upload_now(live_app, upload.id)
    assert (refused.state, refused.reason) == ("refused", f"{words} It said: “{said}”.")
    assert work_of(live_app, upload.id).state == "done"  # not tried again
    assert posted_names(fake_api.fake.received) == [upload.image_name]
    page = live_client.get(page_of(*dataset)).get_data(as_text=True)
    card = soup(page).select_one(f"[data-upload-id='{upload.id}']")
    assert card.select_one("[data-state]").get_text() == "Refused by Bria"
    assert card.select_one(".reason").get_text() == f"{words} It said: “{said}”."


def test_a_reason_that_reads_as_code_is_not_quoted(live_app, live_client, fake_api, dataset):
    upload = one_file(live_app, live_client, dataset)
    fake_api.fake.answer_next(Scripted(422, {"error": {"message": "moderation_failed: {nsfw}"}}))
    services(live_app).jobs.run(f"upload:{upload.id}")
    assert upload_now(live_app, upload.id).reason == (
        "Bria did not take it: the image did not pass its content checks."
    )


def test_the_fakes_own_moderation_refusal_reaches_the_page(
    live_app, live_client, fake_api, dataset
):
    project_id, dataset_id = dataset
    add_files(live_client, project_id, dataset_id, [("pink.png", pictures.solid(pictures.MAGENTA))])
    run_jobs(live_app)
    [upload] = uploads(live_app, dataset_id)
    assert (upload.state, upload.reason) == (
        "refused",
        "Bria did not take it: the image did not pass its content checks. It said: “The image "
        "did not pass content moderation”.",
    )
    assert images_at_fake(fake_api, dataset_id) == []
    page = live_client.get(page_of(project_id, dataset_id + 0, "/health")).get_data(as_text=True)
    assert "Bria refused 1." in main_text(page)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_that_is_not_the_files_fault_leaves_it_to_retry(
    live_app, live_client, fake_api, dataset, status
):
    upload = one_file(live_app, live_client, dataset)
    quota = "Quota exceeded: Free users can make up to 1000 requests"
    fake_api.fake.answer_next(Scripted(status, f'"{quota}"'))
    services(live_app).jobs.run(f"upload:{upload.id}")
    failed = upload_now(live_app, upload.id)
    assert failed.state == "failed"
    assert failed.reason.startswith(tasks.NOT_ALLOWED)
    assert work_of(live_app, upload.id).state == "failed"


# -- too many requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "pause"), [({"Retry-After": "30"}, 30.0), ({}, 60.0)], ids=["retry-after", "none"]
)
def test_a_429_waits_without_counting_and_pauses_the_budget_for_everyone(
    live_app, live_client, fake_api, dataset, headers, pause
):
    first = one_file(live_app, live_client, dataset, 1, "first.png")
    second = one_file(live_app, live_client, dataset, 2, "second.png")
    fake_api.fake.answer_next(Scripted(429, {"message": "Too many requests"}, headers=headers))
    services(live_app).jobs.run(f"upload:{first.id}")

    waiting = upload_now(live_app, first.id)
    assert (waiting.state, waiting.reason) == ("waiting", tasks.SLOWED)
    work = work_of(live_app, first.id)
    now = services(live_app).jobs.queue.now()
    assert (work.state, work.attempts, work.last_error) == ("waiting", 0, "Bria asked to slow down")
    assert pause - 10 <= work.not_before - now <= pause + 1
    assert pause - 10 <= paused_for(live_app) <= pause + 1

    # Everyone waits: the other file, and any other request to Bria, is not sent.
    mark = len(fake_api.fake.received)
    services(live_app).jobs.run(f"upload:{second.id}")
    assert since(fake_api, mark) == []
    assert upload_now(live_app, second.id).state == "waiting"
    assert work_of(live_app, second.id).not_before - now >= pause - 10
    with pytest.raises(BriaNotSent) as spent:
        services(live_app).budget.spend()
    assert spent.value.kind == "budget"

    end_pause(live_app)
    make_due(live_app, f"upload:{first.id}")
    make_due(live_app, f"upload:{second.id}")
    run_jobs(live_app)
    assert states(live_app, dataset[1]) == {"first.png": "at_bria", "second.png": "at_bria"}
    assert sorted(i["image_name"] for i in images_at_fake(fake_api, dataset[1])) == sorted(
        [first.image_name, second.image_name]
    )
    assert upload_now(live_app, first.id).reason is None


# -- no answer --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        Scripted(500, {"error": {"message": "Internal error"}}),
        Scripted(502, "<html><title>502 Bad Gateway</title></html>", "text/html"),
        Scripted(201, {"id": 1}, delay=2.5),
        Scripted(drop=True),
    ],
    ids=["500", "502", "timeout", "dropped"],
)
def test_no_answer_is_tried_again_after_looking_at_the_datasets_images(
    live_app, live_client, fake_api, dataset, no_backoff, failure
):
    upload = one_file(live_app, live_client, dataset)
    fake_api.fake.answer_next(failure)
    services(live_app).jobs.run(f"upload:{upload.id}")

    waiting = upload_now(live_app, upload.id)
    assert (waiting.state, waiting.attempted, waiting.reason) == ("waiting", True, tasks.NO_ANSWER)
    assert work_of(live_app, upload.id).attempts == 1  # a failed attempt, counted

    mark = len(fake_api.fake.received)
    services(live_app).jobs.run(f"upload:{upload.id}")
    images = f"/v1/tailored-gen/datasets/{dataset[1]}/images"
    assert since(fake_api, mark) == [("GET", images), ("POST", images)]
    arrived = upload_now(live_app, upload.id)
    assert (arrived.state, arrived.reason) == ("at_bria", None)
    [image] = images_at_fake(fake_api, dataset[1])
    assert (image["image_name"], image["id"]) == (upload.image_name, arrived.bria_image_id)


@pytest.mark.parametrize(
    "lost",
    [
        Scripted(act_first=True, drop=True),
        Scripted(500, {"error": {"message": "Internal error"}}, act_first=True),
        Scripted(201, {"id": 1}, act_first=True, delay=2.5),
    ],
    ids=["dropped", "500", "timeout"],
)
def test_an_image_bria_made_before_its_answer_was_lost_is_not_sent_again(
    live_app, live_client, fake_api, dataset, no_backoff, lost
):
    upload = one_file(live_app, live_client, dataset)
    fake_api.fake.answer_next(lost)
    services(live_app).jobs.run(f"upload:{upload.id}")
    assert len(images_at_fake(fake_api, dataset[1])) == 1  # Bria made it; the app did not hear

    mark = len(fake_api.fake.received)
    services(live_app).jobs.run(f"upload:{upload.id}")
    assert since(fake_api, mark) == [("GET", f"/v1/tailored-gen/datasets/{dataset[1]}/images")]
    arrived = upload_now(live_app, upload.id)
    [image] = images_at_fake(fake_api, dataset[1])
    assert (arrived.state, arrived.bria_image_id) == ("at_bria", image["id"])
    assert posted_names(fake_api.fake.received) == [upload.image_name]
    assert work_of(live_app, upload.id).state == "done"


@pytest.mark.parametrize(
    "read_failure",
    [
        Scripted(500, {"error": {"message": "Internal error"}}),
        Scripted(drop=True),
        Scripted(429, "", headers={"Retry-After": "5"}),
    ],
    ids=["500", "dropped", "429"],
)
def test_when_the_images_cannot_be_looked_at_nothing_is_sent_again(
    live_app, live_client, fake_api, dataset, no_backoff, read_failure
):
    upload = one_file(live_app, live_client, dataset)
    fake_api.fake.answer_next(Scripted(act_first=True, drop=True), read_failure)
    key = f"upload:{upload.id}"
    services(live_app).jobs.run(key)

    mark = len(fake_api.fake.received)
    services(live_app).jobs.run(key)  # the look at the dataset's images fails
    images = f"/v1/tailored-gen/datasets/{dataset[1]}/images"
    assert since(fake_api, mark) == [("GET", images)]
    assert upload_now(live_app, upload.id).state == "waiting"

    forget_failed_reads(live_app)
    end_pause(live_app)
    make_due(live_app, key)
    services(live_app).jobs.run(key)
    assert since(fake_api, mark) == [("GET", images), ("GET", images)]
    assert upload_now(live_app, upload.id).state == "at_bria"
    assert posted_names(fake_api.fake.received) == [upload.image_name]
    assert len(images_at_fake(fake_api, dataset[1])) == 1


def test_after_every_try_the_file_shows_failed_with_a_retry_that_works(
    live_app, live_client, fake_api, dataset, no_backoff
):
    project_id, dataset_id = dataset
    upload = one_file(live_app, live_client, dataset)
    server_error = Scripted(503, {"error": {"message": "Try later"}})
    fake_api.fake.answer_next(server_error)
    for _ in range(tasks.SEND_ATTEMPTS - 1):  # each later try looks first, then sends
        fake_api.fake.answer_next(AS_THE_API_WOULD, server_error)
    for _ in range(tasks.SEND_ATTEMPTS):
        services(live_app).jobs.run(f"upload:{upload.id}")

    failed = upload_now(live_app, upload.id)
    assert (failed.state, failed.reason) == ("failed", tasks.GAVE_UP)
    assert work_of(live_app, upload.id).state == "failed"
    assert len(posted_names(fake_api.fake.received)) == tasks.SEND_ATTEMPTS
    assert images_at_fake(fake_api, dataset_id) == []

    page = live_client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    card = soup(page).select_one(f"[data-upload-id='{upload.id}']")
    assert card.select_one("[data-state]").get_text() == "Could not be sent"
    assert card.select_one(".reason").get_text() == tasks.GAVE_UP
    [retry] = [f for f in card.select("form") if f["action"].endswith("/retry")]
    answer = live_client.post(retry["action"], data=hidden_inputs(str(retry)))
    assert "“photo.png” will be sent again." in main_text(
        follow(live_client, answer).get_data(as_text=True)
    )
    assert upload_now(live_app, upload.id).state == "waiting"
    assert work_of(live_app, upload.id).attempts == 0

    run_jobs(live_app)
    assert upload_now(live_app, upload.id).state == "at_bria"
    assert len(images_at_fake(fake_api, dataset_id)) == 1
    assert len(posted_names(fake_api.fake.received)) == tasks.SEND_ATTEMPTS + 1


def test_retry_of_a_file_that_has_not_failed_changes_nothing(live_app, live_client, dataset):
    project_id, dataset_id = dataset
    upload = one_file(live_app, live_client, dataset)
    page = live_client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    live_client.post(
        page_of(project_id, dataset_id, f"/uploads/{upload.id}/retry"),
        data={"csrf_token": hidden_inputs(page)["csrf_token"]},
    )
    assert upload_now(live_app, upload.id).state == "waiting"
    assert work_of(live_app, upload.id).state == "waiting"


def test_a_retry_cut_short_leaves_the_file_failed_with_its_retry(
    live_app, live_client, dataset, monkeypatch
):
    upload = one_file(live_app, live_client, dataset)
    svc = services(live_app)
    svc.get(UploadQueue.of).set(upload.id, state="failed", reason=tasks.GAVE_UP)
    key = f"upload:{upload.id}"
    with svc.engine.begin() as db:
        db.execute(update(work_table).where(work_table.c.key == key).values(state="failed"))

    def cut(db, key):
        raise OperationalError("UPDATE", {}, Exception("server closed the connection"))

    monkeypatch.setattr(svc.jobs.queue, "again", cut)
    with pytest.raises(OperationalError):
        images.retry_upload(svc, upload_now(live_app, upload.id))
    # Not "waiting" with nothing to send it: still failed, and its Retry still offered.
    assert upload_now(live_app, upload.id).state == "failed"
    assert work_of(live_app, upload.id).state == "failed"


# -- taking files out ----------------------------------------------------------------------------


def remove(live_client, dataset, upload_id: int):
    project_id, dataset_id = dataset
    page = live_client.get(page_of(project_id, dataset_id, "/rename")).get_data(as_text=True)
    return live_client.post(
        page_of(project_id, dataset_id, f"/uploads/{upload_id}/remove"),
        data={"csrf_token": hidden_inputs(page)["csrf_token"]},
    )


def test_a_file_taken_out_before_it_was_sent_never_reaches_bria(
    live_app, live_client, fake_api, dataset
):
    upload = one_file(live_app, live_client, dataset)
    original = Path(live_app.instance_path) / "uploads" / f"upload-{upload.id}-original"
    assert original.exists()
    answer = remove(live_client, dataset, upload.id)
    page = follow(live_client, answer).get_data(as_text=True)
    assert "“photo.png” is out of the dataset." in main_text(page)
    assert soup(page).select(".image-card") == []

    assert upload_now(live_app, upload.id).state == "removed"
    assert work_of(live_app, upload.id) is None
    assert not original.exists()
    services(live_app).jobs.run(f"upload:{upload.id}")
    run_jobs(live_app)
    assert posted_names(fake_api.fake.received) == []


def test_an_image_at_bria_taken_out_is_deleted_there(live_app, live_client, fake_api, dataset):
    upload = one_file(live_app, live_client, dataset)
    run_jobs(live_app)
    at_bria = upload_now(live_app, upload.id)
    mark = len(fake_api.fake.received)
    remove(live_client, dataset, upload.id)
    path = f"/v1/tailored-gen/datasets/{dataset[1]}/images/{at_bria.bria_image_id}"
    assert ("DELETE", path) in since(fake_api, mark)
    assert images_at_fake(fake_api, dataset[1]) == []
    assert upload_now(live_app, upload.id).state == "removed"
    page = live_client.get(page_of(*dataset)).get_data(as_text=True)
    assert soup(page).select(".image-card") == []


def test_a_file_taken_out_after_its_answer_was_lost_is_deleted_at_bria_too(
    live_app, live_client, fake_api, dataset
):
    upload = one_file(live_app, live_client, dataset)
    fake_api.fake.answer_next(Scripted(act_first=True, drop=True))
    services(live_app).jobs.run(f"upload:{upload.id}")
    [made] = images_at_fake(fake_api, dataset[1])  # at Bria, though the app did not hear
    assert upload_now(live_app, upload.id).state == "waiting"

    mark = len(fake_api.fake.received)
    answer = remove(live_client, dataset, upload.id)
    assert "“photo.png” is out of the dataset." in main_text(
        follow(live_client, answer).get_data(as_text=True)
    )
    images = f"/v1/tailored-gen/datasets/{dataset[1]}/images"
    assert ("GET", images) in since(fake_api, mark)
    assert ("DELETE", f"{images}/{made['id']}") in since(fake_api, mark)
    assert images_at_fake(fake_api, dataset[1]) == []
    assert upload_now(live_app, upload.id).state == "removed"


def test_a_file_whose_fate_cannot_be_read_is_not_taken_out_yet(
    live_app, live_client, fake_api, dataset
):
    upload = one_file(live_app, live_client, dataset)
    fake_api.fake.answer_next(
        Scripted(act_first=True, drop=True), Scripted(500, {"error": {"message": "Down"}})
    )
    services(live_app).jobs.run(f"upload:{upload.id}")
    answer = remove(live_client, dataset, upload.id)
    page = follow(live_client, answer).get_data(as_text=True)
    assert (
        "Bria could not say whether it already has this file, so it was not taken out: try "
        "again in a minute." in main_text(page)
    )
    assert upload_now(live_app, upload.id).state == "waiting"  # still there, still on its way
    assert len(images_at_fake(fake_api, dataset[1])) == 1


def test_a_file_taken_out_while_it_is_being_sent_is_deleted_once_it_arrives(
    live_app, live_client, fake_api, dataset, monkeypatch
):
    upload = one_file(live_app, live_client, dataset)
    # Bria takes its time to answer: longer than the person takes to remove the file.
    transport = services(live_app).bria.transport
    monkeypatch.setattr(transport, "timeout", (transport.timeout[0], 30.0))
    sending = threading.Thread(
        target=services(live_app).jobs.run, args=(f"upload:{upload.id}",), daemon=True
    )
    with fake_api.fake.hold_answers():
        sending.start()
        fake_api.fake.wait_for_in_flight(1)
        assert upload_now(live_app, upload.id).state == "sending"
        remove(live_client, dataset, upload.id)
    sending.join(timeout=20)
    assert not sending.is_alive()
    assert upload_now(live_app, upload.id).state == "removed"
    assert images_at_fake(fake_api, dataset[1]) == []
    deletes = [r for r in fake_api.fake.received if r.method == "DELETE"]
    assert len(deletes) == 1


def test_a_file_that_reached_bria_just_as_it_was_taken_out_is_deleted_there(
    live_app, live_client, fake_api, dataset
):
    upload = one_file(live_app, live_client, dataset)
    seen = upload_now(live_app, upload.id)  # what the person's page read: waiting
    run_jobs(live_app)  # meanwhile its job sent it
    at_bria = upload_now(live_app, upload.id)
    assert (seen.state, at_bria.state) == ("waiting", "at_bria")

    assert images.remove_upload(services(live_app), seen) is None
    assert upload_now(live_app, upload.id).state == "removed"
    assert images_at_fake(fake_api, dataset[1]) == []
    deletes = [r.path for r in fake_api.fake.received if r.method == "DELETE"]
    assert deletes == [f"/v1/tailored-gen/datasets/{dataset[1]}/images/{at_bria.bria_image_id}"]


def test_an_image_made_elsewhere_can_be_taken_out(live_app, live_client, fake_api, dataset):
    from tests.images.flows import image_at

    project_id, dataset_id = dataset
    made = image_at(fake_api.fake.api, dataset_id, 3, "from-the-console.jpg")
    page = live_client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    card = soup(page).select_one(f"#image-{made['id']}")
    assert card.select_one(".card-name strong").get_text() == "from-the-console.jpg"
    [form] = card.select("form")
    answer = live_client.post(form["action"], data=hidden_inputs(str(form)))
    assert "The image is out of the dataset." in main_text(
        follow(live_client, answer).get_data(as_text=True)
    )
    assert images_at_fake(fake_api, dataset_id) == []


def test_the_page_says_when_the_queue_will_be_done_at_the_budgets_pace(
    live_app, live_client, fake_api, dataset
):
    project_id, dataset_id = dataset
    files = [(f"p{seed}.png", pictures.picture(seed)) for seed in range(3)]
    add_files(live_client, project_id, dataset_id, files)
    page = live_client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    summary = " ".join(soup(page).select_one("[data-queue-summary]").get_text().split())
    assert summary.startswith(
        "0 at Bria, 3 waiting to be sent. At your plan's 10000 requests a minute (shared with "
        "your team), within a minute."
    )
    assert posted_names(fake_api.fake.received) == []  # nothing is sent by the page itself


def test_a_send_holds_its_work_longer_than_the_largest_file_may_take(tmp_path):
    """A second run must not start while the first is still sending (it would send the
    file again): the lease outlasts the deadline of the largest file, whatever the
    shorter lease set for other work."""
    settings = {"BRIA_API_TOKEN": TOKEN, "BRIA_API_BASE_URL": "http://127.0.0.1:9/v1"}
    settings |= {"JOB_LEASE_SECONDS": "60", "BRIA_API_TIMEOUT": "300"}
    app = make_app(tmp_path / "instance", **settings)
    try:
        svc = app.extensions["webapp"]
        largest = svc.bria.transport.deadline_for(MAX_FILE_BYTES * 4 // 3)
        assert largest > 500  # 300 s to answer, and 33 MB of base64 on a slow link
        assert svc.jobs.kinds[tasks.SEND].lease_seconds > largest
        assert svc.jobs.kinds[tasks.THUMBNAIL].lease_seconds == 120
    finally:
        dispose(app)
