"""All alerts of one traject at `now`, most severe first: the one place where a traject's alerts are put
together, for the traject page, the cohort overview, the start pages and a scheduled check alike (issue 16:
they used to assemble them with different rule sets)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert, most_severe_first
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.model import CareTeam, Contact, Task, Traject
from hvol_fhir.programme.rules.birthday import check_eighteen
from hvol_fhir.programme.rules.careteam import check_responsibility
from hvol_fhir.programme.rules.coaching import check_coach_after, coach_contacts_of
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
    team: CareTeam | None = None,
) -> list[Alert]:
    """P-INCL-6W, P-INTRO, P-F2F-WEEK, P-2H-WEEK, P-COACH-AFTER (when coach contacts are known: pass an
    empty sequence for "none", None only when they could not be read), P-18 (when the birth date is known),
    P-RESP (when the team is known) and P-CLOSE-REASON. A closed traject only reports a missing closure
    reason."""
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
    if team is not None:
        alerts += check_responsibility(team, now)
    return most_severe_first(alerts)


WEEKLY_RULES = frozenset({"P-F2F-WEEK", "P-2H-WEEK"})


def assemble(
    traject: Traject,
    contacts: Iterable[Contact],
    now: datetime,
    *,
    tasks: Sequence[Task] | None,
    team: CareTeam | None = None,
    birth_date: date | None = None,
    subject: str | None = None,
    since: datetime | None = None,
) -> list[Alert]:
    """Every alert family of one traject from what was read about it: the single assembly that the traject
    page, the overview and the start pages share.

    `tasks` None means the caller's role could not read them (no coach follow-up then); an empty sequence
    means there are none, and P-COACH-AFTER fires for every contact. `since`: the contacts were read from
    that moment on only (the overview's window), so weekly norms of earlier weeks are left out instead of
    being reported as weeks without contact.
    """
    alerts = traject_alerts(
        traject,
        contacts,
        now,
        birth_date=birth_date,
        coach_contacts=None if tasks is None else coach_contacts_of(tasks),
        tasks=tasks or (),
        subject=subject,
        team=team,
    )
    if since is None:
        return alerts
    first = local_date(since)
    return [a for a in alerts if a.rule_id not in WEEKLY_RULES or a.due is None or a.due >= first]
