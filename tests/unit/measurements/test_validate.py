"""Bad input is refused with a Dutch message naming the question; nothing else gets through (issue 7)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hvol_fhir.errors import InvalidInput, RuleViolation
from hvol_fhir.measurements import questionnaire
from hvol_fhir.measurements.validate import (
    MeasurementRefused,
    check_answers,
    check_measurement,
    ordered,
    parse_form,
    read_form,
)
from hvol_fhir.programme import codes as c

from .builders import at, measurement, traject

Q = questionnaire()
OPEN = traject(
    (c.PHASE_INTRODUCTION, at(2026, 1, 1), at(2026, 1, 20)), (c.PHASE_CONTACT_PERIOD, at(2026, 1, 20), None)
)


def form(**over: str) -> dict[str, str]:
    values = {i.link_id: "5" for i in Q.items}
    values.update({k.replace("_", "-"): v for k, v in over.items()})
    return values


def test_a_full_form_parses() -> None:
    answers, problems = parse_form(form(autonomy=" 0 ", alliance="10"), Q)
    assert not problems and not check_answers(answers, Q)
    assert answers["autonomy"] == 0 and answers["alliance"] == 10


@pytest.mark.parametrize("raw", ["11", "-1", "5.5", "zeven", "1e1", "100000"])
def test_not_a_score(raw: str) -> None:
    _answers, problems = read_form(form(competence=raw), Q)
    assert [p.field for p in problems] == ["competence"]
    assert problems[0].message_nl == "Bij ‘Competentie’ kan alleen een heel getal van 0 tot en met 10."


def test_unanswered_required_and_skipped_optional() -> None:
    _answers, problems = read_form(form(wellbeing_overall="", wellbeing_parents="", alliance="12"), Q)
    assert [p.field for p in problems] == ["alliance", "wellbeing-overall"]
    problems = problems[1:]
    assert [(p.field, p.code) for p in problems] == [("wellbeing-overall", "required")]
    assert "nog niet ingevuld" in problems[0].message_nl


def test_unknown_item() -> None:
    answers = {i.link_id: 5 for i in Q.items} | {"sneaky": 3}
    assert [p.code for p in check_answers(answers, Q)] == ["unknown-item"]


def test_refusal_lists_every_problem() -> None:
    m = measurement(at(2026, 2, 10), autonomy=12, relatedness=-2)
    with pytest.raises(MeasurementRefused) as info:
        check_measurement(m, Q, OPEN)
    assert [p.field for p in info.value.problems] == ["autonomy", "relatedness"]
    assert info.value.http_status == 422 and "(en nog 1 andere)" in info.value.message_nl


def test_other_questionnaire_version() -> None:
    m = replace(measurement(at(2026, 2, 10)), questionnaire=Q.url + "|0.9.0")
    with pytest.raises(RuleViolation) as info:
        check_measurement(m, Q, OPEN)
    assert info.value.code == "questionnaire-version" and "versie 1.0.0" in info.value.message_nl


@pytest.mark.parametrize(
    "closed",
    [
        traject(
            (c.PHASE_CONTACT_PERIOD, at(2026, 1, 1), at(2026, 3, 1)),
            (c.PHASE_CLOSURE, at(2026, 3, 1), at(2026, 3, 1)),
            status="completed",
        ),
        traject((c.PHASE_CONTACT_PERIOD, at(2026, 1, 1), None), status="revoked"),
        traject((c.PHASE_CONTACT_PERIOD, at(2026, 1, 1), None), status="on-hold"),
    ],
)
def test_closed_traject(closed: object) -> None:
    with pytest.raises(RuleViolation) as info:
        check_measurement(measurement(at(2026, 2, 10)), Q, closed)  # type: ignore[arg-type]
    assert info.value.code == "traject-closed" and "afgesloten" in info.value.message_nl


def test_response_for_another_traject() -> None:
    other = replace(measurement(at(2026, 2, 10)), traject="CarePlan/someone-else")
    with pytest.raises(InvalidInput):
        check_measurement(other, Q, OPEN)


def test_valid_measurement_passes_and_order_is_the_questionnaires() -> None:
    check_measurement(measurement(at(2026, 2, 10)), Q, OPEN)
    assert [k for k, _ in ordered({"wellbeing-overall": 3, "autonomy": 1}, Q)] == [
        "autonomy",
        "wellbeing-overall",
    ]


def test_model_refuses_duplicates_and_non_integers() -> None:
    m = measurement(at(2026, 2, 10))
    with pytest.raises(InvalidInput):
        replace(m, answers=(("autonomy", 5), ("autonomy", 6)))
    with pytest.raises(InvalidInput):
        replace(m, answers=(("autonomy", 5.5),))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        replace(m, authored=m.authored.replace(tzinfo=None))
