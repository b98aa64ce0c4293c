"""The one way the app talks to Bria: `Transport.call`.

Everything every endpoint shares lives here, once: a pool of keep-alive connections
per process, connect and read timeouts and a deadline for the whole call that grows
with the size of what is sent, urllib3's `Retry` for a connection that never opened
(nothing was sent) and never for anything else, no redirects followed (a redirect
would carry the token elsewhere), the request budget and the bound on calls waiting
at once (`admission`), one log line per call, and every failure turned into one of
the three `BriaError` kinds with Bria's own reason, the token redacted.

`adapter` is the seam where the sandbox (or a test) stands in for the network: the
same code builds requests, reads answers and translates failures in every mode.
"""

from __future__ import annotations

import ipaddress
import json as jsonlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry

from webapp.bria.errors import (
    BAD_RESPONSE,
    BROKEN,
    SERVER_ERROR,
    TIMEOUT,
    UNREACHABLE,
    BriaError,
    BriaNotSent,
    BriaUnconfirmed,
    refusal,
)
from webapp.bria.transport.bodies import (
    Answer,
    message_from_body,
    request_id_of,
    retry_after_of,
)
from webapp.bria.transport.budget import Admission
from webapp.bria.transport.deadline import DeadlineAdapter, deadline

log = logging.getLogger("webapp.bria")

#: The largest answer read from Bria: a list of 50,000 projects is about 25 MB.
MAX_ANSWER_BYTES = 32 * 2**20
#: A whole call (connect, send, every byte of the answer) may take the timeout and this…
DEADLINE_MARGIN = 1.0
#: …and, for what it sends, the time this slow a link takes: a 15 MB image on a
#: 1 Mbit/s uplink is not cut off for being large.
SLOWEST_UPLOAD_BYTES_PER_SECOND = 128 * 1024


def connect_retry() -> Retry:
    """Send again only when the connection failed before anything was sent (once)."""
    return Retry(total=None, connect=1, read=False, redirect=False, status=0, other=0)


def body_size(json: Any = None, files: Mapping[str, Any] | None = None) -> int:
    """About how many bytes a call sends: what its deadline must allow for."""
    size = len(jsonlib.dumps(json)) if json is not None else 0
    for value in (files or {}).values():
        content = value[1] if isinstance(value, tuple) else value
        if isinstance(content, (bytes, bytearray)):
            size += len(content)
        elif hasattr(content, "fileno"):
            size += os.fstat(content.fileno()).st_size
    return size


def origin_of(url: str) -> str:
    """scheme://host[:port] of an address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _is_private(host: str | None) -> bool:
    if not host or host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


class _TooLarge(Exception):
    pass


def _read_whole(response: requests.Response, limit: int) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
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


class Transport:
    """Calls to one Bria base URL with one token; see the module's docstring.

    Each thread has its own `requests.Session` (sessions are not made to be shared
    between threads), and every session mounts the same adapter, whose pool is shared.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float,
        connect_timeout: float = 5.0,
        adapter: BaseAdapter | None = None,
        pool_size: int = 32,
        admission: Admission | None = None,
        v2_url: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: Generation lives on Bria's v2 path: on the base URL's own host unless set.
        self.v2_url = (v2_url or f"{origin_of(self.base_url)}/v2").rstrip("/")
        self.token = token
        self.timeout = (min(connect_timeout, timeout), timeout)
        self._adapter = adapter or DeadlineAdapter(
            pool_connections=1, pool_maxsize=pool_size, max_retries=connect_retry()
        )
        self.admission = admission or Admission()
        self._local = threading.local()

    def __repr__(self) -> str:  # never show the token, even in a debugger
        return f"Transport(base_url={self.base_url!r}, token=<redacted>)"

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"api_token": self.token, "Accept": "application/json"})
            session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
            session.mount("https://", self._adapter)
            session.mount("http://", self._adapter)
            self._local.session = session
        return session

    @property
    def plain_session(self) -> requests.Session:
        """A session without the token, for files at addresses Bria hands out."""
        session = getattr(self._local, "plain_session", None)
        if session is None:
            session = requests.Session()
            session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
            session.mount("https://", self._adapter)
            session.mount("http://", self._adapter)
            self._local.plain_session = session
        return session

    def is_bria(self, url: str) -> bool:
        """Whether `url` is on one of Bria's own hosts (the base URL's or the v2 URL's):
        the only addresses the token is ever sent to."""
        return origin_of(url) in (origin_of(self.base_url), origin_of(self.v2_url))

    def download(self, url: str, max_bytes: int) -> bytes:
        """A file Bria made (a generated image) from the address it gave, without the token.

        Only https addresses (or Bria's own hosts) are fetched, and at most `max_bytes`."""
        parts = urlsplit(url)
        if parts.scheme != "https" and not self.is_bria(url):
            raise BriaUnconfirmed(BAD_RESPONSE, "Bria gave an address that is not https")
        if _is_private(parts.hostname) and not self.is_bria(url):
            raise BriaUnconfirmed(BAD_RESPONSE, "Bria gave an address inside this network")
        limit = self.deadline_for(0)
        with deadline(limit) as watched:
            started = time.perf_counter()
            try:
                with self.plain_session.get(
                    url, timeout=self.timeout, allow_redirects=False, stream=True
                ) as streamed:
                    if streamed.status_code != 200:
                        raise BriaUnconfirmed(
                            BAD_RESPONSE, f"The file's address answered {streamed.status_code}"
                        )
                    announced = streamed.headers.get("Content-Length", "")
                    if announced.isdigit() and int(announced) > max_bytes:
                        raise _TooLarge()  # said up front: not a byte of it is read
                    content = _read_whole(streamed, max_bytes)
            except _TooLarge:
                raise BriaUnconfirmed(
                    BAD_RESPONSE, f"The file is larger than {max_bytes // 2**20} MB"
                ) from None
            except requests.RequestException as error:
                if watched.expired:
                    raise BriaUnconfirmed(TIMEOUT, "The file did not arrive in time") from None
                raise self._translate(error) from None
            finally:
                self._log("GET", urlsplit(url).path, "download", started, None)
        return content

    def deadline_for(self, sent_bytes: int) -> float:
        """Seconds the whole of a call that sends `sent_bytes` may take."""
        return self.timeout[1] + DEADLINE_MARGIN + sent_bytes / SLOWEST_UPLOAD_BYTES_PER_SECOND

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        max_answer_bytes: int | None = None,
        base: str | None = None,
    ) -> Answer:
        """Send one request and read its whole answer; any status of 300 or more raises.

        `path` follows the base URL (or `base`, one of Bria's own: the v2 URL). urllib3
        sends it again only if the connection never opened. An answer larger than
        `max_answer_bytes` is not read."""
        limit = self.deadline_for(body_size(json, files))
        max_answer_bytes = max_answer_bytes or MAX_ANSWER_BYTES
        with self.admission(method), deadline(limit) as watched:
            started = time.perf_counter()
            try:
                with self.session.request(
                    method,
                    (base or self.base_url) + path,
                    json=json,
                    files=files,
                    data=data,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                ) as streamed:
                    answer = Answer(
                        streamed.status_code,
                        streamed.reason or "",
                        streamed.headers,
                        _read_whole(streamed, max_answer_bytes),
                    )
            except _TooLarge:
                self._log(method, path, "TooLarge", started, None)
                raise BriaUnconfirmed(
                    BAD_RESPONSE,
                    f"The API's answer was larger than {max_answer_bytes // 2**20} MB",
                ) from None
            except UnicodeError:  # a header (a Location) that is not text
                self._log(method, path, "UnreadableHeader", started, None)
                raise BriaUnconfirmed(
                    BAD_RESPONSE, "The Bria API's answer could not be read"
                ) from None
            except requests.RequestException as error:
                self._log(method, path, type(error).__name__, started, None)
                if watched.expired:
                    raise BriaUnconfirmed(
                        TIMEOUT, f"The Bria API did not finish answering within {limit:g} seconds"
                    ) from None
                raise self._translate(error) from None
        request_id = request_id_of(answer, self.token)
        self._log(method, path, str(answer.status_code), started, request_id)
        if answer.status_code >= 300:
            raise self._failure_for(answer, request_id)
        return answer

    def json_of(self, answer: Answer) -> Any:
        """The answer's body as JSON, or `BriaUnconfirmed` when it is not JSON."""
        try:
            return answer.json()
        except ValueError:
            raise self.unreadable(
                answer, f"The API answered {answer.status_code} with something that is not JSON"
            ) from None

    def unreadable(self, answer: Answer, message: str) -> BriaUnconfirmed:
        """An answer that is not in the shape the app relies on."""
        return BriaUnconfirmed(
            BAD_RESPONSE, message, answer.status_code, request_id_of(answer, self.token)
        )

    def _failure_for(self, answer: Answer, request_id: str | None) -> BriaError:
        status = answer.status_code
        message = message_from_body(answer, self.token)
        if status == 429:
            retry_after = retry_after_of(answer)
            self.admission.rate_limited(retry_after)
            return refusal(status, message, request_id, retry_after)
        if 400 <= status < 500:
            return refusal(status, message, request_id)
        if status >= 500:
            return BriaUnconfirmed(SERVER_ERROR, message, status, request_id)
        return BriaUnconfirmed(
            BAD_RESPONSE,
            f"The API redirected to another address ({status}); it was not followed",
            status,
            request_id,
        )

    def _translate(self, error: requests.RequestException) -> BriaError:
        if isinstance(error, requests.ConnectionError) and _nothing_was_sent(error):
            return BriaNotSent(UNREACHABLE, "Could not connect to the Bria API")
        if isinstance(error, requests.Timeout):
            return BriaUnconfirmed(
                TIMEOUT, f"The Bria API did not answer within {self.timeout[1]:g} seconds"
            )
        if isinstance(error, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            return BriaUnconfirmed(
                BROKEN, "The connection to the Bria API broke before it answered"
            )
        return BriaUnconfirmed(BAD_RESPONSE, "The Bria API's answer could not be read")

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
