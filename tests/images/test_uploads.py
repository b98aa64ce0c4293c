"""Adding images through the dataset page (sandbox mode, Flask's test client): each refused
file named with its reason, names shown escaped and never used as paths, duplicates, the
200-image limit, thumbnails and the queue's state."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.images import pictures
from tests.images.flows import (
    APP_FILES,
    add_files,
    dataset_at,
    fake_of,
    image_at,
    page_of,
    run_jobs,
    states,
    uploads,
)
from tests.support.pages import follow, hidden_inputs, main_text, soup
from webapp.images.queue import UploadQueue


@pytest.fixture
def dataset(app):
    return dataset_at(fake_of(app))


def refused_list(html: str) -> dict[str, str]:
    """{file name: reason} of the last upload's refused files, as the page says them."""
    found = {}
    for item in soup(html).select("#last-upload .refused-list li"):
        name = item.select_one("strong").get_text()
        found[name] = item.get_text()[len(name) :].lstrip(": ").strip()
    return found


def card_names(html: str) -> list[str]:
    return [tag.get_text() for tag in soup(html).select(".image-card .card-name strong")]


def test_each_refused_file_is_named_with_its_reason_and_the_others_go_on(app, client, dataset):
    project_id, dataset_id = dataset
    files = [
        ("good-1.jpg", pictures.picture(1, "JPEG")),
        ("empty.png", b""),
        ("notes.png", pictures.TEXT),
        ("holiday.zip", pictures.zipped()),
        ("scan.pdf", pictures.PDF),
        ("IMG_0001.HEIC", pictures.heic()),
        ("anim.gif", pictures.picture(1, "GIF")),
        ("tiny.png", pictures.picture(2, "PNG", size=(100, 120))),
        ("bomb.png", pictures.png_declaring(30_000, 30_000)),
        ("cut.jpg", pictures.cut(pictures.picture(3, "JPEG"))),
        ("good-2.webp", pictures.picture(4, "WEBP")),
    ]
    answer = add_files(client, project_id, dataset_id, files)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(page_of(project_id, dataset_id, "?batch="))
    page = follow(client, answer).get_data(as_text=True)

    assert soup(page).select_one("#last-upload-title").get_text() == "2 of 11 files added"
    refused = refused_list(page)
    assert list(refused) == [name for name, _ in files if not name.startswith("good")]
    assert refused["empty.png"] == "The file is empty: choose the image again."
    assert refused["notes.png"].startswith("This file is not an image the app can read")
    assert refused["holiday.zip"].startswith("This is a zip file")
    assert refused["scan.pdf"].startswith("This is a PDF document")
    assert refused["IMG_0001.HEIC"].startswith("This is a HEIC photo")
    assert refused["anim.gif"].startswith("It is a GIF image")
    assert refused["tiny.png"].startswith("It is 100 × 120 pixels")
    assert "decompression bomb" in refused["bomb.png"]
    assert refused["cut.jpg"].startswith("The file is cut short")
    assert "nothing of them was sent to Bria" in main_text(page)

    run_jobs(app)
    assert states(app, dataset_id) == {
        name: ("at_bria" if name.startswith("good") else "rejected") for name, _ in files
    }
    at_fake = fake_of(app).images.of_dataset(dataset_id)
    assert len(at_fake) == 2
    assert [i["image_name"].split("-u")[0] for i in at_fake] == ["good-1", "good-2"]


def test_names_are_shown_escaped_and_never_used_as_paths(app, client, dataset, tmp_path: Path):
    project_id, dataset_id = dataset
    long_name = "long " + "x" * 291 + ".png"  # 300 characters
    longer_name = "y" * 400 + ".png"
    script = "<img src=x onerror=alert(1)>.png"
    names = [
        "../../x.png",
        script,
        long_name,
        longer_name,
        "写真 夏.jpg",
        "фото.png",
        "/etc/passwd.png",
        "%2e%2e%2fx.png",
    ]
    files = [(name, pictures.picture(seed, "PNG")) for seed, name in enumerate(names)]
    page = follow(client, add_files(client, project_id, dataset_id, files)).get_data(as_text=True)

    assert script not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in page
    shown = card_names(page)
    assert shown == [*names[:3], longer_name[:300], *names[4:]]
    assert len(shown[2]) == 300

    run_jobs(app)
    kept = [(u.original_name, u.image_name, u.state) for u in uploads(app, dataset_id)]
    assert [state for _, _, state in kept] == ["at_bria"] * len(names)
    image_names = [image_name for _, image_name, _ in kept]
    for image_name in image_names:
        assert re.fullmatch(r"[a-z0-9-]{1,60}-u\d+-[0-9a-f]{6}\.(png|jpg)", image_name)
    assert image_names[0].startswith("x-u") and image_names[1].startswith("img-src-x-onerror")
    assert image_names[4].startswith("image-u") and image_names[5].startswith("image-u")
    at_fake = {i["image_name"] for i in fake_of(app).images.of_dataset(dataset_id)}
    assert at_fake == set(image_names)

    # Nothing was written outside the instance folder, and in it only files the app named.
    instance = Path(app.instance_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instance"]
    written = [str(p.relative_to(instance)) for p in instance.rglob("*")]
    assert [name for name in written if not APP_FILES.match(name)] == []
    assert any(name.endswith("-thumb") for name in written)


def test_a_name_with_control_characters_is_kept_without_them(app, client, dataset):
    project_id, dataset_id = dataset
    add_files(client, project_id, dataset_id, [("bad\x00na\u202eme.png", pictures.picture(1))])
    [upload] = uploads(app, dataset_id)
    assert upload.original_name == "badname.png"


def test_notes_are_shown_beside_each_file(app, client, dataset):
    project_id, dataset_id = dataset
    files = [
        ("small.png", pictures.picture(1, "PNG", size=(640, 700))),
        ("clear.png", pictures.picture(2, "PNG", mode="RGBA")),
        ("sideways.jpg", pictures.with_orientation(6)),
    ]
    page = follow(client, add_files(client, project_id, dataset_id, files)).get_data(as_text=True)
    notes = {
        card.select_one(".card-name strong").get_text(): [
            n.get_text() for n in card.select(".note")
        ]
        for card in soup(page).select(".image-card")
    }
    assert notes == {
        "small.png": [
            "It is 640 × 700 pixels: Bria will upscale it (1024 or more on the shorter side is "
            "best)."
        ],
        "clear.png": ["It has transparent areas, which become black at Bria."],
        "sideways.jpg": ["It will be turned the right way up, as the camera recorded it."],
    }


def test_without_upscaling_a_small_image_is_refused_before_it_is_sent(app, client, dataset):
    project_id, dataset_id = dataset
    files = [("small.png", pictures.picture(1, "PNG", size=(640, 700)))]
    answer = add_files(client, project_id, dataset_id, files, increase_resolution=False)
    page = follow(client, answer).get_data(as_text=True)
    assert refused_list(page) == {
        "small.png": "It is 640 × 700 pixels, under the 1024 Bria needs when upscaling is turned "
        "off: use a larger copy, or let Bria upscale small images."
    }
    assert run_jobs(app) == []


def test_a_photo_on_its_side_reaches_bria_the_right_way_up(app, client, dataset):
    project_id, dataset_id = dataset
    add_files(client, project_id, dataset_id, [("side.jpg", pictures.with_orientation(6))])
    run_jobs(app)
    [image] = fake_of(app).images.of_dataset(dataset_id)
    assert (image["_look"]["width"], image["_look"]["height"]) == (1024, 1200)


def test_the_upscaling_choice_goes_to_bria_with_the_file(app, client, dataset, monkeypatch):
    project_id, dataset_id = dataset
    sent = []
    bria = app.extensions["webapp"].bria.images
    original = bria.upload

    def upload(*args, **kwargs):
        sent.append(kwargs["increase_resolution"])
        return original(*args, **kwargs)

    monkeypatch.setattr(bria, "upload", upload)
    add_files(client, project_id, dataset_id, [("a.png", pictures.picture(1))])
    add_files(client, project_id, dataset_id, [("b.png", pictures.picture(2))], False)
    run_jobs(app)
    assert sent == [True, False]


# -- duplicates --------------------------------------------------------------------------


def test_an_exact_duplicate_is_refused_in_one_request_and_in_the_next(app, client, dataset):
    project_id, dataset_id = dataset
    same = pictures.picture(5, "PNG")
    first = follow(
        client, add_files(client, project_id, dataset_id, [("a.png", same), ("b.png", same)])
    ).get_data(as_text=True)
    assert refused_list(first) == {
        "b.png": "It is the same file as “a.png”, already in this dataset."
    }
    run_jobs(app)
    later = follow(client, add_files(client, project_id, dataset_id, [("c.png", same)]))
    assert refused_list(later.get_data(as_text=True)) == {
        "c.png": "It is the same file as “a.png”, already in this dataset."
    }
    # A near copy (other bytes, the same look) is taken, and flagged.
    follow(client, add_files(client, project_id, dataset_id, [("d.png", pictures.near_copy(5))]))
    run_jobs(app)
    assert states(app, dataset_id) == {
        "a.png": "at_bria",
        "b.png": "rejected",
        "c.png": "rejected",
        "d.png": "at_bria",
    }
    assert len(fake_of(app).images.of_dataset(dataset_id)) == 2
    page = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    assert "Looks almost the same as d.png." in main_text(page)


def test_a_file_taken_out_may_be_added_again(app, client, dataset):
    project_id, dataset_id = dataset
    same = pictures.picture(5, "PNG")
    add_files(client, project_id, dataset_id, [("a.png", same)])
    [upload] = uploads(app, dataset_id)
    page = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    remove = client.post(
        page_of(project_id, dataset_id, f"/uploads/{upload.id}/remove"),
        data={"csrf_token": hidden_inputs(page)["csrf_token"]},
    )
    assert remove.status_code == 303
    add_files(client, project_id, dataset_id, [("a again.png", same)])
    assert states(app, dataset_id) == {"a.png": "removed", "a again.png": "waiting"}


def test_two_servers_adding_the_same_file_at_once_keep_one(app, client, dataset, monkeypatch):
    # The other server's file is not visible yet when this one looks for duplicates: the
    # database's unique index on the live copies refuses the second all the same.
    project_id, dataset_id = dataset
    same = pictures.picture(6, "PNG")
    add_files(client, project_id, dataset_id, [("first.png", same)])
    monkeypatch.setattr(UploadQueue, "live_hashes", lambda self, db, dataset_id: {})
    page = follow(client, add_files(client, project_id, dataset_id, [("second.png", same)]))
    assert refused_list(page.get_data(as_text=True)) == {
        "second.png": "It is the same file as one added to this dataset a moment ago."
    }
    run_jobs(app)
    assert len(fake_of(app).images.of_dataset(dataset_id)) == 1


# -- the 200-image limit ------------------------------------------------------------------------


def test_the_limit_counts_images_at_bria_and_those_on_their_way(app, client, dataset, monkeypatch):
    monkeypatch.setattr("webapp.images.service.MAX_IMAGES_PER_DATASET", 5)
    project_id, dataset_id = dataset
    image_at(fake_of(app), dataset_id, 1)
    image_at(fake_of(app), dataset_id, 2)
    add_files(client, project_id, dataset_id, [("queued.png", pictures.picture(3))])
    files = [(f"new-{n}.png", pictures.picture(10 + n)) for n in range(4)]
    page = follow(client, add_files(client, project_id, dataset_id, files)).get_data(as_text=True)
    no_room = (
        "The dataset already has 5 images with those on their way, the most Bria takes: remove "
        "some to make room."
    )
    assert refused_list(page) == {"new-2.png": no_room, "new-3.png": no_room}
    run_jobs(app)
    assert len(fake_of(app).images.of_dataset(dataset_id)) == 5


def test_a_completed_dataset_takes_no_file_and_nothing_reaches_bria(app, client):
    fake = fake_of(app)
    project_id, dataset_id = dataset_at(fake, status="completed")
    page = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    assert soup(page).select_one("form.upload-form") is None
    assert "The dataset is completed: it takes no more images" in main_text(page)
    # A forced request (a page opened before it was completed) changes nothing.
    form = client.get(page_of(project_id, dataset_id, "/rename")).get_data(as_text=True)
    answer = client.post(
        page_of(project_id, dataset_id, "/images"),
        data={
            "csrf_token": hidden_inputs(form)["csrf_token"],
            "images": [(io.BytesIO(pictures.picture(1)), "late.png")],
        },
        content_type="multipart/form-data",
    )
    assert refused_list(follow(client, answer).get_data(as_text=True)) == {
        "late.png": "The dataset is completed: it takes no more images (clone it to change it)."
    }
    assert run_jobs(app) == []
    assert fake.images.of_dataset(dataset_id) == []


def test_a_post_without_files_says_to_choose_some(app, client, dataset):
    project_id, dataset_id = dataset
    answer = add_files(client, project_id, dataset_id, [])
    assert "Choose one or more images to add." in main_text(
        follow(client, answer).get_data(as_text=True)
    )
    assert uploads(app, dataset_id) == []


# -- thumbnails and the queue --------------------------------------------------------------------


def test_thumbnails_are_made_and_served_by_the_app(app, client, dataset):
    project_id, dataset_id = dataset
    add_files(
        client, project_id, dataset_id, [("wide.png", pictures.picture(1, size=(2000, 1024)))]
    )
    [upload] = uploads(app, dataset_id)
    thumbnail = page_of(project_id, dataset_id, f"/thumbnails/{upload.id}.jpg")
    assert client.get(thumbnail).status_code == 404  # not made yet
    run_jobs(app, "thumb:")
    answer = client.get(thumbnail)
    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    assert answer.headers["Cache-Control"] == "private, max-age=86400"
    assert Image.open(io.BytesIO(answer.data)).size == (320, 164)
    page = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    [img] = soup(page).select(".image-card .thumb img")
    assert img["src"] == thumbnail
    # Only through its own dataset and project.
    other_project, other_dataset = dataset_at(fake_of(app), name="Other")
    assert (
        client.get(
            page_of(other_project, other_dataset, f"/thumbnails/{upload.id}.jpg")
        ).status_code
        == 404
    )
    # The thumbnail outlives the original, which is forgotten once Bria has the file.
    run_jobs(app)
    assert client.get(thumbnail).status_code == 200
    assert not (Path(app.instance_path) / "uploads" / f"upload-{upload.id}-original").exists()


def test_the_queue_says_each_files_state(app, client, dataset):
    project_id, dataset_id = dataset
    files = [("a.png", pictures.picture(1)), ("b.png", b"")]
    add_files(client, project_id, dataset_id, files)
    queue_url = page_of(project_id, dataset_id, "/queue.json")
    [accepted, _] = uploads(app, dataset_id)
    assert client.get(queue_url).get_json() == {
        "counts": {"waiting": 1, "sending": 0, "at_bria": 0, "refused": 0, "failed": 0},
        "uploads": {str(accepted.id): {"state": "waiting", "reason": None}},
    }
    page = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    assert "0 at Bria, 1 waiting to be sent." in main_text(page)
    assert "The sandbox takes them in a few seconds." in main_text(page)
    run_jobs(app)
    assert client.get(queue_url).get_json()["counts"]["at_bria"] == 1
