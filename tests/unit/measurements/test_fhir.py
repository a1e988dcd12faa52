"""Measurement <-> QuestionnaireResponse and MeasurementTask <-> Task (issue 7)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import date

import pytest

from hvol_fhir import terminology as t
from hvol_fhir.errors import InvalidInput, MissingElement
from hvol_fhir.mapping import labels
from hvol_fhir.measurements import MeasurementTask, questionnaire
from hvol_fhir.measurements import fhir as mf

from .builders import at, measurement


def test_roundtrip_and_shape() -> None:
    m = replace(measurement(at(2026, 2, 10)), id="qr-1", encounter="Encounter/e-1")
    res = mf.response_to_fhir(m)
    assert mf.response_from_fhir(res) == m
    assert res["basedOn"] == [{"reference": "CarePlan/tr-1"}] and res["source"] == res["subject"]
    assert res["questionnaire"] == questionnaire().canonical and "text" not in res
    assert [g["linkId"] for g in res["item"]] == [g.link_id for g in questionnaire().groups]
    assert res["meta"]["profile"] == [t.profile_url(t.P_MEASUREMENT)]


def test_labels_are_r_and_the_compartment() -> None:
    res = mf.response_to_fhir(measurement(at(2026, 2, 10)))
    assert labels.is_restricted(res["meta"]) and labels.confidentiality_codes(res["meta"]) == ["R"]
    assert mf.has_measurement_labels(res["meta"])


@pytest.mark.parametrize(
    "security",
    [
        [],
        [{"system": t.V3_CONFIDENTIALITY, "code": "R"}],
        [labels.compartment().coding()],
        [
            {"system": t.V3_CONFIDENTIALITY, "code": "R"},
            {"system": t.V3_CONFIDENTIALITY, "code": "V"},
            labels.compartment().coding(),
        ],
    ],
)
def test_a_response_without_its_labels_is_never_read(security: list[dict[str, str]]) -> None:
    res = mf.response_to_fhir(measurement(at(2026, 2, 10)))
    res["meta"]["security"] = security
    with pytest.raises(labels.MissingSecurityLabels):
        mf.response_from_fhir(res)


def test_skipped_item_and_nested_answers() -> None:
    m = measurement(at(2026, 2, 10))
    m = replace(m, answers=tuple(a for a in m.answers if a[0] != "wellbeing-parents"))
    res = mf.response_to_fhir(m)
    assert "wellbeing-parents" not in json.dumps(res)
    nested = copy.deepcopy(res)  # answers under answer.item are read too (another writer's shape)
    nested["item"][0]["item"][0]["answer"][0]["item"] = [{"linkId": "x", "answer": [{"valueInteger": 4}]}]
    assert ("x", 4) in mf.response_from_fhir(nested).answers


def test_malformed_responses() -> None:
    res = mf.response_to_fhir(measurement(at(2026, 2, 10)))
    for key, error in (
        ("identifier", MissingElement),
        ("basedOn", MissingElement),
        ("authored", MissingElement),
    ):
        broken = copy.deepcopy(res)
        del broken[key]
        with pytest.raises(error):
            mf.response_from_fhir(broken)
    broken = copy.deepcopy(res)
    broken["item"][0]["item"][0]["answer"][0]["valueInteger"] = "7"
    with pytest.raises(InvalidInput):
        mf.response_from_fhir(broken)
    with pytest.raises(InvalidInput):
        mf.response_from_fhir({"resourceType": "Observation"})


def test_task_roundtrip() -> None:
    task = MeasurementTask(
        identifier=mf.task_identifier("tr", date(2026, 3, 2)),
        traject="CarePlan/tr-1",
        patient="Patient/y-1",
        due=date(2026, 3, 2),
        window_start=date(2026, 2, 23),
        authored=at(2026, 2, 23),
        id="task-1",
        response="QuestionnaireResponse/qr-1",
        status="completed",
    )
    res = mf.task_to_fhir(task)
    assert mf.is_measurement_task(res) and "focus" not in res
    assert res["input"][0]["valueCanonical"] == questionnaire().canonical
    assert res["restriction"]["period"] == {"start": "2026-02-23", "end": "2026-03-02"}
    assert mf.task_from_fhir(res) == task
    assert (
        mf.task_identifier("tr", date(2026, 3, 2))
        == task.identifier
        != mf.task_identifier("tr", date(2026, 3, 16))
    )
    with pytest.raises(InvalidInput):
        mf.task_from_fhir({**res, "code": {"text": "iets anders"}})
    with pytest.raises(InvalidInput):
        replace(task, window_start=date(2026, 3, 3))


def test_example_in_mappings_is_read_by_the_mapper() -> None:
    path = t.load().root / "examples" / "QuestionnaireResponse-hvol-ex-measurement.json"
    m = mf.response_from_fhir(json.loads(path.read_text(encoding="utf-8")))
    assert m.questionnaire == questionnaire().canonical and m.score("wellbeing-parents") is None
