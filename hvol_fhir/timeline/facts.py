"""What the timeline shows, once: the axis, the contacts and weeks inside it, and the signals per week.

Pure. The SVG (`svg.py`) and its text alternative (`table.py`) both draw from these functions, so a screen
reader's table holds exactly the contacts and weeks the picture holds (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert
from hvol_fhir.programme.clock import IsoWeek, local, local_date, utc
from hvol_fhir.programme.model import Contact, Traject
from hvol_fhir.programme.rules.weekly import assessed_weeks, face_to_face_weeks, weekly_contact_time

WIDTH = 1100
LEFT = 200  # room for the row and lane labels ("School, werk, dagbesteding 8,0 (=)")
RIGHT = 20
SEVERITY_ORDER = {"block": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Lane:
    """An extra lane of 0-10 values over time (issue 7: measurement scores)."""

    label: str
    points: tuple[tuple[datetime, float], ...]


@dataclass(frozen=True)
class Row:
    label: str
    traject: Traject
    contacts: tuple[Contact, ...] = ()
    alerts: tuple[Alert, ...] = ()
    coach_contacts: tuple[datetime, ...] = ()
    lanes: tuple[Lane, ...] = field(default_factory=tuple)
    href: str | None = None  # the row label links here (coordinator's stacked view)


@dataclass(frozen=True)
class Axis:
    start: datetime
    end: datetime

    def x(self, moment: datetime) -> float:
        span = (utc(self.end) - utc(self.start)).total_seconds() or 1.0
        share = (utc(moment) - utc(self.start)).total_seconds() / span
        return LEFT + max(0.0, min(1.0, share)) * (WIDTH - LEFT - RIGHT)

    def xd(self, day: date) -> float:
        return self.x(datetime.combine(day, datetime.min.time(), tzinfo=local(self.start).tzinfo))

    def holds(self, moment: datetime) -> bool:
        return utc(self.start) <= utc(moment) <= utc(self.end)

    def holds_week(self, week: IsoWeek) -> bool:
        return utc(week.end) > utc(self.start) and utc(week.start) < utc(self.end)


@dataclass(frozen=True)
class WeekFacts:
    """One week of one traject as the table reads it."""

    week: IsoWeek
    assessed: bool  # a week of the contact period: its hours are drawn against the norm
    contact_time: timedelta
    face_to_face: bool
    contacts: tuple[Contact, ...]
    signals: tuple[Alert, ...]


def axis_for(
    rows: Sequence[Row], now: datetime, *, start: datetime | None = None, end: datetime | None = None
) -> Axis:
    """From the earliest traject start, a few days before it, to a week after the last contact or today. A
    range's `start` cuts the front off; it never stretches the axis to before the traject began."""
    starts = [r.traject.phases[0].start if r.traject.phases else r.traject.created for r in rows]
    begun = local(min(starts, key=utc) if starts else now - timedelta(weeks=12)) - timedelta(days=3)
    first = local(start) if start is not None and utc(start) > utc(begun) else begun
    last = end or max([now, *(x.end for r in rows for x in r.contacts)], key=utc)
    return Axis(first, local(last) + timedelta(days=7))


def shown_contacts(row: Row, axis: Axis) -> list[Contact]:
    return sorted((x for x in row.contacts if axis.holds(x.start)), key=lambda k: utc(k.start))


def shown_weeks(row: Row, axis: Axis, now: datetime) -> list[IsoWeek]:
    """The weeks whose hours bar is drawn: contact-period weeks inside the axis."""
    return [w for w in assessed_weeks(row.traject, now) if axis.holds_week(w)]


def signal_week(alert: Alert, now: datetime) -> IsoWeek:
    return IsoWeek.of_date(alert.due) if alert.due else IsoWeek.of(now)


def signals_by_week(alerts: Iterable[Alert], now: datetime, axis: Axis) -> dict[IsoWeek, list[Alert]]:
    """Signals gathered per week (most severe first), so one mark per week stands above the contacts."""
    out: dict[IsoWeek, list[Alert]] = {}
    for a in alerts:
        week = signal_week(a, now)
        if axis.holds_week(week):
            out.setdefault(week, []).append(a)
    for found in out.values():
        found.sort(key=lambda a: SEVERITY_ORDER.get(a.severity, 3))
    return out


def week_facts(row: Row, axis: Axis, now: datetime) -> list[WeekFacts]:
    """Every week inside the axis that is assessed, holds a contact or a signal, in time order."""
    assessed = set(shown_weeks(row, axis, now))
    contacts: dict[IsoWeek, list[Contact]] = {}
    for x in shown_contacts(row, axis):
        contacts.setdefault(IsoWeek.of(x.start), []).append(x)
    signals = signals_by_week(row.alerts, now, axis)
    totals = weekly_contact_time(row.contacts)
    f2f = face_to_face_weeks(row.contacts)
    weeks = sorted(assessed | set(contacts) | set(signals))
    return [
        WeekFacts(
            week=w,
            assessed=w in assessed,
            contact_time=totals.get(w, timedelta(0)),
            face_to_face=w in f2f,
            contacts=tuple(contacts.get(w, ())),
            signals=tuple(signals.get(w, ())),
        )
        for w in weeks
    ]


def first_monday(axis: Axis) -> date:
    day = local_date(axis.start)
    return day - timedelta(days=day.weekday())


def is_face_to_face(x: Contact) -> bool:
    return x.contact_type == c.CONTACT_FACE_TO_FACE
