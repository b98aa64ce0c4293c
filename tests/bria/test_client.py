"""The Bria client over real HTTP: the exact requests it sends and how it reads answers."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import time
from contextlib import contextmanager

import pytest
import urllib3.util.connection

from tests.conftest import TOKEN
from tests.support.bria import bria_failure, make_client
from tests.support.fake_api import Scripted
from tests.support.processes import free_port
from webapp.bria import transport
from webapp.bria.errors import (
    BriaError,
    BriaNotSent,
    BriaRefused,
    BriaUnconfirmed,
    budget_spent,
)
from webapp.bria.projects import ProjectList
from webapp.bria.transport import DEADLINE_MARGIN, bodies
from webapp.bria.transport.bodies import Answer


@pytest.fixture
def api_client(fake_api):
    return make_client(fake_api.base_url, timeout=1.0, connect_timeout=0.5)


def test_create_posts_exactly_the_payload_with_the_token_header(api_client, fake_api):
    payload = {"project_name": "Icons", "ip_medium": "illustration", "ip_type": "icons"}

    project = api_client.projects.create(payload)

    [sent] = fake_api.fake.received
    assert (sent.method, sent.path) == ("POST", "/v1/tailored-gen/projects")
    assert sent.body == payload
    assert sent.headers["api_token"] == TOKEN
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Accept"] == "application/json"
    assert "Cookie" not in sent.headers
    assert project["id"] == 1 and project["project_name"] == "Icons"


def test_list_get_change_and_delete_send_exactly_what_the_api_documents(api_client, fake_api):
    fake_api.fake.add_project(project_name="A", ip_type="defined_character", ip_name="Lora")
    assert [p["project_name"] for p in api_client.projects.list()] == ["A"]
    assert api_client.projects.get(1)["project_name"] == "A"
    changed = api_client.projects.update(1, {"project_name": "B", "ip_name": "Mira"})
    assert changed["project_name"] == "B" and changed["ip_name"] == "Mira"
    assert api_client.projects.delete(1) is None
    assert [(r.method, r.path, r.body) for r in fake_api.fake.received] == [
        ("GET", "/v1/tailored-gen/projects", None),
        ("GET", "/v1/tailored-gen/projects/1", None),
        ("PUT", "/v1/tailored-gen/projects/1", {"project_name": "B", "ip_name": "Mira"}),
        ("DELETE", "/v1/tailored-gen/projects/1", None),
    ]
    assert all(r.headers["api_token"] == TOKEN for r in fake_api.fake.received)
    assert fake_api.fake.projects == []


def test_threads_share_one_pool_of_kept_alive_connections(api_client, fake_api):
    def one_call() -> None:
        api_client.projects.list()

    for _ in range(6):  # six threads, one after another: one connection serves them all
        thread = threading.Thread(target=one_call)
        thread.start()
        thread.join()
    assert len(fake_api.fake.received) == 6
    assert fake_api.fake.connections == 1


@pytest.mark.parametrize(
    ("scripted", "kind", "message"),
    [
        (
            Scripted(400, {"error": {"code": "validation", "message": "ip_name is required"}}),
            "bad_request",
            "ip_name is required",
        ),
        (Scripted(401, ""), "unauthorized", "HTTP 401 Unauthorized"),
        (
            Scripted(403, json.dumps("Quota exceeded: Free users can make up to 1000 requests")),
            "forbidden",
            "Quota exceeded: Free users can make up to 1000 requests",
        ),
        (
            Scripted(403, "Access denied: no Tailored Generation", "text/plain"),
            "forbidden",
            "Access denied: no Tailored Generation",
        ),
        (
            Scripted(409, {"error": {"message": "Models are training"}}),
            "conflict",
            "Models are training",
        ),
        (
            Scripted(429, {"message": "Too many requests"}),
            "rate_limited",
            "Too many requests",
        ),
        (
            Scripted(500, {"error": {"message": "Internal error"}}),
            "server_error",
            "Internal error",
        ),
        (
            Scripted(
                502,
                "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                "text/html",
            ),
            "server_error",
            "HTTP 502 Bad Gateway",
        ),
        (Scripted(503, ""), "server_error", "HTTP 503 Service Unavailable"),
        (
            Scripted(200, {"id": 1}),
            "bad_response",
            "The API answered 200 instead of 201 Created",
        ),
        (
            Scripted(302, ""),
            "bad_response",
            "The API redirected to another address (302); it was not followed",
        ),
    ],
)
def test_every_answer_becomes_a_typed_error_with_the_apis_reason(
    api_client, fake_api, scripted, kind, message
):
    fake_api.fake.answer_next(scripted)
    with bria_failure(kind) as raised:
        api_client.projects.create({"project_name": "P"})
    assert raised.value.message == message
    assert raised.value.status == scripted.status
    assert len(fake_api.fake.posts()) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("created!", id="not-json"),
        pytest.param({"id": None, "project_name": "P"}, id="id-null"),
        pytest.param({"id": "abc", "project_name": "P"}, id="id-text"),
        pytest.param({"id": True, "project_name": "P"}, id="id-boolean"),
        pytest.param({"id": 7, "project_name": ["P"]}, id="name-a-list"),
        pytest.param({"id": 7, "project_name": "P", "ip_type": {"x": 1}}, id="type-an-object"),
        pytest.param([], id="a-list"),
    ],
)
def test_a_201_that_cannot_be_read_says_the_project_was_created(api_client, fake_api, body):
    fake_api.fake.answer_next(Scripted(201, body))
    with bria_failure("created_unreadable", BriaError) as raised:
        api_client.projects.create({"project_name": "P"})
    assert not raised.value.outcome_unknown  # created: settled, never retried


def test_malformed_entries_of_the_list_are_left_out_and_logged_once(api_client, fake_api, caplog):
    good = {"id": 1, "project_name": "Good", "ip_type": "icons", "created_at": None}
    listed = [
        good,
        {"id": "2", "project_name": "Id as text"},
        {"id": None, "project_name": "No id"},
        {"id": 4, "project_name": 4},
        {"id": 5, "project_name": ["a"]},
        {"id": 6, "project_name": "Odd type", "ip_type": {"a": 1}},
        "not an object",
    ]
    fake_api.fake.answer_next(Scripted(200, listed))
    with caplog.at_level(logging.WARNING, "webapp.bria"):
        assert api_client.projects.list() == [good]
    assert [r.getMessage() for r in caplog.records] == [
        "bria_api left out 6 malformed entries of 7 in the list of projects"
    ]


def test_a_project_that_cannot_be_read_is_a_bad_response(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(200, {"id": "abc", "project_name": "P"}))
    with bria_failure("bad_response", BriaUnconfirmed):
        api_client.projects.get(1)


def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(307, "", headers={"Location": "http://elsewhere.invalid/"}))
    with bria_failure("bad_response", BriaUnconfirmed):
        api_client.projects.create({"project_name": "P"})
    assert len(fake_api.fake.received) == 1


def test_a_slow_answer_is_a_timeout_with_an_unknown_outcome_and_no_retry(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(201, {"id": 5}, delay=2.0))
    with bria_failure("timeout", BriaUnconfirmed) as raised:
        api_client.projects.create({"project_name": "P"})
    assert raised.value.outcome_unknown
    assert len(fake_api.fake.posts()) == 1


def test_a_dropped_connection_is_broken_with_an_unknown_outcome_and_no_retry(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(drop=True))
    with bria_failure("broken", BriaUnconfirmed) as raised:
        api_client.projects.create({"project_name": "P"})
    assert raised.value.outcome_unknown
    assert len(fake_api.fake.posts()) == 1


@pytest.mark.parametrize("method", ["create", "list"])
def test_an_answer_trickled_a_byte_at_a_time_ends_within_the_timeout_and_a_second(
    api_client, fake_api, method
):
    project = {"id": 9, "project_name": "Slowly"}
    body = project if method == "create" else [project] * 3
    fake_api.fake.answer_next(Scripted(201 if method == "create" else 200, body, trickle=0.3))
    started = time.monotonic()
    with bria_failure("timeout", BriaUnconfirmed) as raised:
        if method == "create":
            api_client.projects.create({"project_name": "P"})
        else:
            api_client.projects.list()
    took = time.monotonic() - started
    # Unbounded, the answer would take 10 s or more; the deadline ends it at 2 s, give or
    # take a busy machine's scheduling.
    assert 1.0 <= took < 1.0 + DEADLINE_MARGIN + 1.5
    assert raised.value.outcome_unknown
    # The next call does not meet the connection that was cut.
    assert api_client.projects.list() == []


def test_an_answer_cut_short_is_a_broken_connection(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(201, {"id": 9, "project_name": "Cut"}, cut=5))
    with bria_failure("broken", BriaUnconfirmed):
        api_client.projects.create({"project_name": "P"})


@pytest.mark.integration
def test_nothing_listening_is_tried_twice_and_known_not_to_have_created(monkeypatch):
    attempts = []
    opening = urllib3.util.connection.create_connection

    def counting(address, *args, **kwargs):
        attempts.append(address)
        return opening(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    port = free_port()  # nothing listens there
    client = make_client(f"http://127.0.0.1:{port}/v1", timeout=1.0)
    with bria_failure("unreachable", BriaNotSent) as raised:
        client.projects.create({"project_name": "P"})
    assert isinstance(raised.value, BriaNotSent)
    assert not raised.value.outcome_unknown
    assert attempts == [("127.0.0.1", port)] * 2  # one retry: nothing was sent


def test_the_token_is_redacted_from_messages_and_repr(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(400, {"error": {"message": f"bad token {TOKEN}"}}))
    with bria_failure("bad_request", BriaRefused) as raised:
        api_client.projects.create({"project_name": "P"})
    assert TOKEN not in str(raised.value)
    assert raised.value.message == "bad token [redacted]"
    assert TOKEN not in repr(api_client)


@pytest.mark.parametrize("offset", [0, 150, bodies.MESSAGE_LIMIT - 10, bodies.MESSAGE_LIMIT - 2])
def test_no_piece_of_the_token_survives_a_long_message_cut_anywhere(offset):
    body = ("x" * offset + TOKEN + " and more words" * 40).encode()
    message = bodies.message_from_body(Answer(400, "Bad Request", {}, body), TOKEN)
    assert len(message) <= bodies.MESSAGE_LIMIT + len("[redacted]")
    for length in range(4, len(TOKEN) + 1):
        assert TOKEN[:length] not in message


def test_a_message_that_itself_ends_in_the_start_of_the_token_hides_it():
    assert bodies.redact(f"quota for {TOKEN[:9]}", TOKEN) == "quota for [redacted]"
    assert bodies.redact("quota for te", TOKEN) == "quota for te"  # too short to be a piece


def test_any_long_piece_of_the_token_is_hidden_wherever_it_stands():
    piece = TOKEN[:12]
    assert bodies.redact(f"Key {piece} has no quota left", TOKEN) == (
        "Key [redacted] has no quota left"
    )
    middle = TOKEN[5:15]
    assert middle not in bodies.redact(f"({middle})", TOKEN)
    assert bodies.redact("test-to has a dash", TOKEN) == "test-to has a dash"  # 7: too short


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("req-1234.abc:5", "req-1234.abc:5"),
        ("abc\ninjected=1", None),
        ("a" * 65, None),
        (f"{TOKEN}", None),
        ("id with spaces", None),
    ],
)
def test_request_ids_are_kept_only_when_short_and_plain(header, kept):
    answer = Answer(400, "Bad Request", {"x-request-id": header}, b"")
    assert bodies.request_id_of(answer, TOKEN) == kept


def test_an_answer_larger_than_the_limit_is_not_read(api_client, fake_api, monkeypatch):
    monkeypatch.setattr(transport, "MAX_ANSWER_BYTES", 1000)
    fake_api.fake.answer_next(Scripted(200, [{"id": 1, "project_name": "x" * 2000}]))
    with bria_failure("bad_response", BriaUnconfirmed) as raised:
        api_client.projects.list()
    assert "larger than" in raised.value.message
    assert api_client.projects.list() == []  # the next answer is read as usual


def test_an_id_beyond_the_apps_range_is_left_out(api_client, fake_api):
    fake_api.fake.answer_next(
        Scripted(200, [{"id": 2**31, "project_name": "Huge"}, {"id": 5, "project_name": "Fine"}])
    )
    assert [p["id"] for p in api_client.projects.list()] == [5]


def test_a_proxy_from_the_environment_is_used(fake_api, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", fake_api.base_url.rsplit("/v1", 1)[0])
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = make_client("http://bria-api.invalid/v1", timeout=2)
    assert client.projects.list() == []
    [sent] = fake_api.fake.received
    assert sent.path == "http://bria-api.invalid/v1/tailored-gen/projects"


class Refusing:
    """An admission that lets nothing go, and remembers what Bria said about limits."""

    def __init__(self) -> None:
        self.paused: list[float | None] = []

    @contextmanager
    def __call__(self, method: str):
        raise budget_spent(12)
        yield

    def rate_limited(self, retry_after: float | None) -> None:
        self.paused.append(retry_after)


class Allowing(Refusing):
    @contextmanager
    def __call__(self, method: str):
        yield


def test_a_call_the_admission_refuses_is_not_sent(fake_api):
    client = make_client(fake_api.base_url, timeout=1, admission=Refusing())
    with bria_failure("budget", BriaNotSent) as raised:
        client.projects.create({"project_name": "P"})
    assert raised.value.retry_after == 12 and isinstance(raised.value, BriaNotSent)
    assert fake_api.fake.received == []


def test_too_many_requests_pauses_the_admission_for_as_long_as_bria_says(fake_api):
    admission = Allowing()
    client = make_client(fake_api.base_url, timeout=1, admission=admission)
    fake_api.fake.answer_next(Scripted(429, "", headers={"Retry-After": "40"}), Scripted(429, ""))
    for _ in range(2):
        with bria_failure("rate_limited", BriaRefused):
            client.projects.list()
    assert admission.paused == [40.0, None]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[{"id": 1, "project_name": "a"}, {"id": 2, "project_name": "b"}]', ["a", "b"]),
        (" \n[ ]\n", []),
        ('[{"id": 1, "project_name": "a"} , "odd", {"id": 3, "project_name": "c"}]', ["a", "c"]),
    ],
)
def test_the_list_is_read_a_batch_at_a_time(text, names):
    batches = list(ProjectList(Answer(200, "OK", {}, text.encode())).batches(size=1))
    assert [p["project_name"] for batch in batches for p in batch] == names
    assert all(len(batch) == 1 for batch in batches)


@pytest.mark.parametrize(
    "text", ['{"projects": []}', "[1, 2", '[{"id": 1, "project_name": "a"}] trailing', "", "[,]"]
)
def test_a_list_that_is_not_a_json_array_is_a_bad_response(text):
    with bria_failure("bad_response", BriaUnconfirmed):
        list(ProjectList(Answer(200, "OK", {}, text.encode())).batches())


@contextmanager
def slow_reader(
    bytes_per_second: int, gives_up_after: float, answer: bytes | None = None, slow_for: float = 0
):
    """An address that takes what it is sent slowly: a poor uplink, as a call sending a
    large image meets it, for `slow_for` seconds (0: all along), then at full speed. Once
    the whole request is in, it sends `answer` (or nothing); after `gives_up_after`
    seconds it hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                started = time.monotonic()
                ends_at = started + gives_up_after
                received = b""
                while not stop.is_set() and time.monotonic() < ends_at:
                    chunk = conn.recv(bytes_per_second // 10)
                    if not chunk:
                        return
                    received += chunk
                    head, _, body = received.partition(b"\r\n\r\n")
                    length = re.search(rb"(?i)content-length: *(\d+)", head)
                    if answer is not None and length and len(body) >= int(length[1]):
                        conn.sendall(answer)
                        return
                    if not slow_for or time.monotonic() < started + slow_for:
                        stop.wait(0.1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        listener.close()
        thread.join(5)


@pytest.mark.integration
def test_a_large_body_on_a_slow_link_has_its_deadline_not_the_timeout():
    # 12 MB (16 MB as base64), slowly for 4 s, four times the 1 s timeout: well within
    # the deadline, which allows for a link sixteen times slower than this one.
    image = json.dumps({"id": 7, "image_name": "slow.jpg"}).encode()
    answer = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
    answer += b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(image), image)
    slow = {"bytes_per_second": 2 * 2**20, "slow_for": 4, "gives_up_after": 60}
    with slow_reader(answer=answer, **slow) as base_url:
        client = make_client(base_url, timeout=1.0, connect_timeout=0.5)
        started = time.monotonic()
        made = client.images.upload(1, b"\xff" * (12 * 2**20), "slow.jpg")
    assert made == {"id": 7, "image_name": "slow.jpg"}
    assert time.monotonic() - started > 3  # it was slow, and it was not cut


@pytest.mark.integration
def test_a_large_body_sent_too_slowly_is_cut_at_the_deadline(monkeypatch):
    # Every write makes progress, so only the call's deadline can end it. Here it allows
    # the timeout, the margin, and 2 s for a link this slow.
    body = b"\xff" * (40 * 2**20)  # far more than the sockets' buffers hold
    monkeypatch.setattr(transport, "SLOWEST_UPLOAD_BYTES_PER_SECOND", len(body) * 4 // 3 // 2)
    with slow_reader(bytes_per_second=256 * 1024, gives_up_after=30) as base_url:
        client = make_client(base_url, timeout=1.0, connect_timeout=0.5)
        started = time.monotonic()
        with bria_failure("timeout", BriaUnconfirmed) as raised:
            client.images.upload(1, body, "slow.jpg")
        took = time.monotonic() - started
    # Cut while still sending, not after the 160 s the whole body would take.
    assert took < 1.0 + DEADLINE_MARGIN + 2 + 3
    assert raised.value.outcome_unknown
