"""When measurements are due: every two weeks during the contact period, computed from the CarePlan's phases.

Pure functions of the traject and a date (no clock inside):

- `due_dates`: the first measurement is due two weeks after the contact period starts (the youth has then had
  two weeks with her buddy to rate), then every two weeks, strictly before the contact period ends. Every
  contact-period phase of the traject counts on its own, so the schedule follows the phases as they are
  recorded: a contact period that starts later moves the dates, a closure drops the dates after it.
- `plan`: which Tasks to create and which to cancel, given the Tasks already there. A Task is shown from a
week
  before its due date (`WINDOW`). Only the current and the last overdue measurement get a Task: a missed
  moment
  long ago is not worth asking about (the youth's memory of it is gone). On a traject that is no longer active
  (closed, on hold, stopped) every open Task is cancelled and none is created.
Task identifiers are derived from traject and due date, so planning twice creates nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir.measurements.fhir import task_identifier
from hvol_fhir.measurements.model import MeasurementTask
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.model import Traject

INTERVAL: Final = timedelta(weeks=2)
WINDOW: Final = timedelta(days=7)  # shown this long before it is due
GRACE: Final = timedelta(weeks=2)  # an overdue Task is still created up to this long after its due date


def due_dates(traject: Traject, *, until: date) -> tuple[date, ...]:
    """Due dates up to and including `until`, over every contact-period phase of the traject."""
    out: list[date] = []
    for phase in traject.phase_periods(c.PHASE_CONTACT_PERIOD):
        start = local_date(phase.start)
        end = local_date(phase.end) if phase.end is not None else None
        due = start + INTERVAL
        while due <= until and (end is None or due < end):
            out.append(due)
            due += INTERVAL
    return tuple(sorted(set(out)))


def is_due_date(traject: Traject, day: date) -> bool:
    """Is `day` one of the traject's due dates (without listing them all)?"""
    for phase in traject.phase_periods(c.PHASE_CONTACT_PERIOD):
        start = local_date(phase.start)
        end = local_date(phase.end) if phase.end is not None else None
        steps, rest = divmod((day - start).days, INTERVAL.days)
        if steps >= 1 and rest == 0 and (end is None or day < end):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Plan:
    create: tuple[MeasurementTask, ...]
    cancel: tuple[MeasurementTask, ...]


def plan(
    traject: Traject, existing: Iterable[MeasurementTask], today: date, *, authored: datetime | None = None
) -> Plan:
    """Tasks to create (window started, not yet there) and open Tasks to cancel (no longer due)."""
    if traject.id is None:
        raise ValueError("plan needs a stored traject (CarePlan id)")
    tasks = list(existing)
    active = traject.status == "active"
    cancel = tuple(t for t in tasks if t.is_open and not (active and is_due_date(traject, t.due)))
    have = {t.identifier for t in tasks}
    create = []
    for due in due_dates(traject, until=today + WINDOW) if active else ():
        if due + GRACE < today:
            continue
        ident = task_identifier(traject.identifier, due)
        if ident in have:
            continue
        create.append(
            MeasurementTask(
                identifier=ident,
                traject=f"CarePlan/{traject.id}",
                patient=traject.patient,
                due=due,
                window_start=due - WINDOW,
                authored=authored,
            )
        )
    return Plan(tuple(create), cancel)


def due_without_tasks(traject: Traject, authored: Iterable[date], today: date) -> list[date]:
    """When the EHR holds no Tasks the app may read: the due dates shown, from the schedule alone. Each
    measurement counts for the due date nearest to it (the later one on a tie), if it lies from that date's
    window start up to its grace end."""
    if traject.status != "active":
        return []
    dues = [d for d in due_dates(traject, until=today + WINDOW) if d + GRACE >= today]
    everything = due_dates(traject, until=today + WINDOW)
    done: set[date] = set()
    for day in authored:
        candidates = [d for d in everything if d - WINDOW <= day <= d + GRACE]
        if candidates:
            done.add(min(candidates, key=lambda d: (abs((d - day).days), -d.toordinal())))
    return [d for d in dues if d not in done]


def shown(tasks: Iterable[MeasurementTask], today: date) -> list[MeasurementTask]:
    """Open Tasks whose window has started, oldest due date first (what the buddy sees)."""
    return sorted((t for t in tasks if t.is_open and t.window_start <= today), key=lambda t: t.due)
