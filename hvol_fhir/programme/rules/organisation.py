"""Norms around the traject, per organisation or group: P-ALIGN and P-PRESENT-3M.

P-ALIGN: an alignment meeting every four to eight weeks (guide §3). No meeting for more than eight weeks
(56 days, by local date) warns; from four weeks after the last one, info says to plan the next; a meeting
held within four weeks of the previous one is noted as info (more often than the norm, not a problem).
P-PRESENT-3M: per group, a presentation at least every three calendar months (guide §4.1). Only meetings and
presentations at or before `now` count: planned ones are not held yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

from hvol_fhir.programme.alerts import INFO, WARNING, Alert
from hvol_fhir.programme.checks import require_aware
from hvol_fhir.programme.clock import add_months, local_date, utc
from hvol_fhir.programme.rules.common import check_now
from hvol_fhir.programme.text_nl import date_nl

ALIGN_MIN: Final = timedelta(weeks=4)
ALIGN_MAX: Final = timedelta(weeks=8)
PRESENT_MONTHS: Final = 3
PRESENT_WARN_AHEAD: Final = timedelta(weeks=2)


def _held(moments: Sequence[datetime], now: datetime, field: str) -> list[datetime]:
    for i, moment in enumerate(moments):
        require_aware(moment, f"{field}[{i}]")
    return sorted(m for m in moments if utc(m) <= utc(now))


def check_alignment(
    meetings: Sequence[datetime], now: datetime, *, subject: str | None = None
) -> list[Alert]:
    check_now(now)
    held = _held(meetings, now, "meetings")
    today = local_date(now)
    subjects = (subject,) if subject else ()
    if not held:
        message = "Er is nog geen afstemmingsoverleg gehouden (norm: elke vier tot acht weken)."
        # No due date: none would be true, and a date that moves every day would make the coordinator's
        # "gezien" on this item (its key names the due date) expire overnight.
        return [Alert(rule_id="P-ALIGN", severity=WARNING, message_nl=message, due=None, subjects=subjects)]
    last = local_date(held[-1])
    due = last + ALIGN_MAX
    alerts: list[Alert] = []
    if len(held) >= 2 and last - local_date(held[-2]) < ALIGN_MIN:
        message = (
            "Het laatste afstemmingsoverleg was binnen vier weken na het vorige "
            "(norm: elke vier tot acht weken)."
        )
        alerts.append(
            Alert(rule_id="P-ALIGN", severity=INFO, message_nl=message, due=None, subjects=subjects)
        )
    if today > due:
        message = f"Het laatste afstemmingsoverleg was op {date_nl(last)}, meer dan acht weken geleden."
        alerts.append(
            Alert(rule_id="P-ALIGN", severity=WARNING, message_nl=message, due=due, subjects=subjects)
        )
    elif today >= last + ALIGN_MIN:
        message = f"Plan het volgende afstemmingsoverleg, uiterlijk {date_nl(due)}."
        alerts.append(Alert(rule_id="P-ALIGN", severity=INFO, message_nl=message, due=due, subjects=subjects))
    return alerts


def check_presentations(
    presentations: Mapping[str, Sequence[datetime]],
    now: datetime,
    *,
    warn_ahead: timedelta = PRESENT_WARN_AHEAD,
) -> list[Alert]:
    """`presentations` maps a group (a reference, e.g. Location/… or Group/…) to its presentations."""
    check_now(now)
    today = local_date(now)
    alerts: list[Alert] = []
    for group, moments in presentations.items():
        held = _held(moments, now, f"presentations[{group}]")
        if not held:
            message = "Op deze groep is het programma nog niet gepresenteerd (norm: elke drie maanden)."
            alerts.append(  # no due date, as for a first alignment meeting
                Alert(
                    rule_id="P-PRESENT-3M", severity=WARNING, message_nl=message, due=None, subjects=(group,)
                )
            )
            continue
        last = local_date(held[-1])
        due = add_months(last, PRESENT_MONTHS)
        if today > due:
            message = (
                f"De laatste presentatie op deze groep was op {date_nl(last)}, meer dan drie maanden geleden."
            )
            alerts.append(
                Alert(
                    rule_id="P-PRESENT-3M", severity=WARNING, message_nl=message, due=due, subjects=(group,)
                )
            )
        elif today >= due - warn_ahead:
            message = f"Plan een nieuwe presentatie op deze groep, uiterlijk {date_nl(due)}."
            alerts.append(
                Alert(rule_id="P-PRESENT-3M", severity=INFO, message_nl=message, due=due, subjects=(group,))
            )
    return alerts
