"""Request validation on the sandbox HAPI server: R4 and claimed profiles are enforced (422 + OO)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .conftest import MAPPINGS, FhirClient

pytestmark = pytest.mark.integration

CANON = "https://hvol-fhir.org/fhir/StructureDefinition/"
TEST_PROFILE = CANON + "hvol-test-patient"
JOURNAL_PROFILE = CANON + "hvol-journal-communication"


def _errors(body: dict[str, Any]) -> list[str]:
    assert body["resourceType"] == "OperationOutcome"
    return [i.get("diagnostics", "") for i in body["issue"] if i["severity"] in ("error", "fatal")]


def test_unknown_element_is_refused(admin: FhirClient) -> None:
    resp = admin.post("Patient", {"resourceType": "Patient", "favouriteColour": "blauw"})
    assert resp.status_code == 422
    assert any("favouriteColour" in e for e in _errors(resp.json()))


def test_invalid_code_in_required_binding_is_refused(admin: FhirClient) -> None:
    resp = admin.post("Patient", {"resourceType": "Patient", "gender": "onbekend-geslacht"})
    assert resp.status_code == 422
    assert _errors(resp.json())


def test_broken_invariant_is_refused(admin: FhirClient) -> None:
    # per-1: a period's start must not be after its end.
    resp = admin.post(
        "Encounter",
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "period": {"start": "2025-02-01", "end": "2025-01-01"},
        },
    )
    assert resp.status_code == 422
    assert any("per-1" in e for e in _errors(resp.json()))


def test_unknown_external_code_system_is_at_most_a_warning(admin: FhirClient) -> None:
    resp = admin.post(
        "Encounter",
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "type": [{"coding": [{"system": "https://example.org/fhir/CodeSystem/unknown", "code": "x"}]}],
        },
    )
    assert resp.status_code == 201, resp.text


def test_resource_breaking_the_test_profile_is_refused(admin: FhirClient) -> None:
    resp = admin.post(
        "Patient",
        {"resourceType": "Patient", "meta": {"profile": [TEST_PROFILE]}, "name": [{"family": "Zonder"}]},
    )
    assert resp.status_code == 422
    errors = _errors(resp.json())
    assert any("birthDate" in e for e in errors)
    assert any("identifier" in e for e in errors)


def test_resource_meeting_the_test_profile_is_stored(admin: FhirClient) -> None:
    resp = admin.post(
        "Patient",
        {
            "resourceType": "Patient",
            "meta": {"profile": [TEST_PROFILE]},
            "identifier": [{"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": "999990032"}],
            "birthDate": "2010-05-01",
        },
    )
    assert resp.status_code == 201, resp.text


@pytest.mark.skipif(
    not (MAPPINGS / "StructureDefinition" / "StructureDefinition-hvol-journal-communication.json").is_file(),
    reason="mappings/ has no journal profile yet",
)
def test_resource_breaking_a_mappings_profile_is_refused(admin: FhirClient) -> None:
    resp = admin.post(
        "Communication",
        {"resourceType": "Communication", "status": "completed", "meta": {"profile": [JOURNAL_PROFILE]}},
    )
    assert resp.status_code == 422
    errors = _errors(resp.json())
    assert any(JOURNAL_PROFILE in e for e in errors)


def test_transaction_entries_are_validated(admin: FhirClient) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {"resourceType": "Patient", "gender": "nee"},
                "request": {"method": "POST", "url": "Patient"},
            }
        ],
    }
    resp = admin.post("", bundle)
    assert resp.status_code == 422
    assert _errors(resp.json())


def test_conformance_resources_are_loaded(admin: FhirClient) -> None:
    resp = admin.get("StructureDefinition?url=" + TEST_PROFILE)
    assert resp.status_code == 200
    assert [e["resource"]["id"] for e in resp.json()["entry"]] == ["hvol-test-patient"]


def test_profile_uploaded_after_use_is_still_enforced(admin: FhirClient) -> None:
    # HAPI 8 caches failed profile lookups; the sandbox flushes the validation caches on every upload.
    sid = f"hvol-test-late-{uuid.uuid4().hex[:8]}"
    url = CANON + sid
    before = admin.post("Patient", {"resourceType": "Patient", "meta": {"profile": [url]}})
    assert before.status_code in (201, 422)  # unknown profile: HAPI's choice, either way it is now cached
    profile = {
        "resourceType": "StructureDefinition",
        "id": sid,
        "url": url,
        "name": "LateProfile",
        "status": "draft",
        "fhirVersion": "4.0.1",
        "kind": "resource",
        "abstract": False,
        "type": "Patient",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
        "derivation": "constraint",
        "differential": {
            "element": [
                {"id": "Patient", "path": "Patient"},
                {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1},
            ]
        },
    }
    assert admin.put(f"StructureDefinition/{sid}", profile).status_code == 201
    after = admin.post("Patient", {"resourceType": "Patient", "meta": {"profile": [url]}})
    assert after.status_code == 422
    assert any("birthDate" in e for e in _errors(after.json()))
    ok = admin.post(
        "Patient", {"resourceType": "Patient", "meta": {"profile": [url]}, "birthDate": "2011-01-01"}
    )
    assert ok.status_code == 201, ok.text
