"""``EhrDown.maybe_sent``: whether a send of the call may have reached the server when no usable answer came.

A caller that wrote something (a transfer to another organisation) may only say "nothing changed" when the
answer is False; True means the server may hold the write and lost the answer.
"""

from __future__ import annotations

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from hvol_fhir.ehr import BadResponse, EhrDown, OutcomeUnknown, bundle

from .conftest import BASE, Rig


def _transaction() -> dict[str, object]:
    condition = bundle.identifier_condition("https://hvol-fhir.org/fhir/sid/contact", "c-1")
    entry = bundle.create_entry({"resourceType": "Encounter"}, if_none_exist=condition)
    return bundle.transaction([entry])


def _never_connected() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, BASE, reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "failure", [requests.ConnectionError("reset after send"), requests.ReadTimeout("slow")]
)
def test_repeatable_write_whose_answers_were_all_lost_may_have_been_sent(
    rig: Rig, failure: Exception
) -> None:
    for _ in range(3):
        rig.add("POST", "", body=failure)
    with pytest.raises(EhrDown) as info:
        rig.client.transaction(_transaction())
    assert len(rig.calls) == 3 and info.value.maybe_sent
    assert type(info.value) is EhrDown  # retried (repeatable), so not OutcomeUnknown


def test_connection_never_opened_was_not_sent(rig: Rig) -> None:
    for _ in range(3):
        rig.add("POST", "", body=_never_connected())
    with pytest.raises(EhrDown) as info:
        rig.client.transaction(_transaction())
    assert len(rig.calls) == 3 and not info.value.maybe_sent


def test_one_lost_answer_among_unsent_tries_counts(rig: Rig) -> None:
    rig.add("POST", "", body=requests.ConnectionError("reset after send"))
    rig.add("POST", "", body=_never_connected())
    rig.add("POST", "", body=_never_connected())
    with pytest.raises(EhrDown) as info:
        rig.client.transaction(_transaction())
    assert info.value.maybe_sent


@pytest.mark.parametrize(("status", "maybe"), [(429, False), (503, True), (502, True), (504, True)])
def test_final_status_answers(rig: Rig, status: int, maybe: bool) -> None:
    for _ in range(3):
        rig.add("GET", "Patient/p1", status, headers={"Retry-After": "0"})
    with pytest.raises(EhrDown) as info:
        rig.client.read("Patient", "p1")
    assert info.value.ehr_status == status and info.value.maybe_sent is maybe


def test_a_500_answer_means_not_stored(rig: Rig) -> None:
    rig.add("POST", "", 500, {"resourceType": "OperationOutcome", "issue": []})
    with pytest.raises(EhrDown) as info:
        rig.client.transaction(_transaction())
    assert not info.value.maybe_sent


def test_unreadable_answers_arrived_at_the_server(rig: Rig) -> None:
    for _ in range(3):
        rig.add("GET", "Patient/p1", 200, "<html>half</html>", ct="text/html")
    with pytest.raises(BadResponse) as info:
        rig.client.read("Patient", "p1")
    assert info.value.maybe_sent


def test_outcome_unknown_may_have_been_sent(rig: Rig) -> None:
    rig.add("POST", "Encounter", body=requests.ConnectionError("reset after send"))
    with pytest.raises(OutcomeUnknown) as info:
        rig.client.create({"resourceType": "Encounter", "status": "finished"})
    assert info.value.maybe_sent


def test_defaults_and_explicit_values() -> None:
    assert EhrDown().maybe_sent is False
    assert OutcomeUnknown().maybe_sent is True
    assert BadResponse().maybe_sent is True
    assert EhrDown(maybe_sent=True).maybe_sent is True
    assert OutcomeUnknown(maybe_sent=False).maybe_sent is False
