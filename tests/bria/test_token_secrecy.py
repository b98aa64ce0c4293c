"""The API token stays on the server: not in a page, a header, a cookie, a log line or stderr.

And each API call leaves exactly one log line, with what an operator needs to follow it up.
"""

from __future__ import annotations

import base64
import logging
import re
import zlib

from tests.conftest import TOKEN
from tests.support.fake_api import Scripted
from tests.support.pages import VALID, submit

LOG_LINE = re.compile(
    r"^bria_api method=(GET|POST|PUT|DELETE) path=/tailored-gen/projects(/\d+)? "
    r"status=(\d{3}|[A-Za-z]+) elapsed_ms=\d+\.\d request_id=(\S+)$"
)
PROJECT = {
    "id": 1,
    "project_name": "Lora adventures",
    "ip_medium": "illustration",
    "ip_type": "other",
    "status": "active",
    "created_at": "2026-11-25T10:00:00Z",
}


def session_contents(set_cookie: str) -> str:
    """Flask's session cookie is signed, not encrypted: read what it carries."""
    value = set_cookie.split("=", 1)[1].split(";", 1)[0]
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".", 1)[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(data) if compressed else data).decode()


def every_response_of_a_busy_day(client, fake_api) -> list:
    """Success, refusals that quote the token back, and failures of every kind."""
    fake = fake_api.fake
    responses = [client.get("/"), client.get("/projects")]
    fake.answer_next(Scripted(201, PROJECT, headers={"x-request-id": "req-created-1"}, create=True))
    created = submit(client, **{**VALID, "ip_type": "other"})
    responses += [created, client.get(created.headers["Location"])]
    answers = [
        Scripted(400, {"error": {"message": f"api_token {TOKEN} may not create"}}),
        Scripted(401, f"Token {TOKEN} is not valid", "text/plain"),
        Scripted(403, f"Quota exceeded for {TOKEN}"),
        Scripted(500, f"<title>crash {TOKEN}</title>", "text/html"),
        Scripted(201, "not json", "text/plain"),
        Scripted(drop=True),
    ]
    for number, answer in enumerate(answers):
        fake.answer_next(answer)
        responses.append(submit(client, **{**VALID, "project_name": f"Attempt {number}"}))
    fake.answer_next(Scripted(500, f'{{"error": {{"message": "list {TOKEN}"}}}}'))
    responses.append(client.get("/projects?q=" + TOKEN[:4]))
    fake.answer_next(Scripted(403, f'"{TOKEN}"'))
    responses.append(client.get("/projects/77"))
    fake.answer_next(Scripted(500, f"token {TOKEN} leaked", headers={"X-Request-Id": TOKEN}))
    responses.append(client.get("/projects/78"))
    responses += [client.get("/projects/79"), client.get("/nowhere"), client.get("/healthz")]
    return responses


def test_the_token_appears_in_no_page_header_cookie_log_or_stderr(
    live_client, fake_api, caplog, capfd
):
    caplog.set_level(logging.DEBUG)

    responses = every_response_of_a_busy_day(live_client, fake_api)

    assert any(r.status_code == 303 for r in responses)
    for response in responses:
        assert TOKEN not in response.get_data(as_text=True)
        for name, value in response.headers.items():
            assert TOKEN not in value, name
            if name == "Set-Cookie" and value.startswith("session="):
                assert TOKEN not in session_contents(value)
    assert TOKEN not in caplog.text
    out, err = capfd.readouterr()
    assert TOKEN not in out and TOKEN not in err
    # ...while every request did carry it to the API.
    assert {r.headers.get("api_token") for r in fake_api.fake.received} == {TOKEN}


def test_each_api_call_leaves_one_line_with_its_outcome_and_request_id(
    live_client, fake_api, caplog
):
    caplog.set_level(logging.INFO, logger="webapp.bria")

    every_response_of_a_busy_day(live_client, fake_api)

    lines = [r.getMessage() for r in caplog.records if r.name == "webapp.bria"]
    assert len(lines) == len(fake_api.fake.received)
    parsed = [LOG_LINE.match(line) for line in lines]
    assert all(parsed), [line for line, match in zip(lines, parsed, strict=True) if not match]
    methods = [m.group(1) for m in parsed if m]
    assert methods == [r.method for r in fake_api.fake.received]
    assert "status=201" in lines[1] and "request_id=req-created-1" in lines[1]
    assert any("status=ConnectionError" in line for line in lines)
    assert any("status=500" in line for line in lines)
