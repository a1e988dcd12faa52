"""Fail-closed journal checks, access decisions and audit events (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hvol_fhir.errors import NotAllowed
from hvol_fhir.mapping import labels
from hvol_fhir.mapping.labels import MissingSecurityLabels
from hvol_fhir.privacy import access, audit, guard
from hvol_fhir.privacy.features import card_only


def comm(patient: str = "Patient/p1", full: bool = True) -> dict:
    meta = (
        {"security": labels.journal_labels()} if full else {"security": [labels.CONFIDENTIALITY_V.coding()]}
    )
    return {
        "resourceType": "Communication",
        "id": "c1",
        "meta": meta,
        "subject": {"reference": patient},
        "text": {"div": "<div>x</div>"},
        "payload": [{"contentString": "geheim"}],
    }


def test_entries_with_the_full_labels_pass_and_lose_their_narrative() -> None:
    [entry] = guard.journal_entries([comm()], "Patient/p1")
    assert "text" not in entry


def test_missing_labels_or_another_youth_are_refused() -> None:
    with pytest.raises(MissingSecurityLabels):
        guard.journal_entries([comm(full=False)], "Patient/p1")
    with pytest.raises(NotAllowed):
        guard.journal_entries([comm(patient="Patient/p2")], "Patient/p1")


def test_nested_and_contained_resources_are_checked_too() -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [{"resource": {"resourceType": "List", "contained": [comm(full=False)]}}],
    }
    with pytest.raises(MissingSecurityLabels):
        guard.journal_entries([bundle], "Patient/p1")


def test_strip_journal_drops_every_restricted_resource() -> None:
    consent = {"resourceType": "Consent", "meta": {"security": labels.restricted_meta_labels()}}
    enc = {"resourceType": "Encounter", "id": "e"}
    assert guard.strip_journal([comm(), consent, enc]) == [enc]


@pytest.mark.parametrize(
    ("role", "reads"),
    [
        ("buddy", True),
        ("coach", True),
        ("coordinator", True),
        ("behavioural-scientist", False),
        ("mentor", False),
        ("staff", False),
    ],
)
def test_journal_readers(role: str, reads: bool) -> None:
    assert access.may_read_journal(role) is reads
    assert card_only(role) is (role in ("mentor", "staff"))


def test_audit_events_carry_labels_purpose_and_no_content() -> None:
    at = datetime(2026, 11, 30, tzinfo=UTC)
    event = audit.override("Practitioner/b", "Patient/p1", ["Communication/c1"], at)
    assert labels.is_restricted(event["meta"])
    purposes = [c["code"] for a in event["agent"] for p in a.get("purposeOfUse", []) for c in p["coding"]]
    assert purposes == ["THREAT"]
    assert "geheim" not in str(event)
    read = audit.journal_read("Practitioner/b", "Patient/p1", ["Communication/c1"], at)
    assert read["subtype"][0]["code"] == "search-type"
