"""The examples in mappings/examples: parseable, synthetic, coded from mappings/, readable by the mappers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import auditevent, careplan, careteam, communication, consent, encounter, labels, task

EXAMPLES = t.mappings_dir() / "examples"
FILES = sorted(EXAMPLES.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def eleven_test(bsn: str) -> bool:
    digits = [int(d) for d in bsn]
    if len(digits) != 9:
        return False
    return (sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]) % 11 == 0


def test_every_profile_has_an_example() -> None:
    claimed = {p for f in FILES for p in load(f).get("meta", {}).get("profile", [])}
    profiles = {url for url, sd in t.load().structure_definitions.items() if sd["type"] != "Extension"}
    assert profiles <= claimed


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_example_parses_and_uses_known_codes(path: Path) -> None:
    data = load(path)
    assert path.stem == f"{data['resourceType']}-{data['id']}"
    model = get_fhir_model_class(data["resourceType"]).model_validate(data)
    assert dump(model) == data  # nothing lost in R4B
    for profile in data.get("meta", {}).get("profile", []):
        assert profile in t.load().structure_definitions
    for node in walk(data):
        system = node.get("system")
        if isinstance(system, str) and system.startswith(t.BASE + "/CodeSystem/"):
            assert t.is_valid(system, node["code"]), node
            if "display" in node:
                assert node["display"] == t.display(system, node["code"])
        if system == "http://fhir.nl/fhir/NamingSystem/bsn":
            assert node["value"].startswith("99999") and eleven_test(node["value"])


@pytest.mark.parametrize(
    ("bsn", "ok"),
    [
        ("999990019", True),
        ("999990020", True),
        ("999990018", False),
        ("123456782", True),
        ("12345678", False),
    ],
)
def test_eleven_test(bsn: str, ok: bool) -> None:
    assert eleven_test(bsn) is ok


def ex(name: str) -> dict[str, Any]:
    return load(EXAMPLES / f"{name}.json")


def test_examples_are_readable_by_the_mappers() -> None:
    traject = careplan.from_fhir(ex("CarePlan-hvol-ex-traject"))
    assert traject.current_phase and traject.current_phase.phase == "contact-period"
    assert traject.intro_outcome == "continue" and traject.category == "suspected"
    contact = encounter.from_fhir(ex("Encounter-hvol-ex-contact"), traject="CarePlan/hvol-ex-traject")
    assert contact.contact_type == "video" and contact.duration.total_seconds() == 20 * 60
    entry = communication.from_fhir(ex("Communication-hvol-ex-journal"))
    assert entry.contact == "Encounter/hvol-ex-contact"
    team = careteam.from_fhir(ex("CareTeam-hvol-ex-careteam"))
    assert [m.role for m in team.members] == ["buddy", "coach", "coordinator", "behavioural-scientist"]
    assert team.members[0].responsible_professional == "Practitioner/hvol-ex-gw"
    assert team.members[3].skj_number == "100012345"
    grant = consent.from_fhir(ex("Consent-hvol-ex-disclosure"))
    assert grant.kind == "disclosure" and grant.recipient == "RelatedPerson/hvol-ex-mother"
    assert consent.purpose_code(ex("Consent-hvol-ex-disclosure")) == "FAMRQT"
    assert consent.from_fhir(ex("Consent-hvol-ex-participation")).recipient == "CareTeam/hvol-ex-careteam"
    assert task.from_fhir(ex("Task-hvol-ex-waitinglist")).kind == "waiting-list"
    access = auditevent.from_fhir(ex("AuditEvent-hvol-ex-journal-read"))
    assert access.interaction == "read" and access.entities == ("Communication/hvol-ex-journal",)


@pytest.mark.parametrize(
    "name",
    [
        "Communication-hvol-ex-journal",
        "Consent-hvol-ex-participation",
        "Consent-hvol-ex-disclosure",
        "AuditEvent-hvol-ex-journal-read",
        "QuestionnaireResponse-hvol-ex-measurement",
    ],
)
def test_restricted_examples_are_labelled(name: str) -> None:
    assert labels.is_restricted(ex(name)["meta"])
    assert ex(name).get("text") is None


def test_example_journal_has_full_label_set() -> None:
    assert labels.has_full_label_set(ex("Communication-hvol-ex-journal")["meta"])
