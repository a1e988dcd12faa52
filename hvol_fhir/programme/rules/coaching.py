"""P-COACH-AFTER (norm): after every contact moment the buddy has at least a short contact with the coach.

Guide §2.3/§3 say "after every contact moment", without a deadline; the window is a parameter (default
seven days). A coach contact counts for a contact when it happens at or after the contact's end and within
the window; one coach contact may cover several contacts. Coach contacts are passed as plain datetimes:
they are between buddy and coach, not with the youth, and carry no content here.

Which contacts are assessed: the held ones (`rules.common.held`, the one definition the weekly norms and the
introduction use too) that have ended by `now`: a contact still running has no "after" yet. No coach contact
at all is an empty sequence and every such contact is reported (a buddy who never spoke with her coach is the
case the rule is for); a caller that could not read the coach contacts does not call the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import INFO, WARNING, Alert, Severity
from hvol_fhir.programme.checks import require_aware
from hvol_fhir.programme.clock import local, local_date, utc
from hvol_fhir.programme.model import Contact, Task
from hvol_fhir.programme.rules.common import check_now, held
from hvol_fhir.programme.text_nl import date_nl

COACH_WINDOW: Final = timedelta(days=7)


def check_coach_after(
    contacts: Iterable[Contact],
    coach_contacts: Sequence[datetime],
    now: datetime,
    *,
    window: timedelta = COACH_WINDOW,
) -> list[Alert]:
    """One alert per held, ended contact without a coach contact in [end, end + window]."""
    check_now(now)
    coach_times = _coach_times(coach_contacts)
    alerts: list[Alert] = []
    for contact in _ended(contacts, now):
        end = utc(contact.end)
        deadline = end + window
        if any(end <= t <= deadline for t in coach_times):
            continue
        severity: Severity = WARNING if utc(now) > deadline else INFO
        when = local(contact.start)
        message = (
            f"Na het contactmoment van {date_nl(when.date())} om {when:%H:%M} "
            f"{'was' if severity == WARNING else 'is nog'} geen contact met de coach"
            f"{'.' if severity == WARNING else ' geweest.'}"
        )
        subject = f"Encounter/{contact.id}" if contact.id else contact.traject
        alerts.append(
            Alert(
                rule_id="P-COACH-AFTER",
                severity=severity,
                message_nl=message,
                due=local_date(deadline),
                subjects=(subject,),
            )
        )
    return alerts


def _coach_times(coach_contacts: Sequence[datetime]) -> list[datetime]:
    for i, moment in enumerate(coach_contacts):
        require_aware(moment, f"coach_contacts[{i}]")
    return sorted(utc(m) for m in coach_contacts)


def _ended(contacts: Iterable[Contact], now: datetime) -> list[Contact]:
    return [x for x in held(contacts) if utc(x.end) <= utc(now)]


def without_coach_contact(
    contacts: Iterable[Contact], coach_contacts: Sequence[datetime], now: datetime
) -> list[Contact]:
    """The held, ended contacts with no coach contact at all since their end: still open. A coach contact
    after the window resolves the item (late, which the history counts), so the open list shrinks as soon as
    the buddy records that she spoke with her coach."""
    check_now(now)
    coach_times = _coach_times(coach_contacts)
    return [x for x in _ended(contacts, now) if not any(utc(x.end) <= t for t in coach_times)]


def coach_contacts_of(tasks: Iterable[Task]) -> list[datetime]:
    """The moments the buddy spoke with her coach: completed coach-contact tasks (their authored time)."""
    return sorted(
        (
            x.authored
            for x in tasks
            if x.kind == c.TASK_COACH_CONTACT and x.status == "completed" and x.authored
        ),
        key=utc,
    )
