"""P-COACH-AFTER (norm): after every contact moment the buddy has at least a short contact with the coach.

Guide §2.3/§3 say "after every contact moment", without a deadline; the window is a parameter (default
seven days). A coach contact counts for a contact when it happens at or after the contact's end and within
the window; one coach contact may cover several contacts. Coach contacts are passed as plain datetimes:
they are between buddy and coach, not with the youth, and carry no content here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final

from hvol_fhir.programme.alerts import INFO, WARNING, Alert, Severity
from hvol_fhir.programme.checks import require_aware
from hvol_fhir.programme.clock import local, local_date, utc
from hvol_fhir.programme.model import Contact
from hvol_fhir.programme.rules.common import check_now
from hvol_fhir.programme.text_nl import date_nl

COACH_WINDOW: Final = timedelta(days=7)


def check_coach_after(
    contacts: Iterable[Contact],
    coach_contacts: Sequence[datetime],
    now: datetime,
    *,
    window: timedelta = COACH_WINDOW,
) -> list[Alert]:
    """One alert per finished contact without a coach contact in [end, end + window]."""
    check_now(now)
    for i, moment in enumerate(coach_contacts):
        require_aware(moment, f"coach_contacts[{i}]")
    coach_times = sorted(utc(m) for m in coach_contacts)
    alerts: list[Alert] = []
    for contact in contacts:
        if contact.status != "finished":
            continue  # a contact still running or planned has no "after" yet
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
