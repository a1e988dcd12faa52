"""Pause and resume, and the outflow (issue 14; guide §4.5 and §4.8: a girl who runs away or goes missing,
or is admitted elsewhere, is not a reason to end the contact; P-OUTFLOW: nor is a move).

- A pause starts in the introduction or the contact period of an active traject, with a reason and a date;
  the CarePlan is then on-hold. Resuming ends it and makes the traject active again. One pause at a time.
- The weekly norms (P-F2F-WEEK, P-2H-WEEK) do not run in a week that a pause touches, by Amsterdam local
  date: a pause from Wednesday to the Tuesday after frees both weeks, because neither was a fair week for
  the buddy. Nothing here is the buddy's fault, and the texts say so.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from hvol_fhir.errors import RuleViolation
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import INFO, Alert
from hvol_fhir.programme.checks import require_aware, require_code
from hvol_fhir.programme.clock import IsoWeek, local_date, utc
from hvol_fhir.programme.model import Outflow, Pause, Task, Traject
from hvol_fhir.programme.rules.common import check_now
from hvol_fhir.programme.text_nl import date_nl

PAUSABLE_PHASES: Final = frozenset({c.PHASE_INTRODUCTION, c.PHASE_CONTACT_PERIOD})


def pause(traject: Traject, reason: str, at: datetime) -> Traject:
    """Put an active traject on hold from ``at``, for ``reason`` (pause-reason code)."""
    require_code(c.PAUSE_REASON, reason, "pause_reason")
    require_aware(at, "at")
    current = traject.current_phase
    if traject.open_pause is not None:
        raise RuleViolation("De begeleiding is al gepauzeerd.", rule_id="P-PAUSE", field="action")
    if current is None or current.phase not in PAUSABLE_PHASES or traject.status != "active":
        raise RuleViolation(
            "Pauzeren kan alleen in de kennismakingsperiode of de contactperiode.",
            rule_id="P-PAUSE",
            field="action",
        )
    if utc(at) < utc(current.start) or (traject.pauses and utc(at) < utc(traject.pauses[-1].end or at)):
        raise RuleViolation(
            "De pauze kan niet beginnen vóór de huidige fase of een eerdere pauze.",
            rule_id="P-PAUSE",
            field="date",
        )
    return replace(traject, status="on-hold", pauses=(*traject.pauses, Pause(reason=reason, start=at)))


def resume(traject: Traject, at: datetime) -> Traject:
    """End the open pause at ``at``; the traject is active again."""
    require_aware(at, "at")
    open_ = traject.open_pause
    if open_ is None:
        raise RuleViolation("De begeleiding is niet gepauzeerd.", rule_id="P-PAUSE", field="action")
    if utc(at) < utc(open_.start):
        raise RuleViolation(
            "De begeleiding kan niet weer beginnen vóór het begin van de pauze.",
            rule_id="P-PAUSE",
            field="date",
        )
    return replace(traject, status="active", pauses=(*traject.pauses[:-1], replace(open_, end=at)))


def paused_weeks(traject: Traject, now: datetime) -> set[IsoWeek]:
    """The ISO weeks (Amsterdam) that a pause touches; an open pause runs up to ``now``."""
    check_now(now)
    weeks: set[IsoWeek] = set()
    for p in traject.pauses:
        day, last = local_date(p.start), local_date(p.end or now)
        while day <= last:
            weeks.add(IsoWeek.of_date(day))
            day += timedelta(days=7 - day.weekday())  # the next Monday
        weeks.add(IsoWeek.of_date(last))
    return weeks


def check_pause(traject: Traject, now: datetime, *, subject: str | None = None) -> list[Alert]:
    """While paused: an info line that the norms rest, in the guide's tone (nobody's fault)."""
    check_now(now)
    open_ = traject.open_pause
    if open_ is None:
        return []
    return [
        Alert(
            rule_id="P-PAUSE",
            severity=INFO,
            message_nl=(
                f"De begeleiding ligt sinds {date_nl(local_date(open_.start))} tijdelijk stil. "
                "De weeknormen tellen zolang niet mee: dat ligt niet aan het maatje. Zodra er weer "
                "contact kan zijn, zet de coördinator de begeleiding weer aan."
            ),
            subjects=(subject,) if subject else (),
        )
    ]


OUTFLOW_ASK_AHEAD: Final = timedelta(days=14)


def record_outflow(traject: Traject, on: datetime, destination: str) -> Traject:
    """P-OUTFLOW: she moves on ``on`` to ``destination``. The traject is not closed: the buddy stays involved
    (continuity of care) until the coordinator closes it."""
    require_aware(on, "on")
    if traject.status in ("completed", "revoked"):
        raise RuleViolation(
            "Dit traject is afgerond. Een verhuizing legt u vast bij een lopend traject.",
            rule_id="P-OUTFLOW",
            field="date",
        )
    return replace(traject, outflow=Outflow(on=on, destination=destination.strip()))


def outflow_reminder(traject: Traject, *, identifier: str, buddy: str | None, now: datetime) -> Task:
    """The buddy's to-do: ask her in good time (two weeks before the move, or now when that has passed)
    whether the buddy may introduce herself at the new place."""
    check_now(now)
    if traject.outflow is None:
        raise RuleViolation("Er is geen verhuizing vastgelegd.", rule_id="P-OUTFLOW", field="date")
    due = max(local_date(traject.outflow.on) - OUTFLOW_ASK_AHEAD, local_date(now))
    return Task(
        identifier=identifier,
        kind=c.TASK_OUTFLOW_CONSENT,
        status="requested",
        due=due,
        owner=buddy,
        focus=f"CarePlan/{traject.id}" if traject.id else None,
        patient=traject.patient,
        authored=now,
    )
