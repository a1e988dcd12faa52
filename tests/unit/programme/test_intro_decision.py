"""P-INTRO-OUTCOME in two steps (issue 14): the buddy reports the decision, the coordinator confirms."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hvol_fhir.errors import RuleViolation
from hvol_fhir.mapping import task as task_mapping
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.introduction import confirm_decision, report_decision
from tests.unit.programme.builders import at, traject

INTRO = replace(
    traject(
        [
            (c.PHASE_INCLUSION, at(2026, 10, 1, 9), at(2026, 10, 26, 9)),
            (c.PHASE_INTRODUCTION, at(2026, 10, 26, 9), None),
        ],
        status="active",
    ),
    id="t1",
)


@pytest.mark.parametrize(
    ("outcome", "phase", "status"),
    [
        (c.OUTCOME_CONTINUE, c.PHASE_CONTACT_PERIOD, "active"),
        (c.OUTCOME_OTHER_BUDDY, c.PHASE_INTRODUCTION, "active"),
        (c.OUTCOME_STOP, c.PHASE_CLOSURE, "completed"),
    ],
)
def test_report_then_confirm(outcome: str, phase: str, status: str) -> None:
    reported = report_decision(INTRO, outcome, at(2026, 11, 10, 15), identifier="d1", buddy="Practitioner/b")
    assert reported.status == "requested" and reported.outcome == outcome and reported.focus == "CarePlan/t1"
    back = task_mapping.from_fhir(task_mapping.to_fhir(reported))
    assert back.outcome == outcome and back.kind == c.TASK_INTRO_DECISION
    reason = "youth-no-click" if outcome == c.OUTCOME_STOP else None
    moved, done = confirm_decision(INTRO, back, at(2026, 11, 11, 9), reason=reason)
    assert moved.current_phase is not None and moved.current_phase.phase == phase
    assert moved.status == status and moved.intro_outcome == (
        None if outcome == c.OUTCOME_OTHER_BUDDY else outcome
    )
    assert done.status == "completed"


def test_stop_needs_a_closure_reason_when_confirmed() -> None:
    reported = report_decision(
        INTRO, c.OUTCOME_STOP, at(2026, 11, 10), identifier="d", buddy="Practitioner/b"
    )
    with pytest.raises(RuleViolation, match="reden"):
        confirm_decision(INTRO, reported, at(2026, 11, 11), reason=None)


def test_only_during_the_introduction() -> None:
    contact = traject([(c.PHASE_CONTACT_PERIOD, at(2026, 10, 1), None)], status="active")
    with pytest.raises(RuleViolation, match="kennismakingsperiode"):
        report_decision(contact, c.OUTCOME_CONTINUE, at(2026, 11, 10), identifier="d", buddy="Practitioner/b")
    with pytest.raises(Exception, match="outcome"):
        report_decision(INTRO, "maybe", at(2026, 11, 10), identifier="d", buddy="Practitioner/b")
