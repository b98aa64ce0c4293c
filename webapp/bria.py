"""`BriaClient`: the server-side proxy to Bria's Tailored Generation project endpoints.

Every failure leaves this module as a `BriaError` subclass carrying a status and
a message read from whatever the API sent, so that views never see `requests`
exceptions and never have to guess whether a project may have been created.
Every answer is checked here too: what reaches the rest of the app has the
shape the app relies on, whatever Bria (or something in between) sent.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Protocol

import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry

from webapp.deadline import DeadlineAdapter, deadline
from webapp.rules import REQUEST_FIELDS

log = logging.getLogger("webapp.bria")

PROJECTS_PATH = "/tailored-gen/projects"
MESSAGE_LIMIT = 300
#: The largest answer read from Bria: a list of 50,000 projects is about 25 MB.
MAX_ANSWER_BYTES = 32 * 2**20
#: The app keeps project ids in 32-bit columns, as Bria's own ids are.
LARGEST_PROJECT_ID = 2**31 - 1
#: A whole answer (connect, send, every byte of the body) may take the timeout and this.
DEADLINE_MARGIN = 1.0
#: Text fields of a project the app shows or compares; each must be text or absent.
PROJECT_TEXT_FIELDS = (*REQUEST_FIELDS, "status", "created_at", "updated_at")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class Answer:
    """What Bria sent back, read whole (within `MAX_ANSWER_BYTES`)."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not."""
        return json.loads(self.content)


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


class BriaNotSent(BriaError):
    """Nothing reached the API, so nothing was created or changed."""


class BriaUnreachable(BriaNotSent):
    """Could not connect at all."""


class BriaBudgetSpent(BriaNotSent):
    """The organisation's requests for this minute are used up; `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"The Bria request budget is spent for {retry_after:.0f} seconds")
        self.retry_after = retry_after


class BriaBusy(BriaNotSent):
    """Too many requests of this process are already waiting on Bria."""


class BriaRefused(BriaError):
    """The API answered with a 4xx: nothing was created or changed."""


class BriaBadRequest(BriaRefused):
    """400: the API did not accept the fields sent; `message` is its own reason."""


class BriaUnauthorized(BriaRefused):
    """401: the server's token was refused."""


class BriaForbidden(BriaRefused):
    """403: quota exceeded or the plan does not include this product."""


class BriaNotFound(BriaRefused):
    """404: the organisation has no such project."""


class BriaConflict(BriaRefused):
    """409: the project cannot be deleted while one of its models is training."""


class BriaRateLimited(BriaRefused):
    """429: too many requests for the organisation's plan."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status, request_id)
        self.retry_after = retry_after


class BriaServerError(BriaError):
    """5xx: Bria had a problem; it may have done what was asked before failing."""

    outcome_unknown = True


class BriaTimeout(BriaError):
    """No whole answer in time after the request was sent."""

    outcome_unknown = True


class BriaConnectionBroken(BriaError):
    """The connection broke after the request may have been sent."""

    outcome_unknown = True


class BriaBadResponse(BriaError):
    """The API answered, but not in a shape we understand."""

    outcome_unknown = True


class BriaCreatedUnreadable(BriaError):
    """201 Created, so the project exists, but the answer says nothing usable about it."""


_REFUSALS: dict[int, type[BriaRefused]] = {
    400: BriaBadRequest,
    401: BriaUnauthorized,
    403: BriaForbidden,
    404: BriaNotFound,
    409: BriaConflict,
}

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
#: The shortest piece of the token worth hiding when a cut leaves only its start.
_SHORTEST_TOKEN_PIECE = 4
#: Any longer piece of the token, anywhere in a message, is hidden.
_LONGEST_SAFE_PIECE = 7


def redact(text: str, token: str) -> str:
    """Hide the token, any piece of it that is long enough to help guess the rest, and
    any start of it that ends the text (a message cut mid-token)."""
    if not token:
        return text
    text = text.replace(token, "[redacted]")
    kept, position = [], 0
    while position < len(text):
        longest = next(
            (
                length
                for length in range(min(len(token), len(text) - position), _LONGEST_SAFE_PIECE, -1)
                if text[position : position + length] in token
            ),
            0,
        )
        if longest:
            kept.append("[redacted]")
            position += longest
        else:
            kept.append(text[position])
            position += 1
    text = "".join(kept)
    for length in range(len(token) - 1, _SHORTEST_TOKEN_PIECE - 1, -1):
        if text.endswith(token[:length]):
            return text[: len(text) - length] + "[redacted]"
    return text


def _shorten(text: str, token: str) -> str:
    """Redact, then cut to `MESSAGE_LIMIT`, then redact what the cut may have exposed."""
    text = redact(_SPACE.sub(" ", text).strip(), token)
    if len(text) > MESSAGE_LIMIT:
        text = redact(text[: MESSAGE_LIMIT - 1], token) + "…"
    return text


def message_from_body(response: Answer, token: str = "") -> str:
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
            return _shorten(data, token)
        if isinstance(data, dict):
            error = data.get("error")
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                return _shorten(error["message"], token)
            for key in ("message", "detail", "error"):
                value = data.get(key)
                if isinstance(value, str) and value.strip():
                    return _shorten(value, token)
        return fallback
    if "<" in body and ">" in body:
        title = _TITLE.search(body)
        text = _shorten(html.unescape(title.group(1) if title else _TAG.sub(" ", body)), token)
        return f"{fallback}: {text}" if text and text not in fallback else fallback
    return _shorten(body, token)


def safe_request_id(value: object, token: str = "") -> str | None:
    """A request id fit for a log line and a page: a short run of safe characters.

    Anything else (a newline that would forge a log line, the token quoted back)
    is not kept at all."""
    if not isinstance(value, str) or not _REQUEST_ID.match(value):
        return None
    return value if redact(value, token) == value else None


def request_id_of(response: Answer, token: str = "") -> str | None:
    header = response.headers.get("x-request-id") or response.headers.get("request-id")
    if header:
        return safe_request_id(header, token)
    try:
        data = response.json()
    except ValueError:
        return None
    return safe_request_id(data.get("request_id"), token) if isinstance(data, dict) else None


def _retry_after(response: Answer) -> float | None:
    raw = response.headers.get("retry-after", "")
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None


class _TooLarge(Exception):
    pass


def _read_whole(response: requests.Response) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise _TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _nothing_was_sent(error: requests.ConnectionError) -> bool:
    """True when the connection failed before the request could reach the API."""
    if isinstance(error, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def well_formed_project(data: object) -> bool:
    """A project the app can show and compare: a positive integer id, text fields text."""
    if not isinstance(data, dict):
        return False
    project_id = data.get("id")
    if not isinstance(project_id, int) or isinstance(project_id, bool):
        return False
    if not 0 < project_id <= LARGEST_PROJECT_ID:
        return False
    if not isinstance(data.get("project_name"), str):
        return False
    return all(
        data.get(name) is None or isinstance(data.get(name), str) for name in PROJECT_TEXT_FIELDS
    )


class ProjectList:
    """Bria's list of projects (one JSON array, no pages), read a batch at a time.

    An organisation's list can hold tens of thousands of projects; parsing it whole
    would hold them all as Python objects at once in each worker that reads it. The
    array is decoded entry by entry instead, so only one batch is alive at a time.
    Malformed entries are left out, and counted in one log line at the end."""

    def __init__(self, text: str, status: int) -> None:
        self._text = text
        self._status = status

    def batches(self, size: int = 500) -> Iterator[list[dict[str, Any]]]:
        decoder, text = json.JSONDecoder(), self._text
        position = _skip_space(text, 0)
        if not text.startswith("[", position):
            raise BriaBadResponse("The API's list of projects is not a list", self._status)
        position = _skip_space(text, position + 1)
        batch: list[dict[str, Any]] = []
        seen = left_out = 0
        while not text.startswith("]", position):
            try:
                entry, position = decoder.raw_decode(text, position)
            except ValueError:
                raise BriaBadResponse(
                    "The API's list of projects is not JSON", self._status
                ) from None
            seen += 1
            if well_formed_project(entry):
                batch.append(entry)
            else:
                left_out += 1
            if len(batch) >= size:
                yield batch
                batch = []
            position = _skip_space(text, position)
            if text.startswith(",", position):
                position = _skip_space(text, position + 1)
            elif not text.startswith("]", position):
                raise BriaBadResponse("The API's list of projects is not JSON", self._status)
        if _skip_space(text, position + 1) != len(text):
            raise BriaBadResponse("The API's list of projects is not JSON", self._status)
        if batch:
            yield batch
        if left_out:
            log.warning(
                "bria_api left out %d malformed entries of %d in the list of projects",
                left_out,
                seen,
            )


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def connect_retry() -> Retry:
    """Send again only when the connection failed before anything was sent (once)."""
    return Retry(total=None, connect=1, read=False, redirect=False, status=0, other=0)


class Admission(Protocol):
    """Asked before every call; raises a `BriaNotSent` when the call may not go."""

    def __call__(self, method: str) -> AbstractContextManager[None]: ...

    def rate_limited(self, retry_after: float | None) -> None:
        """Bria answered 429: hold back for `retry_after` seconds (or a minute)."""


class _Unlimited:
    def __call__(self, method: str) -> AbstractContextManager[None]:
        return nullcontext()

    def rate_limited(self, retry_after: float | None) -> None:
        return None


class BriaClient:
    """List, read, create, change and delete projects.

    One pool of keep-alive connections per process: each thread has its own
    `requests.Session` (sessions are not made to be shared between threads), and
    every session mounts the same adapter, whose pool is shared. `mount` lets the
    sandbox (or a test) stand in for the network while the same code builds
    requests, reads answers and translates failures. `admission` is asked before
    every call (the request budget, the bound on calls waiting at once); it
    raises a `BriaNotSent` when the call may not go.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float,
        connect_timeout: float = 5.0,
        mount: BaseAdapter | None = None,
        pool_size: int = 32,
        admission: Admission | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = (min(connect_timeout, timeout), timeout)
        self._adapter = mount or DeadlineAdapter(
            pool_connections=1, pool_maxsize=pool_size, max_retries=connect_retry()
        )
        self._admission: Admission = admission or _Unlimited()
        self._local = threading.local()

    def __repr__(self) -> str:  # never show the token, even in a debugger
        return f"BriaClient(base_url={self.base_url!r}, token=<redacted>)"

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"api_token": self._token, "Accept": "application/json"})
            session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
            session.mount("https://", self._adapter)
            session.mount("http://", self._adapter)
            self._local.session = session
        return session

    # -- the endpoints -------------------------------------------------------

    def list_projects(self) -> list[dict[str, Any]]:
        """Every project the organisation has; malformed entries are left out (and logged)."""
        return [project for batch in self.read_project_list().batches() for project in batch]

    def read_project_list(self) -> ProjectList:
        """The list of projects as Bria sent it, to be read a batch at a time."""
        response = self._call("GET", PROJECTS_PATH)
        return ProjectList(response.text, response.status_code)

    def get_project(self, project_id: int) -> dict[str, Any]:
        return self._project(self._call("GET", f"{PROJECTS_PATH}/{int(project_id)}"))

    def create_project(self, payload: dict[str, str]) -> dict[str, Any]:
        """POST the project; a 201 whose body is unusable raises `BriaCreatedUnreadable`."""
        response = self._call("POST", PROJECTS_PATH, json=payload)
        if response.status_code != 201:
            raise BriaBadResponse(
                f"The API answered {response.status_code} instead of 201 Created",
                response.status_code,
                request_id_of(response, self._token),
            )
        try:
            data = response.json()
        except ValueError:
            data = None
        if not well_formed_project(data):
            raise BriaCreatedUnreadable(
                "Bria said the project was created, but its answer could not be read",
                response.status_code,
                request_id_of(response, self._token),
            )
        return data

    def update_project(self, project_id: int, changes: dict[str, str]) -> dict[str, Any]:
        return self._project(self._call("PUT", f"{PROJECTS_PATH}/{int(project_id)}", json=changes))

    def delete_project(self, project_id: int) -> None:
        self._call("DELETE", f"{PROJECTS_PATH}/{int(project_id)}")

    # -- one call -----------------------------------------------------------

    def _json(self, response: Answer) -> Any:
        try:
            return response.json()
        except ValueError:
            raise BriaBadResponse(
                f"The API answered {response.status_code} with something that is not JSON",
                response.status_code,
                request_id_of(response, self._token),
            ) from None

    def _project(self, response: Answer) -> dict[str, Any]:
        data = self._json(response)
        if not well_formed_project(data):
            raise BriaBadResponse(
                "The API's answer has no readable project in it",
                response.status_code,
                request_id_of(response, self._token),
            )
        return data

    def _call(self, method: str, path: str, json: Any = None) -> Answer:
        """Send one request (urllib3 retries it once if the connection never opened);
        connecting, sending and reading the whole answer end within the timeout + 1 s,
        and an answer larger than `MAX_ANSWER_BYTES` is not read."""
        with self._admission(method), deadline(self.timeout[1] + DEADLINE_MARGIN) as call:
            started = time.perf_counter()
            try:
                with self.session.request(
                    method,
                    self.base_url + path,
                    json=json,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                ) as streamed:
                    response = Answer(
                        streamed.status_code,
                        streamed.reason or "",
                        streamed.headers,
                        _read_whole(streamed),
                    )
            except _TooLarge:
                self._log(method, path, "TooLarge", started, None)
                raise BriaBadResponse(
                    f"The API's answer was larger than {MAX_ANSWER_BYTES // 2**20} MB"
                ) from None
            except UnicodeError:  # a header (a Location) that is not text
                self._log(method, path, "UnreadableHeader", started, None)
                raise BriaBadResponse("The Bria API's answer could not be read") from None
            except requests.RequestException as error:
                self._log(method, path, type(error).__name__, started, None)
                if call.expired:
                    raise BriaTimeout(
                        f"The Bria API did not finish answering within {self.timeout[1]:g} seconds"
                    ) from None
                raise self._translate(error) from None
        request_id = request_id_of(response, self._token)
        self._log(method, path, str(response.status_code), started, request_id)
        if response.status_code >= 300:
            raise self._failure_for(response, request_id)
        return response

    def _failure_for(self, response: Answer, request_id: str | None) -> BriaError:
        status = response.status_code
        message = message_from_body(response, self._token)
        if status == 429:
            retry_after = _retry_after(response)
            self._admission.rate_limited(retry_after)
            return BriaRateLimited(message, status, request_id, retry_after)
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
