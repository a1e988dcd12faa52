from __future__ import annotations

import pytest

from hvol_fhir.transfer import NoUsableIdentifier
from hvol_fhir.transfer import identity as ids

BSN = {"system": ids.BSN, "value": "999990019"}
YOUTH = {"system": "https://hvol-fhir.org/fhir/sid/youth", "value": "hv-youth-01"}
PSEUDO = {"system": ids.PSEUDO_BSN, "value": "tmp-1"}


@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [([YOUTH, BSN], BSN), ([YOUTH], YOUTH), ([PSEUDO, YOUTH], YOUTH), ([BSN, PSEUDO], BSN)],
)
def test_patient_prefers_bsn_then_provider_number(identifiers: list, expected: dict) -> None:
    assert ids.match_identifier({"resourceType": "Patient", "identifier": identifiers}) == expected


@pytest.mark.parametrize("identifiers", [[], [PSEUDO], [{"system": "urn:x"}]])
def test_patient_without_usable_identifier_is_refused(identifiers: list) -> None:
    with pytest.raises(NoUsableIdentifier) as caught:
        ids.match_identifier({"resourceType": "Patient", "identifier": identifiers})
    assert caught.value.field == "Patient.identifier"


def test_practitioner_prefers_national_numbers() -> None:
    agb = {"system": ids.AGB, "value": "01234567"}
    local = {"system": "https://hvol-fhir.org/fhir/sid/practitioner", "value": "hv-buddy-1"}
    assert ids.match_identifier({"resourceType": "Practitioner", "identifier": [local, agb]}) == agb
    assert ids.match_identifier({"resourceType": "Practitioner", "identifier": [local]}) == local


def test_questionnaire_response_single_identifier_and_none() -> None:
    one = {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:1"}
    assert (
        ids.match_identifier({"resourceType": "QuestionnaireResponse", "identifier": one}, strict=False)
        == one
    )
    assert ids.match_identifier({"resourceType": "QuestionnaireResponse"}, strict=False) is None


def test_conditional_reference_escapes_the_value() -> None:
    ref = ids.conditional_reference("Patient", {"system": ids.BSN, "value": "a b&c"})
    assert ref == "Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn|a%20b%26c"


def test_transfer_key_is_stable_and_order_free() -> None:
    one = ids.transfer_key("http://b/fhir", "t1", ["x", "y"])
    assert one == ids.transfer_key("http://b/fhir/", "t1", ["y", "x"])
    assert one != ids.transfer_key("http://c/fhir", "t1", ["x", "y"])
    assert one != ids.transfer_key("http://b/fhir", "t1", ["x", "y", "z"])


def test_derived_identifier_is_stable() -> None:
    first = ids.derived_identifier("http://a/fhir", "QuestionnaireResponse", "1")
    assert first == ids.derived_identifier("http://a/fhir/", "QuestionnaireResponse", "1")
    assert first["system"] == ids.SOURCE_RESOURCE
