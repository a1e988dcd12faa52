"""Pause and resume (issue 14), with the clock pinned: the weekly norms rest in every week a pause touches,
across ISO week 53 and the turn of the year, and across a DST change; the texts blame nobody."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hvol_fhir.errors import RuleViolation
from hvol_fhir.mapping import careplan
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import IsoWeek
from hvol_fhir.programme.rules import traject_alerts
from hvol_fhir.programme.rules.pause import check_pause, pause, paused_weeks, resume
from hvol_fhir.programme.rules.weekly import assessed_weeks, check_face_to_face, check_weekly_hours

from .builders import at, contact, traject

CONTACT = traject(
    [
        (c.PHASE_INCLUSION, at(2026, 10, 1, 9), at(2026, 11, 1, 9)),
        (c.PHASE_INTRODUCTION, at(2026, 11, 1, 9), at(2026, 11, 30, 9)),
        (c.PHASE_CONTACT_PERIOD, at(2026, 11, 30, 9), None),  # Monday: week 49 is a full week
    ],
    status="active",
)


def test_pause_and_resume_change_status_and_keep_the_dates() -> None:
    paused = pause(CONTACT, c.PAUSE_MISSING, at(2026, 12, 31, 14))
    assert paused.status == "on-hold" and paused.open_pause is not None
    resumed = resume(paused, at(2027, 1, 5, 10))
    assert resumed.status == "active" and resumed.open_pause is None
    assert resumed.pauses[0].end == at(2027, 1, 5, 10) and resumed.pauses[0].reason == "missing"
    assert CONTACT.pauses == ()  # the old traject is untouched


def test_pause_across_week_53_frees_both_weeks_and_no_other() -> None:
    """2026 has an ISO week 53 (28 Dec - 3 Jan). A pause Thursday 31 Dec - Tuesday 5 Jan touches W53 and
    2027-W01: neither gives a warning, the weeks around them still do."""
    now = at(2027, 1, 20, 12)
    paused = resume(pause(CONTACT, c.PAUSE_MISSING, at(2026, 12, 31, 14)), at(2027, 1, 5, 10))
    assert {str(w) for w in paused_weeks(paused, now)} == {"2026-W53", "2027-W01"}
    before = {str(w) for w in assessed_weeks(CONTACT, now)}
    after = {str(w) for w in assessed_weeks(paused, now)}
    assert before - after == {"2026-W53", "2027-W01"}
    warned = {a.due for a in check_weekly_hours(paused, [], now) if a.severity == "warning"}
    assert IsoWeek(2026, 52).sunday in warned and IsoWeek(2027, 2).sunday in warned
    assert IsoWeek(2026, 53).sunday not in warned and IsoWeek(2027, 1).sunday not in warned
    f2f = {a.due for a in check_face_to_face(paused, [], now)}
    assert IsoWeek(2026, 53).sunday not in f2f


def test_open_pause_rests_the_norms_up_to_now() -> None:
    """Eight warnings in four weeks was the complaint: while she is missing, the running weeks stay quiet."""
    now = at(2027, 1, 31, 20)  # Sunday evening of 2027-W04
    paused = pause(CONTACT, c.PAUSE_MISSING, at(2027, 1, 4, 8))  # Monday of W01
    weekly = [a for a in traject_alerts(paused, [], now) if a.rule_id in ("P-F2F-WEEK", "P-2H-WEEK")]
    assert all(a.due is not None and a.due < IsoWeek(2027, 1).monday for a in weekly)
    info = check_pause(paused, now)
    assert len(info) == 1 and "ligt niet aan het maatje" in info[0].message_nl
    assert "4 januari" in info[0].message_nl


def test_pause_across_the_dst_change_by_local_date() -> None:
    """Sunday 29 March 2026 01:30 local is the last hour of W13; the resume at 03:30 the same night (after the
    clocks went forward) is still W13: only that week rests."""
    plan = traject([(c.PHASE_CONTACT_PERIOD, at(2026, 3, 2, 9), None)], status="active")
    paused = resume(pause(plan, c.PAUSE_ADMISSION, at(2026, 3, 29, 1, 30)), at(2026, 3, 29, 3, 30))
    assert {str(w) for w in paused_weeks(paused, at(2026, 4, 20))} == {"2026-W13"}
    held = [contact(at(2026, 3, 23, 10), 130)]  # two hours in W13: irrelevant now, the week rests
    assert IsoWeek(2026, 13).sunday not in {a.due for a in check_weekly_hours(paused, held, at(2026, 4, 20))}


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        (traject([(c.PHASE_INCLUSION, at(2026, 10, 1), None)], status="draft"), "kennismakingsperiode"),
        (replace(CONTACT, status="completed"), "kennismakingsperiode"),
    ],
)
def test_pause_only_in_introduction_or_contact(plan: object, words: str) -> None:
    with pytest.raises(RuleViolation, match=words):
        pause(plan, c.PAUSE_OTHER, at(2026, 12, 1))  # type: ignore[arg-type]


def test_one_pause_at_a_time_and_resume_needs_a_pause() -> None:
    paused = pause(CONTACT, c.PAUSE_OTHER, at(2026, 12, 1))
    with pytest.raises(RuleViolation, match="al gepauzeerd"):
        pause(paused, c.PAUSE_OTHER, at(2026, 12, 2))
    with pytest.raises(RuleViolation, match="niet gepauzeerd"):
        resume(CONTACT, at(2026, 12, 2))
    with pytest.raises(RuleViolation, match="vóór het begin"):
        resume(paused, at(2026, 11, 30, 12))
    again = resume(paused, at(2026, 12, 8))
    with pytest.raises(RuleViolation, match="eerdere pauze"):
        pause(again, c.PAUSE_OTHER, at(2026, 12, 7))


def test_unknown_reason_is_refused() -> None:
    with pytest.raises(Exception, match="pause"):
        pause(CONTACT, "bored", at(2026, 12, 1))


def test_pauses_round_trip_through_the_careplan_and_keep_other_activities() -> None:
    paused = resume(pause(CONTACT, c.PAUSE_MISSING, at(2026, 12, 31, 14)), at(2027, 1, 5, 10))
    paused = pause(paused, c.PAUSE_ADMISSION, at(2027, 1, 12, 10))
    raw = careplan.to_fhir(paused).model_dump(by_alias=True, exclude_none=True, mode="json")
    details = [a["detail"] for a in raw["activity"]]
    pauses = [d for d in details if d["code"]["coding"][0]["code"] == "pause"]
    assert [p["status"] for p in pauses] == ["completed", "on-hold"] and raw["status"] == "on-hold"
    back = careplan.from_fhir(raw)
    assert back.pauses == paused.pauses and back.status == "on-hold"
    foreign = {"detail": {"code": {"text": "iets van een ander systeem"}, "status": "scheduled"}}
    raw["activity"].append(foreign)
    resumed = resume(back, at(2027, 1, 20, 10))
    updated = careplan.update_fhir(raw, resumed).model_dump(by_alias=True, exclude_none=True, mode="json")
    assert foreign in updated["activity"]
    assert careplan.from_fhir(updated).pauses == resumed.pauses  # rewritten, never duplicated
    for act in updated["activity"]:  # as a buddy's app reads it: the sealed reason does not open for her
        act.get("detail", {}).pop("reasonCode", None)
    unsealed = careplan.from_fhir(updated)
    assert [p.reason for p in unsealed.pauses] == [None, None] and unsealed.pauses[0].end is not None


def test_outflow_keeps_the_traject_open_and_reminds_the_buddy_in_good_time() -> None:
    from hvol_fhir.programme.rules.pause import outflow_reminder, record_outflow

    moved = record_outflow(replace(CONTACT, id="t1"), at(2027, 1, 4, 9), "Gezinshuis De Linde, Zwolle")
    assert moved.status == "active" and moved.current_phase == CONTACT.current_phase
    todo = outflow_reminder(moved, identifier="o1", buddy="Practitioner/b", now=at(2026, 12, 1, 10))
    assert todo.kind == c.TASK_OUTFLOW_CONSENT and todo.owner == "Practitioner/b"
    assert str(todo.due) == "2026-12-21"  # two weeks ahead (across ISO week 53)
    late = outflow_reminder(moved, identifier="o2", buddy=None, now=at(2026, 12, 30, 10))
    assert str(late.due) == "2026-12-30"  # already within two weeks: ask now
    raw = careplan.to_fhir(moved).model_dump(by_alias=True, exclude_none=True, mode="json")
    assert careplan.from_fhir(raw).outflow == moved.outflow
    again = careplan.update_fhir(raw, moved).model_dump(by_alias=True, exclude_none=True, mode="json")
    assert str(again).count("'outflow'") == 1  # written anew, never twice
    closed = replace(CONTACT, status="completed")
    with pytest.raises(RuleViolation, match="afgerond"):
        record_outflow(closed, at(2027, 1, 4), "ergens")
