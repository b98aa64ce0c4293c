"""`BriaClient`: the server-side proxy to Bria's Tailored Generation project endpoints.

Every failure leaves this module as a `BriaError` subclass carrying a status and
a message read from whatever the API sent, so that views never see `requests`
exceptions and never have to guess whether a project may have been created.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

log = logging.getLogger("webapp.bria")

PROJECTS_PATH = "/tailored-gen/projects"
#: Attempts for a call that failed before anything reached the API.
CONNECT_ATTEMPTS = 2
CONNECT_RETRY_PAUSE_SECONDS = 0.25
MESSAGE_LIMIT = 300


class BriaError(Exception):
    """The API did not give us what we asked for.

    `outcome_unknown` is true when a create may have happened anyway (the request
    may have reached the API): such a POST must never be sent again blindly.
    """

    outcome_unknown = False

    def __init__(self, message: str, status: int | None = None, request_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id


class BriaRefused(BriaError):
    """The API answered with a 4xx: nothing was created."""


class BriaBadRequest(BriaRefused):
    """400: the API did not accept the fields sent; `message` is its own reason."""


class BriaUnauthorized(BriaRefused):
    """401: the server's token was refused."""


class BriaForbidden(BriaRefused):
    """403: quota exceeded or the plan does not include this product."""


class BriaNotFound(BriaRefused):
    """404: the organisation has no such project."""


class BriaRateLimited(BriaRefused):
    """429: too many requests for the organisation's plan."""


class BriaUnreachable(BriaError):
    """Could not connect at all: nothing was sent, so nothing was created."""


class BriaServerError(BriaError):
    """5xx: Bria had a problem; it may have created the project before failing."""

    outcome_unknown = True


class BriaTimeout(BriaError):
    """No answer in time after the request was sent."""

    outcome_unknown = True


class BriaConnectionBroken(BriaError):
    """The connection broke after the request may have been sent."""

    outcome_unknown = True


class BriaBadResponse(BriaError):
    """The API answered, but not in a shape we understand (a 201 that is not JSON)."""

    outcome_unknown = True


_REFUSALS: dict[int, type[BriaRefused]] = {
    400: BriaBadRequest,
    401: BriaUnauthorized,
    403: BriaForbidden,
    404: BriaNotFound,
    429: BriaRateLimited,
}

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _shorten(text: str) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def message_from_body(response: requests.Response) -> str:
    """Read the API's reason from a JSON envelope, a JSON string, text, HTML or nothing."""
    fallback = f"HTTP {response.status_code} {response.reason or ''}".strip()
    body = response.text or ""
    if not body.strip():
        return fallback
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    else:
        if isinstance(data, str) and data.strip():
            return _shorten(data)
        if isinstance(data, dict):
            error = data.get("error")
            if isinstance(error, dict) and error.get("message"):
                return _shorten(str(error["message"]))
            for key in ("message", "detail", "error"):
                value = data.get(key)
                if isinstance(value, str) and value.strip():
                    return _shorten(value)
        return fallback
    if "<" in body and ">" in body:
        title = _TITLE.search(body)
        text = title.group(1) if title else _TAG.sub(" ", body)
        text = _shorten(html.unescape(text))
        return f"{fallback}: {text}" if text and text not in fallback else fallback
    return _shorten(body)


def request_id_of(response: requests.Response) -> str | None:
    header = response.headers.get("x-request-id") or response.headers.get("request-id")
    if header:
        return header[:100]
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("request_id"), str):
        return data["request_id"][:100]
    return None


def _nothing_was_sent(error: requests.ConnectionError) -> bool:
    """True when the connection failed before the request could reach the API."""
    if isinstance(error, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


class BriaClient:
    """Create, list and read projects; one pooled `requests` session per thread.

    `mount` lets the sandbox (or a test) stand in for the network while the same
    code builds requests, reads answers and translates failures.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float,
        connect_timeout: float = 5.0,
        mount: Callable[[], BaseAdapter] | None = None,
        pool_size: int = 32,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = (min(connect_timeout, timeout), timeout)
        self._mount = mount
        self._pool_size = pool_size
        self._local = threading.local()

    def __repr__(self) -> str:  # never show the token, even in a debugger
        return f"BriaClient(base_url={self.base_url!r}, token=<redacted>)"

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"api_token": self._token, "Accept": "application/json"})
            # The environment (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE) is read once
            # here rather than by requests on every call, where it cost 0.6 ms a call.
            session.trust_env = False
            session.proxies = requests.utils.get_environ_proxies(self.base_url)
            session.verify = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            )
            adapter = (
                self._mount()
                if self._mount
                else HTTPAdapter(pool_connections=1, pool_maxsize=self._pool_size, max_retries=0)
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._local.session = session
        return session

    def create_project(self, payload: dict[str, str]) -> dict[str, Any]:
        response = self._call("POST", PROJECTS_PATH, json=payload)
        if response.status_code != 201:
            raise BriaBadResponse(
                f"The API answered {response.status_code} instead of 201 Created",
                response.status_code,
                request_id_of(response),
            )
        return self._json_object(response)

    def list_projects(self) -> list[dict[str, Any]]:
        response = self._call("GET", PROJECTS_PATH)
        data = self._json(response)
        if not isinstance(data, list) or not all(isinstance(p, dict) for p in data):
            raise BriaBadResponse("The API's list of projects is not a list", response.status_code)
        return data

    def get_project(self, project_id: int) -> dict[str, Any]:
        return self._json_object(self._call("GET", f"{PROJECTS_PATH}/{int(project_id)}"))

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except requests.JSONDecodeError:
            raise BriaBadResponse(
                f"The API answered {response.status_code} with something that is not JSON",
                response.status_code,
                request_id_of(response),
            ) from None

    def _json_object(self, response: requests.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict) or "id" not in data:
            raise BriaBadResponse(
                "The API's answer has no project in it",
                response.status_code,
                request_id_of(response),
            )
        return data

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request; retry only when the connection failed before sending."""
        url = self.base_url + path
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            started = time.perf_counter()
            try:
                response = self.session.send(
                    self._prepare(method, url, **kwargs),
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as error:
                self._log(method, path, type(error).__name__, started, None)
                failure = self._translate(error)
                if isinstance(failure, BriaUnreachable) and attempt < CONNECT_ATTEMPTS:
                    time.sleep(CONNECT_RETRY_PAUSE_SECONDS)
                    continue
                raise failure from None
            request_id = (
                request_id_of(response)
                if response.status_code >= 400
                else (response.headers.get("x-request-id"))
            )
            self._log(method, path, str(response.status_code), started, request_id)
            if response.status_code >= 300:
                raise self._failure_for(response, request_id)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _prepare(self, method: str, url: str, json: Any = None) -> requests.PreparedRequest:
        """Build the request from the session's headers alone. `Session.request` would
        also merge cookies, auth, hooks and query parameters this client never uses,
        which cost more than the rest of the call on a local API."""
        prepared = requests.PreparedRequest()
        prepared.prepare(method=method, url=url, headers=self.session.headers, json=json, params="")
        return prepared

    def _failure_for(self, response: requests.Response, request_id: str | None) -> BriaError:
        status = response.status_code
        message = self._redact(message_from_body(response))
        if status in _REFUSALS:
            return _REFUSALS[status](message, status, request_id)
        if status >= 500:
            return BriaServerError(message, status, request_id)
        if 300 <= status < 400:
            return BriaBadResponse(
                f"The API redirected to another address ({status}); it was not followed",
                status,
                request_id,
            )
        return BriaRefused(message, status, request_id)

    def _translate(self, error: requests.RequestException) -> BriaError:
        if isinstance(error, requests.ConnectionError) and _nothing_was_sent(error):
            return BriaUnreachable("Could not connect to the Bria API")
        if isinstance(error, requests.Timeout):
            return BriaTimeout(f"The Bria API did not answer within {self.timeout[1]:g} seconds")
        if isinstance(error, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            return BriaConnectionBroken("The connection to the Bria API broke before it answered")
        return BriaBadResponse("The Bria API's answer could not be read")

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "[redacted]") if self._token else text

    def _log(
        self, method: str, path: str, outcome: str, started: float, request_id: str | None
    ) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info(
            "bria_api method=%s path=%s status=%s elapsed_ms=%.1f request_id=%s",
            method,
            path,
            outcome,
            elapsed_ms,
            request_id or "-",
        )
