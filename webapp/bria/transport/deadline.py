"""A deadline for the whole of one call to Bria: connect, send and read together.

`requests` (through urllib3) bounds each wait for data, not the answer: an API that
trickles its body a byte a second never trips a two-second read timeout. Here a call
runs inside `deadline(seconds)`; the connections it uses register their sockets, and
one watchdog thread per process shuts down the sockets of a call that is past its
deadline, so the waiting thread gets an error at once (reported as a timeout).

The sockets are found through urllib3's own extension points: a transport adapter
(`DeadlineAdapter`) whose pools use connection classes that register their socket
as soon as they connect or send.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

TICK_SECONDS = 0.1


class Call:
    """One call's deadline and the sockets it waits on."""

    def __init__(self, ends_at: float) -> None:
        self.ends_at = ends_at
        self.sockets: list[socket.socket] = []
        self.expired = False
        self._lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None or sock in self.sockets:
            return
        with _OWNERS_LOCK:
            _OWNERS[sock] = self
        with self._lock:
            self.sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)  # registered after the deadline passed

    def sending_time(self) -> float:
        """The socket's timeout while a body is sent: past the deadline, so that the
        watchdog, not the socket, ends a call that runs out of time (and it is told
        as a timeout)."""
        return max(self.ends_at - time.monotonic(), 0.0) + 1.0

    def expire(self) -> None:
        """Shut the sockets this call still waits on. A socket it finished with and gave
        back to the pool may belong to another call by now: that one is left alone."""
        with self._lock:
            self.expired = True
            sockets = list(self.sockets)
        for sock in sockets:
            with _OWNERS_LOCK:
                mine = _OWNERS.get(sock) is self
            if mine:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


#: Which call last waited on each socket (a pooled connection serves many calls).
_OWNERS: weakref.WeakKeyDictionary[socket.socket, Call] = weakref.WeakKeyDictionary()
_OWNERS_LOCK = threading.Lock()
_current: contextvars.ContextVar[Call | None] = contextvars.ContextVar("bria_call", default=None)


class _Watchdog:
    def __init__(self) -> None:
        self._calls: set[Call] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, call: Call) -> None:
        with self._lock:
            self._calls.add(call)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="bria-deadline", daemon=True)
                self._thread.start()

    def forget(self, call: Call) -> None:
        with self._lock:
            self._calls.discard(call)

    def _run(self) -> None:
        while True:
            time.sleep(TICK_SECONDS)
            now = time.monotonic()
            with self._lock:
                late = [call for call in self._calls if call.ends_at <= now]
                self._calls.difference_update(late)
            for call in late:
                call.expire()


_WATCHDOG = _Watchdog()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Call]:
    """Run one call to Bria within `seconds`, whatever it waits on."""
    call = Call(time.monotonic() + seconds)
    token = _current.set(call)
    _WATCHDOG.watch(call)
    try:
        yield call
    finally:
        _WATCHDOG.forget(call)
        _current.reset(token)


class _Watched:
    """Registers the socket with the current call from the moment it is connected or
    reused, and lets the request's body take what is left of the deadline.

    Python bounds a whole `sendall` by the socket's timeout, not each write, and urllib3
    sends a body in one `sendall` under the connect or read timeout: a 20 MB image on a
    slow uplink would be cut after a few seconds, however long its deadline. The watchdog
    bounds the send instead, as it bounds the answer."""

    sock: socket.socket | None
    timeout: float | None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        call = _current.get()
        if call is not None and self.sock is not None:
            call.add(self.sock)
            self.sock.settimeout(call.sending_time())

    def request(self, *args: Any, **kwargs: Any) -> Any:
        call = _current.get()
        if call is not None and self.sock is not None:  # a kept-alive connection
            call.add(self.sock)
            self.timeout = call.sending_time()  # urllib3 sets it on the socket before sending
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        call = _current.get()
        if call is not None:
            call.add(self.sock)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


POOL_CLASSES = {"http": _WatchedHTTPConnectionPool, "https": _WatchedHTTPSConnectionPool}


class DeadlineAdapter(HTTPAdapter):
    """An `HTTPAdapter` whose connections honour the current call's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = POOL_CLASSES
        return manager
