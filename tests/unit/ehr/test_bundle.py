"""Pure Bundle helpers: building conditional transactions and reading their answers."""

from __future__ import annotations

from typing import Any

import pytest

from hvol_fhir.ehr import bundle


def test_full_urls_are_fresh_urn_uuids() -> None:
    a, b = bundle.full_url(), bundle.full_url()
    assert a.startswith("urn:uuid:") and len(a) == 45 and a != b


def test_identifier_condition_escapes_the_value_only() -> None:
    assert bundle.identifier_condition("https://hvol-fhir.org/fhir/sid/contact", "0f1e") == (
        "identifier=https://hvol-fhir.org/fhir/sid/contact|0f1e"
    )
    assert bundle.identifier_condition("urn:x", "a&b=c d") == "identifier=urn:x|a%26b%3Dc%20d"


@pytest.mark.parametrize(
    ("given", "tag", "version"),
    [
        ("3", 'W/"3"', "3"),
        (3, 'W/"3"', "3"),
        ('W/"3"', 'W/"3"', "3"),
        ('"3"', 'W/"3"', "3"),
    ],
)
def test_etags(given: Any, tag: str, version: str) -> None:
    assert bundle.etag(given) == tag
    assert bundle.version_id(str(given)) == version


def test_entries() -> None:
    resource = {"resourceType": "Encounter", "id": "e1"}
    assert bundle.create_entry(resource, full_url="urn:uuid:1", if_none_exist="identifier=s|1") == {
        "fullUrl": "urn:uuid:1",
        "resource": resource,
        "request": {"method": "POST", "url": "Encounter", "ifNoneExist": "identifier=s|1"},
    }
    assert bundle.update_entry(resource, if_match=2)["request"] == {
        "method": "PUT",
        "url": "Encounter/e1",
        "ifMatch": 'W/"2"',
    }
    tx = bundle.transaction([bundle.read_entry("Patient/p1")])
    assert tx == {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"request": {"method": "GET", "url": "Patient/p1"}}],
    }
    assert bundle.batch([])["type"] == "batch"


R = {"resourceType": "Encounter", "id": "e1"}


@pytest.mark.parametrize(
    ("entries", "repeatable"),
    [
        ([], True),
        ([bundle.create_entry(R, if_none_exist="identifier=s|1")], True),
        ([bundle.create_entry(R, if_none_exist="identifier=s|1"), bundle.create_entry(R)], False),
        ([bundle.update_entry(R, if_match="1"), bundle.read_entry("Patient/p")], True),
        ([bundle.update_entry(R)], False),
        ([{"request": {"method": "DELETE", "url": "Encounter/e1"}}], True),
        ([{"request": {"method": "PATCH", "url": "Encounter/e1"}}], False),
        ([{"resource": R, "request": {"method": "PUT", "url": "Encounter?identifier=s|1"}}], True),
        ([{"request": {"method": "PATCH", "url": "Encounter?identifier=s|1"}}], False),
        ([{"resource": R}], False),  # no request at all
    ],
)
def test_is_repeatable(entries: list[dict[str, Any]], repeatable: bool) -> None:
    assert bundle.is_repeatable(bundle.transaction(entries)) is repeatable


@pytest.mark.parametrize(
    ("location", "parsed"),
    [
        ("Encounter/e1/_history/2", ("Encounter", "e1", "2")),
        ("https://ehr.example.org/fhir/Encounter/e1/_history/2", ("Encounter", "e1", "2")),
        ("http://h/fhir/Patient/p-1", ("Patient", "p-1", None)),
        ("urn:uuid:0f", None),
        ("", None),
    ],
)
def test_parse_reference(location: str, parsed: tuple[str, str, str | None] | None) -> None:
    assert bundle.parse_reference(location) == parsed


def test_results_pair_request_and_response_entries() -> None:
    enc, com = bundle.full_url(), bundle.full_url()
    tx = bundle.transaction(
        [
            bundle.create_entry({"resourceType": "Encounter"}, full_url=enc, if_none_exist="identifier=s|1"),
            bundle.create_entry(
                {"resourceType": "Communication"}, full_url=com, if_none_exist="identifier=s|2"
            ),
            bundle.read_entry("Patient/p1"),
        ]
    )
    answer = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [
            {"response": {"status": "201 Created", "location": "Encounter/e9/_history/1", "etag": 'W/"1"'}},
            {"response": {"status": "200 OK", "location": "Communication/c4/_history/3"}},
            {"resource": {"resourceType": "Patient", "id": "p1"}, "response": {"status": "200"}},
        ],
    }
    got = bundle.results(answer, tx)
    assert [(r.status, r.created, r.reference, r.method) for r in got] == [
        (201, True, "Encounter/e9", "POST"),
        (200, False, "Communication/c4", "POST"),
        (200, False, "Patient/p1", "GET"),
    ]
    assert got[0].etag == 'W/"1"' and got[0].location == "Encounter/e9/_history/1"
    assert bundle.resolved(answer, tx) == {enc: "Encounter/e9", com: "Communication/c4"}


def test_results_survive_odd_answers() -> None:
    got = bundle.results({"entry": ["x", {"response": {"status": "garbage"}}]})
    assert [(r.status, r.ok, r.reference) for r in got] == [(0, False, None), (0, False, None)]
