"""The models and generation client over real HTTP: the exact requests it sends (and to
which host), and how it reads every shape of answer Bria may give."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import TOKEN, dispose, make_app
from tests.support.bria import bria_failure, make_client
from tests.support.fake_api import FakeBriaServer, Scripted
from tests.support.training import completed_dataset_at, model_at, set_status
from webapp.bria import Bria
from webapp.bria.errors import BriaNotFound, BriaRefused, BriaUnconfirmed
from webapp.bria.generation import Asked
from webapp.bria.transport import Transport
from webapp.bria.transport.bodies import MESSAGE_LIMIT
from webapp.rules.models import MAX_RESULT_BYTES

MODELS = "/v1/tailored-gen/models"


@pytest.fixture
def api_client(fake_api):
    return make_client(fake_api.base_url, timeout=2.0, connect_timeout=0.5)


@pytest.fixture
def dataset(fake_api) -> tuple[int, int]:
    return completed_dataset_at(fake_api.fake.api)


@pytest.fixture
def trained(fake_api, dataset) -> dict:
    """A model whose training completed (at the fake)."""
    return model_at(fake_api.fake.api, dataset[1], name="Trained", status="Completed")


def origin(server: FakeBriaServer) -> str:
    return server.base_url.removesuffix("/v1")


def requests_at(server: FakeBriaServer) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.body) for r in server.fake.received]


def assert_token_sent(received) -> None:
    assert received.headers["api_token"] == TOKEN
    assert received.headers["Accept"] == "application/json"
    assert "Cookie" not in received.headers


# -- models --------------------------------------------------------------------------


def test_create_sends_name_dataset_id_as_a_number_and_mode_and_no_blank_description(
    api_client, fake_api, dataset
):
    made = api_client.models.create(str(dataset[1]), "Fox", "fully_automated", "")

    [request] = fake_api.fake.received
    assert (request.method, request.path) == ("POST", MODELS)
    assert request.body == {
        "name": "Fox",
        "dataset_id": dataset[1],
        "training_mode": "fully_automated",
    }
    assert request.headers["Content-Type"] == "application/json"
    assert_token_sent(request)
    assert made["status"] == "Created" and made["dataset_id"] == dataset[1]
    assert made["project_id"] == dataset[0]


def test_create_sends_the_description_when_there_is_one(api_client, fake_api, dataset):
    made = api_client.models.create(dataset[1], "Fox", "expert", "Summer style")
    assert fake_api.fake.received[0].body == {
        "name": "Fox",
        "dataset_id": dataset[1],
        "training_mode": "expert",
        "description": "Summer style",
    }
    assert made["description"] == "Summer style" and made["training_mode"] == "expert"


def test_start_and_stop_post_to_their_own_paths(api_client, fake_api, dataset):
    model = model_at(fake_api.fake.api, dataset[1])
    fake_api.fake.received.clear()

    started = api_client.models.start_training(model["id"])
    assert api_client.models.stop_training(model["id"]) is None

    assert requests_at(fake_api) == [
        ("POST", f"{MODELS}/{model['id']}/start_training", {}),
        ("POST", f"{MODELS}/{model['id']}/stop_training", None),
    ]
    for request in fake_api.fake.received:
        assert_token_sent(request)
    assert started["status"] == "InProgress"
    assert fake_api.fake.api.model_endpoints.models.get(model["id"])["status"] == "Stopping"


def test_a_model_and_a_projects_models_are_read_with_any_status_as_bria_says_it(
    api_client, fake_api, dataset
):
    first = model_at(fake_api.fake.api, dataset[1], name="First")
    odd = model_at(fake_api.fake.api, dataset[1], name="Odd", status="Queued")
    fake_api.fake.received.clear()

    assert api_client.models.get(odd["id"])["status"] == "Queued"
    listed = api_client.models.of_project(dataset[0])

    assert [(m["id"], m["status"]) for m in listed] == [
        (first["id"], "Created"),
        (odd["id"], "Queued"),
    ]
    assert requests_at(fake_api) == [
        ("GET", f"{MODELS}/{odd['id']}", None),
        ("GET", f"/v1/tailored-gen/projects/{dataset[0]}/models", None),
    ]


def test_a_list_skips_entries_that_are_not_models(api_client, fake_api, dataset):
    good = {"id": 7, "name": "Fox", "status": "InProgress", "project_id": dataset[0]}
    fake_api.fake.answer_next(
        Scripted(200, [good, {"id": "seven", "name": "x", "status": "Created"}, "junk", None])
    )
    assert api_client.models.of_project(dataset[0]) == [good]


def test_a_model_answer_without_a_readable_model_is_unconfirmed(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(200, {"id": 3, "name": "Fox", "status": None}))
    with bria_failure("bad_response", BriaUnconfirmed):
        api_client.models.get(3)


# -- generation (v2) -----------------------------------------------------------------


def test_generate_posts_the_model_id_as_text_to_the_v2_path_of_the_base_urls_host(
    api_client, fake_api, trained
):
    asked = api_client.generation.generate(trained["id"], "on a beach", "16:9")

    [request] = fake_api.fake.received
    assert (request.method, request.path) == ("POST", "/v2/image/generate/tailored")
    assert request.body == {
        "tailored_model_id": str(trained["id"]),
        "prompt": "on a beach",
        "aspect_ratio": "16:9",
    }
    assert_token_sent(request)
    assert asked.status_url == f"{origin(fake_api)}/v2/status/{asked.request_id}"
    assert api_client.transport.v2_url == f"{origin(fake_api)}/v2"


def test_the_v2_path_keeps_the_base_urls_scheme_host_and_port():
    transport = Transport("https://bria.example:8443/api/v1/", "t", timeout=1)
    assert transport.v2_url == "https://bria.example:8443/v2"
    assert Transport("https://x.example/v1", "t", 1, v2_url="https://y.example/v2/").v2_url == (
        "https://y.example/v2"
    )


def test_the_v2_setting_overrides_the_derived_address(tmp_path):
    app = make_app(
        tmp_path / "instance",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL="https://engine.example/v1",
        BRIA_API_V2_URL="https://images.example/v2",
    )
    try:
        transport = app.extensions["webapp"].bria.transport
        assert transport.v2_url == "https://images.example/v2"
        assert transport.is_bria("https://images.example/v2/status/1")
        assert transport.is_bria("https://engine.example/v2/status/1")
        assert not transport.is_bria("https://images.example.evil/v2/status/1")
    finally:
        dispose(app)


def test_with_a_v2_address_of_its_own_generation_goes_there_with_the_token(fake_api, trained):
    with FakeBriaServer(TOKEN) as images:
        images.fake.answer_next(
            Scripted(202, {"request_id": "r-1", "status_url": f"{origin(images)}/v2/status/r-1"}),
            Scripted(200, {"request_id": "r-1", "status": "IN_PROGRESS"}),
        )
        client = Bria(Transport(fake_api.base_url, TOKEN, 2.0, v2_url=origin(images) + "/v2"))
        asked = client.generation.generate(trained["id"], "hello")
        status = client.generation.status(asked)

        assert [(r.method, r.path) for r in images.fake.received] == [
            ("POST", "/v2/image/generate/tailored"),
            ("GET", "/v2/status/r-1"),
        ]
        assert all(r.headers["api_token"] == TOKEN for r in images.fake.received)
    assert fake_api.fake.received == []
    assert asked == Asked("r-1", f"{origin(images)}/v2/status/r-1")
    assert status.status == "IN_PROGRESS" and status.image_url is None


def test_status_is_read_from_the_v2_status_path_and_gives_the_result_address(
    api_client, fake_api, trained
):
    fake_api.fake.api.generation_endpoints.seconds = 0.0
    asked = api_client.generation.generate(trained["id"], "a fox")
    fake_api.fake.received.clear()

    status = api_client.generation.status(asked)

    [request] = fake_api.fake.received
    assert (request.method, request.path) == ("GET", f"/v2/status/{asked.request_id}")
    assert_token_sent(request)
    assert status.status == "COMPLETED"
    assert status.image_url == f"{origin(fake_api)}/files/generated/{asked.request_id}.png"


def test_error_and_unknown_statuses_come_back_with_brias_reason(api_client, fake_api):
    asked = Asked("r-2", f"{origin(fake_api)}/v2/status/r-2")
    fake_api.fake.answer_next(
        Scripted(200, {"status": "ERROR", "error": {"message": "Moderation failed"}}),
        Scripted(200, {"status": "ERROR", "error": "Out of capacity"}),
        Scripted(200, {"status": "UNKNOWN"}),
        Scripted(200, {"status": "PAINTING"}),
        Scripted(200, {"result": {}}),
    )
    assert api_client.generation.status(asked).reason == "Moderation failed"
    assert api_client.generation.status(asked).reason == "Out of capacity"
    assert api_client.generation.status(asked).status == "UNKNOWN"
    assert api_client.generation.status(asked).status == "PAINTING"
    with bria_failure("bad_response", BriaUnconfirmed):
        api_client.generation.status(asked)


def test_a_202_without_a_request_id_is_unconfirmed(api_client, fake_api, trained):
    fake_api.fake.answer_next(
        Scripted(202, {"status_url": f"{origin(fake_api)}/v2/status/x"}),
        Scripted(202, {"request_id": "../../etc", "status_url": None}),
        Scripted(202, b"", content_type="text/plain"),
    )
    for _ in range(3):
        with bria_failure("bad_response", BriaUnconfirmed) as raised:
            api_client.generation.generate(trained["id"], "a fox")
    assert raised.value.status == 202


def test_a_status_address_on_another_host_is_refused_and_never_followed(
    api_client, fake_api, trained
):
    with FakeBriaServer(TOKEN) as elsewhere:
        for address in (
            f"{origin(elsewhere)}/v2/status/r-3",
            "https://bria.example.evil/v2/status/r-3",
        ):
            fake_api.fake.answer_next(Scripted(202, {"request_id": "r-3", "status_url": address}))
            with bria_failure("bad_response", BriaUnconfirmed) as raised:
                api_client.generation.generate(trained["id"], "a fox")
            assert "another host" in raised.value.message
            with bria_failure("bad_response", BriaUnconfirmed):
                api_client.generation.status(Asked("r-3", address))
        assert elsewhere.fake.received == []
    # Nothing after the two generate requests: the status was not read anywhere.
    assert [(r.method, r.path) for r in fake_api.fake.received] == [
        ("POST", "/v2/image/generate/tailored")
    ] * 2


def test_a_missing_status_address_is_the_v2_status_path(api_client, fake_api, trained):
    fake_api.fake.answer_next(Scripted(202, {"request_id": "r-4"}))
    asked = api_client.generation.generate(trained["id"], "a fox")
    assert asked.status_url == f"{origin(fake_api)}/v2/status/r-4"


# -- every new endpoint, every shape of failure ----------------------------------------

ENDPOINTS: dict[str, Callable[[Bria, dict], Any]] = {
    "create": lambda c, m: c.models.create(m["dataset_id"], "Fox", "fully_automated"),
    "start": lambda c, m: c.models.start_training(m["id"]),
    "stop": lambda c, m: c.models.stop_training(m["id"]),
    "get": lambda c, m: c.models.get(m["id"]),
    "of_project": lambda c, m: c.models.of_project(m["project_id"]),
    "generate": lambda c, m: c.generation.generate(m["id"], "a fox"),
    "status": lambda c, m: c.generation.status(Asked("r", f"{m['origin']}/v2/status/r")),
}
FAILURES = {
    "json envelope 400": (
        Scripted(400, {"error": {"code": "validation_error", "message": "name is too long"}}),
        "bad_request",
        BriaRefused,
        "name is too long",
    ),
    "bare string 403": (
        Scripted(403, '"Quota exceeded: upgrade your plan"'),
        "forbidden",
        BriaRefused,
        "Quota exceeded: upgrade your plan",
    ),
    "409": (
        Scripted(409, {"error": {"message": "Training already started"}}),
        "conflict",
        BriaRefused,
        "Training already started",
    ),
    "412": (
        Scripted(412, {"error": {"message": "Dataset status must be 'completed'"}}),
        "precondition_failed",
        BriaRefused,
        "Dataset status must be 'completed'",
    ),
    "404": (Scripted(404, {"error": {"message": "Not found"}}), "not_found", BriaNotFound, None),
    "429": (
        Scripted(429, {"error": {"message": "Too many requests"}}, headers={"Retry-After": "7"}),
        "rate_limited",
        BriaRefused,
        "Too many requests",
    ),
    "html 502": (
        Scripted(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
        "server_error",
        BriaUnconfirmed,
        None,
    ),
    "plain 500": (
        Scripted(500, "Internal Server Error", "text/plain"),
        "server_error",
        BriaUnconfirmed,
        None,
    ),
    "dropped": (Scripted(drop=True), "broken", BriaUnconfirmed, None),
    "cut": (Scripted(200, {"id": 1, "name": "Fox"}, cut=5), "broken", BriaUnconfirmed, None),
}


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=list(ENDPOINTS))
def test_every_endpoint_turns_every_failure_into_its_kind(
    api_client, fake_api, trained, endpoint, failure
):
    scripted, kind, cls, message = FAILURES[failure]
    before = len(fake_api.fake.received)
    fake_api.fake.answer_next(scripted)
    with bria_failure(kind, cls) as raised:
        ENDPOINTS[endpoint](api_client, {**trained, "origin": origin(fake_api)})
    if message is not None:
        assert raised.value.message == message
    if kind == "rate_limited":
        assert raised.value.retry_after == 7
    assert TOKEN not in str(raised.value)
    assert len(fake_api.fake.received) == before + 1  # sent once, never again by itself


# -- the result image: fetched without the token, at most 40 MB -------------------------


@pytest.fixture
def bytes_read(monkeypatch) -> list[int]:
    """How many bytes of each answer's body the client read."""
    counts: list[int] = []
    original = requests.Response.iter_content

    def counting(self, *args, **kwargs):
        counts.append(0)
        for chunk in original(self, *args, **kwargs):
            counts[-1] += len(chunk)
            yield chunk

    monkeypatch.setattr(requests.Response, "iter_content", counting)
    return counts


def test_the_result_is_fetched_from_brias_address_without_the_token(api_client, fake_api, trained):
    fake_api.fake.api.generation_endpoints.seconds = 0.0
    status = api_client.generation.status(api_client.generation.generate(trained["id"], "a fox"))
    content = api_client.generation.result(status.image_url)

    fetch = fake_api.fake.received[-1]
    assert fetch.method == "GET" and fetch.path.startswith("/files/generated/")
    assert "api_token" not in {name.lower() for name in fetch.headers}
    assert TOKEN not in str(fetch.headers)
    assert content.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_result_announced_larger_than_the_limit_is_refused_unread(
    api_client, fake_api, bytes_read
):
    fake_api.fake.answer_next(Scripted(200, b"\0" * (60 * 2**20), "image/png"))
    with bria_failure("bad_response", BriaUnconfirmed) as raised:
        api_client.generation.result(f"{origin(fake_api)}/files/generated/big.png")
    assert raised.value.message == "The file is larger than 40 MB"
    assert sum(bytes_read) == 0


def test_a_result_of_60_mb_sent_without_its_length_is_read_only_to_the_limit(
    api_client, fake_api, bytes_read
):
    fake_api.fake.answer_next(Scripted(200, b"\0" * (60 * 2**20), "image/png", chunked=True))
    with bria_failure("bad_response", BriaUnconfirmed) as raised:
        api_client.generation.result(f"{origin(fake_api)}/files/generated/big.png")
    assert raised.value.message == "The file is larger than 40 MB"
    assert MAX_RESULT_BYTES < sum(bytes_read) <= MAX_RESULT_BYTES + 64 * 1024


def test_a_result_at_the_limit_is_kept_whole(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(200, b"\1" * MAX_RESULT_BYTES, "image/png", chunked=True))
    content = api_client.generation.result(f"{origin(fake_api)}/files/generated/edge.png")
    assert len(content) == MAX_RESULT_BYTES


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("http://images.example/r.png", "Bria gave an address that is not https"),
        ("https://10.0.0.7/r.png", "Bria gave an address inside this network"),
        ("https://localhost/r.png", "Bria gave an address inside this network"),
        ("https://[::1]:9/r.png", "Bria gave an address inside this network"),
    ],
)
def test_a_result_address_off_brias_hosts_that_is_not_public_https_is_not_fetched(
    api_client, address, reason
):
    with bria_failure("bad_response", BriaUnconfirmed) as raised:
        api_client.generation.result(address)
    assert raised.value.message == reason


def test_a_result_address_that_does_not_answer_200_is_said(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(404, "gone", "text/plain"))
    with bria_failure("bad_response", BriaUnconfirmed) as raised:
        api_client.generation.result(f"{origin(fake_api)}/files/generated/expired.png")
    assert raised.value.message == "The file's address answered 404"


def test_a_result_cut_short_is_a_broken_connection(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(200, b"\x89PNG" * 100, "image/png", cut=10))
    with bria_failure("broken", BriaUnconfirmed):
        api_client.generation.result(f"{origin(fake_api)}/files/generated/cut.png")


def test_an_unknown_model_status_from_the_fake_is_kept_as_said(api_client, fake_api, dataset):
    model = model_at(fake_api.fake.api, dataset[1])
    set_status(fake_api.fake.api, model["id"], "Paused by support")
    assert api_client.models.get(model["id"])["status"] == "Paused by support"


def test_brias_reason_for_a_failed_image_is_redacted_and_cut(api_client, fake_api):
    asked = Asked("r-3", f"{origin(fake_api)}/v2/status/r-3")
    echoed = f"bad request   with api_token={TOKEN} " + "and more " * 100
    fake_api.fake.answer_next(Scripted(200, {"status": "ERROR", "error": {"message": echoed}}))
    reason = api_client.generation.status(asked).reason
    assert TOKEN not in reason and TOKEN[:12] not in reason
    assert reason.startswith("bad request with api_token=[redacted] and more")
    assert reason.endswith("…") and len(reason) <= MESSAGE_LIMIT
