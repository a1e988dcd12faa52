"""Start from the waiting list (issue 14; guide §4.3): the coordinator picks a girl from the waiting list
and a buddy by name, with the buddy's current caseload beside the name; one transaction then

- starts the introduction (CarePlan, If-Match on the version the coordinator saw; EpisodeOfCare with it),
- adds the buddy (and her coach, when chosen) to the girl's CareTeam (If-Match; the app's codec signs it as
  the coordinator's act), from the introduction's start: her journal period begins there,
- completes the waiting-list Task (If-Match), and
- gives the buddy a to-do: tell your coach (a Task, conditional create on its identifier), and
- makes the P-18 to-do (the talk about turning 18, due three months before her birthday, or a few weeks
  after a late inclusion: `rules.birthday.start_todo`), shown to buddy and coordinator when it comes near;
  its identifier is derived from the traject's, so a resend or a second start makes no second one.

Either all of it lands or none of it. The gates (`rules.gates.check_start`) are checked first.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient, bundle
from hvol_fhir.errors import HvolError, InvalidInput
from hvol_fhir.fhirjson import Json, dump
from hvol_fhir.mapping import careplan, careteam, episodeofcare, task
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import enforce
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.model import CareTeamMember, Task, Traject
from hvol_fhir.programme.rules import birthday, check_responsibility, gates
from hvol_fhir.programme.rules.phases import transition
from hvol_fhir.repository import searches as s
from hvol_fhir.repository.reads import TASK_PATIENT, TrajectRecord, traject_token


@dataclass(frozen=True, slots=True)
class Buddy:
    """A buddy to choose from: her name, SKJ registration and how many girls she has now."""

    reference: str
    name: str
    skj_number: str | None
    caseload: int


def _skj(practitioner: Json) -> str | None:
    for q in practitioner.get("qualification") or []:
        for ident in q.get("identifier") or []:
            if ident.get("system") == t.SKJ_SYSTEM and ident.get("value"):
                return str(ident["value"])
    return None


def _name(practitioner: Json) -> str:
    names = practitioner.get("name") or [{}]
    return str(names[0].get("text") or " ".join([*names[0].get("given", []), names[0].get("family", "")]))


def caseloads(teams: list[Json], now: datetime) -> Counter[str]:
    """Per buddy, the number of active programme CareTeams on which she is a current buddy (as signed)."""
    load: Counter[str] = Counter()
    for raw in teams:
        if raw.get("resourceType") != "CareTeam" or raw.get("status") not in (None, "active"):
            continue
        try:
            team = careteam.from_fhir(raw)
        except HvolError:  # another system's CareTeam, not the programme's: no buddies on it
            continue
        load.update({m.member for m in team.with_role(c.ROLE_BUDDY, now)})
    return load


def buddies(client: FhirClient, now: datetime) -> list[Buddy]:
    """The organisation's buddies (a PractitionerRole with the buddy code), by name, with their caseload:
    one batch for the roles and the teams, one for the names."""
    role = f"{t.cs_url(c.CARETEAM_ROLE)}|{c.ROLE_BUDDY}"
    pages = s.batch_searches(
        client,
        [
            s.get("PractitionerRole", {"role": role, "active": "true", "_count": "200"}),
            s.get("CareTeam", {"status": "active", "_count": "500"}),
        ],
    )
    refs = sorted(
        {
            str((r.get("practitioner") or {}).get("reference"))
            for r in s.all_matches(pages[:1])
            if r.get("resourceType") == "PractitionerRole" and (r.get("practitioner") or {}).get("reference")
        }
    )
    load = caseloads(s.all_matches(pages[1:]), now)
    answer = client.batch(bundle.batch([bundle.read_entry(ref) for ref in refs])) if refs else {}
    people = {
        f"Practitioner/{r.resource['id']}": r.resource
        for r in bundle.results(answer)
        if r.ok and r.resource and r.resource.get("resourceType") == "Practitioner"
    }
    return sorted(
        (Buddy(ref, _name(people[ref]), _skj(people[ref]), load[ref]) for ref in refs if ref in people),
        key=lambda b: (b.name.lower(), b.reference),
    )


def coaches(client: FhirClient) -> list[tuple[str, str]]:
    """The organisation's coaches (PractitionerRole with the coach code), as (reference, name) by name."""
    role = f"{t.cs_url(c.CARETEAM_ROLE)}|{c.ROLE_COACH}"
    page = client.search("PractitionerRole", {"role": role, "active": "true", "_count": "200"})
    found = {
        str(r["practitioner"]["reference"]): str(
            r["practitioner"].get("display") or r["practitioner"]["reference"]
        )
        for r in s.all_matches([page])
        if r.get("resourceType") == "PractitionerRole" and (r.get("practitioner") or {}).get("reference")
    }
    return sorted(found.items(), key=lambda x: x[1].lower())


def member(ref: str, role: str, at: datetime, skj: str | None, responsible: str | None) -> CareTeamMember:
    return CareTeamMember(
        member=ref, role=role, skj_number=skj, responsible_professional=None if skj else responsible, start=at
    )


def start(
    client: FhirClient,
    record: TrajectRecord,
    evidence: gates.StartEvidence,
    *,
    buddy: Buddy,
    coach: str | None,
    at: datetime,
    now: datetime,
    todo_identifier: str,
) -> None:
    """Start the introduction with ``buddy`` (see the module docstring); raises when a gate is closed."""
    gates.require_open(gates.check_start(evidence, now))
    team = record.care_team
    if team is None or record.care_team_raw is None:
        raise InvalidInput("Dit traject heeft nog geen team.", field="team")
    waiting = gates.waiting_list_task(record.tasks)
    if waiting is None or not waiting.id:  # check_start found it in the evidence; the record must agree
        raise InvalidInput("De jongere staat niet (meer) op de wachtlijst.", field="waiting_list")
    traject = replace(transition(record.traject, c.PHASE_INTRODUCTION, at), status="active")
    # A buddy without SKJ registration works under the team's behavioural scientist (P-RESP).
    scientists = [m.member for m in team.with_role(c.ROLE_BEHAVIOURAL_SCIENTIST) if m.skj_number]
    members = [
        *team.members,
        member(buddy.reference, c.ROLE_BUDDY, at, buddy.skj_number, next(iter(scientists), None)),
    ]
    if coach:
        members.append(member(coach, c.ROLE_COACH, at, None, None))
    new_team = replace(team, members=tuple(members))
    enforce(check_responsibility(new_team, at), field="buddy")
    eighteen = _eighteen(record, evidence, buddy.reference, now)
    waiting_raw = client.read("Task", waiting.id)
    entries = [
        *traject_entries(client, record, traject),
        put(
            client, dump(careteam.update_fhir(record.care_team_raw, new_team)), _version(record.care_team_raw)
        ),
        put(
            client,
            dump(task.update_fhir(waiting_raw, replace(waiting, status="completed"))),
            _version(waiting_raw),
        ),
        inform_coach_entry(record, buddy.reference, todo_identifier, now),
        *([_create(eighteen, record.traject.patient)] if eighteen else []),
    ]
    client.transaction(bundle.transaction(entries))


def _eighteen(record: TrajectRecord, evidence: gates.StartEvidence, buddy: str, now: datetime) -> Task | None:
    # Included on: as `rules.overview` reads it for the alert, so the to-do and the open item agree.
    phases = record.traject.phases
    todo = birthday.start_todo(
        identifier=str(uuid.uuid5(uuid.NAMESPACE_URL, f"p18/{record.traject.identifier}")),
        birth_date=evidence.birth_date,
        traject=record.reference,
        patient=record.traject.patient,
        owner=buddy,
        included_on=local_date(phases[0].start) if phases else local_date(now),
        tasks=record.tasks,
    )
    return replace(todo, authored=now) if todo else None


def _create(todo: Task, patient: str) -> Json:
    """A to-do as a conditional create on its identifier (a resend makes no second one)."""
    return bundle.create_entry(
        dump(task.to_fhir(todo)),
        full_url=f"urn:uuid:{todo.identifier}",
        if_none_exist=(
            f"{bundle.identifier_condition(t.sid('task'), todo.identifier)}&{TASK_PATIENT}={patient}"
        ),
    )


def inform_coach_entry(record: TrajectRecord, buddy: str, identifier: str, now: datetime) -> Json:
    """The new buddy's to-do "tell your coach" as a conditional create (a resend makes no second one)."""
    todo = Task(
        identifier=identifier,
        kind=c.TASK_INFORM_COACH,
        status="requested",
        owner=buddy,
        focus=record.reference,
        patient=record.traject.patient,
        authored=now,
    )
    return _create(todo, record.traject.patient)


def traject_entries(client: FhirClient, record: TrajectRecord, traject: Traject) -> list[Json]:
    """The CarePlan (If-Match on the version read) and its EpisodeOfCare as transaction entries."""
    episode_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'episode/' + traject.identifier)}"
    return [
        put(client, dump(careplan.update_fhir(record.careplan, traject)), record.version),
        {
            "fullUrl": episode_url,
            "resource": dump(episodeofcare.to_fhir(traject)),
            "request": {
                "method": "PUT",
                "url": f"EpisodeOfCare?identifier={traject_token(traject.identifier)}",
            },
        },
    ]


def _version(raw: Json) -> str | None:
    return (raw.get("meta") or {}).get("versionId")


def put(client: FhirClient, resource: Json, version: str | None) -> Json:
    entry = bundle.update_entry(resource, if_match=version)
    entry["fullUrl"] = (
        f"{client.base_url}/{resource['resourceType']}/{resource['id']}"  # the validator wants one
    )
    return entry
