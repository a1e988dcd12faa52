"""Every example in mappings/examples and every mapped resource validates on the sandbox's HAPI R4 validator
against its profile with zero errors; deliberately broken ones are refused (issue 3)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import (
    auditevent,
    careplan,
    careteam,
    communication,
    consent,
    encounter,
    episodeofcare,
    inclusion,
    task,
)
from hvol_fhir.programme.model import (
    CareTeam,
    CareTeamMember,
    ConsentGrant,
    Contact,
    InclusionAssessment,
    JournalEntry,
    PhasePeriod,
    Task,
    Traject,
)

from .conftest import MAPPINGS, FhirClient

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "mapping"
TZ = timezone(timedelta(hours=1))


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, 1, hour, minute, tzinfo=TZ) + timedelta(days=day)


def examples() -> Iterator[Any]:
    for path in sorted((MAPPINGS / "examples").glob("*.json")):
        yield pytest.param(json.loads(path.read_text(encoding="utf-8")), id=path.stem)


def validate(client: FhirClient, resource: dict[str, Any]) -> list[dict[str, Any]]:
    """Issues of severity error/fatal from `$validate` (against the profiles in meta.profile)."""
    resp = client.post(f"{resource['resourceType']}/$validate", resource)
    assert resp.status_code in (200, 400, 412, 422), resp.text[:2000]
    outcome = resp.json()
    assert outcome["resourceType"] == "OperationOutcome", outcome
    return [i for i in outcome.get("issue", []) if i["severity"] in ("error", "fatal")]


def explain(issues: list[dict[str, Any]]) -> str:
    return "\n".join(f"{i.get('expression') or i.get('location')}: {i.get('diagnostics')}" for i in issues)


@pytest.mark.parametrize("resource", list(examples()))
def test_example_validates(admin: FhirClient, resource: dict[str, Any]) -> None:
    issues = validate(admin, resource)
    assert not issues, explain(issues)


# --- mapped resources: a realistic traject, its contacts, journal, team, consents, tasks, audit
TRAJECT = Traject(
    identifier="6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    patient="Patient/hvol-ex-youth",
    created=at(-60),
    status="completed",
    phases=(
        PhasePeriod(phase="preparation", start=at(-60), end=at(-50), status="completed"),
        PhasePeriod(phase="inclusion", start=at(-50), end=at(-20), status="completed"),
        PhasePeriod(phase="introduction", start=at(-20), end=at(-5), status="completed"),
        PhasePeriod(phase="contact-period", start=at(-5), end=at(40), status="completed"),
        PhasePeriod(phase="closure", start=at(40), end=at(45), status="completed"),
    ),
    category="factual",
    care_team="CareTeam/hvol-ex-careteam",
    replaces="CarePlan/hvol-ex-traject",
    intro_outcome="other-buddy",
    closure_reason="abrupt-ran-away",
)
CONTACT = Contact(
    identifier="8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d",
    traject="CarePlan/hvol-ex-traject",
    patient="Patient/hvol-ex-youth",
    buddy="Practitioner/hvol-ex-buddy",
    start=at(3, 15),
    end=at(3, 16, 45),
    contact_type="face-to-face",
    present=("RelatedPerson/hvol-ex-mother",),
    location="Bankje bij het water, Utrecht",
)
ENTRY = JournalEntry(
    identifier="1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    traject="CarePlan/hvol-ex-traject",
    patient="Patient/hvol-ex-youth",
    author="Practitioner/hvol-ex-buddy",
    kind="buddy-journal",
    written_at=at(3, 18),
    text="Synthetisch: ik vroeg hoe het met school ging. Zij zei: 'vijf keer te laat deze week'.",
    contact="Encounter/hvol-ex-contact",
)
COACHING = JournalEntry(
    identifier="2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    traject="CarePlan/hvol-ex-traject",
    patient="Patient/hvol-ex-youth",
    author="Practitioner/hvol-ex-coach",
    kind="coaching-journal",
    written_at=at(4, 9),
    text="Synthetisch: kort coachcontact na het contactmoment.",
)
TEAM = CareTeam(
    identifier="3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f",
    patient="Patient/hvol-ex-youth",
    members=(
        CareTeamMember(
            member="Practitioner/hvol-ex-buddy",
            role="buddy",
            start=at(-20),
            responsible_professional="Practitioner/hvol-ex-gw",
        ),
        CareTeamMember(member="Practitioner/hvol-ex-coach", role="coach"),
        CareTeamMember(
            member="Practitioner/hvol-ex-gw", role="behavioural-scientist", skj_number="100012345"
        ),
    ),
)
PARTICIPATION = ConsentGrant(
    identifier="4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f8a",
    kind="participation",
    patient="Patient/hvol-ex-youth",
    granted_by="Patient/hvol-ex-youth",
    recorded=at(-45),
    start=at(-45),
    recipient="CareTeam/hvol-ex-careteam",
)
DISCLOSURE = ConsentGrant(
    identifier="5e6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8a9b",
    kind="disclosure",
    patient="Patient/hvol-ex-youth",
    granted_by="Patient/hvol-ex-youth",
    recorded=at(5),
    start=at(5),
    end=at(19),
    entries=("Communication/hvol-ex-journal",),
    recipient="RelatedPerson/hvol-ex-mother",
    purpose="Mijn moeder mag weten hoe het op school gaat.",
)
TASKS = [
    Task(
        identifier="6f7a8b9c-0d1e-4f2a-9b3c-5d6e7f8a9b0c",
        kind="birthday-18-talk",
        due=at(90).date(),
        owner="Practitioner/hvol-ex-buddy",
        focus="CarePlan/hvol-ex-traject",
        patient="Patient/hvol-ex-youth",
        authored=at(0),
    ),
    Task(
        identifier="7a8b9c0d-1e2f-4a3b-8c4d-6e7f8a9b0c1d",
        kind="alignment-meeting",
        status="completed",
        owner="Practitioner/hvol-ex-coordinator",
        due=at(30).date(),
    ),
]
ACCESS = [
    auditevent.JournalAccess(
        interaction="read",
        recorded=at(4, 9, 5),
        user="Practitioner/hvol-ex-coach",
        purpose="COC",
        patient="Patient/hvol-ex-youth",
        entities=("Communication/hvol-ex-journal",),
    ),
    auditevent.JournalAccess(
        interaction="disclose",
        recorded=at(6),
        user="Practitioner/hvol-ex-buddy",
        purpose="FAMRQT",
        patient="Patient/hvol-ex-youth",
        entities=("Communication/hvol-ex-journal", "Consent/hvol-ex-disclosure"),
    ),
    auditevent.JournalAccess(
        interaction="search-type",
        recorded=at(7),
        user="Practitioner/hvol-ex-coordinator",
        purpose="COC",
        patient="Patient/hvol-ex-youth",
        outcome="4",
    ),
]


ASSESSMENT = InclusionAssessment(
    identifier="8b9c0d1e-2f3a-4b4c-9d5e-7f8a9b0c1d2e",
    traject="CarePlan/hvol-ex-traject",
    patient="Patient/hvol-ex-youth",
    assessor="Practitioner/hvol-ex-gw",
    assessed_on=at(-40).date(),
    birth_date=at(-40).date().replace(year=2010),
    category="factual",
    contra_indications=("addiction", "psychiatric"),
    criteria_met=False,
)


def mapped() -> Iterator[Any]:
    items: list[tuple[str, Any]] = [
        ("careplan", careplan.to_fhir(TRAJECT)),
        ("inclusion-assessment", inclusion.to_fhir(ASSESSMENT)),
        ("episodeofcare", episodeofcare.to_fhir(TRAJECT)),
        ("encounter", encounter.to_fhir(CONTACT, episode="EpisodeOfCare/hvol-ex-traject")),
        (
            "encounter-video",
            encounter.to_fhir(
                Contact(
                    **{
                        **{f: getattr(CONTACT, f) for f in CONTACT.__dataclass_fields__},
                        "contact_type": "video",
                        "present": (),
                        "location": None,
                    }
                ),
                episode="EpisodeOfCare/hvol-ex-traject",
            ),
        ),
        ("journal", communication.to_fhir(ENTRY, care_team="CareTeam/hvol-ex-careteam")),
        ("coaching-journal", communication.to_fhir(COACHING)),
        ("careteam", careteam.to_fhir(TEAM)),
        ("participation", consent.to_fhir(PARTICIPATION)),
        ("disclosure", consent.to_fhir(DISCLOSURE, purpose_of_use="FAMRQT")),
        *((f"task-{x.kind}", task.to_fhir(x)) for x in TASKS),
        *((f"audit-{a.interaction}", auditevent.to_fhir(a)) for a in ACCESS),
    ]
    for name, model in items:
        yield pytest.param(dump(model), id=name)


@pytest.mark.parametrize("resource", list(mapped()))
def test_mapped_resource_validates(admin: FhirClient, resource: dict[str, Any]) -> None:
    issues = validate(admin, resource)
    assert not issues, explain(issues)


def test_updated_foreign_careplan_validates_against_its_profile(admin: FhirClient) -> None:
    foreign = json.loads((DATA / "careplan-foreign.json").read_text(encoding="utf-8"))
    del foreign["meta"]["profile"]  # the EHR's own profile is not loaded on the sandbox
    updated = dump(careplan.update_fhir(foreign, careplan.from_fhir(foreign)))
    assert t.profile_url(t.P_CAREPLAN) in updated["meta"]["profile"]
    issues = validate(admin, updated)
    assert not issues, explain(issues)


FOREIGN_UPDATES = [
    pytest.param(
        "encounter-foreign.json",
        lambda r: encounter.update_fhir(
            r, encounter.from_fhir(r, traject="CarePlan/cp-1"), episode="EpisodeOfCare/ep-1"
        ),
        id="encounter",
    ),
    pytest.param(
        "communication-foreign.json",
        lambda r: communication.update_fhir(r, communication.from_fhir(r), care_team="CareTeam/ct-1"),
        id="communication",
    ),
    pytest.param(
        "careteam-foreign.json", lambda r: careteam.update_fhir(r, careteam.from_fhir(r)), id="careteam"
    ),
]


@pytest.mark.parametrize(("name", "update"), FOREIGN_UPDATES)
def test_updated_foreign_resources_validate(admin: FhirClient, name: str, update: Any) -> None:
    foreign = json.loads((DATA / name).read_text(encoding="utf-8"))
    issues = validate(admin, dump(update(foreign)))
    assert not issues, explain(issues)


def _example(name: str) -> dict[str, Any]:
    return json.loads((MAPPINGS / "examples" / f"{name}.json").read_text(encoding="utf-8"))


def _broken() -> Iterator[Any]:
    def case(name: str, id_: str, change: Any, expect: str) -> Any:
        resource = copy.deepcopy(_example(name))
        change(resource)
        return pytest.param(resource, expect, id=id_)

    yield case(
        "Communication-hvol-ex-journal",
        "journal-without-V",
        lambda r: r["meta"].__setitem__("security", [c for c in r["meta"]["security"] if c["code"] != "V"]),
        "confidentiality",
    )
    yield case(
        "Communication-hvol-ex-journal",
        "journal-with-R-and-V",
        lambda r: r["meta"]["security"].append(
            {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}
        ),
        "hvol-lab-1",
    )
    yield case(
        "Communication-hvol-ex-journal", "journal-without-contact", lambda r: r.pop("encounter"), "hvol-jrn-1"
    )
    yield case(
        "Communication-hvol-ex-journal",
        "journal-with-two-texts",  # (a narrative is allowed since issue 12: the sealed-entry notice)
        lambda r: r["payload"].append({"contentString": "tweede tekst"}),
        "payload",
    )
    yield case(
        "Encounter-hvol-ex-contact", "contact-without-end", lambda r: r["period"].pop("end"), "period.end"
    )
    yield case(
        "Encounter-hvol-ex-contact",
        "contact-with-unknown-type",
        lambda r: r["type"][0]["coding"][0].__setitem__("code", "postduif"),
        "postduif",
    )
    yield case(
        "CarePlan-hvol-ex-traject",
        "careplan-unknown-phase",
        lambda r: r["activity"][0]["detail"]["code"]["coding"][0].__setitem__("code", "intake"),
        "intake",
    )
    yield case(
        "CarePlan-hvol-ex-traject",
        "careplan-without-programme",
        lambda r: r.__setitem__("category", r["category"][1:]),
        "programme",
    )
    yield case(
        "Consent-hvol-ex-disclosure",
        "disclosure-without-labels",
        lambda r: r["meta"].pop("security"),
        "security",
    )
    yield case(
        "Task-hvol-ex-waitinglist",
        "task-unknown-kind",
        lambda r: r["code"]["coding"][0].__setitem__("code", "koffie"),
        "koffie",
    )


@pytest.mark.parametrize(("resource", "hint"), list(_broken()))
def test_broken_resource_is_refused(admin: FhirClient, resource: dict[str, Any], hint: str) -> None:
    issues = validate(admin, resource)
    assert issues, "a broken resource passed validation"
    text = explain(issues).lower()
    assert hint.lower() in text or any(hint.lower() in json.dumps(i).lower() for i in issues), text


def test_broken_journal_is_refused_on_write(admin: FhirClient) -> None:
    resource = copy.deepcopy(_example("Communication-hvol-ex-journal"))
    resource.pop("id")
    resource["meta"]["security"] = resource["meta"]["security"][:2]
    resp = admin.post("Communication", resource)
    assert resp.status_code in (400, 412, 422), resp.text[:500]
