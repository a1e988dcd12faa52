from __future__ import annotations

import pytest

from hvol_fhir.errors import InvalidInput, RuleViolation, UnknownCode
from hvol_fhir.programme.model import Traject
from hvol_fhir.programme.rules.phases import (
    check_closure_reason,
    close,
    is_closed,
    record_intro_outcome,
    restart,
    transition,
)
from tests.unit.programme.builders import PATIENT_REF, at, traject

T0 = at(2025, 1, 6, 9)


def _empty() -> Traject:
    return Traject(identifier="t1", patient=PATIENT_REF, created=T0, id="t1")


def _walk(*phases: str) -> Traject:
    t = _empty()
    for i, phase in enumerate(phases):
        t = transition(t, phase, T0.replace(day=6 + i))
    return t


def test_happy_path_records_periods() -> None:
    t = _walk("preparation", "inclusion", "introduction")
    t = record_intro_outcome(t, "continue", at(2025, 1, 20))
    assert [p.phase for p in t.phases] == ["preparation", "inclusion", "introduction", "contact-period"]
    assert [p.status for p in t.phases] == ["completed", "completed", "completed", "in-progress"]
    assert t.phases[2].end == at(2025, 1, 20) == t.phases[3].start
    assert t.intro_outcome == "continue"
    t = close(t, "youth-no-longer-needed", at(2025, 6, 1))
    assert is_closed(t) and t.status == "completed" and t.closure_reason == "youth-no-longer-needed"
    assert check_closure_reason(t) == []


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ((), "introduction"),  # a traject starts with preparation or inclusion
        (("preparation",), "introduction"),  # inclusion cannot be skipped
        (("inclusion",), "contact-period"),
        (("inclusion", "introduction"), "inclusion"),  # no way back
        (("inclusion",), "preparation"),
    ],
)
def test_illegal_transitions(path: tuple[str, ...], to: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        transition(_walk(*path), to, at(2025, 2, 1))
    assert caught.value.rule_id == "P-PHASE"
    assert caught.value.field == "phase"


def test_leaving_introduction_needs_outcome() -> None:
    t = _walk("inclusion", "introduction")
    with pytest.raises(RuleViolation) as caught:
        transition(t, "contact-period", at(2025, 2, 1))
    assert caught.value.rule_id == "P-INTRO-OUTCOME"


def test_outcome_decides_where_to_go() -> None:
    t = _walk("inclusion", "introduction")
    from dataclasses import replace

    with pytest.raises(RuleViolation):
        transition(replace(t, intro_outcome="stop"), "contact-period", at(2025, 2, 1))
    with pytest.raises(RuleViolation):
        transition(replace(t, intro_outcome="other-buddy"), "contact-period", at(2025, 2, 1))


def test_outcome_stop_closes_with_reason() -> None:
    t = _walk("inclusion", "introduction")
    with pytest.raises(RuleViolation) as caught:
        record_intro_outcome(t, "stop", at(2025, 2, 1))
    assert caught.value.rule_id == "P-CLOSE-REASON"
    closed = record_intro_outcome(t, "stop", at(2025, 2, 1), reason="youth-no-click")
    assert is_closed(closed) and closed.intro_outcome == "stop" and closed.closure_reason == "youth-no-click"


def test_outcome_other_buddy_starts_a_new_introduction() -> None:
    t = record_intro_outcome(_walk("inclusion", "introduction"), "other-buddy", at(2025, 2, 1))
    assert [p.phase for p in t.phases] == ["inclusion", "introduction", "introduction"]
    assert t.intro_outcome is None  # the new introduction waits for a new decision


def test_outcome_only_during_introduction() -> None:
    with pytest.raises(RuleViolation):
        record_intro_outcome(_walk("inclusion"), "continue", at(2025, 2, 1))
    with pytest.raises(UnknownCode):
        record_intro_outcome(_walk("inclusion", "introduction"), "maybe", at(2025, 2, 1))


@pytest.mark.parametrize("path", [("preparation",), ("inclusion",), ("inclusion", "introduction")])
def test_any_open_phase_may_close_abruptly_with_reason(path: tuple[str, ...]) -> None:
    t = close(_walk(*path), "abrupt-ran-away", at(2025, 3, 1))
    assert is_closed(t)


def test_closure_needs_a_valid_reason() -> None:
    t = _walk("inclusion")
    with pytest.raises(RuleViolation) as caught:
        transition(t, "closure", at(2025, 3, 1))
    assert (caught.value.rule_id, caught.value.field) == ("P-CLOSE-REASON", "closure_reason")
    with pytest.raises(UnknownCode):
        close(t, "buddy-side", at(2025, 3, 1))  # a group code, not selectable


def test_closed_is_final_and_restart_replaces() -> None:
    old = close(_walk("inclusion"), "abrupt-faded", at(2025, 3, 1))
    with pytest.raises(RuleViolation) as caught:
        transition(old, "inclusion", at(2025, 4, 1))
    assert caught.value.rule_id == "P-RESTART"
    new = restart(old, identifier="t2", at=at(2025, 9, 1))
    assert new.replaces == "CarePlan/t1"
    assert new.patient == old.patient
    assert [p.phase for p in new.phases] == ["inclusion"]
    assert not is_closed(new)


def test_restart_needs_closed_traject() -> None:
    with pytest.raises(RuleViolation):
        restart(_walk("inclusion"), identifier="t2", at=at(2025, 9, 1))


def test_transition_before_current_phase_start_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        transition(_walk("inclusion"), "introduction", at(2024, 12, 1))
    assert caught.value.field == "at"


def test_closure_reason_alert_for_foreign_data() -> None:
    t = traject([("inclusion", at(2025, 1, 1), at(2025, 2, 1)), ("closure", at(2025, 2, 1), at(2025, 2, 1))])
    (alert,) = check_closure_reason(t)
    assert (alert.rule_id, alert.severity) == ("P-CLOSE-REASON", "block")
