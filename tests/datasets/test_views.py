"""The datasets pages in sandbox mode (Flask's test client): create within the project's
lock, rename, delete, clone and complete, each sent once per form, and what is refused
before anything is sent."""

from __future__ import annotations

import io
import json

import pytest

from tests.images import pictures
from tests.images.flows import add_files, image_at, page_of, run_jobs, services, uploads
from tests.support.pages import field_errors, follow, hidden_inputs, main_text, soup, title
from webapp.bria.errors import BriaNotSent
from webapp.web.forms import new_submission_id

SCHEMA = json.dumps({"style": "flat colours", "palette": "warm", "subject": "a fox"})
CREATE = "/tailored-gen/datasets"


def flashed(html: str) -> list[str]:
    return [p.get_text() for p in soup(html).select(".notification p")]


def form(client, url: str) -> dict[str, str]:
    """The hidden fields of the form at `url` (its CSRF token and one-time id)."""
    return hidden_inputs(client.get(url).get_data(as_text=True))


def csrf(client, project_id: int) -> str:
    return form(client, f"/projects/{project_id}/datasets/new")["csrf_token"]


def offered(html: str) -> list[str]:
    return [str(tag["value"]) for tag in soup(html).select("input[name=training_version]")]


@pytest.fixture
def project(sandbox) -> int:
    return sandbox.projects.add(project_name="Lora")["id"]


# -- create, within the project's lock ------------------------------------------------------------


def test_the_first_dataset_locks_the_project_and_the_page_says_so(
    app, client, sandbox, sent, project
):
    new = f"/projects/{project}/datasets/new"
    page = client.get(new).get_data(as_text=True)
    assert offered(page) == ["fibo", "max", "light", "3.2", "2.3"]
    assert "Not locked yet: the first dataset decides the training family." in main_text(page)
    assert "The first dataset locks the project to its family for good" in main_text(page)

    unchosen = client.post(new, data={**hidden_inputs(page), "name": "Summer shots"})
    assert unchosen.status_code == 400
    assert field_errors(unchosen.get_data(as_text=True)) == {
        "training_version": "Select a training version: the first dataset decides the family"
    }
    answer = client.post(
        new, data={**hidden_inputs(page), "name": "Summer shots", "training_version": "fibo"}
    )
    made = follow(client, answer).get_data(as_text=True)
    [dataset] = sandbox.datasets.of_project(project)
    assert answer.headers["Location"] == page_of(project, dataset["id"])
    assert flashed(made) == ["Dataset “Summer shots” created. Add its images below."]
    assert sent.of("POST", CREATE) == [
        (
            "POST",
            CREATE,
            json.dumps(
                {
                    "project_id": project,
                    "name": "Summer shots",
                    "upload_type": "basic",
                    "training_version": "fibo",
                }
            ).encode(),
        )
    ]
    project_page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert "Training family: Locked to the FIBO family by dataset “Summer shots”." in main_text(
        project_page
    )
    details = soup(project_page).select_one("dl.summary-list")
    version = details.find("dt", string="Training version").find_next_sibling("dd").get_text()
    assert version == "Locked to the FIBO family"  # the project's details agree at once
    assert offered(client.get(new).get_data(as_text=True)) == ["fibo"]


def test_a_forced_request_for_the_other_family_is_refused_naming_both_and_nothing_is_sent(
    client, sandbox, sent, project
):
    sandbox.datasets.add(project, name="Summer shots", training_version="fibo")
    new = f"/projects/{project}/datasets/new"
    page = client.get(new).get_data(as_text=True)
    assert offered(page) == ["fibo"]
    assert "Locked to the FIBO family by dataset “Summer shots”." in main_text(page)

    answer = client.post(
        new, data={**hidden_inputs(page), "name": "Other", "training_version": "max"}
    )
    assert answer.status_code == 400
    assert title(answer.get_data(as_text=True)).startswith("Error: ")
    assert field_errors(answer.get_data(as_text=True)) == {
        "training_version": "This project is locked to the FIBO family, so a Legacy version "
        "(Max) cannot be used in it: choose one of FIBO"
    }
    assert sent.changes() == []
    assert len(sandbox.datasets.of_project(project)) == 1


def test_a_project_locked_to_legacy_offers_every_legacy_version(client, sandbox, sent, project):
    sandbox.datasets.add(project, name="Old", training_version="3.2")
    new = f"/projects/{project}/datasets/new"
    page = client.get(new).get_data(as_text=True)
    assert offered(page) == ["max", "light", "3.2", "2.3"]
    answer = client.post(
        new, data={**hidden_inputs(page), "name": "Newer", "training_version": "max"}
    )
    assert answer.status_code == 303
    forced = client.post(
        new, data={**form(client, new), "name": "FIBO", "training_version": "fibo"}
    )
    assert forced.status_code == 400
    assert (
        "locked to the Legacy family, so a FIBO version (FIBO)"
        in field_errors(forced.get_data(as_text=True))["training_version"]
    )
    assert [json.loads(body)["training_version"] for _, _, body in sent.of("POST", CREATE)] == [
        "max"
    ]


def test_a_locked_project_sends_its_version_when_none_is_chosen(client, sandbox, sent, project):
    sandbox.datasets.add(project, name="First", training_version="light")
    new = f"/projects/{project}/datasets/new"
    answer = client.post(new, data={**form(client, new), "name": "Second"})
    assert answer.status_code == 303
    [(_, _, body)] = sent.of("POST", CREATE)
    assert json.loads(body)["training_version"] == "light"


def test_the_same_create_form_sent_twice_creates_one_dataset(client, sandbox, sent, project):
    new = f"/projects/{project}/datasets/new"
    data = {**form(client, new), "name": "Once", "training_version": "max"}
    first = client.post(new, data=data)
    second = client.post(new, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(sent.of("POST", CREATE)) == 1
    assert [d["name"] for d in sandbox.datasets.of_project(project)] == ["Once"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "Enter a name for the dataset"),
        ("x" * 101, "The dataset name must be 100 characters or fewer"),
        ("bad\x00name", "Dataset name has an invisible character in it"),
    ],
)
def test_a_name_that_breaks_a_rule_is_said_beside_the_field(client, sent, project, name, message):
    new = f"/projects/{project}/datasets/new"
    answer = client.post(new, data={**form(client, new), "name": name, "training_version": "max"})
    assert answer.status_code == 400
    assert field_errors(answer.get_data(as_text=True))["name"].startswith(message)
    assert sent.changes() == []


# -- rename, delete, clone: once per form ---------------------------------------------------------


@pytest.fixture
def dataset(sandbox, project) -> tuple[int, int]:
    made = sandbox.datasets.add(project, name="Summer shots")
    return project, made["id"]


def test_rename_is_sent_once_per_form(client, sandbox, sent, dataset):
    project_id, dataset_id = dataset
    url = page_of(project_id, dataset_id, "/rename")
    page = client.get(url).get_data(as_text=True)
    assert soup(page).select_one("input[name=name]")["value"] == "Summer shots"
    data = {**hidden_inputs(page), "name": "Autumn shots"}
    first = client.post(url, data=data)
    assert flashed(follow(client, first).get_data(as_text=True)) == [
        "Dataset renamed “Autumn shots”."
    ]
    again = client.post(url, data=data)  # a refresh: on to the same page, nothing sent
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert sent.changes() == [("PUT", f"/tailored-gen/datasets/{dataset_id}")]
    assert sandbox.datasets.get(dataset_id)["name"] == "Autumn shots"
    shown = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    assert soup(shown).select_one("h1").get_text().startswith("Autumn shots")


def test_a_rename_bria_did_not_do_shows_the_form_again_with_why(
    app, client, sandbox, sent, dataset, monkeypatch
):
    project_id, dataset_id = dataset
    url = page_of(project_id, dataset_id, "/rename")
    data = {**form(client, url), "name": "Autumn shots"}

    def unreachable(*args, **kwargs):
        raise BriaNotSent("unreachable", "Could not connect to the Bria API")

    monkeypatch.setattr(services(app).bria.datasets, "update", unreachable)
    answer = client.post(url, data=data)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert title(html).startswith("Error: Rename the dataset")
    assert soup(html).select_one("h1").get_text() == "Rename the dataset"
    assert (
        "This app's server could not reach Bria, so nothing was renamed. Try again in a few "
        "minutes." in main_text(html)
    )
    assert soup(html).select_one("input[name=name]")["value"] == "Autumn shots"
    assert sandbox.datasets.get(dataset_id)["name"] == "Summer shots"


def test_delete_is_sent_once_per_form_and_a_replay_goes_on_to_the_project(
    client, sandbox, sent, dataset
):
    project_id, dataset_id = dataset
    image_at(sandbox, dataset_id, 1)
    url = page_of(project_id, dataset_id, "/delete")
    page = client.get(url).get_data(as_text=True)
    assert "This cannot be undone." in main_text(page)
    data = hidden_inputs(page)
    deleted = ["Dataset “Summer shots” deleted, with its images."]
    first = client.post(url, data=data)
    assert flashed(follow(client, first).get_data(as_text=True)) == deleted
    again = client.post(url, data=data)  # a refresh once it is gone
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"] == f"/projects/{project_id}"
    assert flashed(follow(client, again).get_data(as_text=True)) == deleted
    assert sent.changes() == [("DELETE", f"/tailored-gen/datasets/{dataset_id}")]
    assert sandbox.datasets.get(dataset_id) is None and sandbox.images.count(dataset_id) == 0
    assert client.get(page_of(project_id, dataset_id)).status_code == 404


def test_clone_is_sent_once_per_form_and_shows_the_copy(client, sandbox, sent, dataset):
    project_id, dataset_id = dataset
    sandbox.datasets.update(dataset_id, {"visual_schema": SCHEMA})
    for seed in range(3):
        image_at(sandbox, dataset_id, seed)
    url = page_of(project_id, dataset_id, "/clone")
    page = client.get(url).get_data(as_text=True)
    assert soup(page).select_one("input[name=name]")["value"] == "Copy of Summer shots"
    data = {**hidden_inputs(page), "name": "Summer, changed"}
    first = client.post(url, data=data)
    shown = follow(client, first).get_data(as_text=True)
    again = client.post(url, data=data)
    [_, copy] = sandbox.datasets.of_project(project_id)
    assert first.headers["Location"] == again.headers["Location"] == page_of(project_id, copy["id"])
    assert sent.changes() == [("POST", f"/tailored-gen/datasets/{dataset_id}/clone")]
    assert flashed(shown) == [
        "“Summer, changed” is a new draft with the same images and visual schema."
    ]
    assert len(soup(shown).select(".image-card")) == 3
    assert (copy["name"], copy["visual_schema"]) == ("Summer, changed", SCHEMA)


def test_a_dataset_of_another_project_is_not_found(client, sandbox, dataset):
    _, dataset_id = dataset
    other = sandbox.projects.add(project_name="Other")["id"]
    answer = client.get(page_of(other, dataset_id))
    assert answer.status_code == 404
    assert "Dataset not found" in title(answer.get_data(as_text=True))


# -- complete -------------------------------------------------------------------------------------


def forced_complete(client, project_id: int, dataset_id: int):
    """The confirmation sent anyway (a page left open, a crafted request)."""
    return client.post(
        page_of(project_id, dataset_id, "/complete"),
        data={"csrf_token": csrf(client, project_id), "submission_id": new_submission_id()},
    )


def problems_said(html: str) -> list[str]:
    return [li.get_text() for li in soup(html).select(".error-summary-list li")]


def test_completing_is_refused_below_five_images_and_nothing_is_sent(
    client, sandbox, sent, dataset
):
    project_id, dataset_id = dataset
    sandbox.datasets.update(dataset_id, {"visual_schema": SCHEMA})
    for seed in range(4):
        image_at(sandbox, dataset_id, seed)
    page = client.get(page_of(project_id, dataset_id, "/complete")).get_data(as_text=True)
    assert soup(page).select_one("h1").get_text() == "The dataset cannot be completed yet"
    assert problems_said(page) == ["Bria has 4 of this dataset's images: it needs at least 5."]
    assert soup(page).select("form") == [] or not soup(page).select("button[type=submit]")
    answer = forced_complete(client, project_id, dataset_id)
    assert answer.status_code == 409
    assert "Nothing was sent to Bria." in main_text(answer.get_data(as_text=True))
    assert sent.changes() == []
    assert sandbox.datasets.get(dataset_id)["status"] == "draft"


def test_completing_is_refused_without_a_saved_schema(client, sandbox, sent, dataset):
    project_id, dataset_id = dataset
    for seed in range(5):
        image_at(sandbox, dataset_id, seed)
    answer = forced_complete(client, project_id, dataset_id)
    assert answer.status_code == 409
    assert problems_said(answer.get_data(as_text=True)) == [
        "The dataset has no visual schema saved: make one and save it first."
    ]
    assert sent.changes() == []


def test_completing_is_refused_while_images_are_on_their_way(app, client, sandbox, sent, dataset):
    project_id, dataset_id = dataset
    sandbox.datasets.update(dataset_id, {"visual_schema": SCHEMA})
    for seed in range(5):
        image_at(sandbox, dataset_id, seed)
    add_files(client, project_id, dataset_id, [("late.png", pictures.picture(50))])
    sent.clear()
    answer = forced_complete(client, project_id, dataset_id)
    assert answer.status_code == 409
    assert problems_said(answer.get_data(as_text=True)) == [
        "1 image is still on the way to Bria: wait until every image has arrived (or remove "
        "the ones you do not want)."
    ]
    assert sent.changes() == []
    run_jobs(app)
    page = client.get(page_of(project_id, dataset_id, "/complete")).get_data(as_text=True)
    assert problems_said(page) == []


def test_completing_is_confirmed_in_words_sent_once_and_ends_uploads(
    app, client, sandbox, sent, dataset
):
    project_id, dataset_id = dataset
    sandbox.datasets.update(dataset_id, {"visual_schema": SCHEMA})
    for seed in range(6):
        image_at(sandbox, dataset_id, seed)
    url = page_of(project_id, dataset_id, "/complete")
    page = client.get(url).get_data(as_text=True)
    assert soup(page).select_one("h1").get_text() == "Complete “Summer shots”"
    assert "This cannot be undone." in main_text(page)
    assert [li.get_text() for li in soup(page).select(".health-summary li")] == [
        "6 images at Bria: within the 5 to 50 Bria recommends."
    ]
    data = hidden_inputs(page)
    first = client.post(url, data=data)
    assert first.status_code == 303
    assert flashed(follow(client, first).get_data(as_text=True)) == [
        "The dataset is completed. A model can now be trained from it."
    ]
    again = client.post(url, data=data)  # a second click, a refresh
    assert again.status_code == 200
    assert soup(again.get_data(as_text=True)).select_one("h1").get_text() == (
        "The dataset is completed"
    )
    assert sent.of("PUT", f"/tailored-gen/datasets/{dataset_id}") == [
        ("PUT", f"/tailored-gen/datasets/{dataset_id}", b'{"status": "completed"}')
    ]
    assert sandbox.datasets.get(dataset_id)["status"] == "completed"

    # Afterwards: no upload offered, and a forced one never reaches Bria.
    shown = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    assert soup(shown).select_one("form.upload-form") is None
    sent.clear()
    forced = client.post(
        page_of(project_id, dataset_id, "/images"),
        data={
            "csrf_token": csrf(client, project_id),
            "images": [(io.BytesIO(pictures.picture(60)), "late.png")],
        },
        content_type="multipart/form-data",
    )
    assert forced.status_code == 303
    run_jobs(app)
    assert sent.changes() == []
    [late] = uploads(app, dataset_id)
    assert (late.state, late.reason) == (
        "rejected",
        "The dataset is completed: it takes no more images (clone it to change it).",
    )
    assert sandbox.images.count(dataset_id) == 6
