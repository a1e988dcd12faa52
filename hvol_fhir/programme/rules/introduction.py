"""P-INTRO: three contact moments within at most three weeks of the introduction's start (guide §4.3).

Day counting, in Europe/Amsterdam local dates: day 1 is the date the introduction phase starts, day 21 is
day 1 + 20 days. A held contact counts when its start falls on day 1 .. day 21 (any time of that day) and
before the introduction ended. Three contacts with the third on day 21 meet the rule; on day 22 they do not.

The guide gives no hard limit here and nothing to block, so a shortfall warns (severity "warning"); while
the three weeks run, the number still to plan is given as info with day 21 as due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir.errors import RuleViolation
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import INFO, WARNING, Alert
from hvol_fhir.programme.clock import local_date, utc
from hvol_fhir.programme.model import Contact, Task, Traject
from hvol_fhir.programme.rules.common import check_now, held
from hvol_fhir.programme.rules.phases import record_intro_outcome, require_intro_outcome
from hvol_fhir.programme.text_nl import date_nl

INTRO_CONTACTS: Final = 3
INTRO_DAYS: Final = 21


def intro_last_day(start: datetime) -> date:
    """Day 21 of an introduction starting at `start`."""
    return local_date(start) + timedelta(days=INTRO_DAYS - 1)


def intro_contacts(traject: Traject, contacts: Iterable[Contact]) -> list[Contact]:
    """The held contacts that count for the latest introduction of `traject` (see module docstring)."""
    periods = traject.phase_periods(c.PHASE_INTRODUCTION)
    if not periods:
        return []
    period = periods[-1]
    first, last = local_date(period.start), intro_last_day(period.start)
    return [
        contact
        for contact in held(contacts)
        if first <= local_date(contact.start) <= last
        and (period.end is None or utc(contact.start) < utc(period.end))
    ]


def check_introduction(
    traject: Traject, contacts: Iterable[Contact], now: datetime, *, subject: str | None = None
) -> list[Alert]:
    """P-INTRO for the latest introduction of `traject`; `contacts` are the traject's contacts."""
    check_now(now)
    periods = traject.phase_periods(c.PHASE_INTRODUCTION)
    if not periods:
        return []
    period = periods[-1]
    counted = len(intro_contacts(traject, contacts))
    if counted >= INTRO_CONTACTS:
        return []
    due = intro_last_day(period.start)
    subjects = (subject,) if subject else ()
    over = local_date(now) > due or period.end is not None
    if over:
        return [
            Alert(
                rule_id="P-INTRO",
                severity=WARNING,
                message_nl=(
                    f"In de kennismakingsperiode waren er {counted} van de {INTRO_CONTACTS} contactmomenten "
                    f"binnen drie weken (tot en met {date_nl(due)})."
                ),
                due=due,
                subjects=subjects,
            )
        ]
    missing = INTRO_CONTACTS - counted
    return [
        Alert(
            rule_id="P-INTRO",
            severity=INFO,
            message_nl=(
                f"Nog {missing} contactmoment{'en' if missing > 1 else ''} in de kennismakingsperiode, "
                f"uiterlijk {date_nl(due)}."
            ),
            due=due,
            subjects=subjects,
        )
    ]


def report_decision(traject: Traject, outcome: str, at: datetime, *, identifier: str, buddy: str) -> Task:
    """P-INTRO-OUTCOME, the buddy's part: the girl's decision as a to-do for the coordinator to confirm."""
    check_now(at)
    require_intro_outcome(
        traject,
        outcome,
        "outcome",
        "De beslissing na de kennismaking kan alleen tijdens de kennismakingsperiode worden doorgegeven.",
    )
    return Task(
        identifier=identifier,
        kind=c.TASK_INTRO_DECISION,
        status="requested",
        owner=None,  # the coordinator: whoever holds that role confirms it
        focus=f"CarePlan/{traject.id}" if traject.id else None,
        patient=traject.patient,
        authored=at,
        outcome=outcome,
    )


def confirm_decision(
    traject: Traject, reported: Task, at: datetime, *, reason: str | None
) -> tuple[Traject, Task]:
    """P-INTRO-OUTCOME, the coordinator's part: the reported decision applied to the traject (stop closes,
    with ``reason``), and the to-do completed."""
    if reported.kind != c.TASK_INTRO_DECISION or reported.outcome is None:
        raise RuleViolation(
            "Er is geen beslissing van het ervaringsmaatje om te bevestigen.",
            rule_id="P-INTRO-OUTCOME",
            field="outcome",
        )
    decided = record_intro_outcome(traject, reported.outcome, at, reason=reason)
    return decided, replace(reported, status="completed")
