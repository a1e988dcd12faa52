"""Inclusion (domain.md "Inclusion", guide §2.1 and §4.2): P-AGE, P-CONTRA, P-ASSESS, P-INCL-6W."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import BLOCK, INFO, WARNING, Alert
from hvol_fhir.programme.clock import age_on, local_date
from hvol_fhir.programme.model import InclusionAssessment, Traject
from hvol_fhir.programme.rules.common import check_now
from hvol_fhir.programme.text_nl import date_nl

MIN_AGE: Final = 12
MAX_AGE_EXCLUSIVE: Final = 18
# "At most six weeks": day 1 is the local start date, so day 42 (start + 41 days) is the last day.
INCLUSION_DAYS: Final = 42
INCLUSION_WARN_AHEAD: Final = timedelta(days=7)


def check_age(birth_date: date, inclusion_date: date, *, subject: str | None = None) -> list[Alert]:
    """P-AGE (hard limit): 12 <= age < 18 on the inclusion date. 29 Feb births: see `clock.birthday_in`."""
    age = age_on(birth_date, inclusion_date)
    subjects = (subject,) if subject else ()
    if age < MIN_AGE:
        message = f"De jongere is op de inclusiedatum {age} jaar. Deelname kan vanaf {MIN_AGE} jaar."
    elif age >= MAX_AGE_EXCLUSIVE:
        message = f"De jongere is op de inclusiedatum {age} jaar. Deelname kan tot {MAX_AGE_EXCLUSIVE} jaar."
    else:
        return []
    return [Alert(rule_id="P-AGE", severity=BLOCK, message_nl=message, due=inclusion_date, subjects=subjects)]


def check_contra_indications(assessment: InclusionAssessment) -> list[Alert]:
    """P-CONTRA (hard limit): any contra-indication excludes. The message names no diagnosis."""
    if not assessment.contra_indications:
        return []
    return _blocked(
        assessment,
        "P-CONTRA",
        "De gedragswetenschapper heeft een contra-indicatie vastgesteld. "
        "De jongere kan nu niet deelnemen aan het programma.",
    )


def check_criteria(assessment: InclusionAssessment) -> list[Alert]:
    """P-ASSESS: the behavioural scientist must have found the inclusion criteria met."""
    if assessment.criteria_met:
        return []
    return _blocked(
        assessment,
        "P-ASSESS",
        "De gedragswetenschapper heeft niet vastgesteld dat de jongere aan de inclusiecriteria voldoet.",
    )


def _blocked(assessment: InclusionAssessment, rule_id: str, message_nl: str) -> list[Alert]:
    # The behavioural scientist's findings block the inclusion from the day of the assessment.
    return [
        Alert(
            rule_id=rule_id,
            severity=BLOCK,
            message_nl=message_nl,
            due=assessment.assessed_on,
            subjects=(assessment.traject,),
        )
    ]


def check_inclusion(assessment: InclusionAssessment) -> list[Alert]:
    """All hard limits of an inclusion assessment: P-AGE, P-CONTRA, P-ASSESS."""
    return [
        *check_age(assessment.birth_date, assessment.assessed_on, subject=assessment.traject),
        *check_contra_indications(assessment),
        *check_criteria(assessment),
    ]


def inclusion_due(start: datetime) -> date:
    """The last day of the six-week inclusion period that starts at `start`."""
    return local_date(start) + timedelta(days=INCLUSION_DAYS - 1)


def check_inclusion_period(
    traject: Traject,
    now: datetime,
    *,
    subject: str | None = None,
    warn_ahead: timedelta = INCLUSION_WARN_AHEAD,
) -> list[Alert]:
    """P-INCL-6W (norm): the inclusion period lasts at most six weeks.

    Open inclusion past its last day: warning. Within `warn_ahead` of the last day: info. An inclusion that
    ended late is reported as info (nothing to do any more, but visible on the timeline).
    """
    check_now(now)
    periods = traject.phase_periods(c.PHASE_INCLUSION)
    if not periods:
        return []
    period = periods[-1]
    due = inclusion_due(period.start)
    subjects = (subject,) if subject else ()
    if period.end is not None:
        if local_date(period.end) > due:
            return [
                Alert(
                    rule_id="P-INCL-6W",
                    severity=INFO,
                    message_nl="De inclusieperiode duurde langer dan zes weken.",
                    due=due,
                    subjects=subjects,
                )
            ]
        return []
    today = local_date(now)
    if today > due:
        return [
            Alert(
                rule_id="P-INCL-6W",
                severity=WARNING,
                message_nl=(
                    f"De inclusieperiode duurt langer dan zes weken (uiterlijk {date_nl(due)}). "
                    "Rond de inclusie af of bespreek de vertraging met de coördinator."
                ),
                due=due,
                subjects=subjects,
            )
        ]
    if today >= due - warn_ahead:
        return [
            Alert(
                rule_id="P-INCL-6W",
                severity=INFO,
                message_nl=f"De inclusieperiode moet uiterlijk {date_nl(due)} zijn afgerond.",
                due=due,
                subjects=subjects,
            )
        ]
    return []
