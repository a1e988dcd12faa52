"""Issue 14: a disclosure Consent names a RelatedPerson, a Practitioner or an organisation by name, and the
EHR sees none of them (the actor and the purpose text are sealed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hvol_fhir.errors import InvalidInput, MissingElement
from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import consent
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import ConsentGrant
from hvol_fhir.sealing import fields

AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
WHY = "Zodat de gemeente mijn afspraken kent"


def grant(recipient: str | None, name: str | None) -> ConsentGrant:
    return ConsentGrant(
        identifier="5b8e2a10-0000-4000-8000-000000000001",
        kind=c.CONSENT_DISCLOSURE,
        patient="Patient/youth-1",
        granted_by="Patient/youth-1",
        recorded=AT,
        start=AT,
        end=datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
        entries=("Communication/e-1",),
        recipient=recipient,
        recipient_name=name,
        purpose=WHY,
    )


@pytest.mark.parametrize(
    ("recipient", "name"),
    [
        ("RelatedPerson/rp-1", "Ans Visser"),
        ("Practitioner/pr-1", "Ruud Smit"),
        (None, "Gemeente Utrecht"),
    ],
)
def test_every_kind_of_recipient_round_trips_and_is_sealed(recipient: str | None, name: str) -> None:
    g = grant(recipient, name)
    resource = dump(consent.to_fhir(g, purpose_of_use="SUPNWK"))
    assert consent.from_fhir(resource) == g
    clear, secrets = fields.split(resource)
    seen = json.dumps(clear)
    assert name not in seen and WHY not in seen and (recipient is None or recipient not in seen)
    assert "Organization" not in seen  # not even the kind of recipient
    assert set(secrets) == {fields.KIND_DISCLOSURE}
    assert consent.from_fhir(fields.join(clear, secrets)) == g


def test_a_session_that_cannot_open_the_actor_reads_no_recipient() -> None:
    """The placeholder a coach's session sees is a display without type: not an organisation by name."""
    clear, _ = fields.split(dump(consent.to_fhir(grant(None, "Gemeente Utrecht"))))
    with pytest.raises(MissingElement):
        consent.from_fhir(clear)


def test_a_disclosure_without_any_recipient_is_refused() -> None:
    with pytest.raises(InvalidInput, match="met wie"):
        grant(None, None)
