"""Inclusion as a library service (issue 14): the behavioural scientist's assessment, the consents with the
waiting list, and the gates read back before an introduction starts.

The decisions are the pure rules of `hvol_fhir.programme.rules.gates`; this module reads what they need and
writes what they allow, each user action in one FHIR transaction of conditional creates (a resend after a
lost answer writes nothing twice).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient, bundle
from hvol_fhir.errors import InvalidInput
from hvol_fhir.fhirjson import Json, dump
from hvol_fhir.mapping import careteam, consent, inclusion, task
from hvol_fhir.privacy import periods
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert, enforce
from hvol_fhir.programme.model import ConsentGrant, InclusionAssessment, Task
from hvol_fhir.programme.rules import birthday, check_responsibility, checklist, gates, introduction, pause
from hvol_fhir.repository import searches as s
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TASK_PATIENT, TrajectRecord, traject_token
from hvol_fhir.services import waiting_list

# v3-RoleCode: who signs for a girl under 16 (https://terminology.hl7.org/CodeSystem-v3-RoleCode.html).
ROLE_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
PARENT_ROLES: Final = {"PRN": "ouder", "GUARD": "voogd"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ParentConsent:
    """A parent's or guardian's consent as the coordinator records it (the person made in the same save)."""

    person_identifier: str
    consent_identifier: str
    name: str
    relationship: str  # a key of PARENT_ROLES


def read_evidence(client: FhirClient, record: TrajectRecord, birth_date: date | None) -> gates.StartEvidence:
    """The assessments and participation consents of the traject's youth (one batch), with the traject's
    tasks as ``record`` holds them. The assessor counts as behavioural scientist only when the traject's
    CareTeam holds her in that role as the app signed it (the codec drops unsigned members on reading)."""
    patient = record.traject.patient
    pages = s.batch_searches(
        client,
        [
            s.get(
                "Observation",
                {
                    "patient": patient,
                    "based-on:CarePlan.identifier": traject_token(record.traject.identifier),
                },
            ),
            s.get("Consent", {"patient": patient, "category": f"{t.LOINC}|{t.LOINC_PRIVACY_CONSENT}"}),
        ],
    )
    found = [r for r in s.all_matches(pages[:1]) if r.get("resourceType") == "Observation"]
    found.sort(key=lambda r: str((r.get("meta") or {}).get("lastUpdated") or ""))  # in recorded order
    assessment = gates.latest(inclusion.from_fhir(r) for r in found)
    consents = tuple(
        consent.from_fhir(r) for r in s.all_matches(pages[1:]) if r.get("resourceType") == "Consent"
    )
    team = record.care_team
    scientist = (
        assessment is not None
        and team is not None
        and any(m.member == assessment.assessor for m in team.with_role(c.ROLE_BEHAVIOURAL_SCIENTIST))
    )
    return gates.StartEvidence(
        assessment=assessment,
        assessor_is_behavioural_scientist=scientist,
        birth_date=birth_date,
        consents=consents,
        tasks=record.tasks,
    )


def assess(client: FhirClient, assessment: InclusionAssessment, now: datetime) -> list[Alert]:
    """Record the behavioural scientist's assessment. A date in the future is refused (nothing stored); an
    assessment that P-AGE or P-CONTRA blocks is stored as "criteria not met", never as met. Returns the
    blocks, for the page to show."""
    gates.require_assessment_date(assessment.assessed_on, now)
    blocks = gates.assessment_blocks(assessment)
    writes.record_assessment(client, replace(assessment, criteria_met=assessment.criteria_met and not blocks))
    return blocks


def _condition(what: str, value: str, patient: str, *, param: str = "patient") -> str:
    """A conditional create confined to the youth (a patient-level token may only match within her)."""
    return f"{bundle.identifier_condition(t.sid(what), value)}&{param}={patient}"


def _person(parent: ParentConsent, patient: str) -> Json:
    return {
        "resourceType": "RelatedPerson",
        "identifier": [{"system": t.sid("related-person"), "value": parent.person_identifier}],
        "active": True,
        "patient": {"reference": patient},
        "relationship": [
            {
                "coding": [{"system": ROLE_CODE, "code": parent.relationship}],
                "text": PARENT_ROLES[parent.relationship],
            }
        ],
        "name": [{"text": parent.name}],
    }


def place_on_waiting_list(
    client: FhirClient,
    evidence: gates.StartEvidence,
    *,
    traject: str,
    patient: str,
    care_team: str | None,
    coordinator: str,
    consent_identifier: str,
    task_identifier: str,
    parent: ParentConsent | None,
    now: datetime,
) -> None:
    """P-CONSENT then P-WAIT, in one transaction: her consent, a parent's (with the RelatedPerson) when
    given, and the waiting-list Task. Refused with every missing piece when the assessment or a consent is
    lacking."""
    recipient = care_team or traject
    own = ConsentGrant(
        identifier=consent_identifier,
        kind=c.CONSENT_PARTICIPATION,
        patient=patient,
        granted_by=patient,
        recorded=now,
        start=now,
        recipient=recipient,
    )
    new = [own]
    if parent is not None:
        if parent.relationship not in PARENT_ROLES or not parent.name.strip():
            raise InvalidInput("Vul de naam van de ouder of voogd in.", field="parent_name")
        new.append(
            replace(
                own,
                identifier=parent.consent_identifier,
                granted_by=f"RelatedPerson/{parent.person_identifier}",
            )
        )
    gates.require_open(gates.check_waiting_list(replace(evidence, consents=(*evidence.consents, *new)), now))
    entries = []
    if parent is not None:
        person_url = f"urn:uuid:{parent.person_identifier}"
        entries.append(
            bundle.create_entry(
                _person(parent, patient),
                full_url=person_url,
                if_none_exist=_condition("related-person", parent.person_identifier, patient),
            )
        )
        new[1] = replace(new[1], granted_by=person_url)
    for grant in new:
        entries.append(
            bundle.create_entry(
                dump(consent.to_fhir(grant)),
                full_url=f"urn:uuid:{grant.identifier}",
                if_none_exist=_condition("consent", grant.identifier, patient),
            )
        )
    todo = Task(
        identifier=task_identifier,
        kind=c.TASK_WAITING_LIST,
        status="requested",
        owner=coordinator,
        focus=traject,
        patient=patient,
        authored=now,
    )
    if gates.waiting_list_task(evidence.tasks) is None:  # already on the list: the consents only
        entries.append(
            bundle.create_entry(
                dump(task.to_fhir(todo)),
                full_url=f"urn:uuid:{task_identifier}",
                if_none_exist=_condition("task", task_identifier, patient, param=TASK_PATIENT),
            )
        )
    client.transaction(bundle.transaction(entries))


def record_eighteen_outcome(
    client: FhirClient,
    record: TrajectRecord,
    outcome: str,
    *,
    birth_date: date,
    owner: str | None,
    identifier: str,
    now: datetime,
) -> Task:
    """P-18: the talk about turning 18 held, with its outcome: the open to-do completed (If-Match on the
    version read), or a completed one made when there was none (conditional create, safe to resend)."""
    todo = next(
        (x for x in record.tasks if x.kind == c.TASK_BIRTHDAY_18 and x.status in gates.OPEN_TASK), None
    )
    done = birthday.resolve_eighteen(
        todo,
        outcome,
        now,
        identifier=identifier,
        birth_date=birth_date,
        traject=record.reference,
        patient=record.traject.patient,
        owner=owner,
    )
    if todo is not None and todo.id:
        writes.update_task(client, client.read("Task", todo.id), done)
    else:
        writes.create_task(client, done)
    return done


def report_intro_decision(
    client: FhirClient, record: TrajectRecord, outcome: str, *, buddy: str, identifier: str, now: datetime
) -> None:
    """The buddy reports the girl's decision after the introduction (a to-do for the coordinator)."""
    todo = introduction.report_decision(record.traject, outcome, now, identifier=identifier, buddy=buddy)
    writes.create_task(client, todo)


def pending_intro_decision(record: TrajectRecord) -> Task | None:
    return next(
        (x for x in record.tasks if x.kind == c.TASK_INTRO_DECISION and x.status in gates.OPEN_TASK), None
    )


def confirm_intro_decision(
    client: FhirClient, record: TrajectRecord, *, at: datetime, reason: str | None
) -> None:
    """The coordinator confirms: the traject moves on (or closes) and the to-do is done, one transaction."""
    reported = pending_intro_decision(record)
    if reported is None or not reported.id:
        raise InvalidInput("Er is geen beslissing van het ervaringsmaatje om te bevestigen.", field="outcome")
    if reported.outcome == c.OUTCOME_OTHER_BUDDY:
        # Without the new buddy the traject would restart its introduction with nobody to hold it.
        raise InvalidInput("Kies eerst het nieuwe ervaringsmaatje.", field="buddy")
    traject, done = introduction.confirm_decision(record.traject, reported, at, reason=reason)
    raw = client.read("Task", reported.id)
    entries = [
        *waiting_list.traject_entries(client, record, traject),
        waiting_list.put(client, dump(task.update_fhir(raw, done)), (raw.get("meta") or {}).get("versionId")),
    ]
    client.transaction(bundle.transaction(entries))


def confirm_other_buddy(
    client: FhirClient,
    record: TrajectRecord,
    *,
    buddy: waiting_list.Buddy,
    coach: str | None,
    at: datetime,
    now: datetime,
    todo_identifier: str,
) -> None:
    """P-INTRO-OUTCOME "another buddy", confirmed by the coordinator with the new buddy by name, in one
    transaction: the old buddy's period ends at ``at`` and the new one's starts there (CareTeam, If-Match;
    a new coach likewise when one is chosen), the introduction starts again (CarePlan + EpisodeOfCare), the
    reported decision is completed and the new buddy gets the to-do "tell your coach". From ``at`` the new
    buddy reads only her own period of the journal (`hvol_fhir.privacy.periods`), the old one only hers."""
    reported = pending_intro_decision(record)
    if reported is None and any(x.identifier == todo_identifier for x in record.tasks):
        return  # a resend of a confirmation that landed (its to-do is there): the first send stands
    if reported is None or not reported.id or reported.outcome != c.OUTCOME_OTHER_BUDDY:
        raise InvalidInput(
            "Het ervaringsmaatje heeft niet doorgegeven dat de jongere een ander maatje wil.", field="outcome"
        )
    team = record.care_team
    if team is None or record.care_team_raw is None:
        raise InvalidInput("Dit traject heeft nog geen team.", field="team")
    traject, done = introduction.confirm_decision(record.traject, reported, at, reason=None)
    scientists = [m.member for m in team.with_role(c.ROLE_BEHAVIOURAL_SCIENTIST) if m.skj_number]
    new_team = periods.hand_over(
        team,
        c.ROLE_BUDDY,
        waiting_list.member(
            buddy.reference, c.ROLE_BUDDY, at, buddy.skj_number, next(iter(scientists), None)
        ),
        at,
    )
    if coach and not any(m.member == coach for m in new_team.with_role(c.ROLE_COACH, at)):
        new_team = periods.hand_over(
            new_team, c.ROLE_COACH, waiting_list.member(coach, c.ROLE_COACH, at, None, None), at
        )
    enforce(check_responsibility(new_team, at), field="buddy")
    raw = client.read("Task", reported.id)
    entries = [
        *waiting_list.traject_entries(client, record, traject),
        waiting_list.put(
            client,
            dump(careteam.update_fhir(record.care_team_raw, new_team)),
            (record.care_team_raw.get("meta") or {}).get("versionId"),
        ),
        waiting_list.put(client, dump(task.update_fhir(raw, done)), (raw.get("meta") or {}).get("versionId")),
        waiting_list.inform_coach_entry(record, buddy.reference, todo_identifier, now),
    ]
    client.transaction(bundle.transaction(entries))


def record_outflow(
    client: FhirClient,
    record: TrajectRecord,
    *,
    on: datetime,
    destination: str,
    identifier: str,
    now: datetime,
) -> None:
    """P-OUTFLOW: date and destination (sealed) on the CarePlan, and the buddy's to-do to ask her in good time
    whether she may introduce herself at the new place, in one transaction. The traject stays open."""
    traject = pause.record_outflow(record.traject, on, destination)
    team = record.care_team
    buddies = team.with_role(c.ROLE_BUDDY, now) if team else ()
    todo = pause.outflow_reminder(
        traject, identifier=identifier, buddy=buddies[0].member if buddies else None, now=now
    )
    entries = [
        *waiting_list.traject_entries(client, record, traject),
        bundle.create_entry(
            dump(task.to_fhir(todo)),
            full_url=f"urn:uuid:{identifier}",
            if_none_exist=_condition("task", identifier, traject.patient, param=TASK_PATIENT),
        ),
    ]
    client.transaction(bundle.transaction(entries))


def tick_topics(
    client: FhirClient, record: TrajectRecord, topics: list[str], *, buddy: str, now: datetime
) -> int:
    """Guide §5.1: the newly ticked topics of the introduction, as completed Tasks in one transaction of
    conditional creates (one identifier per traject and topic: ticking twice writes nothing twice)."""
    new = checklist.tick(record.traject, topics, checklist.ticked(record.tasks), now, buddy=buddy)
    entries = [
        bundle.create_entry(
            dump(task.to_fhir(todo)),
            full_url=f"urn:uuid:{todo.identifier}",
            if_none_exist=_condition("task", todo.identifier, record.traject.patient, param=TASK_PATIENT),
        )
        for todo in new
    ]
    if entries:
        client.transaction(bundle.transaction(entries))
    return len(new)
