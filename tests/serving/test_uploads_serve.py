"""Large uploads through `make serve`'s stack (`deploy/serve`: nginx in front of gunicorn):
a dataset's images route takes a 20 MB image, which nginx writes to disk under its run
folder before gunicorn sees it; every other route still refuses a body over 1 MB with the
app's page in words."""

from __future__ import annotations

import io
import random
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.support.pages import VALID, main_text, soup
from tests.support.processes import logged_lines, make_serve, migrate
from webapp.rules.images import MAX_FILE_BYTES

#: Servers and processes of their own.
pytestmark = pytest.mark.integration

#: What nginx's error log says when a body goes beyond its memory buffer to a file.
BUFFERED = "a client request body is buffered to a temporary file"


@dataclass(frozen=True)
class Served:
    url: str
    log: Path
    browser: requests.Session
    project_id: int
    dataset_id: int

    @property
    def dataset_path(self) -> str:
        return f"/projects/{self.project_id}/datasets/{self.dataset_id}"

    def run_folder(self) -> Path:
        """deploy/serve's run folder (`mktemp -d` in TMPDIR, as in production): the one whose
        nginx.conf listens on this stack's port."""
        listen = f"listen {self.url.removeprefix('http://')} "
        for config in Path(tempfile.gettempdir()).glob("webapp-serve.*/nginx.conf"):
            if listen in config.read_text():
                return config.parent
        raise AssertionError(f"no run folder of deploy/serve has {listen!r}")


def form_fields(html: str, selector: str = "main form[method=post]") -> dict[str, str]:
    """The hidden fields (CSRF token, one-time id) of the page's form."""
    form = soup(html).select_one(selector)
    assert form is not None, selector
    return {
        str(tag["name"]): str(tag.get("value", ""))
        for tag in form.select("input[type=hidden][name]")
    }


def sent_on(answer: requests.Response) -> str:
    """Where a form's 303 leads."""
    assert answer.status_code == 303, (answer.status_code, main_text(answer.text))
    return answer.headers["Location"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`make serve`'s stack in sandbox mode, with a project and a dataset made through its
    pages, as a person makes them."""
    folder = tmp_path_factory.mktemp("uploads-serve")
    env = {
        "ACCESS_LOG": "-",
        "LOG_LEVEL": "info",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
        "WEBAPP_INSTANCE_PATH": str(folder / "instance"),
    }
    migrate(env)
    log = folder / "serve.log"
    with make_serve(env, log) as url, requests.Session() as browser:
        form = browser.get(url + "/", timeout=10).text
        answer = browser.post(
            url + "/",
            data={**form_fields(form), **VALID, "project_name": "Large uploads"},
            allow_redirects=False,
            timeout=30,
        )
        created = browser.get(url + sent_on(answer), timeout=10).text
        project_id = int(re.findall(r'href="/projects/(\d+)"', created)[0])
        new = f"{url}/projects/{project_id}/datasets/new"
        answer = browser.post(
            new,
            data={
                **form_fields(browser.get(new, timeout=10).text),
                "name": "Big pictures",
                "training_version": "fibo",
            },
            allow_redirects=False,
            timeout=30,
        )
        dataset_id = int(re.findall(r"/datasets/(\d+)", sent_on(answer))[0])
        yield Served(url, log, browser, project_id, dataset_id)


@pytest.fixture(scope="module")
def large_jpeg() -> bytes:
    """A valid JPEG of about 20 MB: 4000 × 3000 pixels of noise at quality 100."""
    noise = random.Random(19).randbytes(4000 * 3000 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (4000, 3000), noise).save(out, "JPEG", quality=100)
    content = out.getvalue()
    assert 20 * 2**20 <= len(content) <= MAX_FILE_BYTES
    return content


def test_a_20_mb_image_passes_nginx_is_buffered_to_disk_and_is_added(served, large_jpeg):
    page = served.browser.get(served.url + served.dataset_path, timeout=10).text
    fields = form_fields(page, "form[data-module=upload]")
    answer = served.browser.post(
        served.url + served.dataset_path + "/images",
        data={**fields, "increase_resolution": "y"},
        files={"images": ("big noise.jpg", large_jpeg, "image/jpeg")},
        allow_redirects=False,
        timeout=120,
    )
    location = sent_on(answer)
    assert "batch=" in location
    added = main_text(served.browser.get(served.url + location, timeout=10).text)
    assert "1 of 1 file added" in added, added
    assert "big noise.jpg" in added

    # ... and the job consumer that make serve starts sends it on to the sandbox.
    deadline = time.monotonic() + 60
    while True:
        queue = served.browser.get(served.url + served.dataset_path + "/queue.json", timeout=10)
        if queue.json()["counts"]["at_bria"] == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert queue.json()["counts"]["at_bria"] == 1, queue.json()

    # nginx held the body in a file of its run folder (client_body_temp_path), not memory.
    run = served.run_folder()
    lines = logged_lines(served.log, BUFFERED)
    assert any(f"{run}/body/" in line for line in lines), lines
    assert (run / "body").is_dir()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/projects/{project}/datasets/new",
        "{dataset}/schema",
        "{dataset}/captions/replace",
        "{dataset}/images/1/caption",
        "{dataset}/imagesx",
        "{dataset}/images/",
    ],
)
def test_any_other_route_refuses_a_body_over_a_megabyte_in_words(served, path):
    url = served.url + path.format(project=served.project_id, dataset=served.dataset_path)
    answer = served.browser.post(
        url,
        files={"images": ("two.jpg", b"\xff" * (2 * 2**20), "image/jpeg")},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 413, (url, answer.status_code)
    assert "<h1>What you sent is too large</h1>" in answer.text
    assert "Nothing was sent to Bria" in main_text(answer.text)
