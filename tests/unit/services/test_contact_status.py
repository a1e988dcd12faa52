"""Planned -> held (one transaction: Encounter update + entry + audit) or missed (one If-Match update), and
a network contact, against the in-memory FHIR server (the sandbox tests: tests/integration/)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest

from hvol_fhir.errors import InvalidInput, NotAllowed, NotFound
from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import encounter
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.common import held
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import Caller
from hvol_fhir.services import contact_status as s
from tests.unit.programme.builders import at, contact
from tests.unit.services.conftest import NOW, record_with
from tests.unit.services.fakes import FakeFhir

START = at(2026, 11, 20, 10, 0)


def stored_record(fake: FakeFhir) -> TrajectRecord:
    planned = contact(START, 60, status="planned", ident="planned-1")
    record = record_with(planned)
    raw = dump(encounter.to_fhir(record.contacts[0], episode="EpisodeOfCare/ep-1"))
    raw["meta"]["versionId"] = "1"
    fake.store.setdefault("Encounter", {})[raw["id"]] = raw
    return dataclasses.replace(record, encounters={raw["id"]: raw})


def test_held_updates_the_same_encounter_with_its_entry_and_audit_in_one_transaction(
    fake: FakeFhir, as_role: Callable[..., Caller]
) -> None:
    record = stored_record(fake)
    cmd = s.HoldPlanned(
        record,
        "planned-1",
        START,
        START + timedelta(minutes=70),
        c.CONTACT_FACE_TO_FACE,
        "entry-1",
        "We wandelden naar het park.",
    )
    entry_ref = s.hold_planned(as_role(c.ROLE_BUDDY), cmd)
    [enc] = fake.all("Encounter")
    assert enc["status"] == "finished" and enc["meta"]["versionId"] == "2" and enc["id"] == "enc-0"
    [com] = fake.all("Communication")
    assert entry_ref == f"Communication/{com['id']}" and com["encounter"]["reference"] == "Encounter/enc-0"
    assert len(fake.all("AuditEvent")) == 1
    again_record = dataclasses.replace(
        record, contacts=(encounter.from_json(enc, traject=record.reference),), encounters={"enc-0": enc}
    )
    with pytest.raises(InvalidInput) as info:
        s.hold_planned(as_role(c.ROLE_BUDDY), dataclasses.replace(cmd, record=again_record))
    assert info.value.code == "not-planned" and len(fake.all("Communication")) == 1


def test_missed_is_one_update_and_only_her_own_planned_contact(
    fake: FakeFhir, as_role: Callable[..., Caller]
) -> None:
    record = stored_record(fake)
    with pytest.raises(NotAllowed):
        s.record_missed(as_role(c.ROLE_MENTOR), s.RecordMissed(record, "planned-1", c.MISSED_NO_SHOW))
    with pytest.raises(NotFound):
        s.record_missed(as_role(c.ROLE_BUDDY), s.RecordMissed(record, "someone-else", c.MISSED_NO_SHOW))
    gone = s.record_missed(
        as_role(c.ROLE_BUDDY), s.RecordMissed(record, "planned-1", c.MISSED_CANCELLED, "youth")
    )
    [enc] = fake.all("Encounter")
    assert enc["status"] == "cancelled" and gone.missed_reason and held([gone]) == []
    assert encounter.from_json(enc, traject=record.reference).cancelled_by == "youth"


def test_a_network_contact_is_journalled_and_counts_for_no_norm(
    fake: FakeFhir, as_role: Callable[..., Caller]
) -> None:
    record = record_with()
    start = NOW - timedelta(hours=2)
    cmd = s.RecordNetworkContact(
        record,
        "net-1",
        "entry-net",
        start,
        start + timedelta(hours=1),
        c.CONTACT_FACE_TO_FACE,
        "intake",
        "Intake.",
    )
    s.record_network_contact(as_role(c.ROLE_BUDDY), cmd)
    [enc] = fake.all("Encounter")
    stored = encounter.from_json(enc, traject=record.reference)
    assert stored.network == "intake" and held([stored]) == [] and len(fake.all("Communication")) == 1
    with pytest.raises(InvalidInput):
        s.record_network_contact(
            as_role(c.ROLE_BUDDY), dataclasses.replace(cmd, network="", contact_identifier="n2")
        )
