"""Hundreds of random and hostile submissions: no 5xx, no markup echoed raw, nothing invalid sent.

The fake API accepts anything, so every body it receives is held to the seed's rules
(`rules.problems_with`) here: the app must be the one that refuses bad input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TOKEN, make_app
from tests.support.fake_api import FakeBriaServer
from tests.support.pages import hidden_inputs
from webapp.rules import projects as rules
from webapp.rules import versions

HOSTILE = [
    '<script>alert("x1")</script>',
    '"><img src=x onerror=alert(2)>',
    "</textarea><b>x3</b>",
    "' OR 1=1; DROP TABLE submissions; --",
    "{{ config.SECRET_KEY }}",
    "javascript:alert(4)",
    "\u202egnp.exe",
    "Ω≈ç√∫ 表 😀",
    "\x00\x01\x7f",
    " \t\n ",
    "a " * 40,
    "x" * 3000,
]

KNOWN = {
    "ip_medium": [m.value for m in rules.MEDIA],
    "ip_type": [t.value for t in rules.IP_TYPES],
    "training_version": ["", *(v.value for v in versions.TRAINING_VERSIONS)],
}
TEXT_FIELDS = ["project_name", "project_description", "ip_name", "ip_description"]


def words(max_words: int) -> st.SearchStrategy[str]:
    return st.lists(st.text(min_size=1, max_size=12), max_size=max_words).map(" ".join)


def text_value(name: str) -> st.SearchStrategy[str]:
    plausible = words(8) if name.startswith("ip_") else st.text(max_size=200)
    return st.one_of(plausible, st.sampled_from(HOSTILE), st.just(""))


def choice_value(name: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(KNOWN[name]),
        st.sampled_from(HOSTILE),
        st.text(max_size=20),
    )


random_submissions = st.fixed_dictionaries(
    {
        **{name: text_value(name) for name in TEXT_FIELDS},
        **{name: choice_value(name) for name in KNOWN},
    },
    optional={
        "allow_duplicate": st.sampled_from(["yes", "no", "<b>"]),
        "unexpected_field": st.sampled_from(HOSTILE),
        "api_token": st.just("stolen?"),
    },
)

#: A word as the rules count them: a run of characters that are not white space.
word = st.text(
    st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=10
)


@st.composite
def acceptable_submissions(draw: st.DrawFn) -> dict[str, str]:
    """What a careful person sends, in any script and with markup in the text."""
    medium = draw(st.sampled_from(rules.MEDIA)).value
    ip_type = draw(st.sampled_from(rules.types_for_medium(medium)))
    data = {
        "project_name": draw(st.one_of(word, st.sampled_from(HOSTILE[:3]))),
        "project_description": draw(st.one_of(st.just(""), st.text(max_size=300))),
        "ip_medium": medium,
        "ip_type": ip_type.value,
        "training_version": draw(st.sampled_from(KNOWN["training_version"])),
        "allow_duplicate": "yes",
    }
    for name, limit in rules.WORD_LIMITS.items():
        needed = name in ip_type.needed_fields
        count = draw(st.integers(limit.min_words if needed else 0, limit.max_words))
        data[name] = " ".join(draw(st.lists(word, min_size=count, max_size=count)))
    return data


@st.composite
def spoiled(draw: st.DrawFn, base: st.SearchStrategy[dict[str, str]]) -> dict[str, str]:
    """An acceptable submission with one or two fields replaced or left out."""
    data = dict(draw(base))
    for name in draw(st.sets(st.sampled_from([*TEXT_FIELDS, *KNOWN]), min_size=1, max_size=2)):
        replacement = draw(st.one_of(st.none(), st.sampled_from(HOSTILE), st.text(max_size=30)))
        if replacement is None:
            data.pop(name, None)
        else:
            data[name] = replacement
    return data


#: Half acceptable (so that many reach the fake API), half spoiled or random.
submissions = st.one_of(
    acceptable_submissions(),
    acceptable_submissions(),
    spoiled(acceptable_submissions()),
    random_submissions,
)


@pytest.fixture(scope="module")
def fake_api_for_module() -> Iterator[FakeBriaServer]:
    with FakeBriaServer(TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory, fake_api_for_module):
    app = make_app(
        tmp_path_factory.mktemp("property") / "instance",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL=fake_api_for_module.base_url,
        BRIA_API_TIMEOUT=2,
        BRIA_REQUESTS_PER_MINUTE=100_000,
    )
    yield app.test_client()
    app.extensions["webapp"].engine.dispose()


def raw_markup_in(values: dict[str, Any]) -> list[str]:
    """Submitted values that would be markup if echoed unescaped."""
    return [v for v in values.values() if isinstance(v, str) and "<" in v and len(v) >= 6]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=submissions, keep_csrf=st.integers(0, 9).map(lambda n: n > 0))
def test_random_and_hostile_input_never_breaks_the_app_or_the_rules(
    hostile_client, fake_api_for_module, data, keep_csrf
):
    tokens = hidden_inputs(hostile_client.get("/").get_data(as_text=True))
    if not keep_csrf:
        tokens.pop("csrf_token")
    received_before = len(fake_api_for_module.fake.posts())

    response = hostile_client.post(
        "/", data={**tokens, **data}, headers={"Origin": "http://localhost"}
    )

    assert response.status_code < 500
    if response.status_code == 303:
        assert response.headers["Location"].startswith("/submissions/")
        response = hostile_client.get(response.headers["Location"])
        assert response.status_code == 200
    html = response.get_data(as_text=True)
    for value in raw_markup_in(data):
        assert value not in html, "a submitted value was echoed without escaping"
    assert TOKEN not in html
    for post in fake_api_for_module.fake.posts()[received_before:]:
        body = post.body
        assert rules.problems_with(body) == {}, body
        ip_type = rules.IP_TYPES_BY_VALUE[body["ip_type"]]
        allowed = {"project_name", "project_description", "ip_medium", "ip_type"}
        allowed |= {"training_version", *ip_type.needed_fields}
        assert set(body) <= allowed, body
        for name, value in body.items():
            assert value == value.strip() and value, (name, value)
            assert len(value) <= rules.MAX_LENGTHS.get(name, 100), (name, len(value))
        assert post.headers["api_token"] == TOKEN
