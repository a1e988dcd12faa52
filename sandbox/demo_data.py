"""The demo scenario as FHIR R4 resources, and loading it into a sandbox organisation by transactions.

Programme resources go through the library's own mappers (`hvol_fhir.mapping`), so the demo data is exactly
what the app would write; people and the organisation are plain R4 resources. Every resource has a fixed id,
and every transaction entry is a PUT on that id, so loading twice changes nothing but new versions (a fresh
seal each time). Confidential elements are sealed and memberships signed with the organisation's key ring.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import requests

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import Json, dump
from hvol_fhir.mapping import (
    careplan,
    careteam,
    communication,
    consent,
    encounter,
    episodeofcare,
    inclusion,
    task,
)
from hvol_fhir.programme import codes as c
from hvol_fhir.sealing import membership
from hvol_fhir.sealing.codec import SealingCodec
from hvol_fhir.sealing.keys import KeyRing
from sandbox import demo_measurements
from sandbox.demo_scenario import Person, Scenario, Story, Youth, build

SID = "https://hvol-fhir.org/fhir/sid/"
BSN = "http://fhir.nl/fhir/NamingSystem/bsn"
COORDINATOR = "Practitioner/hv-coordinator"  # signs the demo's memberships, as she would in the app
TRANSACTION_SIZE = 250  # entries; keeps one request well below HAPI's limits and validation time


def _organisation(s: Scenario) -> Json:
    return {
        "resourceType": "Organization",
        "id": s.organisation_id,
        "active": True,
        "identifier": [{"system": SID + "organisation", "value": s.organisation_id}],
        "name": s.organisation_name,
    }


def _practitioner(p: Person) -> Json:
    res: Json = {
        "resourceType": "Practitioner",
        "id": p.id,
        "active": True,
        "identifier": [{"system": SID + "practitioner", "value": p.id}],
        "name": [{"use": "official", "family": p.family, "given": [p.given], "text": p.name}],
        "gender": p.gender,
    }
    if p.phone:
        res["telecom"] = [{"system": "phone", "value": p.phone, "use": "work"}]
    if p.skj:
        # SKJ registration (P-RESP) as a qualification with the register number.
        res["qualification"] = [
            {"identifier": [{"system": t.SKJ_SYSTEM, "value": p.skj}], "code": {"text": "SKJ-registratie"}}
        ]
    return res


def _practitioner_role(p: Person, organisation_id: str) -> Json:
    res: Json = {
        "resourceType": "PractitionerRole",
        "id": f"{p.id}-role",
        "active": True,
        "practitioner": {"reference": p.ref, "display": p.name},
        "organization": {"reference": f"Organization/{organisation_id}"},
    }
    if p.role:
        res["code"] = [{"coding": [t.coding(c.CARETEAM_ROLE, p.role)]}]
    else:
        res["code"] = [{"text": p.role_label}]
    return res


def _patient(y: Youth, organisation_id: str) -> Json:
    ids = [{"system": SID + "youth", "value": y.id}]
    if y.bsn:
        ids.insert(0, {"system": BSN, "value": y.bsn})
    return {
        "resourceType": "Patient",
        "id": y.id,
        "active": True,
        "identifier": ids,
        "name": [
            {"use": "official", "family": y.family, "given": [y.given], "text": f"{y.given} {y.family}"}
        ],
        "gender": "female",
        "birthDate": y.birth_date.isoformat(),
        "managingOrganization": {"reference": f"Organization/{organisation_id}"},
    }


def _episode_id(story: Story) -> str:
    assert story.traject.id
    return story.traject.id.replace("traject", "episode")


def story_resources(story: Story, *, with_care_team: bool = True) -> Iterator[Json]:
    """A traject with everything around it, in an order where references point backwards."""
    episode_ref = f"EpisodeOfCare/{_episode_id(story)}"
    if with_care_team:
        yield dump(careteam.to_fhir(story.care_team))
    yield dump(careplan.to_fhir(story.traject))
    yield dump(episodeofcare.to_fhir(story.traject, episode_id=_episode_id(story)))
    if story.assessment:
        yield dump(inclusion.to_fhir(story.assessment))
    for grant in story.consents:
        yield dump(consent.to_fhir(grant))
    for todo in story.tasks:
        yield dump(task.to_fhir(todo))
    for contact in story.contacts:
        yield dump(encounter.to_fhir(contact, episode=episode_ref))
    for entry in story.journal:
        yield dump(communication.to_fhir(entry, care_team=story.traject.care_team))


def resources(scenario: Scenario) -> list[Json]:
    out: list[Json] = [_organisation(scenario)]
    out += [_practitioner(p) for p in scenario.staff]
    out += [_practitioner_role(p, scenario.organisation_id) for p in scenario.staff]
    out += [_patient(y, scenario.organisation_id) for y in scenario.youths]
    # A replaced traject is written before the one that replaces it; a care team is written once.
    replaced = {s.traject.replaces for s in scenario.stories if s.traject.replaces}
    stories = sorted(scenario.stories, key=lambda s: f"CarePlan/{s.traject.id}" not in replaced)
    seen_teams: set[str] = set()
    for story in stories:
        first = story.care_team.id not in seen_teams
        seen_teams.add(story.care_team.id or "")
        out += list(story_resources(story, with_care_team=first))
    out += demo_measurements.resources(scenario)  # biweekly measurements and their tasks (issue 7)
    return out


def transactions(items: Iterable[Json], base: str, size: int = TRANSACTION_SIZE) -> Iterator[Json]:
    """PUT entries on fixed ids; fullUrl is the resource's URL at ``base``, so relative references resolve."""
    batch: list[Json] = []
    for res in items:
        url = f"{res['resourceType']}/{res['id']}"
        batch.append(
            {
                "fullUrl": f"{base.rstrip('/')}/{url}",
                "resource": res,
                "request": {"method": "PUT", "url": url},
            }
        )
        if len(batch) == size:
            yield {"resourceType": "Bundle", "type": "transaction", "entry": batch}
            batch = []
    if batch:
        yield {"resourceType": "Bundle", "type": "transaction", "entry": batch}


def _errors(resp: requests.Response) -> str:
    """The error issues of an OperationOutcome (synthetic data only, so diagnostics may be shown)."""
    try:
        issues = resp.json().get("issue", [])
    except ValueError:
        return resp.text[:2000]
    lines = [
        f"- {i.get('diagnostics')} @ {', '.join(i.get('location', [])[:1])}"
        for i in issues
        if i.get("severity") in ("error", "fatal")
    ]
    return "\n".join(lines[:20]) or resp.text[:2000]


def sealed(items: Iterable[Json], ring: KeyRing, coordinator: str) -> Iterator[Json]:
    """Issue 12: the demo data as the app writes it: confidential elements sealed, memberships signed by the
    coordinator (CareTeams, and PractitionerRoles with a programme code)."""
    codec = SealingCodec(ring, frozenset(), signer=coordinator)
    for res in items:
        if res["resourceType"] == "PractitionerRole" and membership.role_statement(res)["codes"]:
            yield membership.sign_role(ring, res, coordinator)
        else:
            yield codec.encode(res)


def load(fhir_base: str, token: str, scenario: Scenario, ring: KeyRing | None = None) -> int:
    """Send the scenario as transactions (sealed and signed with ``ring``); returns the resources written."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/fhir+json",
        "Accept": "application/fhir+json",
        "Prefer": "return=minimal",
    }
    written = 0
    with requests.Session() as http:
        items = resources(scenario)
        if ring is not None:
            items = list(sealed(items, ring, COORDINATOR))
        for bundle in transactions(items, fhir_base):
            resp = http.post(fhir_base, data=json.dumps(bundle), headers=headers, timeout=300)
            if resp.status_code != 200:
                raise RuntimeError(f"Demodata laden mislukt ({resp.status_code}):\n{_errors(resp)}")
            written += len(bundle["entry"])
    return written


def load_demo_data(org: Any, today: date | None = None) -> Scenario:
    scenario = build(today)
    load(org.fhir_base, org.admin_token(), scenario, org.key_ring())
    return scenario
