import pytest

from webapp.rules import projects as rules
from webapp.rules import versions


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("   ", 0),
        (None, 0),
        ("Lora", 1),
        ("Captain  Smith", 2),
        (" a\tb\nc ", 3),
        ("purple-haired", 1),
        ("a , b", 3),
    ],
)
def test_words_are_runs_of_non_space(text, words):
    assert rules.count_words(text) == words


def test_the_seven_types_and_their_media_follow_the_seed():
    both = {t.value for t in rules.IP_TYPES if t.media == ("photography", "illustration")}
    illustration_only = {t.value for t in rules.IP_TYPES if t.illustration_only}
    assert both == {"defined_character", "stylized_scene", "other"}
    assert illustration_only == {
        "multi_object_set",
        "object_variants",
        "icons",
        "character_variants",
    }
    assert [m.value for m in rules.MEDIA] == ["photography", "illustration"]


def test_only_defined_character_needs_a_name_and_two_types_need_a_description():
    assert [t.value for t in rules.types_needing("ip_name")] == ["defined_character"]
    assert [t.value for t in rules.types_needing("ip_description")] == [
        "defined_character",
        "object_variants",
    ]


def test_training_versions_belong_to_two_families():
    assert [v.value for v in versions.versions_in_family("FIBO")] == ["fibo"]
    legacy = versions.versions_in_family("Legacy")
    assert [v.value for v in legacy] == ["max", "light", "3.2", "2.3"]


def test_photography_offers_three_types_and_illustration_all_seven():
    assert [t.value for t in rules.types_for_medium("photography")] == [
        "defined_character",
        "stylized_scene",
        "other",
    ]
    assert len(rules.types_for_medium("illustration")) == 7


GOOD = {"project_name": "P", "ip_medium": "illustration", "ip_type": "icons"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"project_name": " "}, "project_name"),
        ({"ip_medium": "video"}, "ip_medium"),
        ({"ip_type": "logo"}, "ip_type"),
        ({"ip_medium": "photography"}, "ip_type"),
        ({"ip_type": "defined_character", "ip_description": "a b"}, "ip_name"),
        ({"ip_type": "defined_character", "ip_name": "a b c d", "ip_description": "x"}, "ip_name"),
        ({"ip_type": "object_variants", "ip_description": "1 2 3 4 5 6 7"}, "ip_description"),
        ({"training_version": "4.0"}, "training_version"),
        ({"colour": "red"}, "colour"),
        ({"project_name": 3}, "project_name"),
    ],
)
def test_problems_name_the_field_that_breaks_a_rule(change, field):
    assert field in rules.problems_with({**GOOD, **change})


def test_a_body_that_keeps_the_rules_has_no_problems():
    assert rules.problems_with(GOOD) == {}
    assert (
        rules.problems_with(
            {
                **GOOD,
                "ip_type": "defined_character",
                "ip_name": "Captain Smith",
                "ip_description": "a female character with purple hair",
                "training_version": "3.2",
            }
        )
        == {}
    )


@pytest.mark.parametrize(
    ("changes", "ip_type", "problems"),
    [
        ({"project_name": "New", "ip_name": "Mira"}, "defined_character", {}),
        ({"ip_type": "icons"}, "other", {"ip_type": "cannot be changed"}),
        ({"training_version": "fibo"}, "other", {"training_version": "cannot be changed"}),
        ({"project_name": ""}, "other", {"project_name": "is required"}),
        ({"ip_name": ""}, "defined_character", {"ip_name": "is required for defined_character"}),
        ({"ip_name": ""}, "icons", {}),
        (
            {"ip_description": "1 2 3 4 5 6 7"},
            "object_variants",
            {"ip_description": "must be 1-6 words"},
        ),
        ({"project_description": None}, "other", {"project_description": "must be a string"}),
    ],
)
def test_a_change_keeps_the_rules_of_the_projects_type(changes, ip_type, problems):
    assert rules.problems_with_changes(changes, ip_type) == problems


def test_the_fields_are_called_the_same_everywhere():
    assert set(rules.FIELD_LABELS) == set(rules.REQUEST_FIELDS)
    assert rules.FIELD_LABELS["ip_name"] == "Character name"
    assert set(rules.EDITABLE_FIELDS) <= set(rules.REQUEST_FIELDS)
