"""The measurements: throughput with wrk, create timings and a burst of creates over HTTP."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import statistics
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from bench.weight import Weight, page_weight

_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")

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

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
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

    def fetch(self, url: str) -> bytes:
        status, _, data = self.request("GET", urlsplit(url).path + _query(url))
        if status != 200:
            raise RuntimeError(f"GET {url} answered {status}")
        return data

    def open_form(self) -> dict[str, str]:
        status, _, data = self.request("GET", "/")
        if status != 200:
            raise RuntimeError(f"the form answered {status}")
        return dict(_HIDDEN.findall(data.decode()))

    def create(self, tokens: dict[str, str], name: str) -> str:
        """Send the form, follow the redirect, read the result page: the whole create."""
        status, headers, _ = self.request("POST", "/", {**tokens, **ANSWERS, "project_name": name})
        location = headers.get("Location") or ""
        if status != 303 or not location.startswith("/projects/"):
            raise RuntimeError(f"a create answered {status} {location!r}")
        status, _, page = self.request("GET", location)
        if status != 200 or b"Project created" not in page:
            raise RuntimeError(f"the result page answered {status}")
        return location

    def close(self) -> None:
        self._connection.close()


def _query(url: str) -> str:
    query = urlsplit(url).query
    return f"?{query}" if query else ""


def unique_name(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


def requests_per_second(url: str, seconds: float, connections: int) -> float:
    """wrk's figure for GET `url` (a C load generator, so the server gets the cores)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds:g}s", url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    match = _RATE.search(output)
    if match is None or "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk did not measure cleanly:\n{output}")
    return float(match.group(1))


@dataclass
class Timings:
    median_ms: float
    p99_ms: float
    samples: int


class DirectApi:
    """Calls the fake API as the app does (same JSON, same token), to time the API alone."""

    def __init__(self, api_base_url: str, token: str) -> None:
        parts = urlsplit(api_base_url)
        self._prefix = parts.path.rstrip("/") + "/tailored-gen/projects"
        self._headers = {"api_token": token, "Content-Type": "application/json"}
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def _call(self, method: str, path: str, body: str | None = None) -> bytes:
        self._connection.request(method, path, body=body, headers=self._headers)
        response = self._connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"the fake API answered {response.status}")
        return data

    def create(self, name: str) -> None:
        """The one call a create costs the app (its result page shows the 201 answer)."""
        self._call("POST", self._prefix, json.dumps({"project_name": name, **ANSWERS}))

    def close(self) -> None:
        self._connection.close()


def create_timings(base_url: str, api_base_url: str, token: str, creates: int) -> Timings:
    """What a whole create adds to the API's own time, one person creating in a row.

    Each create through the app (send, redirect, result page) is paired with the same
    API call made straight to the fake API, and the difference is the sample.
    """
    browser = Browser(base_url)
    api = DirectApi(api_base_url, token)
    browser.create(browser.open_form(), unique_name("Warm-up"))  # caches, connections
    api.create(unique_name("Direct warm-up"))
    added = []
    for number in range(creates):
        tokens = browser.open_form()
        started = time.perf_counter()
        browser.create(tokens, unique_name(f"Sequential {number}"))
        through_app = time.perf_counter() - started
        started = time.perf_counter()
        api.create(unique_name(f"Direct {number}"))
        direct = time.perf_counter() - started
        added.append((through_app - direct) * 1000)
    browser.close()
    api.close()
    return Timings(statistics.median(added), statistics.quantiles(added, n=100)[98], len(added))


def burst_seconds(base_url: str, people: int) -> float:
    """`people` creates sent at the same instant; seconds until the last result page."""
    browsers = [Browser(base_url) for _ in range(people)]
    forms = [b.open_form() for b in browsers]
    start = threading.Barrier(people + 1)
    finished: list[float] = []

    def create(index: int) -> None:
        start.wait()
        browsers[index].create(forms[index], unique_name(f"Burst {index}"))
        finished.append(time.perf_counter())

    with ThreadPoolExecutor(people) as pool:
        futures = [pool.submit(create, i) for i in range(people)]
        start.wait()
        began = time.perf_counter()
        for future in futures:
            future.result()
    for browser in browsers:
        browser.close()
    return max(finished) - began


def form_weight(base_url: str) -> Weight:
    browser = Browser(base_url)
    try:
        return page_weight(browser.fetch, base_url + "/")
    finally:
        browser.close()
