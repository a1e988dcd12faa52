from __future__ import annotations

import pytest

from hvol_fhir.errors import (
    Conflict,
    EhrUnavailable,
    HvolError,
    InvalidInput,
    MissingElement,
    NotAllowed,
    NotFound,
    RuleViolation,
    UnknownCode,
)


@pytest.mark.parametrize(
    ("error", "status", "issue_type"),
    [
        (InvalidInput, 422, "invalid"),
        (UnknownCode, 422, "code-invalid"),
        (MissingElement, 422, "required"),
        (RuleViolation, 422, "business-rule"),
        (Conflict, 409, "conflict"),
        (NotFound, 404, "not-found"),
        (NotAllowed, 403, "forbidden"),
        (EhrUnavailable, 503, "transient"),
    ],
)
def test_status_and_operation_outcome(error: type[HvolError], status: int, issue_type: str) -> None:
    err = error("Er ging iets mis.", field="Contact.end")
    assert isinstance(err, HvolError)
    assert err.http_status == status
    outcome = err.to_operation_outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    (issue,) = outcome["issue"]
    assert issue["severity"] == "error"
    assert issue["code"] == issue_type
    assert issue["details"]["text"] == "Er ging iets mis."
    assert issue["expression"] == ["Contact.end"]


def test_status_can_be_overridden_for_precondition_failed() -> None:
    assert Conflict("Iemand anders heeft dit al gewijzigd.", http_status=412).http_status == 412


def test_rule_violation_carries_rule_id_as_code() -> None:
    err = RuleViolation("Deelname kan vanaf 12 jaar.", rule_id="P-AGE")
    assert err.rule_id == "P-AGE"
    assert err.code == "P-AGE"
    assert "expression" not in err.to_operation_outcome()["issue"][0]


def test_outcome_validates_as_fhir_r4b() -> None:
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    OperationOutcome.model_validate(
        MissingElement("Het element ontbreekt.", field="CarePlan.subject").to_operation_outcome()
    )
