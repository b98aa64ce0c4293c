"""The measurements, over HTTP as browsers make them: people creating, probes of quick
pages, slow clients, new connections, memory."""

from __future__ import annotations

import http.client
import re
import select
import socket
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.weight import Weight, page_weight

_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')

ANSWERS = {
    "project_description": "Made by the benchmark",
    "ip_medium": "illustration",
    "ip_type": "defined_character",
    "ip_name": "Lora",
    "ip_description": "a female character with purple hair",
    "training_version": "fibo",
}


class Browser:
    """One person's browser: a kept-alive connection and the session cookie."""

    def __init__(self, base_url: str, timeout: float = 120) -> None:
        parts = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self._cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"Accept": "text/html"}
        if self._cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self._cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        data = response.read()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self._cookies[name] = value
        return response.status, response.headers, data

    def idle(self, seconds: float) -> None:
        """Wait, as a person does between pages. nginx closes a connection left idle
        for 15 s; a browser opens a new one for the next page, and so does this."""
        time.sleep(seconds)
        if seconds > 0:
            self._connection.close()

    def fetch(self, url: str) -> bytes:
        parts = urlsplit(url)
        status, _, data = self.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else "")
        )
        if status != 200:
            raise RuntimeError(f"GET {url} answered {status}")
        return data

    def open_form(self) -> dict[str, str]:
        status, _, data = self.request("GET", "/")
        if status != 200:
            raise RuntimeError(f"the form answered {status}")
        return dict(_HIDDEN.findall(data.decode()))

    def create(self, tokens: dict[str, str], name: str, expect: bytes = b"Project created") -> None:
        """Send the form, follow the redirect, read the page: the whole create."""
        status, headers, _ = self.request("POST", "/", {**tokens, **ANSWERS, "project_name": name})
        location = headers.get("Location") or ""
        if status != 303:
            raise RuntimeError(f"a create answered {status} {location!r}")
        status, _, page = self.request("GET", location)
        if status != 200 or expect not in page:
            raise RuntimeError(f"the page after a create answered {status}: {page[:300]!r}")

    def close(self) -> None:
        self._connection.close()


def unique_name(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Latencies:
    samples: list[float]
    failures: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("inf")

    @property
    def p99(self) -> float:
        return percentile(self.samples, 0.99) if self.samples else float("inf")


def probe(base_url: str, path: str, stop: threading.Event, pause: float = 0.05) -> Latencies:
    """GET `path` again and again, each on a new connection as a load balancer would."""
    found = Latencies([])
    while not stop.is_set():
        started = time.perf_counter()
        try:
            browser = Browser(base_url, timeout=30)
            status, _, _ = browser.request("GET", path)
            browser.close()
            if status != 200:
                found.failures += 1
        except OSError:
            found.failures += 1
        found.samples.append(time.perf_counter() - started)
        time.sleep(pause)
    return found


def people_creating(
    base_url: str, people: int, stop: threading.Event, found: Latencies | None = None
) -> Latencies:
    """`people` browsers creating one project after another until `stop`; each sample
    is a whole create (send, redirect, the page after), the form's GET not counted.
    `found` may be given to watch the samples come in."""
    found = found if found is not None else Latencies([])
    lock = threading.Lock()

    def person(number: int) -> None:
        browser = Browser(base_url)
        try:
            while not stop.is_set():
                tokens = browser.open_form()
                started = time.perf_counter()
                try:
                    browser.create(tokens, unique_name(f"Person {number}"))
                except (RuntimeError, OSError):
                    with lock:
                        found.failures += 1
                    browser.close()
                    browser = Browser(base_url)
                    continue
                took = time.perf_counter() - started
                with lock:
                    found.samples.append(took)
        finally:
            browser.close()

    with ThreadPoolExecutor(people) as pool:
        for number in range(people):
            pool.submit(person, number)
    return found


def during(work, *probes):  # type: ignore[no-untyped-def]
    """Run `work(stop)` and each probe `(stop) -> result` together until `work` ends."""
    stop = threading.Event()
    with ThreadPoolExecutor(len(probes) + 1) as pool:
        running = [pool.submit(p, stop) for p in probes]
        try:
            outcome = work(stop)
        finally:
            stop.set()
        return outcome, [r.result() for r in running]


def trickling_clients(base_url: str, clients: int, seconds: float, interval: float = 2.0) -> int:
    """`clients` connections that send a request's header a line every `interval` seconds
    for `seconds`, opening a new one whenever the server closes one (as an attacker
    would); returns how many the server closed."""
    parts = urlsplit(base_url)

    def connect() -> socket.socket:
        sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n")
        return sock

    sockets = [connect() for _ in range(clients)]
    closed = 0
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        time.sleep(interval)
        for index, sock in enumerate(sockets):
            try:
                sock.sendall(b"X-Slow: 1\r\n")
                readable, _, _ = select.select([sock], [], [], 0)
                if readable and not sock.recv(4096):
                    raise OSError("closed")
            except OSError:
                closed += 1
                sock.close()
                sockets[index] = connect()
    for sock in sockets:
        sock.close()
    return closed


def sequential_creates(base_url: str, creates: int, new_connection_each: bool) -> Latencies:
    """Creates one after another, each from the same browser or from a new one."""
    found = Latencies([])
    browser = Browser(base_url)
    for number in range(creates):
        if new_connection_each:
            browser.close()
            browser = Browser(base_url)
        tokens = browser.open_form()
        started = time.perf_counter()
        browser.create(tokens, unique_name(f"Sequential {number}"))
        found.samples.append(time.perf_counter() - started)
    browser.close()
    return found


def floor_creates(base_url: str, creates: int) -> Latencies:
    """The floor app's create: post, redirect, a one-line page (no form, no checks)."""
    found = Latencies([])
    browser = Browser(base_url)
    for number in range(creates):
        started = time.perf_counter()
        status, headers, _ = browser.request("POST", "/", {**ANSWERS, "project_name": f"F{number}"})
        status, _, page = browser.request("GET", headers["Location"])
        if status != 200 or b"Project created" not in page:
            raise RuntimeError(f"the floor answered {status}")
        found.samples.append(time.perf_counter() - started)
    browser.close()
    return found


def rss_bytes(pids: list[int]) -> int:
    """The resident memory of these processes, together."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def form_weight(base_url: str) -> Weight:
    browser = Browser(base_url)
    try:
        return page_weight(browser.fetch, base_url + "/")
    finally:
        browser.close()
