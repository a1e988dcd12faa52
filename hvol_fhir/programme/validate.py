"""Checks on domain values that need the clock, kept out of construction so that `now` is explicit.

Two horizons:
- recorded facts (a journal entry's writing time, an assessment, a birth date, a consent's recording) may
  not lie after `now` (plus a small clock skew for times, none for dates);
- planned things (a contact, a phase start, a consent's period) may lie ahead, but not more than a year:
  further is a typo in the year.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme.checks import require_aware
from hvol_fhir.programme.clock import local_date, utc
from hvol_fhir.programme.model import (
    CareTeam,
    ConsentGrant,
    Contact,
    InclusionAssessment,
    JournalEntry,
    Task,
    Traject,
)

PLANNING_HORIZON: Final = timedelta(days=365)
CLOCK_SKEW: Final = timedelta(minutes=5)

Validatable = Traject | InclusionAssessment | Contact | JournalEntry | CareTeam | ConsentGrant | Task


def _not_after_now(moment: datetime, now: datetime, field: str) -> None:
    if utc(moment) > utc(now) + CLOCK_SKEW:
        raise InvalidInput("Dit tijdstip ligt in de toekomst.", field=field, code="in-future")


def _date_not_after_today(day: date, now: datetime, field: str) -> None:
    if day > local_date(now):
        raise InvalidInput("Deze datum ligt in de toekomst.", field=field, code="in-future")


def _within_horizon(moment: datetime, now: datetime, field: str) -> None:
    if utc(moment) > utc(now) + PLANNING_HORIZON:
        raise InvalidInput(
            "Deze datum ligt meer dan een jaar in de toekomst. Controleer het jaartal.",
            field=field,
            code="too-far-ahead",
        )


def check_not_future(value: Validatable, now: datetime) -> None:
    """Raise `InvalidInput` naming the field when a date of `value` lies too far ahead of `now`."""
    require_aware(now, "now")
    match value:
        case JournalEntry():
            _not_after_now(value.written_at, now, "JournalEntry.written_at")
        case InclusionAssessment():
            _date_not_after_today(value.birth_date, now, "InclusionAssessment.birth_date")
            _date_not_after_today(value.assessed_on, now, "InclusionAssessment.assessed_on")
        case Contact():
            _within_horizon(value.start, now, "Contact.start")
        case Traject():
            _not_after_now(value.created, now, "Traject.created")
            for i, phase in enumerate(value.phases):
                _within_horizon(phase.start, now, f"Traject.phases[{i}].start")
        case ConsentGrant():
            _not_after_now(value.recorded, now, "ConsentGrant.recorded")
            if value.start is not None:
                _within_horizon(value.start, now, "ConsentGrant.start")
        case CareTeam():
            for i, member in enumerate(value.members):
                if member.start is not None:
                    _within_horizon(member.start, now, f"CareTeam.members[{i}].start")
        case Task():
            if value.authored is not None:
                _not_after_now(value.authored, now, "Task.authored")
