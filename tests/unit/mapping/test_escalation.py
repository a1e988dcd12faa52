"""Escalation <-> Task: round trip, R4 shape, labels, and sealing (kind and message never in the clear)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from fhir.resources.R4B.task import Task as FhirTask

from hvol_fhir.mapping import escalation as m
from hvol_fhir.mapping import labels as lab
from hvol_fhir.privacy.access import sealed_kinds
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules import escalation as e
from hvol_fhir.sealing import codec as cd
from hvol_fhir.sealing import fields, keys
from tests.unit.programme.builders import BUDDY_REF, PATIENT_REF, TRAJECT_REF, at

TASK_KIND = "https://hvol-fhir.org/fhir/CodeSystem/task-kind"
NOW = at(2026, 10, 25, 1, 30)  # the night the clocks go back
SECRET = "Wijkagent Jansen vroeg naar haar vriend (fictief)"


def escalation(**over: object) -> e.Escalation:
    base = e.Escalation(
        identifier="3f0c6a1e-0000-4000-8000-000000000001",
        traject=TRAJECT_REF,
        patient=PATIENT_REF,
        raised_by=BUDDY_REF,
        raised_at=NOW,
        kind=c.ESCALATION_POLICE,
        message=SECRET,
        recipients=("Practitioner/coach-1", "Practitioner/coord-1"),
    )
    return replace(base, **over)  # type: ignore[arg-type]


def test_round_trip_open_and_handled() -> None:
    for esc in (
        escalation(),
        escalation(
            status=e.HANDLED, handled_by="Practitioner/coach-1", handled_at=NOW + timedelta(hours=3), id="t9"
        ),
    ):
        data = m.to_json(esc)
        FhirTask.model_validate(data)  # R4B model: the shape is a valid Task
        assert m.from_json(data) == esc


def test_labels_hide_it_from_staff_below_the_journal_level() -> None:
    data = m.to_json(escalation())
    found = lab.labels_of(data["meta"])
    assert lab.compartment() in found and lab.confidentiality_codes(data["meta"]) == ["R"]
    assert not lab.has_full_label_set(data["meta"])  # not a journal entry: the scientist may be involved


def test_update_keeps_what_the_app_does_not_map() -> None:
    stored = {**m.to_json(escalation(id="t1")), "note": [{"text": "van een ander systeem"}]}
    stored["meta"]["versionId"] = "2"
    done = e.handle(escalation(id="t1"), by="Practitioner/coord-1", role=c.ROLE_COORDINATOR, now=NOW)
    new = m.update_json(stored, done)
    assert new["note"] == stored["note"] and new["status"] == "completed" and new["id"] == "t1"
    assert m.from_json(new).handled_by == "Practitioner/coord-1"


def test_sealed_kind_and_message_open_for_the_team_and_the_scientist_only() -> None:
    ring = keys.generate("test")
    plain = m.to_json(escalation())
    assert fields.kind_of(plain) == fields.KIND_ESCALATION
    sealed = cd.SealingCodec(ring, sealed_kinds(c.ROLE_BUDDY)).encode(plain)
    text = json.dumps(sealed)
    assert "Wijkagent" not in text and '"police"' not in text and "reasonCode" not in sealed
    assert sealed["code"]["coding"][0]["code"] == c.TASK_ESCALATION  # the to-do stays findable
    for role in (c.ROLE_COACH, c.ROLE_COORDINATOR, c.ROLE_BEHAVIOURAL_SCIENTIST):
        opened = cd.SealingCodec(ring, sealed_kinds(role)).decode(sealed)
        assert m.from_json(opened).message == SECRET
    for role in (c.ROLE_MENTOR, "staff"):
        seen = cd.SealingCodec(ring, sealed_kinds(role)).decode(sealed)
        assert cd.status_of(seen) == cd.WITHHELD and "Wijkagent" not in json.dumps(seen)


def test_other_tasks_are_not_sealed() -> None:
    other = {
        "resourceType": "Task",
        "code": {"coding": [{"system": TASK_KIND, "code": "waiting-list"}]},
    }
    assert fields.kind_of(other) is None


def test_the_todo_is_read_from_the_clear_parts_of_a_sealed_task_for_any_role() -> None:
    """The start pages and the overview list an escalation from requester, recipients, time and status only:
    it maps while kind and message stay sealed, and holds neither."""
    ring = keys.generate("test")
    sealed = cd.SealingCodec(ring, sealed_kinds(c.ROLE_BUDDY)).encode(m.to_json(escalation(id="t1")))
    withheld = cd.SealingCodec(ring, sealed_kinds(c.ROLE_MENTOR)).decode(sealed)
    todo = m.todo_from_json(withheld)
    assert (todo.identifier, todo.traject, todo.raised_by, todo.raised_at, todo.is_open) == (
        escalation().identifier,
        TRAJECT_REF,
        BUDDY_REF,
        NOW,
        True,
    )
    assert todo.recipients == escalation().recipients
    assert SECRET not in repr(todo) and "police" not in repr(todo)
    done = e.handle(escalation(id="t1"), by="Practitioner/coord-1", role=c.ROLE_COORDINATOR, now=NOW)
    assert not m.todo_from_json(m.to_json(done)).is_open
