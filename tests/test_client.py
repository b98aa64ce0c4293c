"""BriaClient over real HTTP: the exact requests it sends and how it reads answers."""

import json

import pytest
import requests

from bench.stack import free_port
from tests.conftest import TOKEN
from webapp import bria
from webapp.bria import BriaClient
from webapp.fake_api import Scripted


@pytest.fixture
def api_client(fake_api):
    return BriaClient(fake_api.base_url, TOKEN, timeout=1.0, connect_timeout=0.5)


def test_create_posts_exactly_the_payload_with_the_token_header(api_client, fake_api):
    payload = {"project_name": "Icons", "ip_medium": "illustration", "ip_type": "icons"}

    project = api_client.create_project(payload)

    [sent] = fake_api.fake.received
    assert (sent.method, sent.path) == ("POST", "/v1/tailored-gen/projects")
    assert sent.body == payload
    assert sent.headers["api_token"] == TOKEN
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Accept"] == "application/json"
    assert project["id"] == 1 and project["project_name"] == "Icons"


def test_list_and_get_send_the_token_and_no_body(api_client, fake_api):
    fake_api.fake.add_project(project_name="A")
    assert [p["project_name"] for p in api_client.list_projects()] == ["A"]
    assert api_client.get_project(1)["project_name"] == "A"
    assert [(r.method, r.path, r.body) for r in fake_api.fake.received] == [
        ("GET", "/v1/tailored-gen/projects", None),
        ("GET", "/v1/tailored-gen/projects/1", None),
    ]
    assert all(r.headers["api_token"] == TOKEN for r in fake_api.fake.received)


def test_connections_are_reused_between_calls(api_client, fake_api):
    api_client.list_projects()
    api_client.list_projects()
    adapter = api_client.session.get_adapter(fake_api.base_url)
    assert len(adapter.poolmanager.pools) == 1
    [pool] = adapter.poolmanager.pools._container.values()
    assert pool.num_connections == 1


@pytest.mark.parametrize(
    ("scripted", "error_type", "message"),
    [
        (
            Scripted(400, {"error": {"code": "validation", "message": "ip_name is required"}}),
            bria.BriaBadRequest,
            "ip_name is required",
        ),
        (Scripted(401, ""), bria.BriaUnauthorized, "HTTP 401 Unauthorized"),
        (
            Scripted(403, json.dumps("Quota exceeded: Free users can make up to 1000 requests")),
            bria.BriaForbidden,
            "Quota exceeded: Free users can make up to 1000 requests",
        ),
        (
            Scripted(403, "Access denied: no Tailored Generation", "text/plain"),
            bria.BriaForbidden,
            "Access denied: no Tailored Generation",
        ),
        (
            Scripted(429, {"message": "Too many requests"}),
            bria.BriaRateLimited,
            "Too many requests",
        ),
        (
            Scripted(500, {"error": {"message": "Internal error"}}),
            bria.BriaServerError,
            "Internal error",
        ),
        (
            Scripted(
                502,
                "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                "text/html",
            ),
            bria.BriaServerError,
            "HTTP 502 Bad Gateway",
        ),
        (Scripted(503, ""), bria.BriaServerError, "HTTP 503 Service Unavailable"),
        (
            Scripted(201, "created!", "text/plain"),
            bria.BriaBadResponse,
            "The API answered 201 with something that is not JSON",
        ),
        (
            Scripted(200, {"id": 1}),
            bria.BriaBadResponse,
            "The API answered 200 instead of 201 Created",
        ),
        (
            Scripted(302, ""),
            bria.BriaBadResponse,
            "The API redirected to another address (302); it was not followed",
        ),
    ],
)
def test_every_answer_becomes_a_typed_error_with_the_apis_reason(
    api_client, fake_api, scripted, error_type, message
):
    fake_api.fake.answer_next(scripted)
    with pytest.raises(error_type) as raised:
        api_client.create_project({"project_name": "P"})
    assert raised.value.message == message
    assert raised.value.status == scripted.status
    assert len(fake_api.fake.posts()) == 1


def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(307, ""))
    with pytest.raises(bria.BriaBadResponse):
        api_client.create_project({"project_name": "P"})
    assert len(fake_api.fake.received) == 1


def test_a_slow_answer_is_a_timeout_with_an_unknown_outcome_and_no_retry(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(201, {"id": 5}, delay=2.0))
    with pytest.raises(bria.BriaTimeout) as raised:
        api_client.create_project({"project_name": "P"})
    assert raised.value.outcome_unknown
    assert len(fake_api.fake.posts()) == 1


def test_a_dropped_connection_is_broken_with_an_unknown_outcome_and_no_retry(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(drop=True))
    with pytest.raises(bria.BriaConnectionBroken) as raised:
        api_client.create_project({"project_name": "P"})
    assert raised.value.outcome_unknown
    assert len(fake_api.fake.posts()) == 1


def test_nothing_listening_is_unreachable_and_known_not_to_have_created(monkeypatch):
    monkeypatch.setattr(bria, "CONNECT_RETRY_PAUSE_SECONDS", 0)
    port = free_port()  # nothing listens there
    calls = []
    client = BriaClient(f"http://127.0.0.1:{port}/v1", TOKEN, timeout=1.0)
    original = requests.Session.send

    def counting(self, prepared, **kwargs):
        calls.append(prepared.method)
        return original(self, prepared, **kwargs)

    monkeypatch.setattr(requests.Session, "send", counting)
    with pytest.raises(bria.BriaUnreachable) as raised:
        client.create_project({"project_name": "P"})
    assert not raised.value.outcome_unknown
    assert calls == ["POST", "POST"]  # one retry, allowed because nothing was sent


def test_the_token_is_redacted_from_messages_and_repr(api_client, fake_api):
    fake_api.fake.answer_next(Scripted(400, {"error": {"message": f"bad token {TOKEN}"}}))
    with pytest.raises(bria.BriaBadRequest) as raised:
        api_client.create_project({"project_name": "P"})
    assert TOKEN not in str(raised.value)
    assert raised.value.message == "bad token [redacted]"
    assert TOKEN not in repr(api_client)


def test_a_long_text_reason_is_shortened():
    response = requests.Response()
    response.status_code = 400
    response._content = ("word " * 200).encode()
    assert len(bria.message_from_body(response)) == bria.MESSAGE_LIMIT


def test_a_proxy_and_ca_bundle_from_the_environment_are_still_used(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = BriaClient("https://engine.prod.bria-api.com/v1", TOKEN, timeout=5)
    assert client.session.proxies["https"] == "http://proxy.internal:3128"
    assert client.session.verify == "/etc/ssl/company.pem"

    monkeypatch.setenv("NO_PROXY", "bria-api.com")
    bypassing = BriaClient("https://engine.prod.bria-api.com/v1", TOKEN, timeout=5)
    assert "https" not in bypassing.session.proxies
