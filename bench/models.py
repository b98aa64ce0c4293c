"""Models: many trainings followed while people read their pages, and how soon a generated
image is on the person's page once Bria has made it.

Bria gives no news of a training's end: the app reads each model itself, once for
everyone. What matters is that Bria is never asked about one model twice in 5 s however
many people look, that the follower leaves room in the budget for people's work, and
that pages stay quick.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from bench import measure, stack
from bench.measure import Browser, Latencies
from bench.uploads import noise_jpeg, numbered

_MODEL_PATH = re.compile(r"^/v1/tailored-gen/models/(\d+)$")
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def completed_dataset(api: str, name: str) -> tuple[int, int]:
    """A project and a completed dataset in it, made at the fake as Bria's console would:
    five images, a visual schema, completed."""
    project = stack.api_call(
        api, "POST", "/tailored-gen/projects", {"project_name": name, **measure.ANSWERS}
    )
    project_id = int(project["id"])  # type: ignore[index]
    dataset = stack.api_call(
        api,
        "POST",
        "/tailored-gen/datasets",
        {"project_id": project_id, "name": name, "upload_type": "basic"},
    )
    dataset_id = int(dataset["id"])  # type: ignore[index]
    picture = noise_jpeg(0, side=1024)
    for number in range(5):
        stack.api_call(
            api,
            "POST",
            f"/tailored-gen/datasets/{dataset_id}/images",
            {
                "file": base64.b64encode(numbered(picture, number)).decode(),
                "image_name": f"picture-{number}.jpg",
            },
        )
    schema = '{"subject": "a character", "style": "flat colours"}'
    stack.api_call(api, "PUT", f"/tailored-gen/datasets/{dataset_id}", {"visual_schema": schema})
    stack.api_call(api, "PUT", f"/tailored-gen/datasets/{dataset_id}", {"status": "completed"})
    return project_id, dataset_id


def models_training(api: str, dataset_id: int, count: int) -> list[int]:
    """`count` models of the dataset, each started (from Bria's console, as it were)."""
    made = []
    for number in range(count):
        model = stack.api_call(
            api,
            "POST",
            "/tailored-gen/models",
            {
                "name": f"Model {number}",
                "dataset_id": dataset_id,
                "training_mode": "fully_automated",
            },
        )
        model_id = int(model["id"])  # type: ignore[index]
        stack.api_call(api, "POST", f"/tailored-gen/models/{model_id}/start_training", {})
        made.append(model_id)
    return made


def model_reads(api: str, since: float, until: float) -> dict[int, list[float]]:
    """When Bria was asked about each model (`GET /models/<id>`), between two times."""
    reads: dict[int, list[float]] = defaultdict(list)
    for method, path, at in stack.api_received(api):
        found = _MODEL_PATH.match(path)
        if method == "GET" and found and since <= at <= until:
            reads[int(found.group(1))].append(at)
    return reads


def smallest_gap(reads: dict[int, list[float]]) -> float:
    gaps = []
    for times in reads.values():
        ordered = sorted(times)
        gaps += [later - earlier for earlier, later in itertools.pairwise(ordered)]
    return min(gaps) if gaps else float("inf")


@dataclass
class Following:
    models: int
    people: int
    requests_per_minute: int
    follower_seconds: float
    #: Model reads a minute with nobody looking (the follower alone), and with people.
    follower_per_minute: float
    with_people_per_minute: float
    smallest_gap: float
    pages: Latencies
    #: One page each for `people` asked in the same instant, before the crowd reads on.
    burst: Latencies


def following(
    models: int,
    people: int,
    requests_per_minute: int,
    seconds: float,
    follower_seconds: float = 140.0,
) -> Following:
    """`models` in training, followed by the app; first alone for `follower_seconds` (more
    than the two minutes between its reads), then `people` opening a model page in the
    same instant, then reading model pages for `seconds` (a page, a second's pause,
    another page), each starting within the first second."""
    with (
        stack.fake_api(0.0, "--light", "--training-seconds", "100000") as api,
        stack.app_at_budget(api, requests_per_minute) as app,
    ):
        project_id, dataset_id = completed_dataset(api, "Benchmark models")
        made = models_training(api, dataset_id, models)
        Browser(app.url).request("GET", f"/projects/{project_id}")  # the list: each followed
        started = time.time()
        time.sleep(follower_seconds)
        # Its first reads come at once, all together; after them, one a model every two
        # minutes (the follower's pace in its first hour of training).
        alone = model_reads(api, started + 10, time.time())
        with_people_since = time.time()
        burst = _all_at_once(app.url, [f"/projects/{project_id}/models/{m}" for m in made], people)
        stop = threading.Event()
        pages = Latencies([])
        lock = threading.Lock()

        def person() -> None:
            browser = Browser(app.url)
            stop.wait(random.uniform(0, 1.0))  # people come and go, each at their own pace
            while not stop.is_set():
                path = f"/projects/{project_id}/models/{random.choice(made)}"
                began = time.perf_counter()
                status, _, _ = browser.request("GET", path)
                took = time.perf_counter() - began
                with lock:
                    pages.samples.append(took)
                    pages.failures += status != 200
                stop.wait(1.0)

        crowd = [threading.Thread(target=person) for _ in range(people)]
        for thread in crowd:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in crowd:
            thread.join()
        together = model_reads(api, with_people_since, time.time())
        everything = model_reads(api, started, time.time())
    return Following(
        models,
        people,
        requests_per_minute,
        follower_seconds,
        sum(map(len, alone.values())) * 60 / (follower_seconds - 10),
        sum(map(len, together.values())) * 60 / seconds,
        smallest_gap(everything),
        pages,
        burst,
    )


def _all_at_once(base_url: str, paths: list[str], people: int) -> Latencies:
    """`people` model pages asked for in the same instant (a meeting where everyone opens
    the link): how long the last of them waits."""
    found = Latencies([])
    ready = threading.Barrier(people)
    lock = threading.Lock()

    def one(path: str) -> None:
        browser = Browser(base_url)
        ready.wait()
        began = time.perf_counter()
        status, _, _ = browser.request("GET", path)
        with lock:
            found.samples.append(time.perf_counter() - began)
            found.failures += status != 200

    threads = [threading.Thread(target=one, args=(random.choice(paths),)) for _ in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


@dataclass
class Generated:
    requests_per_minute: int
    #: Seconds from Bria's "completed" to the image on the person's page.
    delays: Latencies


def generated(requests_per_minute: int, images: int, every: float = 0.0) -> Generated:
    """Images asked for from a model page that stays open (its script asks the app every
    half second, as `static/models.js` does), one after another or one every `every`
    seconds (within a budget as tight as the free plan's, asking faster spends it on
    the asking: the next look waits for the budget); the fake makes each in 3 s."""
    made_in = 3.0
    with (
        stack.fake_api(0.0, "--training-seconds", "0", "--generation-seconds", str(made_in)) as api,
        stack.app_at_budget(api, requests_per_minute) as app,
    ):
        project_id, dataset_id = completed_dataset(api, "Benchmark generation")
        (model_id,) = models_training(api, dataset_id, 1)
        page = f"/projects/{project_id}/models/{model_id}"
        browser = Browser(app.url)
        delays = Latencies([])
        for number in range(images):
            _, _, html = browser.request("GET", page)
            tokens = dict(_HIDDEN.findall(html.decode()))
            asked = time.time()
            form = {**tokens, "prompt": f"picture {number}", "aspect_ratio": "1:1"}
            status, headers, _ = browser.request("POST", f"{page}/generate", form)
            if status != 303:
                raise RuntimeError(f"the prompt answered {status}")
            made_id = int((headers.get("Location") or "").rsplit("generated-", 1)[1])
            ready_at = _generate_time(api, asked) + made_in
            next_at = time.monotonic() + every
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                _, _, answer = browser.request("GET", page + "/live.json")
                if _done(answer, made_id):
                    delays.samples.append(time.time() - ready_at)
                    break
                time.sleep(0.5)
            else:
                delays.failures += 1
            browser.idle(max(0.0, next_at - time.monotonic()))
    return Generated(requests_per_minute, delays)


def _generate_time(api: str, after: float) -> float:
    """When the fake received the generate request made after `after`."""
    times = [
        at
        for method, path, at in stack.api_received(api)
        if method == "POST" and path.endswith("/image/generate/tailored") and at >= after - 1
    ]
    return max(times)


def _done(answer: bytes, made_id: int) -> bool:
    gallery = json.loads(answer)["gallery"]
    return any(item["id"] == made_id and item["state"] == "completed" for item in gallery)
