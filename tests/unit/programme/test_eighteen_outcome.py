"""P-18 (issue 14): a late inclusion gets a fresh due date, not an instant warning; the talk is resolved with
an outcome that round-trips through the Task. The clock is pinned."""

from __future__ import annotations

from datetime import date

import pytest

from hvol_fhir.mapping import task as task_mapping
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules import traject_alerts
from hvol_fhir.programme.rules.birthday import check_eighteen, eighteen_task, late_due, resolve_eighteen
from tests.unit.programme.builders import at, traject

BIRTH = date(2009, 1, 20)  # 18 on 20 January 2027; the talk is due 20 October 2026
INCLUDED = date(2026, 12, 28)  # 17 years and 11 months, in ISO week 53 of 2026


def test_late_inclusion_gets_no_instant_overdue_warning() -> None:
    alerts = check_eighteen(BIRTH, at(2026, 12, 28, 10), included_on=INCLUDED)
    assert [a.severity for a in alerts] == ["info"]
    assert "kort daarvoor in het programma" in alerts[0].message_nl and "18" in alerts[0].message_nl
    assert "had" not in alerts[0].message_nl  # no reproach: nothing was missed
    assert alerts[0].due == date(2027, 1, 20)  # inclusion + four weeks is past the birthday: the birthday


def test_late_inclusion_warns_after_its_own_due_date() -> None:
    birth = date(2009, 3, 1)  # due 1 December 2026; included 10 December: talk due 7 January 2027
    assert late_due(birth, date(2026, 12, 10)) == date(2027, 1, 7)
    assert [
        a.severity for a in check_eighteen(birth, at(2027, 1, 7, 23), included_on=date(2026, 12, 10))
    ] == ["info"]
    assert [a.severity for a in check_eighteen(birth, at(2027, 1, 8, 1), included_on=date(2026, 12, 10))] == [
        "warning"
    ]


def test_in_time_inclusion_keeps_the_normal_rule() -> None:
    assert late_due(BIRTH, date(2026, 6, 1)) is None
    assert [a.severity for a in check_eighteen(BIRTH, at(2026, 10, 21, 9), included_on=date(2026, 6, 1))] == [
        "warning"
    ]


def test_traject_alerts_use_the_inclusion_start() -> None:
    plan = traject([(c.PHASE_INCLUSION, at(2026, 12, 28, 9), None)], status="draft")
    p18 = [a for a in traject_alerts(plan, [], at(2026, 12, 29, 9), birth_date=BIRTH) if a.rule_id == "P-18"]
    assert [a.severity for a in p18] == ["info"]


@pytest.mark.parametrize("outcome", [c.EIGHTEEN_CONTINUE, c.EIGHTEEN_CLOSE])
def test_resolved_with_an_outcome_that_round_trips(outcome: str) -> None:
    todo = eighteen_task(
        identifier="t18", birth_date=BIRTH, traject="CarePlan/t", patient="Patient/y", owner="Practitioner/b"
    )
    done = resolve_eighteen(
        todo,
        outcome,
        at(2027, 1, 5, 10),
        identifier="x",
        birth_date=BIRTH,
        traject="CarePlan/t",
        patient="Patient/y",
        owner=None,
    )
    assert done.status == "completed" and done.outcome == outcome and done.identifier == "t18"
    back = task_mapping.from_fhir(task_mapping.to_fhir(done))
    assert back.outcome == outcome and back.status == "completed"
    assert check_eighteen(BIRTH, at(2027, 1, 6), tasks=[back]) == []
    other = {"type": {"text": "iets anders"}, "valueString": "van een ander systeem"}
    raw = task_mapping.to_fhir(todo).model_dump(by_alias=True, exclude_none=True, mode="json")
    raw["output"] = [other]
    merged = task_mapping.update_fhir(raw, done).model_dump(by_alias=True, exclude_none=True, mode="json")
    assert other in merged["output"] and task_mapping.from_fhir(merged).outcome == outcome


def test_resolved_without_a_to_do_makes_a_completed_one() -> None:
    done = resolve_eighteen(
        None,
        c.EIGHTEEN_CLOSE,
        at(2027, 1, 5, 10),
        identifier="new",
        birth_date=BIRTH,
        traject="CarePlan/t",
        patient="Patient/y",
        owner="Practitioner/b",
    )
    assert done.identifier == "new" and done.kind == c.TASK_BIRTHDAY_18 and done.due == date(2026, 10, 20)
    with pytest.raises(Exception, match="outcome"):
        resolve_eighteen(
            None,
            "maybe",
            at(2027, 1, 5, 10),
            identifier="n",
            birth_date=BIRTH,
            traject="CarePlan/t",
            patient="Patient/y",
            owner=None,
        )
