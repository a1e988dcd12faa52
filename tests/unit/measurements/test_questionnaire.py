"""The Questionnaire in mappings/ follows the SDC slider conventions and matches its CodeSystem (issue 7)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hvol_fhir import terminology as t
from hvol_fhir.measurements import questionnaire
from hvol_fhir.measurements.questionnaire import ITEM_CONTROL, MAX_VALUE, MIN_VALUE, STEP, resource_path
from hvol_fhir.measurements.report import BASIC_NEEDS, BUDDY_ITEMS, MOTIVATION, SOCIAL, WELLBEING

RAW = json.loads(resource_path().read_text(encoding="utf-8"))
QUESTIONS = [i for g in RAW["item"] for i in g["item"]]


def ext(node: dict[str, Any], url: str) -> Any:
    found = [e for e in node.get("extension", []) if e["url"] == url]
    assert len(found) == 1, url
    return next(v for k, v in found[0].items() if k.startswith("value"))


def control(node: dict[str, Any]) -> str:
    return str(ext(node, ITEM_CONTROL)["coding"][0]["code"])


def test_header() -> None:
    assert RAW["url"] == t.BASE + "/Questionnaire/hvol-measurement"
    assert RAW["version"] == questionnaire().version == "1.0.0"
    assert RAW["status"] == "active" and RAW["language"] == "nl" and RAW["subjectType"] == ["Patient"]


@pytest.mark.parametrize("item", QUESTIONS, ids=[i["linkId"] for i in QUESTIONS])
def test_every_score_is_an_sdc_slider(item: dict[str, Any]) -> None:
    assert item["type"] == "integer"
    assert control(item) == "slider"
    assert ext(item, STEP) == 1 and ext(item, MIN_VALUE) == 0 and ext(item, MAX_VALUE) == 10
    anchors = {control(c): c["text"] for c in item["item"] if c["type"] == "display"}
    assert (
        set(anchors) == {"lower", "upper"}
        and anchors["lower"].startswith("0 = ")
        and anchors["upper"].startswith("10 = ")
    )
    assert item["code"] == [
        {
            "system": t.cs_url("measurement-item"),
            "code": item["linkId"],
            "display": t.display("measurement-item", item["linkId"]),
        }
    ]
    assert item["text"].endswith(("?", ".")) and "ervaringsdeskundige" not in item["text"]  # plain words


def test_items_are_the_pilots_thirteen() -> None:
    q = questionnaire()
    assert [i.link_id for i in q.items] == [
        *BASIC_NEEDS,
        "alliance",
        *MOTIVATION,
        *BUDDY_ITEMS,
        *WELLBEING,
        *SOCIAL,
    ]
    assert [i.link_id for i in q.items if not i.required] == ["wellbeing-parents"]


def test_code_system_matches_the_questionnaire() -> None:
    cs = t.load().code_system("measurement-item")
    assert set(cs.selectable_codes()) == {i["linkId"] for i in QUESTIONS}
    assert {c.code for c in cs.concepts.values() if not c.selectable} == {g["linkId"] for g in RAW["item"]}
    assert t.load().value_set_codes("measurement-item") == {(cs.url, i["linkId"]) for i in QUESTIONS}


def test_parsed_definition() -> None:
    q = questionnaire()
    assert q.canonical == f"{q.url}|{q.version}"
    item = q.item("wellbeing-overall")
    assert (item.lower, item.upper, item.label) == ("heel slecht", "heel goed", "Algeheel welbevinden")
    assert q.group_of("alliance").link_id == "programme"
    with pytest.raises(KeyError):
        q.item("nonsense")
