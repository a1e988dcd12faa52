"""writes.already_holds: a traject update whose answer was lost is recognised as saved, not as a conflict."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import careplan
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import PhasePeriod, Traject
from hvol_fhir.programme.rules.phases import close
from hvol_fhir.repository.writes import already_holds

TZ = timezone(timedelta(hours=1))
T0 = datetime(2026, 9, 1, 9, tzinfo=TZ)
BEFORE = Traject(
    id="cp-1",
    identifier="0b7c1f6e-7a0e-4c55-9d0f-1a2b3c4d5e6f",
    patient="Patient/p-1",
    created=T0,
    status="active",
    phases=(
        PhasePeriod(phase=c.PHASE_INCLUSION, start=T0, end=T0 + timedelta(days=20), status="completed"),
        PhasePeriod(phase=c.PHASE_CONTACT_PERIOD, start=T0 + timedelta(days=20)),
    ),
)


def _stored(traject: Traject, version: str) -> dict[str, object]:
    """As the server returns it: with meta.versionId and lastUpdated of its own."""
    resource = dump(careplan.to_fhir(traject))
    meta = {"versionId": version, "lastUpdated": "2026-11-30T10:00:00Z"}
    resource["meta"] = {**resource.get("meta", {}), **meta}
    return resource


def test_the_update_that_already_landed_is_recognised() -> None:
    closed = close(BEFORE, "youth-no-longer-needed", T0 + timedelta(days=60))
    assert already_holds(_stored(closed, "3"), closed)


def test_someone_elses_change_is_not_taken_for_ours() -> None:
    ours = close(BEFORE, "youth-no-longer-needed", T0 + timedelta(days=60))
    theirs = close(BEFORE, "buddy-no-click", T0 + timedelta(days=60))
    assert not already_holds(_stored(theirs, "3"), ours)
    assert not already_holds(_stored(BEFORE, "2"), ours)  # nothing landed yet


def test_a_later_change_on_top_of_ours_is_not_ours() -> None:
    ours = close(BEFORE, "youth-no-longer-needed", T0 + timedelta(days=60))
    later = dataclasses.replace(ours, care_team="CareTeam/ct-2")
    assert not already_holds(_stored(later, "4"), ours)
