"""TransferService's messages when a server fails half-way: plain Dutch, and true of both servers.

No servers: two fake clients answer (or fail) as scripted. The one that matters most: when the send to B may
have reached B (``EhrDown.maybe_sent``, e.g. every answer lost after B stored the transaction), the message
may not say that nothing changed, and it tells the coordinator that starting again doubles nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from hvol_fhir.ehr import EhrDown, OutcomeUnknown, VersionConflict
from hvol_fhir.ehr.errors import EhrError
from hvol_fhir.fhirjson import Json
from hvol_fhir.transfer import (
    RecordPending,
    TargetRefused,
    TargetUnreachable,
    TransferPlan,
    TransferService,
    build_plan,
)

from .conftest import NOW, disclosure, request, snapshot

B = "Het Anker"


def _searchset(n: int = 0) -> Json:
    entries = [
        {"resource": {"resourceType": "Task", "id": f"t{i}"}, "search": {"mode": "match"}} for i in range(n)
    ]
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def _answer(kind: str, resources: list[Json]) -> Json:
    return {
        "resourceType": "Bundle",
        "type": f"{kind}-response",
        "entry": [{"response": {"status": "200 OK"}, "resource": r} for r in resources],
    }


@dataclass
class FakeClient:
    """``batch`` and ``transaction`` run the next scripted step: an answer builder or an error to raise."""

    base_url: str
    batches: list[Callable[[Mapping[str, Any]], Json] | EhrError] = field(default_factory=list)
    transactions: list[Callable[[Mapping[str, Any]], Json] | EhrError] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    def _step(self, steps: list[Any], bundle: Mapping[str, Any], kind: str) -> Json:
        self.sent.append(kind)
        step = steps.pop(0)
        if isinstance(step, EhrError):
            raise step
        return step(bundle)  # type: ignore[no-any-return]

    def batch(self, bundle: Mapping[str, Any]) -> Json:
        return self._step(self.batches, bundle, "batch")

    def transaction(self, bundle: Mapping[str, Any]) -> Json:
        return self._step(self.transactions, bundle, "transaction")


def _b_check(bundle: Mapping[str, Any]) -> Json:  # B holds nothing yet
    return _answer("batch", [_searchset() for _ in bundle["entry"]])


def _b_stored(bundle: Mapping[str, Any]) -> Json:
    entries = [
        {"response": {"status": "201 Created", "location": f"{e['request']['url']}/x{i}/_history/1"}}
        for i, e in enumerate(bundle["entry"])
    ]
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}


def _a_state(tasks: int) -> Callable[[Mapping[str, Any]], Json]:
    snap = snapshot(disclosure())

    def answer(bundle: Mapping[str, Any]) -> Json:
        refs = [e["request"]["url"] for e in bundle["entry"][1:]]
        return _answer("batch", [_searchset(tasks), *(snap.resources[r] for r in refs)])

    return answer


def _a_recorded(bundle: Mapping[str, Any]) -> Json:
    return _answer("transaction", [{} for _ in bundle["entry"]])


def _plan() -> TransferPlan:
    return build_plan(snapshot(disclosure()), request(target_name=B), NOW)


def _service(source: FakeClient, target: FakeClient) -> TransferService:
    return TransferService(
        source=source,  # type: ignore[arg-type]
        target=target,  # type: ignore[arg-type]
        source_name="De Horizon",
        target_name=B,
        clock=lambda: NOW,
    )


def _send_fails_with(error: EhrError) -> str:
    source = FakeClient("http://a.example/fhir")
    target = FakeClient("http://b.example/fhir", batches=[_b_check], transactions=[error])
    with pytest.raises(TargetUnreachable) as info:
        _service(source, target).send(_plan())
    assert source.sent == []  # A is not touched before B answered
    return info.value.message_nl


# --- sending to B ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [EhrDown(maybe_sent=True, attempts=3), OutcomeUnknown(), EhrDown(ehr_status=503, maybe_sent=True)],
)
def test_send_that_may_have_reached_b_does_not_claim_nothing_changed(error: EhrError) -> None:
    text = _send_fails_with(error)
    assert text == (
        "Het Anker gaf geen bruikbaar antwoord, dus het is niet zeker of het traject al is aangekomen. Hier "
        "is de overdracht nog niet vastgelegd. Start de overdracht opnieuw: er wordt niets dubbel aangemaakt."
    )
    assert "niets gewijzigd" not in text and "niet bereikbaar" not in text


@pytest.mark.parametrize("error", [EhrDown(), EhrDown(ehr_status=500), EhrDown(ehr_status=429, attempts=3)])
def test_send_that_never_reached_b_says_nothing_changed(error: EhrError) -> None:
    text = _send_fails_with(error)
    assert text.startswith("Het Anker is nu niet bereikbaar. Er is niets gewijzigd, ook hier niet.")
    assert "niet zeker" not in text and "niets dubbel" in text


def test_failed_check_at_b_says_nothing_changed_even_when_it_may_have_arrived() -> None:
    """The check only searches: a lost answer to it changes nothing anywhere."""
    source = FakeClient("http://a.example/fhir")
    target = FakeClient("http://b.example/fhir", batches=[EhrDown(maybe_sent=True, attempts=3)])
    with pytest.raises(TargetUnreachable) as info:
        _service(source, target).send(_plan())
    assert "Er is niets gewijzigd" in info.value.message_nl and "niet zeker" not in info.value.message_nl
    assert target.sent == ["batch"] and source.sent == []


# --- recording at A ----------------------------------------------------------------------------------------


def test_record_stored_at_a_with_its_answer_lost_is_found_and_reported_done() -> None:
    """A stored the record and the answer was lost; the resend met its own If-Match (409). It is there."""
    source = FakeClient(
        "http://a.example/fhir",
        batches=[_a_state(0), _a_state(1)],
        transactions=[VersionConflict(ehr_status=409)],
    )
    target = FakeClient("http://b.example/fhir", batches=[_b_check], transactions=[_b_stored])
    result = _service(source, target).send(_plan())
    assert result.recorded_at_source and not result.already_recorded
    assert source.sent == ["batch", "transaction", "batch"]


def test_record_not_stored_at_a_says_it_failed() -> None:
    source = FakeClient(
        "http://a.example/fhir", batches=[_a_state(0), _a_state(0)], transactions=[EhrDown(maybe_sent=True)]
    )
    target = FakeClient("http://b.example/fhir", batches=[_b_check], transactions=[_b_stored])
    with pytest.raises(RecordPending) as info:
        _service(source, target).send(_plan())
    text = info.value.message_nl
    assert text.startswith(
        "Het traject staat bij Het Anker, maar het vastleggen van de overdracht hier is niet"
    )
    assert "niets dubbel" in text and info.value.target_careplan


def test_record_that_may_be_stored_at_a_and_cannot_be_checked_says_so() -> None:
    source = FakeClient(
        "http://a.example/fhir",
        batches=[_a_state(0), EhrDown(maybe_sent=True)],
        transactions=[EhrDown(maybe_sent=True, attempts=3)],
    )
    target = FakeClient("http://b.example/fhir", batches=[_b_check], transactions=[_b_stored])
    with pytest.raises(RecordPending) as info:
        _service(source, target).send(_plan())
    text = info.value.message_nl
    assert "het is niet zeker of de overdracht hier is vastgelegd" in text and "niet gelukt" not in text
    assert "niets dubbel" in text


def test_record_step_that_cannot_read_a_writes_nothing_and_says_it_failed() -> None:
    source = FakeClient("http://a.example/fhir", batches=[EhrDown(maybe_sent=True, ehr_status=503)])
    target = FakeClient("http://b.example/fhir", batches=[_b_check], transactions=[_b_stored])
    with pytest.raises(RecordPending) as info:
        _service(source, target).send(_plan())
    assert "niet gelukt" in info.value.message_nl and source.sent == ["batch"]


def test_record_already_there_changes_nothing() -> None:
    source = FakeClient("http://a.example/fhir", batches=[_a_state(1)])
    target = FakeClient("http://b.example/fhir", batches=[_b_check], transactions=[_b_stored])
    result = _service(source, target).send(_plan())
    assert result.already_recorded and source.sent == ["batch"]


def test_conflict_at_b_is_explained_for_a_transfer() -> None:
    source = FakeClient("http://a.example/fhir")
    target = FakeClient(
        "http://b.example/fhir", batches=[_b_check], transactions=[VersionConflict(ehr_status=409)]
    )
    with pytest.raises(TargetRefused) as info:
        _service(source, target).send(_plan())
    text = info.value.message_nl
    assert text.startswith("Het Anker heeft het traject niet aangenomen, omdat daar op hetzelfde moment")
    assert "versies" not in text and "niets dubbel" in text and info.value.ehr_status == 409
    assert source.sent == []
