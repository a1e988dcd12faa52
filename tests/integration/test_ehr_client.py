"""hvol_fhir.ehr.FhirClient against the sandbox's real HAPI server: versions, conditional writes, paging."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hvol_fhir.ehr import (
    EhrForbidden,
    EhrNotFound,
    EhrRejected,
    FhirClient,
    RoundTripCounter,
    VersionConflict,
    bundle,
    paging,
)

from .conftest import Org

pytestmark = pytest.mark.integration

YOUTH = "https://hvol-fhir.org/fhir/sid/youth"
CONTACT = "https://hvol-fhir.org/fhir/sid/contact"
# The app's own tokens carry user scopes and no admin flag; only the tests' setup uses the admin token.
USER_SCOPE = "user/Patient.cruds user/Encounter.cruds"


@pytest.fixture(scope="module")
def counter() -> RoundTripCounter:
    return RoundTripCounter()


@pytest.fixture(scope="module")
def client(org: Org, counter: RoundTripCounter) -> FhirClient:
    token = org.issuer.mint(sub="ehr-client-test", scope=USER_SCOPE, fhir_user="Practitioner/ehr-client-test")
    return FhirClient(org.fhir_base, token, counter=counter)


def _youth(value: str, family: str = "Clienttest") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": YOUTH, "value": value}],
        "name": [{"family": family, "given": ["Synthetisch"]}],
        "birthDate": "2009-05-01",
    }


def _contact(value: str, patient_ref: str) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "identifier": [{"system": CONTACT, "value": value}],
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": patient_ref},
        "period": {"start": "2025-03-01T15:00:00+01:00", "end": "2025-03-01T16:00:00+01:00"},
    }


def _count(client: FhirClient, resource_type: str, system: str, value: str) -> int:
    return len(list(client.search_all(resource_type, {"identifier": f"{system}|{value}"})))


def test_capabilities_are_r4(client: FhirClient) -> None:
    assert client.capabilities()["fhirVersion"] == "4.0.1"


def test_create_read_update_and_if_match_conflict(client: FhirClient) -> None:
    resource, created, location = client.create(_youth(str(uuid.uuid4())))
    assert created and resource is not None and location is not None
    pid = resource["id"]
    assert location == f"Patient/{pid}/_history/1"
    read = client.read("Patient", pid)
    assert read["meta"]["versionId"] == "1"

    mine = {**read, "gender": "female"}
    saved = client.update(mine)  # If-Match W/"1" from meta
    assert (saved["meta"]["versionId"], saved["gender"]) == ("2", "female")

    stale = {**read, "gender": "male"}  # still carries versionId 1
    with pytest.raises(VersionConflict) as info:
        client.update(stale)
    err = info.value
    assert err.ehr_status in (409, 412)
    assert err.current_version == "2" and err.current is not None and err.current["gender"] == "female"
    assert "Bekijk beide versies" in err.message_nl
    assert client.read("Patient", pid)["gender"] == "female"  # nothing overwritten
    assert client.vread("Patient", pid, 1).get("gender") is None


def test_conditional_create_twice_gives_one_resource(client: FhirClient) -> None:
    value = str(uuid.uuid4())
    condition = bundle.identifier_condition(YOUTH, value)
    first = client.create(_youth(value), if_none_exist=condition)
    second = client.create(_youth(value), if_none_exist=condition)
    assert first.created and not second.created
    assert first.reference is not None and first.reference == second.reference
    assert _count(client, "Patient", YOUTH, value) == 1


def _save_contact_tx(youth: str, contact: str) -> tuple[dict[str, Any], str, str]:
    patient_urn, contact_urn = bundle.full_url(), bundle.full_url()
    tx = bundle.transaction(
        [
            bundle.create_entry(
                _youth(youth), full_url=patient_urn, if_none_exist=bundle.identifier_condition(YOUTH, youth)
            ),
            bundle.create_entry(
                _contact(contact, patient_urn),
                full_url=contact_urn,
                if_none_exist=bundle.identifier_condition(CONTACT, contact),
            ),
        ]
    )
    return tx, patient_urn, contact_urn


def test_conditional_transaction_twice_creates_nothing_the_second_time(client: FhirClient) -> None:
    youth, contact = str(uuid.uuid4()), str(uuid.uuid4())
    tx, patient_urn, contact_urn = _save_contact_tx(youth, contact)
    assert bundle.is_repeatable(tx)

    first = bundle.results(client.transaction(tx), tx)
    assert [r.status for r in first] == [201, 201]
    again = bundle.results(client.transaction(tx), tx)  # e.g. the user pressed save twice, or a retry
    assert [r.status for r in again] == [200, 200]
    assert [r.reference for r in again] == [r.reference for r in first]

    ids = bundle.resolved(client.transaction(tx), tx)
    assert set(ids) == {patient_urn, contact_urn}
    assert _count(client, "Patient", YOUTH, youth) == 1
    assert _count(client, "Encounter", CONTACT, contact) == 1
    encounter = client.read("Encounter", ids[contact_urn].split("/")[1])
    assert encounter["subject"]["reference"] == ids[patient_urn]  # the urn:uuid was rewritten


def test_refused_transaction_writes_nothing_and_says_why_in_dutch(client: FhirClient) -> None:
    youth, contact = str(uuid.uuid4()), str(uuid.uuid4())
    tx, _, _ = _save_contact_tx(youth, contact)
    tx["entry"][1]["resource"]["status"] = "geheim-onzin"  # not a code of EncounterStatus
    with pytest.raises(EhrRejected) as info:
        client.transaction(tx)
    err = info.value
    assert err.ehr_status in (400, 422)
    assert err.message_nl.startswith("Het dossier heeft de gegevens niet geaccepteerd")
    assert "geheim-onzin" not in " ".join((err.message_nl, *err.details_nl))
    assert _count(client, "Patient", YOUTH, youth) == 0  # atomic: the valid entry was not written either


def test_search_paging_across_pages(client: FhirClient, counter: RoundTripCounter) -> None:
    family = f"Paging{uuid.uuid4().hex[:10]}"
    made = {client.create(_youth(str(uuid.uuid4()), family)).reference for _ in range(5)}
    with counter.span() as span:
        pages = list(client.pages("Patient", {"family": family, "_count": 2}))
    assert len(pages) == 3 and span.count == 3
    links = [paging.next_link(p) for p in pages]
    assert links[-1] is None
    assert all(link and paging.is_under_base(link, client.base_url) for link in links[:-1])
    found = {f"Patient/{p['id']}" for page in pages for p in paging.matches(page)}
    assert found == made
    everything = client.search_all("Patient", {"family": family, "_count": 2})
    assert {f"Patient/{p['id']}" for p in everything} == made


def test_missing_resource_is_not_found(client: FhirClient) -> None:
    with pytest.raises(EhrNotFound):
        client.read("Patient", f"nope-{uuid.uuid4()}")


def test_narrow_token_is_forbidden_in_dutch(org: Org) -> None:
    reader = FhirClient(org.fhir_base, org.issuer.mint(sub="reader", scope="user/Patient.rs"))
    with pytest.raises(EhrForbidden) as info:
        reader.create(_youth(str(uuid.uuid4())))
    assert info.value.message_nl == "U heeft geen toegang tot deze gegevens in het dossier."


def test_expired_token_is_refreshed_once_through_the_hook(org: Org) -> None:
    calls: list[str | None] = []

    def refresh(rejected: str | None) -> str:
        calls.append(rejected)
        return org.issuer.mint(sub="late", scope=USER_SCOPE)

    expired = org.issuer.mint(sub="late", scope=USER_SCOPE, lifetime=-3600)
    counter = RoundTripCounter()
    late = FhirClient(org.fhir_base, expired, on_unauthorized=refresh, counter=counter)
    assert late.create(_youth(str(uuid.uuid4()))).created
    assert calls == [expired] and counter.total == 2
