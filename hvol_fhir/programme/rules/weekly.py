"""Weekly norms of the contact period (guide §3, §4.4): P-F2F-WEEK and P-2H-WEEK.

Weeks are ISO weeks in Europe/Amsterdam: Monday 00:00 local up to the next Monday 00:00 local.

- Which weeks are assessed: those the contact period covers from Monday to Sunday by local date. A first
  or last week that the period covers only in part is not assessed (a contact period that starts on a
  Thursday has not had a fair week yet), nor is a week that a pause touches (`rules.pause`).
- A week that is over and misses the norm gives a warning due on its Sunday. The running week gives info
  (due Sunday) while the norm is not met yet; future weeks give nothing.
- P-F2F-WEEK: a face-to-face contact counts in the week its start falls in (local time).
- P-2H-WEEK: contact time is the sum of the held contacts' durations: `Contact` holds only the contact
  itself, so travel and reporting time are excluded by construction. A contact that crosses a week
  boundary (Sunday to Monday, local) is split at Monday 00:00 local and each part counts in its own week.
  Durations are absolute time, so a DST week has 167 or 169 hours and a contact across 02:00 on the last
  Sunday of March or October lasts what really passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import INFO, WARNING, Alert, Severity
from hvol_fhir.programme.clock import IsoWeek, local_date, split_by_week, utc, weeks_between
from hvol_fhir.programme.model import Contact, Traject
from hvol_fhir.programme.rules.common import check_now, held
from hvol_fhir.programme.rules.pause import paused_weeks
from hvol_fhir.programme.text_nl import duration_nl

MIN_WEEKLY_CONTACT: Final = timedelta(hours=2)


def weekly_contact_time(contacts: Iterable[Contact]) -> dict[IsoWeek, timedelta]:
    """P-2H-WEEK's measure: held contact time per Amsterdam ISO week, split at week boundaries."""
    totals: dict[IsoWeek, timedelta] = {}
    for contact in held(contacts):
        for week, part in split_by_week(contact.start, contact.end).items():
            totals[week] = totals.get(week, timedelta(0)) + part
    return totals


def face_to_face_weeks(contacts: Iterable[Contact]) -> set[IsoWeek]:
    """The weeks with at least one held face-to-face contact (by the contact's local start)."""
    return {IsoWeek.of(x.start) for x in held(contacts) if x.contact_type == c.CONTACT_FACE_TO_FACE}


def assessed_weeks(traject: Traject, now: datetime) -> list[IsoWeek]:
    """Weeks fully covered by a contact period of `traject`, up to and including the running week, except
    the weeks a pause touches (issue 14: the norms do not run while she is missing or admitted elsewhere)."""
    this_week = IsoWeek.of(now)
    paused = paused_weeks(traject, now) if traject.pauses else set()
    weeks: list[IsoWeek] = []
    for period in traject.phase_periods(c.PHASE_CONTACT_PERIOD):
        first = IsoWeek.of(period.start)
        if first.monday < local_date(period.start):
            first = first.next()
        if period.end is None:
            last = this_week
        else:
            last = IsoWeek.of(period.end)
            if last.sunday > local_date(period.end):
                last = IsoWeek.of_date(last.monday - timedelta(days=1))
            last = min(last, this_week)
        weeks.extend(w for w in weeks_between(first, last) if w not in weeks and w not in paused)
    return weeks


def _is_over(week: IsoWeek, now: datetime) -> bool:
    return utc(now) >= utc(week.end)


def check_face_to_face(
    traject: Traject, contacts: Iterable[Contact], now: datetime, *, subject: str | None = None
) -> list[Alert]:
    """P-F2F-WEEK (norm): at least one face-to-face contact per week of the contact period."""
    check_now(now)
    seen = face_to_face_weeks(contacts)
    subjects = (subject,) if subject else ()
    alerts: list[Alert] = []
    for week in assessed_weeks(traject, now):
        if week in seen:
            continue
        if _is_over(week, now):
            message = f"In week {week} was er geen face-to-face contact (norm: minimaal één keer per week)."
            alerts.append(
                Alert(
                    rule_id="P-F2F-WEEK",
                    severity=WARNING,
                    message_nl=message,
                    due=week.sunday,
                    subjects=subjects,
                )
            )
        else:
            message = "Deze week is er nog geen face-to-face contact geweest."
            alerts.append(
                Alert(
                    rule_id="P-F2F-WEEK",
                    severity=INFO,
                    message_nl=message,
                    due=week.sunday,
                    subjects=subjects,
                )
            )
    return alerts


def check_weekly_hours(
    traject: Traject, contacts: Iterable[Contact], now: datetime, *, subject: str | None = None
) -> list[Alert]:
    """P-2H-WEEK (norm): at least two hours of contact time per week of the contact period."""
    check_now(now)
    totals = weekly_contact_time(contacts)
    subjects = (subject,) if subject else ()
    alerts: list[Alert] = []
    for week in assessed_weeks(traject, now):
        total = totals.get(week, timedelta(0))
        if total >= MIN_WEEKLY_CONTACT:
            continue
        severity: Severity
        if _is_over(week, now):
            message = (
                f"In week {week} was er {duration_nl(total)} contact (norm: minimaal 2 uur per week, "
                "reis- en rapportagetijd niet meegerekend)."
            )
            severity = WARNING
        else:
            remaining = duration_nl(MIN_WEEKLY_CONTACT - total)
            message = f"Deze week is nog {remaining} contact nodig voor de norm van 2 uur."
            severity = INFO
        alerts.append(
            Alert(
                rule_id="P-2H-WEEK", severity=severity, message_nl=message, due=week.sunday, subjects=subjects
            )
        )
    return alerts
