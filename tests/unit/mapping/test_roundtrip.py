"""domain -> FHIR -> JSON -> FHIR -> domain is the identity (issue 3), for every mapper."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import HealthCheck, given, settings

from hvol_fhir.mapping import (
    auditevent,
    careplan,
    careteam,
    communication,
    consent,
    encounter,
    inclusion,
    labels,
    task,
)
from hvol_fhir.programme.model import (
    UNVERIFIED,
    CareTeam,
    ConsentGrant,
    Contact,
    InclusionAssessment,
    JournalEntry,
    Task,
    Traject,
)
from hvol_fhir.sealing.codec import SealingCodec
from hvol_fhir.sealing.keys import generate as generate_ring

from . import strategies as s

CODEC = SealingCodec(generate_ring("roundtrip"), frozenset({"journal"}))

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _json(model: object) -> str:
    # Through plain JSON text, as it goes over the wire.
    return json.dumps(json.loads(model.model_dump_json(by_alias=True, exclude_none=True)))  # type: ignore[attr-defined]


@SETTINGS
@given(s.trajects())
def test_traject(traject: Traject) -> None:
    assert careplan.from_fhir(_json(careplan.to_fhir(traject))) == traject


@SETTINGS
@given(s.contacts())
def test_contact(contact: Contact) -> None:
    model = encounter.to_fhir(contact, episode="EpisodeOfCare/ep-1")
    assert encounter.from_fhir(_json(model), traject=contact.traject) == contact


@SETTINGS
@given(s.journal_entries)
def test_journal_entry(entry: JournalEntry) -> None:
    model = communication.to_fhir(entry, care_team="CareTeam/ct-1")
    assert labels.has_full_label_set(model.meta)
    # Through the sealing codec, as every app write and read goes: the same entry, and the app's own.
    sealed = CODEC.encode(json.loads(_json(model)))
    assert "contentString" not in json.dumps(sealed)
    assert communication.from_fhir(CODEC.decode(sealed)) == entry
    # Read without the codec's seal, the same text is no longer the named author's.
    assert communication.from_fhir(_json(model)) == replace(entry, authenticity=UNVERIFIED)


@SETTINGS
@given(s.care_teams())
def test_care_team(team: CareTeam) -> None:
    assert careteam.from_fhir(_json(careteam.to_fhir(team)), traject=team.traject) == team


@SETTINGS
@given(s.consents())
def test_consent(grant: ConsentGrant) -> None:
    model = consent.to_fhir(grant)
    assert labels.is_restricted(model.meta)
    assert consent.from_fhir(_json(model)) == grant


@SETTINGS
@given(s.tasks)
def test_task(t: Task) -> None:
    assert task.from_fhir(_json(task.to_fhir(t))) == t


@SETTINGS
@given(s.accesses)
def test_audit(event: auditevent.JournalAccess) -> None:
    model = auditevent.to_fhir(event)
    assert labels.is_restricted(model.meta)
    assert auditevent.from_fhir(_json(model)) == event


@SETTINGS
@given(s.trajects())
def test_update_of_own_output_changes_nothing(traject: Traject) -> None:
    model = careplan.to_fhir(traject)
    assert careplan.update_fhir(model, traject) == model


@SETTINGS
@given(s.assessments())
def test_inclusion_assessment(assessment: InclusionAssessment) -> None:
    assert inclusion.from_fhir(_json(inclusion.to_fhir(assessment))) == assessment


@SETTINGS
@given(s.contacts(), s.consents(), s.tasks, s.assessments())
def test_update_of_own_output_changes_nothing_elsewhere(
    contact: Contact, grant: ConsentGrant, t: Task, assessment: InclusionAssessment
) -> None:
    enc = encounter.to_fhir(contact, episode="EpisodeOfCare/e")
    assert encounter.update_fhir(enc, contact, episode="EpisodeOfCare/e") == enc
    con = consent.to_fhir(grant)
    assert consent.update_fhir(con, grant) == con
    assert task.update_fhir(task.to_fhir(t), t) == task.to_fhir(t)
    assert inclusion.update_fhir(inclusion.to_fhir(assessment), assessment) == inclusion.to_fhir(assessment)


@SETTINGS
@given(s.journal_entries, s.care_teams())
def test_update_of_own_journal_and_team_changes_nothing(entry: JournalEntry, team: CareTeam) -> None:
    com = communication.to_fhir(entry, care_team="CareTeam/x")
    assert communication.update_fhir(com, entry, care_team="CareTeam/x") == com
    ct = careteam.to_fhir(team)
    assert careteam.update_fhir(ct, team) == ct
