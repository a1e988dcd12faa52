"""Paging helpers: which links stay on the FHIR base, which entries are matches."""

from __future__ import annotations

import pytest

from hvol_fhir.ehr import UntrustedLink, paging

BASE = "https://ehr.example.org/fhir"


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        (f"{BASE}?_getpages=1", True),
        (f"{BASE}/Patient?page=2", True),
        ("https://EHR.example.org:443/fhir?_getpages=1", True),
        ("https://ehr.example.org/fhir2?x", False),
        ("https://ehr.example.org/?x", False),
        ("http://ehr.example.org/fhir?x", False),
        ("https://ehr.example.org.evil.com/fhir?x", False),
        ("https://user@evil.com/fhir?x", False),
        ("file:///fhir", False),
    ],
)
def test_is_under_base(url: str, inside: bool) -> None:
    assert paging.is_under_base(url, BASE) is inside


def test_resolve_link() -> None:
    assert paging.resolve_link("Patient?page=2", BASE) == f"{BASE}/Patient?page=2"
    with pytest.raises(UntrustedLink):
        paging.resolve_link("https://evil.example.com/fhir", BASE)
    with pytest.raises(UntrustedLink):
        paging.resolve_link("../admin", BASE)


def test_matches_and_included() -> None:
    page = {
        "entry": [
            {"resource": {"resourceType": "CarePlan", "id": "1"}, "search": {"mode": "match"}},
            {"resource": {"resourceType": "Patient", "id": "2"}, "search": {"mode": "include"}},
            {"resource": {"resourceType": "OperationOutcome"}, "search": {"mode": "outcome"}},
            {"resource": {"resourceType": "OperationOutcome"}},
            {"resource": {"resourceType": "CarePlan", "id": "3"}},
            "junk",
        ],
        "link": [{"relation": "next", "url": f"{BASE}?p=2"}, {"relation": "self"}],
    }
    assert [r["id"] for r in paging.matches(page)] == ["1", "3"]
    assert [r["id"] for r in paging.included(page)] == ["2"]
    assert paging.next_link(page) == f"{BASE}?p=2"
    assert paging.link(page, "self") is None
