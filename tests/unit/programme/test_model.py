"""Construction validates: a bad value raises a typed error naming the field, in Dutch, never echoing it."""

from __future__ import annotations

import json
import re
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hvol_fhir.errors import HvolError, InvalidInput, UnknownCode
from hvol_fhir.programme.codes import StaticCodes, use_codes
from hvol_fhir.programme.model import (
    MAX_JOURNAL_CHARS,
    CareTeamMember,
    ConsentGrant,
    Contact,
    InclusionAssessment,
    JournalEntry,
    PhasePeriod,
    Task,
    Traject,
)
from tests.unit.programme.builders import at

SECRET = "ZZGEHEIMZZ"  # stands for journal content or a user's typo: must never be echoed
DUTCH_WORDS = {"de", "het", "een", "is", "ligt", "geen", "van", "voor", "dit", "deze", "kies", "geef", "te"}

START = at(2025, 5, 12, 15, 0)

VALID: dict[type, dict[str, Any]] = {
    Contact: dict(
        identifier="c1",
        traject="CarePlan/t1",
        patient="Patient/p1",
        buddy="Practitioner/b1",
        start=START,
        end=START + timedelta(minutes=20),
        contact_type="video",
    ),
    JournalEntry: dict(
        identifier="j1",
        traject="CarePlan/t1",
        patient="Patient/p1",
        author="Practitioner/b1",
        kind="buddy-journal",
        written_at=START,
        text="01-01-20, 15:00-15:20, videobellen: synthetische tekst.",
    ),
    InclusionAssessment: dict(
        identifier="a1",
        traject="CarePlan/t1",
        patient="Patient/p1",
        assessor="Practitioner/gw1",
        assessed_on=date(2025, 5, 1),
        birth_date=date(2010, 1, 1),
        category="suspected",
        criteria_met=True,
    ),
    Traject: dict(identifier="t1", patient="Patient/p1", created=START),
    PhasePeriod: dict(phase="inclusion", start=START),
    CareTeamMember: dict(member="Practitioner/b1", role="buddy", skj_number="123"),
    ConsentGrant: dict(
        identifier="g1",
        kind="disclosure",
        patient="Patient/p1",
        granted_by="Patient/p1",
        recorded=START,
        entries=("Communication/j1",),
        recipient="Practitioner/m1",
        purpose="Afstemming met de mentor",
    ),
    Task: dict(identifier="k1", kind="birthday-18-talk", due=date(2025, 9, 1)),
}

BAD: list[tuple[type, dict[str, Any], type[HvolError], str]] = [
    (Contact, dict(end=START - timedelta(minutes=1)), InvalidInput, "Contact.end"),
    (Contact, dict(end=START + timedelta(hours=10, minutes=1)), InvalidInput, "Contact.end"),
    (Contact, dict(contact_type=SECRET), UnknownCode, "Contact.contact_type"),
    (Contact, dict(start=datetime(2025, 5, 12, 15, 0)), InvalidInput, "Contact.start"),
    (Contact, dict(end=datetime(2025, 5, 12, 16, 0)), InvalidInput, "Contact.end"),
    (Contact, dict(buddy=f"Practitioner/{SECRET} x"), InvalidInput, "Contact.buddy"),
    (Contact, dict(status=SECRET), UnknownCode, "Contact.status"),
    (Contact, dict(identifier=" "), InvalidInput, "Contact.identifier"),
    (JournalEntry, dict(text="   \n"), InvalidInput, "JournalEntry.text"),
    (
        JournalEntry,
        dict(text=SECRET * (MAX_JOURNAL_CHARS // len(SECRET) + 1)),
        InvalidInput,
        "JournalEntry.text",
    ),
    (JournalEntry, dict(kind=SECRET), UnknownCode, "JournalEntry.kind"),
    (JournalEntry, dict(written_at=datetime(2025, 5, 12)), InvalidInput, "JournalEntry.written_at"),
    (InclusionAssessment, dict(category=SECRET), UnknownCode, "InclusionAssessment.category"),
    (
        InclusionAssessment,
        dict(contra_indications=("addiction", SECRET)),
        UnknownCode,
        "InclusionAssessment.contra_indications[1]",
    ),
    (InclusionAssessment, dict(birth_date=date(2025, 6, 1)), InvalidInput, "InclusionAssessment.birth_date"),
    (InclusionAssessment, dict(assessed_on=START), InvalidInput, "InclusionAssessment.assessed_on"),
    (Traject, dict(status=SECRET), UnknownCode, "Traject.status"),
    (Traject, dict(category=SECRET), UnknownCode, "Traject.category"),
    (Traject, dict(closure_reason=SECRET), UnknownCode, "Traject.closure_reason"),
    (
        Traject,
        dict(closure_reason="buddy-side"),
        UnknownCode,
        "Traject.closure_reason",
    ),  # a group, not a reason
    (Traject, dict(intro_outcome=SECRET), UnknownCode, "Traject.intro_outcome"),
    (
        Traject,
        dict(
            phases=(
                PhasePeriod(phase="inclusion", start=START),
                PhasePeriod(phase="introduction", start=START),
            )
        ),
        InvalidInput,
        "Traject.phases",
    ),
    (
        Traject,
        dict(
            phases=(
                PhasePeriod(
                    phase="inclusion", start=START, end=START + timedelta(days=1), status="completed"
                ),
                PhasePeriod(phase="introduction", start=START - timedelta(days=1)),
            )
        ),
        InvalidInput,
        "Traject.phases",
    ),
    (PhasePeriod, dict(phase=SECRET), UnknownCode, "PhasePeriod.phase"),
    (PhasePeriod, dict(end=START - timedelta(seconds=1)), InvalidInput, "PhasePeriod.end"),
    (CareTeamMember, dict(role=SECRET), UnknownCode, "CareTeamMember.role"),
    (CareTeamMember, dict(skj_number=" "), InvalidInput, "CareTeamMember.skj_number"),
    (ConsentGrant, dict(entries=()), InvalidInput, "ConsentGrant.entries"),
    (ConsentGrant, dict(recipient=None), InvalidInput, "ConsentGrant.recipient"),
    (ConsentGrant, dict(purpose=None), InvalidInput, "ConsentGrant.purpose"),
    (ConsentGrant, dict(kind=SECRET), UnknownCode, "ConsentGrant.kind"),
    (ConsentGrant, dict(start=START, end=START - timedelta(days=1)), InvalidInput, "ConsentGrant.end"),
    (Task, dict(kind=SECRET), UnknownCode, "Task.kind"),
    (Task, dict(due=START), InvalidInput, "Task.due"),
]


def _is_dutch(message: str) -> bool:
    return bool(DUTCH_WORDS & set(re.findall(r"[a-zë]+", message.lower())))


def test_valid_examples_construct() -> None:
    for cls, kwargs in VALID.items():
        assert cls(**kwargs) is not None


@pytest.mark.parametrize(
    ("cls", "override", "error", "field"), BAD, ids=[f"{b[0].__name__}-{b[3]}" for b in BAD]
)
def test_bad_value_names_field_in_dutch_without_echo(
    cls: type, override: dict[str, Any], error: type[HvolError], field: str
) -> None:
    with pytest.raises(error) as caught:
        cls(**{**VALID[cls], **override})
    err = caught.value
    assert err.field == field
    assert _is_dutch(err.message_nl), err.message_nl
    rendered = " ".join([str(err), repr(err), err.message_nl, json.dumps(err.to_operation_outcome())])
    assert SECRET not in rendered
    assert err.http_status == 422
    assert err.to_operation_outcome()["issue"][0]["expression"] == [field]


def test_contact_of_exactly_ten_hours_is_accepted() -> None:
    Contact(**{**VALID[Contact], "end": START + timedelta(hours=10)})


def test_contact_duration_is_absolute_across_dst() -> None:
    # Local wall clock says 01:30 -> 03:30 on 30 March 2025: only one hour really passed.
    c = Contact(**{**VALID[Contact], "start": at(2025, 3, 30, 1, 30), "end": at(2025, 3, 30, 3, 30)})
    assert c.duration == timedelta(hours=1)
    # Fall back: 01:30 -> 02:30 (second time, fold=1) is two hours.
    c = Contact(
        **{**VALID[Contact], "start": at(2025, 10, 26, 1, 30), "end": at(2025, 10, 26, 2, 30, fold=1)}
    )
    assert c.duration == timedelta(hours=2)


def test_end_before_start_is_judged_in_absolute_time() -> None:
    # On 26 October 2025 02:15 CET (second pass) comes after 02:45 CEST (first pass): the wall clock misleads.
    start = at(2025, 10, 26, 2, 45, fold=0)  # 00:45 UTC
    end = at(2025, 10, 26, 2, 15, fold=1)  # 01:15 UTC
    assert Contact(**{**VALID[Contact], "start": start, "end": end}).duration == timedelta(minutes=30)
    with pytest.raises(InvalidInput):
        Contact(**{**VALID[Contact], "start": end, "end": start})


def test_mixed_time_zones_are_fine() -> None:
    c = Contact(**{**VALID[Contact], "start": START, "end": (START + timedelta(minutes=5)).astimezone(UTC)})
    assert c.duration == timedelta(minutes=5)


def test_journal_text_never_in_repr() -> None:
    entry = JournalEntry(**{**VALID[JournalEntry], "text": SECRET})
    assert SECRET not in repr(entry)
    assert SECRET not in str(entry)
    assert entry.text == SECRET


def test_frozen() -> None:
    c = Contact(**VALID[Contact])
    with pytest.raises(FrozenInstanceError):
        c.start = START  # type: ignore[misc]


def test_codes_can_be_injected() -> None:
    narrow = StaticCodes({"contact-type": frozenset({"face-to-face"})})
    with use_codes(narrow), pytest.raises(UnknownCode):
        Contact(**VALID[Contact])  # "video" is not in the injected lookup
    Contact(**VALID[Contact])  # the default lookup is back after the block


def test_installed_codes_reach_other_threads() -> None:
    import threading

    from hvol_fhir.programme.codes import DEFAULT_CODES, install_codes

    narrow = StaticCodes({"contact-type": frozenset({"face-to-face"})})
    errors: list[BaseException] = []

    def build() -> None:
        try:
            Contact(**VALID[Contact])
        except BaseException as err:  # collected for the assertion below
            errors.append(err)

    install_codes(narrow)
    try:
        worker = threading.Thread(target=build)
        worker.start()
        worker.join()
    finally:
        install_codes(DEFAULT_CODES)
    assert [type(e) for e in errors] == [UnknownCode]
