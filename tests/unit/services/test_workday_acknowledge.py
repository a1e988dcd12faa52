"""A coordinator acknowledges an open item with a note (issue 15): the Task shape, the note sealed for the
journal's readers only, the item listed apart with its note, and only the coordinator may do it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from hvol_fhir.ehr import FhirClient
from hvol_fhir.ehr.client import CreateResult
from hvol_fhir.errors import InvalidInput, NotAllowed
from hvol_fhir.mapping import acknowledgement as ack
from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.sealing import codec as cd
from hvol_fhir.sealing import fields, keys
from hvol_fhir.services.acknowledge import acknowledge, acknowledged
from hvol_fhir.services.overview import cohort_overview
from hvol_fhir.services.views import traject_view
from tests.unit.services.workday_fake import FakeFhir
from tests.unit.services.workday_story import NOW, build

EXAMPLE = Path(__file__).resolve().parents[3] / "mappings" / "examples" / "Task-hvol-ex-acknowledgement.json"
NOTE = "Moeder gebeld over het gesprek (fictief)"


class Writing(FakeFhir):
    """The fake, plus conditional creates on the identifier (what `acknowledge` sends)."""

    def create(self, resource: dict[str, Any], *, if_none_exist: str | None = None) -> CreateResult:
        self.round_trips += 1
        token = (if_none_exist or "").split("identifier=", 1)[1].split("&", 1)[0]
        system, _, value = token.partition("|")
        for r in self.store.get("Task", []):
            if {"system": system, "value": value} in r.get("identifier", []):
                return CreateResult(r, False, f"Task/{r['id']}")
        stored = {**resource, "id": f"ack-{len(self.store.get('Task', []))}"}
        self.add(stored)
        return CreateResult(stored, True, f"Task/{stored['id']}/_history/1")


def test_the_note_is_sealed_and_opens_for_the_journals_readers_only() -> None:
    ring = keys.generate("test")
    resource = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    secret = resource["note"][0]["text"]
    sealed = cd.SealingCodec(ring, frozenset(fields.KINDS)).encode(resource)
    assert secret not in json.dumps(sealed) and ack.item_key_of(sealed) == ack.item_key_of(resource)
    for role in (c.ROLE_COORDINATOR, c.ROLE_BUDDY, c.ROLE_COACH):
        assert ack.note_of(cd.SealingCodec(ring, access.sealed_kinds(role)).decode(sealed)) == secret
    for role in ("staff", c.ROLE_MENTOR, c.ROLE_BEHAVIOURAL_SCIENTIST):
        seen = cd.SealingCodec(ring, access.sealed_kinds(role)).decode(sealed)
        assert secret not in json.dumps(seen)
        assert ack.notes_by_item([seen]) == {ack.item_key_of(resource): "(vertrouwelijk)"}


def _coach_item_key(fake: FakeFhir) -> str:
    view = traject_view(cast(FhirClient, fake), "Patient/youth-1", "tr-1", NOW, with_tasks=True)
    return next(x.key for x in view.signals.open if x.kind.slug == "coachcontact")


def test_an_acknowledged_item_is_listed_apart_with_its_note_and_a_resend_writes_nothing_twice() -> None:
    fake = Writing()
    fake.store = build().store
    key = _coach_item_key(fake)
    args: dict[str, Any] = {
        "role": c.ROLE_COORDINATOR,
        "identifier": "ack-uuid-1",
        "traject": "CarePlan/plan-1",
        "patient": "Patient/youth-1",
        "item_key": key,
        "note": NOTE,
        "author": "Practitioner/coordinator",
        "now": NOW,
    }
    assert acknowledge(cast(FhirClient, fake), **args) is True
    assert acknowledge(cast(FhirClient, fake), **args) is False  # the resend
    assert sum(ack.is_acknowledgement(r) for r in fake.store["Task"]) == 1
    view = traject_view(
        cast(FhirClient, fake), "Patient/youth-1", "tr-1", NOW, with_tasks=True, with_acknowledgements=True
    )
    assert [x.kind.slug for x in view.signals.open].count("coachcontact") == 0
    assert [(a.item.kind.slug, a.note) for a in view.signals.acknowledged] == [("coachcontact", NOTE)]


@pytest.mark.parametrize("role", [c.ROLE_BUDDY, c.ROLE_COACH, "staff"])
def test_only_the_coordinator_acknowledges(role: str) -> None:
    fake = Writing()
    with pytest.raises(NotAllowed):
        acknowledge(
            cast(FhirClient, fake),
            role=role,
            identifier="x",
            traject="CarePlan/plan-1",
            patient="Patient/youth-1",
            item_key="k",
            note=NOTE,
            author="Practitioner/b",
            now=NOW,
        )
    assert fake.round_trips == 0


def test_an_empty_note_is_refused_in_dutch() -> None:
    with pytest.raises(InvalidInput) as caught:
        acknowledge(
            cast(FhirClient, Writing()),
            role=c.ROLE_COORDINATOR,
            identifier="x",
            traject="CarePlan/plan-1",
            patient="Patient/youth-1",
            item_key="k",
            note="  ",
            author="Practitioner/c",
            now=NOW,
        )
    assert "notitie" in caught.value.message_nl.lower()


def test_the_overview_counts_an_acknowledged_item_no_more() -> None:
    fake = Writing()
    fake.store = build().store
    label = "Coachcontact na een contactmoment"
    before = cohort_overview(cast(FhirClient, fake), NOW)
    sanne = next(r for r in before.rows if r.name == "Sanne Jansen")
    key = next(x.key for x in sanne.signals.open if x.kind.slug == "coachcontact")
    acknowledge(
        cast(FhirClient, fake),
        role=c.ROLE_COORDINATOR,
        identifier="ack-2",
        traject="CarePlan/plan-1",
        patient="Patient/youth-1",
        item_key=key,
        note=NOTE,
        author="Practitioner/coordinator",
        now=NOW,
    )
    after = cohort_overview(cast(FhirClient, fake), NOW)
    assert after.counts[label] == before.counts[label] - 1
    sanne = next(r for r in after.rows if r.name == "Sanne Jansen")
    assert [a.note for a in sanne.signals.acknowledged] == [NOTE]


@pytest.mark.parametrize(
    ("reading", "note"),
    [
        (None, NOTE),  # the coordinator: no limit
        (((NOW - timedelta(days=1), None),), NOTE),  # written in her period
        (((NOW + timedelta(days=1), None),), "(vertrouwelijk)"),  # before her time: seen, not hers
        (((None, NOW - timedelta(days=1)),), "(vertrouwelijk)"),  # after her period ended
        ((), "(vertrouwelijk)"),  # no period at all
    ],
)
def test_a_note_from_outside_her_periods_counts_as_seen_but_is_not_shown(reading: Any, note: str) -> None:
    fake = Writing()
    fake.store = build().store
    args: dict[str, Any] = {
        "role": c.ROLE_COORDINATOR,
        "identifier": "ack-uuid-p",
        "traject": "CarePlan/plan-1",
        "patient": "Patient/youth-1",
        "item_key": "k-1",
        "note": NOTE,
        "author": "Practitioner/coordinator",
        "now": NOW,
    }
    assert acknowledge(cast(FhirClient, fake), **args) is True
    assert acknowledged(cast(FhirClient, fake), "Patient/youth-1", "tr-1", reading) == {"k-1": note}
