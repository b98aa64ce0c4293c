"""Images: a 200-file upload through `make serve`, the queue paced by the request budget,
the pages meanwhile, and the checks each file gets before it is queued.

Each file is a 15 MB JPEG of noise (noise does not compress, so 15 MB of it is a photo
of about 14 megapixels), made once and told apart by a comment of its own, so that no
two files are the same.
"""

from __future__ import annotations

import http.client
import io
import re
import statistics
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from PIL import Image

from bench import measure, stack
from bench.measure import Browser, Latencies
from webapp.images import checks

FIFTEEN_MB = 15 * 2**20
_HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def noise_jpeg(smallest: int, side: int = 4000) -> bytes:
    """A JPEG of at least `smallest` bytes: colour noise, saved at quality 95."""
    while True:
        high = side * 3 // 4
        picture = Image.merge("RGB", [Image.effect_noise((side, high), 80) for _ in range(3)])
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=95)
        if out.tell() >= smallest:
            return out.getvalue()
        side = int(side * 1.1)


def numbered(jpeg: bytes, number: int) -> bytes:
    """The same picture with a comment of its own (a COM segment after the start): a
    file no other is the same as."""
    words = f"benchmark file {number} {uuid.uuid4().hex}".encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(words) + 2) + words + jpeg[2:]


# -- the checks before a file is queued ------------------------------------------------


def preflight(jpeg: bytes, rounds: int = 30) -> Latencies:
    """`webapp.images.checks.check` on one 15 MB JPEG, again and again, in this process."""
    found = Latencies([])
    for number in range(rounds):
        content = numbered(jpeg, number)
        started = time.perf_counter()
        checks.check(io.BytesIO(content), len(content), True)
        found.samples.append(time.perf_counter() - started)
    return found


# -- one upload of many files -------------------------------------------------------------


@dataclass
class Upload:
    seconds: float
    status: int
    location: str


def dataset_at(api_base_url: str, name: str) -> tuple[int, int]:
    """A project and a draft dataset in it, made at the fake API (as Bria's console would)."""
    project = stack.api_call(
        api_base_url,
        "POST",
        "/tailored-gen/projects",
        {"project_name": name, **measure.ANSWERS},
    )
    dataset = stack.api_call(
        api_base_url,
        "POST",
        "/tailored-gen/datasets",
        {"project_id": project["id"], "name": name, "upload_type": "basic"},  # type: ignore[index]
    )
    return int(project["id"]), int(dataset["id"])  # type: ignore[index]


def upload_files(base_url: str, project_id: int, dataset_id: int, files: list[bytes]) -> Upload:
    """Send `files` in one request as the page's form does (multipart), the body streamed a
    file at a time, never whole in this process either."""
    page = f"/projects/{project_id}/datasets/{dataset_id}"
    browser = Browser(base_url, timeout=1800)
    _, _, html = browser.request("GET", page)
    csrf = _HIDDEN_CSRF.search(html.decode()).group(1)  # type: ignore[union-attr]
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="increase_resolution"\r\n\r\ny\r\n'
    ).encode()

    def part(number: int) -> bytes:
        return (
            f'--{boundary}\r\nContent-Disposition: form-data; name="images"; '
            f'filename="photo-{number:03}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()

    tail = f"--{boundary}--\r\n".encode()
    length = len(head) + len(tail) + sum(len(part(n)) + len(f) + 2 for n, f in enumerate(files))

    def body() -> Iterator[bytes]:
        yield head
        for number, content in enumerate(files):
            yield part(number)
            for start in range(0, len(content), 1 << 20):
                yield content[start : start + (1 << 20)]
            yield b"\r\n"
        yield tail

    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=1800)
    started = time.perf_counter()
    connection.putrequest("POST", page + "/images")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(length))
    connection.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in browser._cookies.items()))
    connection.endheaders()
    for chunk in body():
        connection.send(chunk)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    browser.close()
    return Upload(time.perf_counter() - started, answer.status, answer.headers["Location"] or "")


def images_sent(api_base_url: str, dataset_id: int) -> list[float]:
    """When each image reached the fake API (its clock)."""
    path = f"/v1/tailored-gen/datasets/{dataset_id}/images"
    return sorted(
        at
        for method, seen, at in stack.api_received(api_base_url)
        if (method, seen) == ("POST", path)
    )


class PeakMemory:
    """The largest rise of any one worker's resident memory while it runs (every 50 ms)."""

    def __init__(self, served: stack.Served) -> None:
        self.served = served
        self.stop = threading.Event()
        self.rise = 0
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakMemory:
        self.baseline = {pid: measure.rss_bytes([pid]) for pid in self.served.worker_pids()}
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self.stop.is_set():
            for pid, before in self.baseline.items():
                try:
                    self.rise = max(self.rise, measure.rss_bytes([pid]) - before)
                except OSError:
                    continue
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join()


@dataclass
class BigUpload:
    files: int
    file_bytes: int
    upload: Upload
    memory_rise: int
    #: Probes while the request was received, then while its queue was sent.
    receiving: dict[str, Latencies]
    sending: dict[str, Latencies]
    sent_seconds: float
    at_bria: int


def big_upload(files: int, requests_per_minute: int) -> BigUpload:
    """`files` 15 MB JPEGs in one request through nginx and gunicorn (as `make serve`),
    the workers' memory watched, and the pages probed while the request is received and
    while its queue is sent to Bria."""
    jpeg = noise_jpeg(FIFTEEN_MB)
    contents = [numbered(jpeg, n) for n in range(files)]
    with (
        stack.fake_api(0.3, "--light") as api,
        stack.app_at_budget(api, requests_per_minute) as app,
    ):
        project_id, dataset_id = dataset_at(api, "Benchmark uploads")
        page = f"/projects/{project_id}/datasets/{dataset_id}"
        paths = {"/healthz": "/healthz", "the project list": "/projects", "the dataset page": page}
        for path in paths.values():  # the first read of each fills the shared records
            Browser(app.url).request("GET", path)

        def probes() -> tuple[threading.Event, dict[str, Latencies], list[threading.Thread]]:
            stop = threading.Event()
            found = {name: Latencies([]) for name in paths}
            threads = [
                threading.Thread(
                    target=lambda n=name, p=path: found[n].samples.extend(
                        measure.probe(app.url, p, stop, pause=0.1).samples
                    )
                )
                for name, path in paths.items()
            ]
            for thread in threads:
                thread.start()
            return stop, found, threads

        stop, receiving, threads = probes()
        with PeakMemory(app) as memory:
            upload = upload_files(app.url, project_id, dataset_id, contents)
        stop.set()
        for thread in threads:
            thread.join()
        stop, sending, threads = probes()
        started = time.perf_counter()
        deadline = started + 3600
        while len(images_sent(api, dataset_id)) < files and time.perf_counter() < deadline:
            time.sleep(1)
        sent_seconds = time.perf_counter() - started
        stop.set()
        for thread in threads:
            thread.join()
        at_bria = len(images_sent(api, dataset_id))
    return BigUpload(
        files, len(jpeg), upload, memory.rise, receiving, sending, sent_seconds, at_bria
    )


# -- the budget is the only bound ---------------------------------------------------------


@dataclass
class Pacing:
    images: int
    requests_per_minute: int
    minutes: float
    busiest_minute: int
    requests: int


def busiest_window(times: list[float], seconds: float = 60.0) -> int:
    """The most requests in any `seconds`-long window."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def pacing(images: int, requests_per_minute: int) -> Pacing:
    """`images` small JPEGs (1024 × 768) added at once, sent at the budget's pace to a fake
    answering in 300 ms: how long until all are at Bria, and the busiest minute Bria saw."""
    picture = noise_jpeg(0, side=1024)
    with (
        stack.fake_api(0.3, "--light") as api,
        stack.app_at_budget(api, requests_per_minute) as app,
    ):
        project_id, dataset_id = dataset_at(api, "Benchmark pacing")
        before = time.time()
        upload = upload_files(
            app.url, project_id, dataset_id, [numbered(picture, n) for n in range(images)]
        )
        if upload.status != 303:
            raise RuntimeError(f"the upload answered {upload.status}")
        deadline = time.monotonic() + 20 * images / requests_per_minute * 60 + 120
        sent: list[float] = []
        while len(sent) < images and time.monotonic() < deadline:
            time.sleep(1)
            sent = images_sent(api, dataset_id)
        everything = [
            at for _, path, at in stack.api_received(api) if at >= before and path.startswith("/v")
        ]
    minutes = (max(sent) - before) / 60 if len(sent) == images else float("inf")
    return Pacing(images, requests_per_minute, minutes, busiest_window(everything), len(everything))


def median_ms(found: Latencies) -> str:
    return f"{statistics.median(found.samples) * 1000:.0f} ms" if found.samples else "none"
