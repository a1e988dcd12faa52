"""The traject's EpisodeOfCare: same identifier as the CarePlan, derived status and period, kept extras."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import careplan, episodeofcare
from hvol_fhir.programme.model import PhasePeriod, Traject

TZ = timezone(timedelta(hours=2))
T0 = datetime(2026, 5, 1, 9, tzinfo=TZ)
TRAJECT = Traject(
    identifier="9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a",
    patient="Patient/p-1",
    created=T0,
    phases=(
        PhasePeriod(phase="inclusion", start=T0, end=T0 + timedelta(days=20), status="completed"),
        PhasePeriod(phase="closure", start=T0 + timedelta(days=20), end=T0 + timedelta(days=21)),
    ),
    care_team="CareTeam/ct-1",
)


def test_same_identifier_as_the_careplan() -> None:
    ep = dump(episodeofcare.to_fhir(TRAJECT, episode_id="ep-1"))
    cp = dump(careplan.to_fhir(TRAJECT))
    assert ep["identifier"] == cp["identifier"] == [{"system": t.sid("traject"), "value": TRAJECT.identifier}]
    assert ep["id"] == "ep-1" and ep["team"] == [{"reference": "CareTeam/ct-1"}]
    assert episodeofcare.traject_identifier(ep) == TRAJECT.identifier


@pytest.mark.parametrize(
    ("status", "episode_status", "has_end"),
    [
        ("draft", "planned", False),
        ("active", "active", False),
        ("on-hold", "onhold", False),
        ("completed", "finished", True),
        ("revoked", "cancelled", True),
        ("entered-in-error", "entered-in-error", False),
        ("unknown", "active", False),
    ],
)
def test_status_and_period(status: str, episode_status: str, has_end: bool) -> None:
    ep = dump(episodeofcare.to_fhir(dataclasses.replace(TRAJECT, status=status)))
    assert ep["status"] == episode_status
    assert ep["period"]["start"] == T0.isoformat()
    assert ("end" in ep["period"]) is has_end


def test_update_keeps_foreign_content() -> None:
    old = dump(episodeofcare.to_fhir(TRAJECT, episode_id="ep-1"))
    old["extension"] = [{"url": "http://example.org/x", "valueString": "y"}]
    old["managingOrganization"] = {"reference": "Organization/o-1"}
    old["identifier"].append({"system": "http://example.org/ehr", "value": "E-1"})
    out = dump(episodeofcare.update_fhir(old, dataclasses.replace(TRAJECT, status="completed")))
    assert out["extension"] == old["extension"] and out["managingOrganization"] == old["managingOrganization"]
    assert out["identifier"] == old["identifier"] and out["id"] == "ep-1"
    assert out["status"] == "finished"
