"""Retries: what is repeated, how often, how long it waits, and what the caller gets when it gives up."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from hvol_fhir.ehr import (
    BadResponse,
    EhrDown,
    FhirClient,
    OutcomeUnknown,
    RetryPolicy,
    RoundTripCounter,
    bundle,
)
from hvol_fhir.ehr.errors import UNREACHABLE_NL
from hvol_fhir.errors import EhrUnavailable

from .conftest import BASE, Rig, patient


def _never_connected() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, BASE, reason))  # type: ignore[arg-type]


# --- 429 and Retry-After ---------------------------------------------------------------------------------


def test_429_waits_retry_after_then_succeeds(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 429, {"resourceType": "OperationOutcome"}, headers={"Retry-After": "7"})
    rig.add("GET", "Patient/p1", 200, patient())
    assert rig.client.read("Patient", "p1")["id"] == "p1"
    assert rig.sleeps == [7.0]
    assert rig.counter.total == 2 and rig.counter.retries == 1


def test_retry_after_is_capped(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 429, headers={"Retry-After": "3600"})
    rig.add("GET", "Patient/p1", 200, patient())
    rig.client.read("Patient", "p1")
    assert rig.sleeps == [30.0]


def test_retry_after_as_http_date(mock: responses.RequestsMock) -> None:
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    sleeps: list[float] = []
    client = FhirClient(BASE, "t", sleep=sleeps.append, clock=lambda: now)
    when = format_datetime(datetime(2030, 1, 1, 12, 0, 12, tzinfo=UTC), usegmt=True)
    mock.add("GET", f"{BASE}/Patient/p1", status=503, headers={"Retry-After": when})
    mock.add("GET", f"{BASE}/Patient/p1", json=patient(), content_type="application/fhir+json")
    client.read("Patient", "p1")
    assert sleeps == [12.0]


def test_unreadable_retry_after_falls_back_to_backoff(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 503, headers={"Retry-After": "soon"})
    rig.add("GET", "Patient/p1", 503)
    rig.add("GET", "Patient/p1", 200, patient())
    rig.client.read("Patient", "p1")
    assert rig.sleeps == [0.5, 1.0]


# --- 5xx -------------------------------------------------------------------------------------------------


def test_503_then_success(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 503)
    rig.add("GET", "Patient/p1", 200, patient())
    assert rig.client.read("Patient", "p1")["id"] == "p1"
    assert len(rig.calls) == 2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gives_up_after_the_attempts_with_the_dutch_message(rig: Rig, status: int) -> None:
    for _ in range(3):
        rig.add("GET", "Patient/p1", status, "<html>proxy</html>", ct="text/html")
    with pytest.raises(EhrDown) as info:
        rig.client.read("Patient", "p1")
    err = info.value
    assert isinstance(err, EhrUnavailable)
    assert err.message_nl == UNREACHABLE_NL
    assert (
        err.message_nl
        == "Het dossier (EHR) is niet bereikbaar. Uw invoer is bewaard; probeer het zo opnieuw."
    )
    assert (err.attempts, err.ehr_status, err.http_status) == (3, status, 503)
    assert len(rig.calls) == 3 and rig.counter.total == 3


def test_500_is_not_retried(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 500, {"resourceType": "OperationOutcome", "issue": []})
    with pytest.raises(EhrDown):
        rig.client.read("Patient", "p1")
    assert len(rig.calls) == 1


def test_policy_sets_attempts_and_backoff(mock: responses.RequestsMock) -> None:
    sleeps: list[float] = []
    client = FhirClient(
        BASE, "t", sleep=sleeps.append, retry=RetryPolicy(attempts=5, backoff=1, max_backoff=3)
    )
    for _ in range(5):
        mock.add("GET", f"{BASE}/Patient/p1", status=503)
    with pytest.raises(EhrDown) as info:
        client.read("Patient", "p1")
    assert info.value.attempts == 5
    assert sleeps == [1.0, 2.0, 3.0, 3.0]


# --- connection errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure", [requests.ConnectionError("reset"), requests.ReadTimeout("slow"), requests.ConnectTimeout("x")]
)
def test_get_is_retried_after_a_dropped_connection(rig: Rig, failure: Exception) -> None:
    rig.add("GET", "Patient/p1", body=failure)
    rig.add("GET", "Patient/p1", 200, patient())
    assert rig.client.read("Patient", "p1")["id"] == "p1"
    assert rig.counter.total == 2


def test_plain_post_is_never_resent_after_a_dropped_connection(rig: Rig) -> None:
    rig.add("POST", "Encounter", body=requests.ConnectionError("reset after send"))
    rig.add("POST", "Encounter", 201, {"resourceType": "Encounter", "id": "e1"})
    with pytest.raises(OutcomeUnknown) as info:
        rig.client.create({"resourceType": "Encounter", "status": "finished"})
    assert len(rig.calls) == 1
    assert "niet zeker" in info.value.message_nl and "bewaard" in info.value.message_nl
    assert isinstance(info.value, EhrUnavailable)


@pytest.mark.parametrize(("status", "error"), [(503, EhrDown), (502, OutcomeUnknown), (504, OutcomeUnknown)])
def test_plain_post_is_not_retried_on_5xx(rig: Rig, status: int, error: type[Exception]) -> None:
    rig.add("POST", "Encounter", status)
    rig.add("POST", "Encounter", 201, {"resourceType": "Encounter", "id": "e1"})
    with pytest.raises(error):
        rig.client.create({"resourceType": "Encounter", "status": "finished"})
    assert len(rig.calls) == 1


def test_plain_post_is_resent_when_the_connection_was_never_opened(rig: Rig) -> None:
    rig.add("POST", "Encounter", body=_never_connected())
    rig.add("POST", "Encounter", 201, {"resourceType": "Encounter", "id": "e1"})
    result = rig.client.create({"resourceType": "Encounter", "status": "finished"})
    assert result.created and len(rig.calls) == 2


def test_plain_post_is_resent_after_429(rig: Rig) -> None:
    rig.add("POST", "Encounter", 429, headers={"Retry-After": "1"})
    rig.add("POST", "Encounter", 201, {"resourceType": "Encounter", "id": "e1"})
    assert rig.client.create({"resourceType": "Encounter", "status": "finished"}).created
    assert rig.sleeps == [1.0]


def test_conditional_create_is_retried_and_finds_its_own_first_write(rig: Rig) -> None:
    condition = bundle.identifier_condition("https://hvol-fhir.org/fhir/sid/contact", "c-1")
    rig.add("POST", "Encounter", body=requests.ConnectionError("answer lost"))
    rig.add("POST", "Encounter", 200, {"resourceType": "Encounter", "id": "e1", "meta": {"versionId": "1"}})
    resource, created, location = rig.client.create({"resourceType": "Encounter"}, if_none_exist=condition)
    assert (created, resource and resource["id"]) == (False, "e1")
    assert [c.request.headers["If-None-Exist"] for c in rig.calls] == [condition, condition]


def test_update_with_if_match_is_retried(rig: Rig) -> None:
    rig.add("PUT", "Patient/p1", body=requests.ReadTimeout("slow"))
    rig.add("PUT", "Patient/p1", 200, patient(version="2"))
    assert rig.client.update(patient(version="1"))["meta"]["versionId"] == "2"
    assert len(rig.calls) == 2


def test_blind_update_is_not_retried(rig: Rig) -> None:
    rig.add("PUT", "Patient/p1", body=requests.ReadTimeout("slow"))
    with pytest.raises(OutcomeUnknown):
        rig.client.update(patient(), blind=True)
    assert len(rig.calls) == 1
    assert "If-Match" not in rig.calls[0].request.headers


def _tx(*entries: dict[str, object]) -> dict[str, object]:
    return bundle.transaction(entries)


def test_transaction_of_conditional_entries_is_retried(rig: Rig) -> None:
    tx = _tx(bundle.create_entry({"resourceType": "Encounter"}, if_none_exist="identifier=s|1"))
    answer = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [{"response": {"status": "200 OK", "location": "Encounter/e1/_history/1"}}],
    }
    rig.add("POST", BASE, 504)
    rig.add("POST", BASE, 200, answer)
    assert rig.client.transaction(tx) == answer
    assert len(rig.calls) == 2


def test_transaction_with_a_plain_post_is_not_retried(rig: Rig) -> None:
    tx = _tx(
        bundle.create_entry({"resourceType": "Encounter"}, if_none_exist="identifier=s|1"),
        bundle.create_entry({"resourceType": "Communication"}),
    )
    rig.add("POST", BASE, body=requests.ConnectionError("reset"))
    with pytest.raises(OutcomeUnknown):
        rig.client.transaction(tx)
    assert len(rig.calls) == 1


# --- bodies ----------------------------------------------------------------------------------------------


def test_truncated_body_on_get_is_retried(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 200, json.dumps(patient())[:20])
    rig.add("GET", "Patient/p1", 200, patient())
    assert rig.client.read("Patient", "p1")["id"] == "p1"


def test_truncated_body_every_time_is_a_bad_response(rig: Rig) -> None:
    for _ in range(3):
        rig.add("GET", "Patient/p1", 200, '{"resourceType": "Pat')
    with pytest.raises(BadResponse) as info:
        rig.client.read("Patient", "p1")
    assert info.value.message_nl.startswith("Het dossier gaf een onleesbaar antwoord")
    assert info.value.attempts == 3


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html>login</html>", "text/html"),
        ('["a list"]', "application/fhir+json"),
        ('{"no": 1}', "application/json"),
    ],
)
def test_non_fhir_json_is_a_bad_response(rig: Rig, body: str, content_type: str) -> None:
    for _ in range(3):
        rig.add("GET", "Patient/p1", 200, body, ct=content_type)
    with pytest.raises(BadResponse):
        rig.client.read("Patient", "p1")


def test_unreadable_answer_to_a_plain_post_is_not_resent(rig: Rig) -> None:
    rig.add("POST", "Encounter", 201, '{"resourceType": "Enc')
    with pytest.raises(BadResponse):
        rig.client.create({"resourceType": "Encounter"})
    assert len(rig.calls) == 1


def test_html_error_page_still_maps_by_status(rig: Rig) -> None:
    from hvol_fhir.ehr import EhrForbidden

    rig.add("GET", "Patient/p1", 403, "<html>nope</html>", ct="text/html")
    with pytest.raises(EhrForbidden):
        rig.client.read("Patient", "p1")


# --- the round-trip counter ------------------------------------------------------------------------------


def test_counter_counts_every_attempt(rig: Rig) -> None:
    seen = []
    rig.client.transport.counter = lambda trip: (seen.append(trip), rig.counter(trip))  # type: ignore[assignment]
    rig.add("GET", "Patient/p1", body=requests.ConnectionError("reset"))
    rig.add("GET", "Patient/p1", 401)
    rig.add("GET", "Patient/p1", 503)
    rig.add("GET", "Patient/p1", 200, patient())
    rig.client.read("Patient", "p1")
    assert [(t.method, t.resource_type, t.status, t.attempt) for t in seen] == [
        ("GET", "Patient", None, 1),
        ("GET", "Patient", 401, 2),
        ("GET", "Patient", 503, 3),
        ("GET", "Patient", 200, 4),
    ]
    assert (
        rig.counter.total == 4 and rig.counter.by_method["GET"] == 4 and rig.counter.by_type["Patient"] == 4
    )


def test_counter_spans_and_reset() -> None:
    from hvol_fhir.ehr import RoundTrip

    counter = RoundTripCounter()
    counter(RoundTrip("GET", "Patient", 200, 1))
    with counter.span() as outer:
        counter(RoundTrip("POST", "", 200, 1))
        with counter.span() as inner:
            counter(RoundTrip("GET", "Bundle", 200, 2))
    assert (outer.count, inner.count, counter.total, counter.retries) == (2, 1, 3, 1)
    counter.reset()
    assert counter.total == 0 and not counter.by_method
