"""OperationOutcome -> Dutch: codes decide the sentence; free text from the server never gets through."""

from __future__ import annotations

from typing import Any

import pytest

from hvol_fhir.ehr.outcome import Issue, Outcome, parse_outcome, plain_message

from .conftest import outcome


@pytest.mark.parametrize(
    ("code", "status", "start"),
    [
        ("required", 422, "Het dossier heeft de gegevens niet geaccepteerd: ze voldoen niet aan de eisen."),
        ("code-invalid", 422, "Het dossier heeft de gegevens niet geaccepteerd"),
        ("business-rule", 422, "Het dossier weigert deze wijziging vanwege een eigen regel."),
        ("conflict", 409, "Iemand anders heeft deze gegevens intussen gewijzigd."),
        ("multiple-matches", 412, "Het dossier vond meerdere bestaande gegevens"),
        ("not-found", 404, "Deze gegevens zijn niet (meer) gevonden in het dossier."),
        ("forbidden", 403, "U heeft geen toegang tot deze gegevens in het dossier."),
        ("throttled", 429, "Het dossier kon het verzoek nu niet verwerken."),
        ("processing", 400, "Het dossier begreep het verzoek niet."),
        ("processing", 418, "Het dossier heeft het verzoek geweigerd."),
    ],
)
def test_message_by_issue_code_then_status(code: str, status: int, start: str) -> None:
    parsed = parse_outcome(outcome(code))
    assert parsed is not None
    assert parsed.message_nl(status).startswith(start)


def test_status_alone_when_there_is_no_outcome() -> None:
    assert plain_message(None, 401).startswith("Uw sessie met het dossier is verlopen.")
    assert plain_message(None, None) == "Het dossier heeft het verzoek geweigerd."


def test_not_an_outcome() -> None:
    assert parse_outcome({"resourceType": "Patient"}) is None
    assert parse_outcome(None) is None
    assert parse_outcome(["issue"]) is None


def test_issues_are_reduced_to_safe_parts() -> None:
    body: dict[str, Any] = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "value",
                "diagnostics": "HAPI-1094: value 'Sanne de Vries' not allowed",
                "details": {"text": "Sanne de Vries woont in Utrecht"},
                "expression": ["Patient.name[0].family", "Patient.identifier.where(value='999999990')"],
                "location": ["Bundle.entry[0].resource/*Patient/null*/.name[0]", "Line[1] Col[9]"],
            },
            {
                "severity": "warning",
                "code": "informational",
                "diagnostics": "HAPI-0550: HAPI-0989: Trying to update Patient/p1",
                "details": {"coding": [{"code": "Terminology_TX_NoValid_16"}, {"code": "has spaces, no"}]},
            },
            "not an issue",
        ],
    }
    parsed = parse_outcome(body)
    assert parsed == Outcome(
        (
            Issue(
                "error",
                "value",
                ("Patient.name[0].family", "Bundle.entry[0].resource.name[0]"),
                ("HAPI-1094",),
            ),
            Issue("warning", "informational", (), ("HAPI-0550", "HAPI-0989", "Terminology_TX_NoValid_16")),
        )
    )
    everything = " ".join((parsed.message_nl(422), *parsed.details_nl()))
    assert parsed.server_codes == ("HAPI-1094", "HAPI-0550", "HAPI-0989", "Terminology_TX_NoValid_16")
    for secret in ("Sanne", "Utrecht", "999999990", "Line[1]", "Trying"):
        assert secret not in everything
    assert parsed.details_nl() == (
        "fout: ongeldige waarde (Patient.name[0].family, Bundle.entry[0].resource.name[0])",
    )


def test_warnings_only_still_give_details() -> None:
    parsed = parse_outcome(
        {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "not-supported"}]}
    )
    assert parsed is not None and parsed.details_nl() == ("waarschuwing: niet ondersteund",)
    assert not parsed.errors


def test_overlong_and_odd_values_are_cut() -> None:
    parsed = parse_outcome(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "x" * 500, "code": "y" * 500, "expression": [42, "A." + "b" * 300]}],
        }
    )
    assert parsed is not None
    issue = parsed.issues[0]
    assert len(issue.severity) <= 16 and len(issue.code) <= 32 and issue.paths == ()
