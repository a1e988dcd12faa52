"""Nothing identifying leaves through logs, error texts or exception chains."""

from __future__ import annotations

import logging
import traceback

import pytest
import requests

from hvol_fhir.ehr import EhrDown, EhrRejected, OutcomeUnknown

from .conftest import TOKEN, Rig, outcome, patient

BSN = "999999990"
SECRET_TEXT = "Jamie vertelde over de ruzie thuis"


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)


def test_logs_carry_method_type_and_status_only(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="hvol_fhir.ehr")
    rig.add("GET", "Patient", 503)
    rig.add("GET", "Patient", 200, {"resourceType": "Bundle", "type": "searchset"})
    rig.client.search("Patient", {"identifier": f"http://fhir.nl/fhir/NamingSystem/bsn|{BSN}"})
    rig.add("POST", "Communication", body=requests.ConnectionError(f"http://x/fhir/Communication?x={BSN}"))
    with pytest.raises(OutcomeUnknown):
        rig.client.create({"resourceType": "Communication", "payload": [{"contentString": SECRET_TEXT}]})
    logged = _everything_logged(caplog)
    assert "GET Patient" in logged and "503" in logged and "POST Communication" in logged
    for secret in (BSN, SECRET_TEXT, TOKEN, "ehr.example.org"):
        assert secret not in logged


def test_errors_do_not_chain_exceptions_that_hold_the_url(rig: Rig) -> None:
    for _ in range(3):
        rig.add("GET", "Patient", body=requests.ConnectionError(f"GET /Patient?identifier={BSN}"))
    with pytest.raises(EhrDown) as info:
        rig.client.search("Patient", {"identifier": BSN})
    rendered = "".join(traceback.format_exception(info.value))
    assert BSN not in rendered and BSN not in str(info.value) and BSN not in repr(info.value)


def test_outcome_diagnostics_never_reach_the_message(rig: Rig) -> None:
    diag = f"HAPI-0450: Failed to create: value '{SECRET_TEXT}' for identifier {BSN} is not valid"
    rig.add(
        "POST",
        "Communication",
        422,
        outcome("value", diagnostics=diag, expression=["Communication.payload[0]"]),
    )
    with pytest.raises(EhrRejected) as info:
        rig.client.create({"resourceType": "Communication"})
    err = info.value
    shown = " ".join((err.message_nl, *err.details_nl, str(err), repr(err), str(err.to_operation_outcome())))
    assert SECRET_TEXT not in shown and BSN not in shown
    assert "Communication.payload[0]" in err.message_nl
    assert err.outcome is not None and err.outcome.server_codes == ("HAPI-0450",)


def test_error_from_read_has_no_resource_content(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 200, patient(name=[{"text": SECRET_TEXT}]))
    assert (
        rig.client.read("Patient", "p1")["name"][0]["text"] == SECRET_TEXT
    )  # the caller gets it; logs do not
