from __future__ import annotations

from datetime import date, timedelta

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme.model import Contact, InclusionAssessment, JournalEntry
from hvol_fhir.programme.validate import check_not_future
from tests.unit.programme.builders import at, contact

NOW = at(2025, 5, 1, 12)


def _journal(written: object) -> JournalEntry:
    return JournalEntry(
        identifier="j1",
        traject="CarePlan/t1",
        patient="Patient/p1",
        author="Practitioner/b",
        kind="buddy-journal",
        written_at=written,  # type: ignore[arg-type]
        text="Synthetische tekst.",
    )


def _assessment(birth: date, on: date) -> InclusionAssessment:
    return InclusionAssessment(
        identifier="a1",
        traject="CarePlan/t1",
        patient="Patient/p1",
        assessor="Practitioner/gw",
        assessed_on=on,
        birth_date=birth,
        category="potential",
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (contact(NOW + timedelta(days=366)), "Contact.start"),
        (contact(at(2026, 5, 1, 13)), "Contact.start"),  # typo in the year
        (_journal(NOW + timedelta(minutes=6)), "JournalEntry.written_at"),
        (_assessment(date(2012, 1, 1), date(2025, 5, 2)), "InclusionAssessment.assessed_on"),
        (_assessment(date(2025, 5, 2), date(2025, 5, 3)), "InclusionAssessment.birth_date"),
    ],
)
def test_too_far_ahead(value: Contact | JournalEntry | InclusionAssessment, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_not_future(value, NOW)
    assert caught.value.field == field
    assert "toekomst" in caught.value.message_nl


@pytest.mark.parametrize(
    "value",
    [
        contact(NOW + timedelta(days=300)),  # a planned contact
        _journal(NOW + timedelta(minutes=4)),  # clock skew
        _assessment(date(2012, 1, 1), date(2025, 5, 1)),
    ],
)
def test_accepted(value: Contact | JournalEntry | InclusionAssessment) -> None:
    check_not_future(value, NOW)
