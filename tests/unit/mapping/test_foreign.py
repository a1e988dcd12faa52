"""Foreign data: what another system added survives read -> change -> write (issue 3)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import careplan, careteam, communication, encounter, labels
from hvol_fhir.programme.model import CareTeamMember, PhasePeriod

DATA = Path(__file__).resolve().parents[2] / "data" / "mapping"
EXAMPLES = t.mappings_dir() / "examples"


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def close_traject(traject: Any) -> Any:
    """A realistic change: the contact period ends, closure starts, with a reason."""
    last = traject.phases[-1]
    end = last.start + timedelta(days=60)
    phases = (
        *traject.phases[:-1],
        dataclasses.replace(last, end=end, status="completed"),
        PhasePeriod(phase="closure", start=end, end=end + timedelta(days=7), status="completed"),
    )
    return dataclasses.replace(
        traject, phases=phases, status="completed", closure_reason="youth-no-longer-needed"
    )


def test_careplan_read_change_write_keeps_foreign_content() -> None:
    original = load("careplan-foreign.json")
    traject = careplan.from_fhir(original)
    assert [p.phase for p in traject.phases] == ["inclusion", "introduction", "contact-period"]
    assert traject.category == "suspected" and traject.intro_outcome == "continue"

    out = dump(careplan.update_fhir(original, close_traject(traject)))

    # Unknown extensions, identifiers, tags, notes, other codings: all still there, unchanged.
    assert out["extension"] == original["extension"]
    assert out["identifier"][0] == original["identifier"][0]
    assert out["identifier"][1]["extension"] == original["identifier"][1]["extension"]
    assert out["meta"]["tag"] == original["meta"]["tag"]
    assert original["meta"]["profile"][0] in out["meta"]["profile"]
    assert out["note"] == original["note"] and out["author"] == original["author"]
    assert out["title"] == original["title"]
    assert out["subject"]["display"] == "S. Voorbeeld" and out["careTeam"][0]["display"] == "Team HVE"
    assert out["category"][0]["coding"][1] == original["category"][0]["coding"][1]
    assert out["category"][0]["text"] == "Handen vol ervaring"
    assert out["category"][1] == original["category"][1]  # the SNOMED category
    # The non-phase activity stays first; the phase activities keep their own extras.
    assert out["activity"][0] == original["activity"][0]
    assert out["activity"][1]["extension"] == original["activity"][1]["extension"]
    assert out["activity"][1]["detail"]["description"] == "Inclusie door GW"
    assert out["activity"][1]["detail"]["code"]["coding"][1]["code"] == "INC"
    assert (
        out["activity"][2]["outcomeCodeableConcept"][1]
        == original["activity"][2]["outcomeCodeableConcept"][1]
    )
    assert out["activity"][3]["detail"]["performer"] == original["activity"][3]["detail"]["performer"]
    # ...and the change itself is there.
    assert out["status"] == "completed"
    assert out["activity"][3]["detail"]["status"] == "completed"
    closure = out["activity"][4]
    assert closure["detail"]["code"]["coding"][0]["code"] == "closure"
    assert closure["detail"]["reasonCode"][0]["coding"][0]["code"] == "youth-no-longer-needed"
    # Reading it back gives the changed traject.
    assert careplan.from_fhir(out) == close_traject(traject)


def test_careplan_update_without_change_is_stable() -> None:
    original = load("careplan-foreign.json")
    once = dump(careplan.update_fhir(original, careplan.from_fhir(original)))
    twice = dump(careplan.update_fhir(once, careplan.from_fhir(once)))
    assert once == twice  # idempotent
    assert set(once) == set(original)
    # Nothing lost: every (system, code) and every extension URL of the original is still there.
    assert _codings(original) <= _codings(once)
    assert _urls(original) <= _urls(once)


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _codings(resource: dict[str, Any]) -> set[tuple[str, str]]:
    return {(n["system"], n["code"]) for n in _walk(resource) if "system" in n and "code" in n}


def _urls(resource: dict[str, Any]) -> set[str]:
    return {n["url"] for n in _walk(resource) if "url" in n}


def test_encounter_keeps_interpreter_and_extensions() -> None:
    original = load("encounter-foreign.json")
    contact = encounter.from_fhir(original, traject="CarePlan/cp-1")
    assert contact.buddy == "Practitioner/buddy-1" and contact.present == ()  # the interpreter is not "ours"
    later = dataclasses.replace(contact, end=contact.end - timedelta(minutes=30), contact_type="video")
    out = dump(encounter.update_fhir(original, later, episode="EpisodeOfCare/ep-1"))
    assert out["extension"] == original["extension"]
    assert out["participant"][1] == original["participant"][1]
    assert out["participant"][0]["individual"]["display"] == "L. Maatje"
    assert out["serviceProvider"] == original["serviceProvider"]
    assert out["type"][0]["coding"][0]["code"] == "video"
    assert out["type"][1] == original["type"][1]
    assert out["length"]["value"] == 60 and out["class"]["code"] == "VR"
    assert encounter.from_fhir(out, traject="CarePlan/cp-1") == later


def test_communication_keeps_extra_labels_and_extensions() -> None:
    original = load("communication-foreign.json")
    entry = communication.from_fhir(original)
    edited = dataclasses.replace(entry, text=entry.text + " Aanvulling.")
    out = dump(communication.update_fhir(original, edited, care_team="CareTeam/ct-1"))
    codes = {(c["system"], c["code"]) for c in out["meta"]["security"]}
    before = {(c["system"], c["code"]) for c in original["meta"]["security"]}
    assert before <= codes  # nothing dropped, PRS included
    assert labels.has_full_label_set(out["meta"])
    assert out["meta"]["tag"] == original["meta"]["tag"]
    assert out["extension"] == original["extension"]
    assert communication.from_fhir(out) == edited


def test_careteam_keeps_other_participants() -> None:
    original = load("careteam-foreign.json")
    team = careteam.from_fhir(original)
    assert [m.role for m in team.members] == ["buddy"]
    coach = CareTeamMember(
        member="Practitioner/coach-1", role="coach", start=datetime.fromisoformat("2026-03-01T09:00:00+01:00")
    )
    out = dump(careteam.update_fhir(original, dataclasses.replace(team, members=(*team.members, coach))))
    assert out["extension"] == original["extension"]
    assert out["managingOrganization"] == original["managingOrganization"]
    assert out["participant"][0]["extension"] == original["participant"][0]["extension"]
    assert out["participant"][0]["role"][1] == original["participant"][0]["role"][1]
    assert out["participant"][1] == original["participant"][1]  # the doctor is not the programme's
    assert careteam.from_fhir(out).members[-1] == coach


def test_consent_update_keeps_foreign_provision_content_and_purpose() -> None:
    from hvol_fhir.mapping import consent

    original = json.loads((EXAMPLES / "Consent-hvol-ex-disclosure.json").read_text())
    original["provision"]["provision"][0]["extension"].append(
        {"url": "http://example.org/x", "valueString": "y"}
    )
    original["provision"]["provision"].append(
        {"type": "deny", "actor": [{"role": {"text": "x"}, "reference": {"reference": "Organization/o"}}]}
    )
    original["sourceReference"] = {"reference": "DocumentReference/scan-1"}
    grant = consent.from_fhir(original)
    shorter = dataclasses.replace(
        grant, end=grant.end - timedelta(days=7) if grant.end else None, status="inactive"
    )
    out = dump(consent.update_fhir(original, shorter))
    assert out["sourceReference"] == original["sourceReference"]
    assert out["provision"]["provision"][1] == original["provision"]["provision"][1]
    assert (
        out["provision"]["provision"][0]["extension"][0]
        == original["provision"]["provision"][0]["extension"][1]
    )
    assert consent.purpose_code(out) == "FAMRQT"  # kept, not reset to the default
    assert consent.from_fhir(out) == shorter


def test_task_update_keeps_restriction_and_notes() -> None:
    from hvol_fhir.mapping import task

    original = json.loads((EXAMPLES / "Task-hvol-ex-waitinglist.json").read_text())
    original["restriction"]["repetitions"] = 1
    original["restriction"]["period"]["start"] = "2026-01-12"
    original["note"] = [{"text": "Bellen na de vakantie."}]
    original["businessStatus"] = {"text": "wacht op buddy"}
    t = task.from_fhir(original)
    out = dump(task.update_fhir(original, dataclasses.replace(t, status="completed", due=None)))
    assert out["restriction"] == {"repetitions": 1, "period": {"start": "2026-01-12"}}
    assert out["note"] == original["note"] and out["businessStatus"] == original["businessStatus"]
    assert out["status"] == "completed"
