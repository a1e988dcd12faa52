"""record_contact and record_coach_contact against the in-memory FHIR server, with the clock pinned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from hvol_fhir.ehr import EhrDown, EhrRejected
from hvol_fhir.errors import InvalidInput, NotAllowed
from hvol_fhir.programme import codes as c
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import Caller
from hvol_fhir.services import contacts as service
from tests.unit.programme.builders import BUDDY_REF, at
from tests.unit.services.conftest import NOW
from tests.unit.services.fakes import FakeFhir

Make = Callable[..., Caller]


def held(record: TrajectRecord, **over: object) -> service.RecordContact:
    fields: dict[str, object] = {
        "record": record,
        "contact_identifier": "5b7f1c1e-0000-4000-8000-000000000001",
        "start": at(2026, 11, 20, 10, 0),
        "end": at(2026, 11, 20, 11, 0),
        "contact_type": c.CONTACT_FACE_TO_FACE,
        "entry_identifier": "5b7f1c1e-0000-4000-8000-000000000002",
        "text": "We liepen een rondje. Ze vertelde over haar stage.",
    }
    return service.RecordContact(**{**fields, **over})  # type: ignore[arg-type]


def test_a_held_contact_its_entry_and_the_audit_are_one_transaction(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    done = service.record_contact(as_role(c.ROLE_BUDDY), held(record))
    assert fake.calls == ["transaction"]
    assert done.created
    (enc,) = fake.all("Encounter")
    (com,) = fake.all("Communication")
    (event,) = fake.all("AuditEvent")
    assert done.contact == f"Encounter/{enc['id']}" and done.entry == f"Communication/{com['id']}"
    assert com["encounter"]["reference"] == done.contact
    assert event["action"] == "C"
    # the audit names the entry by the id the server gave it, and the youth
    assert {e["what"]["reference"] for e in event["entity"]} == {done.entry, "Patient/youth-1"}
    assert event["agent"][1]["who"]["reference"] == BUDDY_REF
    assert event["recorded"] == NOW.isoformat()


def test_a_resend_after_a_lost_answer_ends_with_one_entry_and_one_audit(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    fake.fail("transaction", EhrDown(maybe_sent=True), after=True)
    with pytest.raises(EhrDown):
        service.record_contact(as_role(c.ROLE_BUDDY), held(record))
    again = service.record_contact(as_role(c.ROLE_BUDDY), held(record))
    assert not again.created
    assert len(fake.all("Encounter")) == len(fake.all("Communication")) == len(fake.all("AuditEvent")) == 1


def test_a_double_submit_writes_nothing_twice(as_role: Make, fake: FakeFhir, record: TrajectRecord) -> None:
    first = service.record_contact(as_role(c.ROLE_BUDDY), held(record))
    second = service.record_contact(as_role(c.ROLE_BUDDY), held(record))
    assert first.entry == second.entry and not second.created
    assert len(fake.all("AuditEvent")) == 1


def test_a_refused_transaction_leaves_neither_entry_nor_audit(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    fake.fail("transaction", EhrRejected(ehr_status=422))
    with pytest.raises(EhrRejected):
        service.record_contact(as_role(c.ROLE_BUDDY), held(record))
    assert not fake.all("Communication") and not fake.all("AuditEvent") and not fake.all("Encounter")


def test_the_lock_is_held_around_the_save(as_role: Make, fake: FakeFhir, record: TrajectRecord) -> None:
    taken: list[str] = []

    class Lock:
        def __init__(self, key: str) -> None:
            taken.append(key)

        def __enter__(self) -> None:
            assert fake.calls == []  # nothing sent before the lock is held

        def __exit__(self, *exc: object) -> None:
            assert fake.calls == ["transaction"]

    service.record_contact(as_role(c.ROLE_BUDDY, lock=Lock), held(record))
    assert taken == ["save:5b7f1c1e-0000-4000-8000-000000000002"]


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"start": NOW + timedelta(hours=1), "end": NOW + timedelta(hours=2)}, "in-future"),
        ({"start": at(2026, 11, 18, 10, 30), "end": at(2026, 11, 18, 11, 30)}, "overlap"),
        ({"text": "   "}, None),
    ],
)
def test_bad_input_sends_nothing(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, over: dict[str, object], code: str | None
) -> None:
    with pytest.raises(InvalidInput) as raised:
        service.record_contact(as_role(c.ROLE_BUDDY), held(record, **over))
    if code:
        assert raised.value.code == code
    assert fake.calls == []


def test_a_contact_ending_within_the_clock_skew_counts_as_held(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    over = {"start": NOW - timedelta(minutes=30), "end": NOW + timedelta(minutes=4)}
    assert service.record_contact(as_role(c.ROLE_BUDDY), held(record, **over)).created


@pytest.mark.parametrize("role", [c.ROLE_COACH, c.ROLE_COORDINATOR, c.ROLE_MENTOR, "staff"])
def test_only_the_buddy_records_contacts(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, role: str
) -> None:
    with pytest.raises(NotAllowed):
        service.record_contact(as_role(role), held(record))
    assert fake.calls == []


def test_a_planned_contact_is_the_contact_alone_and_may_lie_ahead(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    ahead = {"start": NOW + timedelta(days=3), "end": NOW + timedelta(days=3, hours=1), "text": ""}
    done = service.record_contact(as_role(c.ROLE_BUDDY), held(record, status=service.PLANNED, **ahead))
    (enc,) = fake.all("Encounter")
    assert enc["status"] == "planned" and done.entry is None
    assert not fake.all("Communication") and not fake.all("AuditEvent")


def test_a_planned_contact_more_than_a_year_ahead_is_a_typo(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    ahead = {"start": NOW + timedelta(days=400), "end": NOW + timedelta(days=400, hours=1)}
    with pytest.raises(InvalidInput) as raised:
        service.record_contact(as_role(c.ROLE_BUDDY), held(record, status=service.PLANNED, **ahead))
    assert raised.value.code == "too-far-ahead" and fake.calls == []


def test_the_talk_with_her_coach_is_a_completed_task(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    command = service.RecordCoachContact(record, "5b7f1c1e-0000-4000-8000-000000000009", NOW)
    ref = service.record_coach_contact(as_role(c.ROLE_BUDDY), command)
    (task,) = fake.all("Task")
    assert ref == f"Task/{task['id']}" and task["status"] == "completed"
    with pytest.raises(InvalidInput):
        later = service.RecordCoachContact(record, "x-1", NOW + timedelta(minutes=6))
        service.record_coach_contact(as_role(c.ROLE_BUDDY), later)
