"""FhirClient interactions and how each EHR answer maps onto the error tree."""

from __future__ import annotations

import json

import pytest
import requests

from hvol_fhir.ehr import (
    AmbiguousMatch,
    BadResponse,
    EhrForbidden,
    EhrNotFound,
    EhrRejected,
    PageLimitReached,
    UntrustedLink,
    VersionConflict,
    bundle,
)
from hvol_fhir.errors import Conflict, InvalidInput, NotFound

from .conftest import BASE, Rig, outcome, patient, searchset

# --- read ------------------------------------------------------------------------------------------------


def test_read_and_vread(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 200, patient())
    rig.add("GET", "Patient/p1/_history/1", 200, patient())
    assert rig.client.read("Patient", "p1")["id"] == "p1"
    assert rig.client.vread("Patient", "p1", 'W/"1"')["meta"]["versionId"] == "1"


@pytest.mark.parametrize("status", [404, 410])
def test_missing_or_hidden_is_not_found(rig: Rig, status: int) -> None:
    rig.add(
        "GET",
        "Patient/p1",
        status,
        outcome("not-found", diagnostics="HAPI-2001: Resource Patient/p1 is not known"),
    )
    with pytest.raises(EhrNotFound) as info:
        rig.client.read("Patient", "p1")
    assert isinstance(info.value, NotFound) and info.value.http_status == 404
    assert info.value.message_nl == "Deze gegevens zijn niet (meer) gevonden in het dossier."


def test_403_is_forbidden(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 403, outcome("forbidden"))
    with pytest.raises(EhrForbidden) as info:
        rig.client.read("Patient", "p1")
    assert info.value.message_nl == "U heeft geen toegang tot deze gegevens in het dossier."


def test_read_answering_another_type_is_a_bad_response(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 200, {"resourceType": "Communication", "id": "c1"})
    with pytest.raises(BadResponse):
        rig.client.read("Patient", "p1")


@pytest.mark.parametrize(
    ("rtype", "rid"),
    [("Patient", "../Communication/1"), ("patient", "p1"), ("Patient", "p1?_include=*"), ("Patient", "")],
)
def test_ids_and_types_are_checked_before_anything_is_sent(rig: Rig, rtype: str, rid: str) -> None:
    with pytest.raises(InvalidInput):
        rig.client.read(rtype, rid)
    assert rig.calls == []


# --- create ----------------------------------------------------------------------------------------------


def test_create_returns_resource_created_and_relative_location(rig: Rig) -> None:
    rig.add(
        "POST",
        "Encounter",
        201,
        {"resourceType": "Encounter", "id": "e1", "meta": {"versionId": "1"}},
        headers={"Location": f"{BASE}/Encounter/e1/_history/1"},
    )
    result = rig.client.create({"resourceType": "Encounter", "status": "finished"})
    resource, created, location = result
    assert created and location == "Encounter/e1/_history/1" and result.reference == "Encounter/e1"
    assert resource is not None and resource["id"] == "e1"
    sent = rig.calls[0].request
    assert json.loads(sent.body) == {"resourceType": "Encounter", "status": "finished"}
    assert "If-None-Exist" not in sent.headers


def test_conditional_create_match_is_not_created(rig: Rig) -> None:
    rig.add("POST", "Encounter", 200, {"resourceType": "Encounter", "id": "e1"})
    result = rig.client.create({"resourceType": "Encounter"}, if_none_exist="identifier=s|1")
    assert (result.created, result.reference) == (False, "Encounter/e1")


def test_conditional_create_without_a_body_back(rig: Rig) -> None:
    rig.add(
        "POST",
        "Encounter",
        200,
        outcome("informational"),
        headers={"Location": f"{BASE}/Encounter/e1/_history/3"},
    )
    result = rig.client.create({"resourceType": "Encounter"}, if_none_exist="identifier=s|1")
    assert (result.resource, result.created, result.reference) == (None, False, "Encounter/e1")


def test_conditional_create_with_several_matches(rig: Rig) -> None:
    rig.add("POST", "Encounter", 412, outcome("processing", diagnostics="HAPI-0958: matched 2 resources"))
    with pytest.raises(AmbiguousMatch) as info:
        rig.client.create({"resourceType": "Encounter"}, if_none_exist="identifier=s|1")
    assert isinstance(info.value, Conflict) and "meerdere" in info.value.message_nl


def test_422_is_rejected_with_the_fields(rig: Rig) -> None:
    rig.add("POST", "Encounter", 422, outcome("required", expression=["Encounter.status"]))
    with pytest.raises(EhrRejected) as info:
        rig.client.create({"resourceType": "Encounter"})
    assert info.value.http_status == 422 and info.value.ehr_status == 422
    assert info.value.message_nl == (
        "Het dossier heeft de gegevens niet geaccepteerd: ze voldoen niet aan de eisen. "
        "Het gaat om: Encounter.status."
    )
    assert info.value.details_nl == ("fout: verplicht gegeven ontbreekt (Encounter.status)",)


# --- update ----------------------------------------------------------------------------------------------


def test_update_sends_if_match_from_meta(rig: Rig) -> None:
    rig.add("PUT", "Patient/p1", 200, patient(version="4"))
    assert rig.client.update(patient(version="3"))["meta"]["versionId"] == "4"
    assert rig.calls[0].request.headers["If-Match"] == 'W/"3"'


def test_update_with_explicit_version(rig: Rig) -> None:
    rig.add("PUT", "Patient/p1", 200, patient(version="8"))
    rig.client.update(patient(version="3"), if_match=7)
    assert rig.calls[0].request.headers["If-Match"] == 'W/"7"'


def test_update_without_representation_reads_back(rig: Rig) -> None:
    rig.add("PUT", "Patient/p1", 200, "")
    rig.add("GET", "Patient/p1", 200, patient(version="2"))
    assert rig.client.update(patient())["meta"]["versionId"] == "2"


@pytest.mark.parametrize("status", [409, 412])
def test_conflict_carries_the_current_version(rig: Rig, status: int) -> None:
    rig.add(
        "PUT", "Patient/p1", status, outcome("conflict", diagnostics="HAPI-0989: not the current version")
    )
    rig.add("GET", "Patient/p1", 200, patient(version="5", gender="female"))
    with pytest.raises(VersionConflict) as info:
        rig.client.update(patient(version="3", gender="male"))
    err = info.value
    assert isinstance(err, Conflict) and err.http_status == 409
    assert err.current_version == "5" and err.current is not None and err.current["gender"] == "female"
    assert "Bekijk beide versies" in err.message_nl


def test_conflict_when_current_cannot_be_fetched(rig: Rig) -> None:
    rig.add("PUT", "Patient/p1", 412, outcome("processing"))
    rig.add("GET", "Patient/p1", 404)
    with pytest.raises(VersionConflict) as info:
        rig.client.update(patient())
    assert info.value.current is None and info.value.current_version is None


def test_412_from_validation_is_not_a_conflict(rig: Rig) -> None:
    rig.add("PUT", "Patient/p1", 412, outcome("invalid", expression=["Patient.gender"]))
    with pytest.raises(EhrRejected):
        rig.client.update(patient())


def test_lost_answer_then_conflict_with_our_own_write_is_success(rig: Rig) -> None:
    mine = patient(version="3", gender="male")
    rig.add("PUT", "Patient/p1", body=requests.ConnectionError("answer lost after commit"))
    rig.add("PUT", "Patient/p1", 412, outcome("conflict"))
    rig.add("GET", "Patient/p1", 200, {**mine, "meta": {"versionId": "4"}})
    assert rig.client.update(mine)["meta"]["versionId"] == "4"


def test_first_time_conflict_with_equal_content_is_still_a_conflict(rig: Rig) -> None:
    mine = patient(version="3", gender="male")
    rig.add("PUT", "Patient/p1", 412, outcome("conflict"))
    rig.add("GET", "Patient/p1", 200, {**mine, "meta": {"versionId": "4"}})
    with pytest.raises(VersionConflict):
        rig.client.update(mine)


def test_update_needs_an_id(rig: Rig) -> None:
    with pytest.raises(InvalidInput):
        rig.client.update({"resourceType": "Patient"})


# --- transaction and batch -------------------------------------------------------------------------------


def _contact_tx() -> tuple[dict[str, object], str]:
    urn = bundle.full_url()
    tx = bundle.transaction(
        [
            bundle.create_entry({"resourceType": "Encounter"}, full_url=urn, if_none_exist="identifier=s|c1"),
            bundle.create_entry(
                {"resourceType": "Communication", "encounter": {"reference": urn}},
                if_none_exist="identifier=s|j1",
            ),
        ]
    )
    return tx, urn


def test_transaction_returns_the_response_bundle(rig: Rig) -> None:
    tx, urn = _contact_tx()
    answer = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [
            {"response": {"status": "201 Created", "location": "Encounter/e1/_history/1"}},
            {"response": {"status": "201 Created", "location": "Communication/j1/_history/1"}},
        ],
    }
    rig.add("POST", BASE, 200, answer)
    got = rig.client.transaction(tx)
    assert bundle.resolved(got, tx) == {urn: "Encounter/e1"}
    assert json.loads(rig.calls[0].request.body)["type"] == "transaction"


def test_transaction_refused_says_why_in_dutch(rig: Rig) -> None:
    tx, _ = _contact_tx()
    oo = outcome(
        "invariant",
        diagnostics="HAPI-0000: Communication.payload 'secret' is wrong",
        expression=["Bundle.entry[1].resource/*Communication/null*/.payload[0]"],
    )
    rig.add("POST", BASE, 422, oo)
    with pytest.raises(EhrRejected) as info:
        rig.client.transaction(tx)
    assert "secret" not in info.value.message_nl
    assert info.value.message_nl.endswith("Het gaat om: Bundle.entry[1].resource.payload[0].")


def test_transaction_conflict(rig: Rig) -> None:
    tx = bundle.transaction([bundle.update_entry(patient(), if_match="1")])
    rig.add("POST", BASE, 409, outcome("conflict"))
    with pytest.raises(VersionConflict):
        rig.client.transaction(tx)


@pytest.mark.parametrize(
    "answer",
    [
        {"resourceType": "Bundle", "type": "transaction-response", "entry": []},
        {"resourceType": "Bundle", "type": "batch-response", "entry": [{}, {}]},
        {"resourceType": "OperationOutcome"},
    ],
)
def test_transaction_answer_that_does_not_fit_is_a_bad_response(rig: Rig, answer: dict[str, object]) -> None:
    tx, _ = _contact_tx()
    rig.add("POST", BASE, 200, answer)
    with pytest.raises(BadResponse):
        rig.client.transaction(tx)


def test_transaction_refuses_a_batch_bundle(rig: Rig) -> None:
    with pytest.raises(InvalidInput):
        rig.client.transaction(bundle.batch([]))
    assert rig.calls == []


def test_batch(rig: Rig) -> None:
    b = bundle.batch([bundle.read_entry("Patient/p1"), bundle.read_entry("Patient/p2")])
    answer = {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [
            {"resource": patient(), "response": {"status": "200 OK"}},
            {"response": {"status": "404 Not Found", "outcome": outcome("not-found")}},
        ],
    }
    rig.add("POST", BASE, 200, answer)
    got = bundle.results(rig.client.batch(b), b)
    assert [(r.ok, r.status) for r in got] == [(True, 200), (False, 404)]
    assert got[1].outcome is not None


# --- search and paging -----------------------------------------------------------------------------------


def test_search_sends_params(rig: Rig) -> None:
    rig.add("GET", "CarePlan", 200, searchset([]))
    rig.client.search("CarePlan", [("subject", "Patient/p1"), ("status", "active"), ("status", "draft")])
    assert rig.calls[0].request.url == f"{BASE}/CarePlan?subject=Patient%2Fp1&status=active&status=draft"


def test_search_all_follows_next_links(rig: Rig) -> None:
    page2 = f"{BASE}?_getpages=abc&_getpagesoffset=2"
    page3 = f"{BASE}?_getpages=abc&_getpagesoffset=4"
    rig.add("GET", "Patient", 200, searchset([patient("a"), patient("b")], page2))
    rig.add("GET", page2, 200, searchset([patient("c"), patient("d")], page3))
    include = {"resource": {"resourceType": "Organization", "id": "o"}, "search": {"mode": "include"}}
    last = searchset([patient("e")])
    last["entry"].append(include)
    rig.add("GET", page3, 200, last)
    assert [p["id"] for p in rig.client.search_all("Patient", {"_count": 2})] == ["a", "b", "c", "d", "e"]
    assert rig.counter.total == 3 and rig.counter.by_type["Patient"] == 3


def test_relative_next_link_is_resolved_against_the_base(rig: Rig) -> None:
    rig.add("GET", "Patient", 200, searchset([patient("a")], "Patient?_page=2"))
    rig.add("GET", f"{BASE}/Patient?_page=2", 200, searchset([patient("b")]))
    assert [p["id"] for p in rig.client.search_all("Patient")] == ["a", "b"]


@pytest.mark.parametrize(
    "foreign",
    [
        "https://evil.example.com/fhir?_getpages=abc",
        "http://ehr.example.org/fhir?_getpages=abc",  # downgraded to plain http
        "https://ehr.example.org:8443/fhir?_getpages=abc",
        "https://ehr.example.org/other?_getpages=abc",
        "https://ehr.example.org/fhirx?_getpages=abc",
        "//evil.example.com/fhir?_getpages=abc",
    ],
)
def test_next_link_off_the_base_is_refused(rig: Rig, foreign: str) -> None:
    rig.add("GET", "Patient", 200, searchset([patient("a")], foreign))
    found = rig.client.search_all("Patient")
    assert next(found)["id"] == "a"
    with pytest.raises(UntrustedLink):
        next(found)
    assert len(rig.calls) == 1  # the token never went to the foreign address


def test_page_limit_is_an_error_not_a_silent_subset(rig: Rig) -> None:
    nxt = f"{BASE}?_getpages=abc"
    rig.add("GET", "Patient", 200, searchset([patient("a")], nxt))
    rig.add("GET", nxt, 200, searchset([patient("b")], nxt))
    with pytest.raises(PageLimitReached):
        list(rig.client.search_all("Patient", max_pages=2))
    assert len(rig.calls) == 2


# --- operations ------------------------------------------------------------------------------------------


def test_operation_get_and_post(rig: Rig) -> None:
    rig.add("GET", "Patient/p1/$meta", 200, {"resourceType": "Parameters"})
    assert rig.client.operation("$meta", resource_type="Patient", resource_id="p1") == {
        "resourceType": "Parameters"
    }
    rig.add("POST", "Patient/$validate", 200, outcome("informational"))
    got = rig.client.operation("validate", resource_type="Patient", body=patient(), repeatable=True)
    assert got is not None and got["resourceType"] == "OperationOutcome"


def test_operation_name_is_checked(rig: Rig) -> None:
    with pytest.raises(InvalidInput):
        rig.client.operation("$everything/../x", resource_type="Patient")


# --- answers as the sandbox HAPI 8 gives them (recorded from a real run, identifiers replaced) ------------

HAPI_422 = {
    "resourceType": "OperationOutcome",
    "issue": [
        {
            "severity": "error",
            "code": "processing",
            "details": {
                "coding": [
                    {"system": "http://hl7.org/fhir/java-core-messageId", "code": "Terminology_TX_NoValid_16"}
                ]
            },
            "diagnostics": "The value provided ('geheim') was not found in the value set "
            "'AdministrativeGender'",
            "location": ["Bundle.entry[0].resource/*Patient/null*/.gender", "Line[1] Col[203]"],
            "expression": ["Bundle.entry[0].resource/*Patient/null*/.gender"],
        }
    ],
}
HAPI_409 = outcome(
    "processing",
    diagnostics="HAPI-0550: HAPI-0989: Trying to update Patient/p1/_history/7 "
    "but this is not the current version",
)
HAPI_412 = outcome(
    "processing",
    diagnostics='HAPI-0958: Failed to CREATE Patient with match URL "identifier=urn:x|999999990" '
    "because this search matched 2 resources",
)


def test_hapi_validation_refusal(rig: Rig) -> None:
    rig.add("POST", BASE, 422, HAPI_422)
    with pytest.raises(EhrRejected) as info:
        rig.client.transaction(
            bundle.transaction([bundle.create_entry(patient(), if_none_exist="identifier=s|1")])
        )
    err = info.value
    assert (
        err.message_nl
        == "Het dossier heeft de gegevens niet geaccepteerd. Het gaat om: Bundle.entry[0].resource.gender."
    )
    assert err.outcome is not None and err.outcome.server_codes == ("Terminology_TX_NoValid_16",)
    assert "geheim" not in repr(err) + str(err.details_nl)


def test_hapi_stale_if_match(rig: Rig) -> None:
    rig.add("PUT", "Patient/p1", 409, HAPI_409)
    rig.add("GET", "Patient/p1", 200, patient(version="8"))
    with pytest.raises(VersionConflict) as info:
        rig.client.update(patient(version="7"))
    assert info.value.current_version == "8"
    assert info.value.outcome is not None and info.value.outcome.server_codes == ("HAPI-0550", "HAPI-0989")


def test_hapi_multiple_matches_do_not_echo_the_identifier(rig: Rig) -> None:
    rig.add("POST", "Patient", 412, HAPI_412)
    with pytest.raises(AmbiguousMatch) as info:
        rig.client.create(patient(), if_none_exist="identifier=urn:x|999999990")
    assert "999999990" not in str(info.value) + repr(info.value) + str(info.value.to_operation_outcome())
