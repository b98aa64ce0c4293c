"""A visual schema or a caption as people edit it: labelled fields, and the JSON beside
them, which the page always sends too."""

from __future__ import annotations

import json

from webapp.web import structured

ORIGINAL = json.dumps({"style": "flat colours", "palette": "warm reds", "count": 3})


def test_a_field_edit_is_kept_though_the_json_beside_it_is_sent_laid_out_on_lines():
    sent = {
        "raw": structured.pretty(ORIGINAL).replace("\n", "\r\n"),
        "part-0": "watercolour",
        "part-1": "warm reds",
        "part-2": "4",
    }
    assert json.loads(structured.from_form(sent, ORIGINAL)) == {
        "style": "watercolour",
        "palette": "warm reds",
        "count": 4,  # a number stays a number
    }


def test_changed_json_goes_on_written_afresh_without_the_browsers_line_ends():
    typed = '{\r\n  "style": "ink",\r\n  "palette": "café blues"\r\n}'
    sent = {"raw": typed, "part-0": "flat colours"}
    assert structured.from_form(sent, ORIGINAL) == '{"style": "ink", "palette": "café blues"}'


def test_json_that_cannot_be_read_goes_on_as_typed_for_the_rules_to_say_why():
    assert structured.from_form({"raw": '{"style": '}, ORIGINAL) == '{"style":'


def test_without_an_original_the_json_is_all_there_is():
    assert structured.from_form({"raw": '{"a": "b"}'}, None) == '{"a": "b"}'
    assert structured.parts("not json") is None
    assert structured.label("camera_angle") == "Camera angle"
