"""All alerts of one traject at `now`, most severe first: what a traject page or a scheduled check shows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert, most_severe_first
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.model import Contact, Task, Traject
from hvol_fhir.programme.rules.birthday import check_eighteen
from hvol_fhir.programme.rules.coaching import check_coach_after
from hvol_fhir.programme.rules.inclusion import check_inclusion_period
from hvol_fhir.programme.rules.introduction import check_introduction
from hvol_fhir.programme.rules.pause import check_pause
from hvol_fhir.programme.rules.phases import check_closure_reason, is_closed
from hvol_fhir.programme.rules.weekly import check_face_to_face, check_weekly_hours


def traject_alerts(
    traject: Traject,
    contacts: Iterable[Contact],
    now: datetime,
    *,
    birth_date: date | None = None,
    coach_contacts: Sequence[datetime] | None = None,
    tasks: Iterable[Task] = (),
    subject: str | None = None,
) -> list[Alert]:
    """P-INCL-6W, P-INTRO, P-F2F-WEEK, P-2H-WEEK, P-COACH-AFTER (when coach contacts are known), P-18 (when
    the birth date is known) and P-CLOSE-REASON. A closed traject only reports a missing closure reason."""
    held = list(contacts)
    alerts = check_closure_reason(traject, subject=subject)
    if is_closed(traject):
        return alerts
    current = traject.current_phase
    phase = current.phase if current else None
    alerts += check_pause(traject, now, subject=subject)
    if phase == c.PHASE_INCLUSION:
        alerts += check_inclusion_period(traject, now, subject=subject)
    if phase == c.PHASE_INTRODUCTION:
        alerts += check_introduction(traject, held, now, subject=subject)
    if traject.phase_periods(c.PHASE_CONTACT_PERIOD):
        alerts += check_face_to_face(traject, held, now, subject=subject)
        alerts += check_weekly_hours(traject, held, now, subject=subject)
    if coach_contacts is not None:
        alerts += check_coach_after(held, coach_contacts, now)
    if birth_date is not None:
        # Issue 14: a girl included after the talk's due date gets a fresh due date, not an instant warning.
        joined = local_date(traject.phases[0].start) if traject.phases else None
        alerts += check_eighteen(birth_date, now, tasks=tasks, subject=subject, included_on=joined)
    return most_severe_first(alerts)
