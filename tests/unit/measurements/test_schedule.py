"""Biweekly due dates from the CarePlan's phases, across phase changes, and the Tasks to create or cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hvol_fhir.measurements import MeasurementTask
from hvol_fhir.measurements.fhir import task_identifier
from hvol_fhir.measurements.schedule import due_dates, due_without_tasks, is_due_date, plan, shown
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.phases import close

from .builders import at, traject

INTRO = (c.PHASE_INTRODUCTION, at(2026, 1, 5), at(2026, 1, 26))
CONTACT = (c.PHASE_CONTACT_PERIOD, at(2026, 1, 26), None)


def test_nothing_before_the_contact_period() -> None:
    t = traject(
        (c.PHASE_INCLUSION, at(2026, 1, 1), at(2026, 1, 5)), (c.PHASE_INTRODUCTION, at(2026, 1, 5), None)
    )
    assert due_dates(t, until=date(2026, 12, 31)) == ()


def test_every_two_weeks_from_the_start_of_the_contact_period() -> None:
    t = traject(INTRO, CONTACT)
    assert due_dates(t, until=date(2026, 3, 23)) == (
        date(2026, 2, 9),
        date(2026, 2, 23),
        date(2026, 3, 9),
        date(2026, 3, 23),
    )


def test_phase_changes_move_and_end_the_schedule() -> None:
    # P-INTRO-OUTCOME "other buddy": a second introduction, so the contact period starts a week later.
    t = traject(
        (c.PHASE_INTRODUCTION, at(2026, 1, 5), at(2026, 1, 26)), (c.PHASE_INTRODUCTION, at(2026, 1, 26), None)
    )
    assert due_dates(t, until=date(2026, 6, 1)) == ()
    t = traject(
        (c.PHASE_INTRODUCTION, at(2026, 1, 5), at(2026, 1, 26)),
        (c.PHASE_INTRODUCTION, at(2026, 1, 26), at(2026, 2, 2)),
        (c.PHASE_CONTACT_PERIOD, at(2026, 2, 2), None),
    )
    assert due_dates(t, until=date(2026, 3, 2))[:2] == (date(2026, 2, 16), date(2026, 3, 2))
    closed = close(t, "youth-no-longer-needed", at(2026, 3, 10))
    assert due_dates(closed, until=date(2026, 12, 31)) == (date(2026, 2, 16), date(2026, 3, 2))
    # closing on a due date: that date is no longer in the contact period
    on_due = close(t, "youth-no-longer-needed", at(2026, 3, 2, 9))
    assert due_dates(on_due, until=date(2026, 12, 31)) == (date(2026, 2, 16),)


def test_across_daylight_saving_time() -> None:
    t = traject(INTRO, (c.PHASE_CONTACT_PERIOD, at(2026, 3, 16, 23), None))  # DST starts 29 March
    assert due_dates(t, until=date(2026, 4, 13)) == (date(2026, 3, 30), date(2026, 4, 13))


@given(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=200))
def test_is_due_date_agrees_with_the_list(offset: int, length: int) -> None:
    start = at(2026, 1, 1) + timedelta(days=offset)
    end = start + timedelta(days=length) if length < 150 else None
    t = traject((c.PHASE_CONTACT_PERIOD, start, end))
    until = date(2027, 12, 31)
    listed = set(due_dates(t, until=until))
    for k in range(0, 600, 7):
        day = date(2026, 1, 1) + timedelta(days=k)
        assert is_due_date(t, day) == (day in listed)


def task_for(t: object, due: date, status: str = "requested") -> MeasurementTask:
    return MeasurementTask(
        identifier=task_identifier("7d1c0c52-55b5-4a6e-9c52-1f0c2a8e0b11", due),
        traject="CarePlan/tr-1",
        patient="Patient/y-1",
        due=due,
        window_start=due - timedelta(days=7),
        status=status,
        version="1",
    )


def test_plan_creates_the_task_whose_window_started_once() -> None:
    t = traject(INTRO, CONTACT)
    assert plan(t, [], date(2026, 2, 1)).create == ()  # window of 9 Feb starts 2 Feb
    first = plan(t, [], date(2026, 2, 2)).create
    assert [x.due for x in first] == [date(2026, 2, 9)] and first[0].window_start == date(2026, 2, 2)
    assert plan(t, first, date(2026, 2, 5)).create == ()  # nothing twice
    # long missed moments are not asked for; the last overdue one is
    later = plan(t, [], date(2026, 3, 17)).create
    assert [x.due for x in later] == [date(2026, 3, 9), date(2026, 3, 23)]


def test_plan_cancels_open_tasks_after_closure_and_on_hold() -> None:
    t = traject(INTRO, CONTACT)
    tasks = [
        task_for(t, date(2026, 2, 9), "completed"),
        task_for(t, date(2026, 2, 23)),
        task_for(t, date(2026, 3, 9)),
    ]
    closed = close(t, "abrupt-ran-away", at(2026, 2, 25))
    todo = plan(closed, tasks, date(2026, 2, 26))
    assert [x.due for x in todo.cancel] == [date(2026, 2, 23), date(2026, 3, 9)] and todo.create == ()
    held = plan(replace(t, status="on-hold"), tasks, date(2026, 2, 26))
    assert len(held.cancel) == 2 and held.create == ()
    assert plan(t, tasks, date(2026, 2, 26)).cancel == ()


def test_shown_and_schedule_only_fallback() -> None:
    t = traject(INTRO, CONTACT)
    tasks = [
        task_for(t, date(2026, 3, 9)),
        task_for(t, date(2026, 2, 23)),
        task_for(t, date(2026, 2, 9), "completed"),
    ]
    assert [x.due for x in shown(tasks, date(2026, 3, 3))] == [date(2026, 2, 23), date(2026, 3, 9)]
    assert due_without_tasks(t, [], date(2026, 2, 23)) == [date(2026, 2, 9), date(2026, 2, 23)]
    assert due_without_tasks(t, [], date(2026, 2, 24)) == [date(2026, 2, 23)]  # 9 Feb is past its grace
    assert due_without_tasks(t, [date(2026, 2, 20)], date(2026, 2, 23)) == [date(2026, 2, 9)]
    assert due_without_tasks(replace(t, status="completed"), [], date(2026, 2, 24)) == []
