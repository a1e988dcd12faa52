"""Writes: one transaction per user action, client-generated identifiers, nothing written twice.

- Contact + journal entry (P-JOURNAL) are one transaction of two conditional creates on their
  client-generated identifiers, so a retry or a double submit writes nothing twice. The Encounter's traject
  link is a conditional reference to the EpisodeOfCare (``EpisodeOfCare?identifier=`` the traject identifier,
  resolved by the server inside the transaction). The journal entry's condition names the youth as well
  (``identifier=…&patient=Patient/…``): an EHR that protects the journal (the sandbox does) allows conditional
  writes on journal types only when the match is confined to a youth the writer is cleared for, since a match
  elsewhere would reveal a hidden entry. The caller still holds a lock on the identifier, so a double submit
  in one app instance waits instead of racing the server's match. A lost answer is reported as "unknown";
  saving again then matches what did land.
- Amending a journal entry is an update with ``If-Match``: a stale edit gets a VersionConflict carrying the
  server's current version; the EHR keeps every version (history), the app never reads ``_history``.
- A journal write (an entry with or without its contact, an amendment, a disclosure Consent) carries its
  AuditEvent in the same transaction (``audit``: an entry from :func:`hvol_fhir.privacy.audit.once`), so
  there is never an entry without its audit, nor an audit of an entry that did not land.
- Everything else of the programme (traject, team, tasks, assessment, consent) uses conditional creates.
- A traject update (phase, outcome, closure) is a PUT with ``If-Match``. When its answer was lost and the
  resend (or the user's second click) meets a VersionConflict, the CarePlan is read once more: if it already
  says exactly what this update would write, the first send landed and the update counts as saved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient, VersionConflict, bundle
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
from hvol_fhir.privacy import guard
from hvol_fhir.programme.model import (
    CareTeam,
    ConsentGrant,
    Contact,
    InclusionAssessment,
    JournalEntry,
    Task,
    Traject,
)
from hvol_fhir.repository.reads import TASK_PATIENT, traject_token


@dataclass(frozen=True)
class Saved:
    created: bool  # False: it was there already (a double submit or a retry)
    references: dict[str, str]  # what -> Type/id


def _cond(what: str, value: str, patient: str | None = None, *, param: str = "patient") -> str:
    """``identifier=...`` (and ``&patient=``: a patient-level token may only search its own patient)."""
    condition = bundle.identifier_condition(t.sid(what), value)
    return f"{condition}&{param}={patient}" if patient else condition


def _episode_condition(traject_identifier: str) -> str:
    return f"EpisodeOfCare?identifier={traject_token(traject_identifier)}"


def contact_with_entry(
    contact: Contact,
    entry: JournalEntry,
    *,
    traject_identifier: str,
    care_team: str | None,
    audit: Json | None = None,
) -> Json:
    """The transaction of :func:`save_contact_with_entry`, built without sending (the bench sends it bare)."""
    contact_url = f"urn:uuid:{contact.identifier}"
    enc = dump(encounter.to_fhir(contact, episode=_episode_condition(traject_identifier)))
    com = dump(communication.to_fhir(replace(entry, contact=contact_url), care_team=care_team))
    return bundle.transaction(
        [
            bundle.create_entry(
                enc, full_url=contact_url, if_none_exist=_cond("contact", contact.identifier, contact.patient)
            ),
            bundle.create_entry(
                com,
                full_url=entry_url(entry),
                if_none_exist=_cond("journal-entry", entry.identifier, entry.patient),
            ),
            *([audit] if audit else []),
        ]
    )


def save_contact_with_entry(
    client: FhirClient,
    contact: Contact,
    entry: JournalEntry,
    *,
    traject_identifier: str,
    care_team: str | None,
    audit: Json | None = None,
) -> Saved:
    """P-JOURNAL: the contact and its journal entry (and the entry's audit), all or nothing. Hold a lock on
    `entry.identifier`."""
    tx = contact_with_entry(
        contact, entry, traject_identifier=traject_identifier, care_team=care_team, audit=audit
    )
    results = bundle.results(client.transaction(tx), tx)
    return Saved(
        results[1].status == 201,  # 200: matched, it was saved before (a retry or a double submit)
        {"contact": results[0].reference or "", "entry": results[1].reference or ""},
    )


def entry_url(entry: JournalEntry) -> str:
    """The entry's ``fullUrl`` in a transaction: its audit refers to it by this before the server names it."""
    return f"urn:uuid:{entry.identifier}"


def save_entry(
    client: FhirClient, entry: JournalEntry, *, care_team: str | None, audit: Json | None = None
) -> Saved:
    """A journal entry on its own (the coach's coaching journal, an override record), created once, with its
    audit in the same transaction when given."""
    com = dump(communication.to_fhir(entry, care_team=care_team))
    condition = _cond("journal-entry", entry.identifier, entry.patient)
    if audit is None:
        result = client.create(com, if_none_exist=condition)
        created, reference, resource = result.created, result.reference, result.resource
    else:
        tx = bundle.transaction(
            [bundle.create_entry(com, full_url=entry_url(entry), if_none_exist=condition), audit]
        )
        first = bundle.results(client.transaction(tx), tx)[0]
        created, reference, resource = first.created, first.reference, first.resource
    if not created and resource is not None:
        guard.journal_entries([resource], entry.patient)  # labels intact, right youth
    return Saved(created, {"entry": reference or ""})


def amend_entry(
    client: FhirClient,
    raw: Json,
    text: str,
    *,
    version: str,
    care_team: str | None,
    audit: Json | None = None,
) -> Json:
    """A new version of an entry (same author, same contact); VersionConflict when `version` is stale. With
    ``audit``, the update and its AuditEvent are one transaction (the conflict then carries no `current`)."""
    old = communication.from_fhir(raw)
    changed = replace(old, text=text)
    body = dump(communication.update_fhir(raw, changed, care_team=care_team))
    if audit is None:
        saved = client.update(body, if_match=version)
    else:
        put = bundle.update_entry(body, if_match=version)
        put["fullUrl"] = f"{client.base_url}/Communication/{body['id']}"  # the validator wants a fullUrl
        tx = bundle.transaction([put, audit])
        saved = bundle.results(client.transaction(tx), tx)[0].resource or client.read(
            "Communication", str(body["id"])
        )
    guard.journal_entries([saved], old.patient)  # re-read labels intact after the write (§6 layer 1)
    return saved


def create_task(client: FhirClient, todo: Task) -> Saved:
    result = client.create(
        dump(task.to_fhir(todo)),
        if_none_exist=_cond("task", todo.identifier, todo.patient, param=TASK_PATIENT),
    )
    return Saved(result.created, {"task": result.reference or ""})


def update_task(client: FhirClient, raw: Json, todo: Task) -> Json:
    return client.update(dump(task.update_fhir(raw, todo)), if_match=(raw.get("meta") or {}).get("versionId"))


def open_traject(client: FhirClient, traject: Traject, team: CareTeam) -> Saved:
    """A new traject: CareTeam, CarePlan and EpisodeOfCare in one transaction (each a conditional create)."""
    team_url = f"urn:uuid:{team.identifier}"
    plan_traject = replace(traject, care_team=team_url)
    tx = bundle.transaction(
        [
            bundle.create_entry(
                dump(careteam.to_fhir(team)),
                full_url=team_url,
                if_none_exist=_cond("careteam", team.identifier, team.patient),
            ),
            bundle.create_entry(
                dump(careplan.to_fhir(plan_traject)),
                full_url=f"urn:uuid:{traject.identifier}",
                if_none_exist=_cond("traject", traject.identifier, traject.patient),
            ),
            bundle.create_entry(
                dump(episodeofcare.to_fhir(plan_traject)),
                full_url=f"urn:uuid:{_episode_uuid(traject.identifier)}",
                if_none_exist=f"identifier={traject_token(traject.identifier)}&patient={traject.patient}",
            ),
        ]
    )
    results = bundle.results(client.transaction(tx), tx)
    return Saved(
        results[1].created, {"careteam": results[0].reference or "", "careplan": results[1].reference or ""}
    )


def _episode_uuid(identifier: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.UUID(int=0), "episode/" + identifier))


def save_traject(client: FhirClient, raw: Json, traject: Traject, *, version: str | None) -> Json:
    """A phase change, outcome or closure: the CarePlan with If-Match, the EpisodeOfCare's status with it."""
    plan = dump(careplan.update_fhir(raw, traject))
    episode = dump(episodeofcare.to_fhir(traject))
    plan_entry = bundle.update_entry(plan, if_match=version)
    plan_entry["fullUrl"] = f"{client.base_url}/CarePlan/{plan['id']}"  # the validator wants a fullUrl
    tx = bundle.transaction(
        [
            plan_entry,
            {
                "fullUrl": f"urn:uuid:{_episode_uuid(traject.identifier)}",
                "resource": episode,
                "request": {
                    "method": "PUT",
                    "url": f"EpisodeOfCare?identifier={traject_token(traject.identifier)}",
                },
            },
        ]
    )
    try:
        results = bundle.results(client.transaction(tx), tx)
    except VersionConflict:
        current = client.read("CarePlan", str(plan["id"]))
        if not already_holds(current, traject):
            raise
        return current
    return results[0].resource or plan


def already_holds(current: Json, traject: Traject) -> bool:
    """True when the stored CarePlan ``current`` already says what writing ``traject`` would say."""

    def content(resource: Json) -> Json:
        return {k: v for k, v in resource.items() if k not in ("meta", "text")}

    return content(dump(careplan.update_fhir(current, traject))) == content(current)


def restart_traject(client: FhirClient, new: Traject, team: CareTeam | None) -> Saved:
    """P-RESTART: the new CarePlan (`replaces` the old) with its EpisodeOfCare, sharing the care team."""
    entries = [
        bundle.create_entry(
            dump(careplan.to_fhir(new)), if_none_exist=_cond("traject", new.identifier, new.patient)
        ),
        bundle.create_entry(
            dump(episodeofcare.to_fhir(new)),
            if_none_exist=f"identifier={traject_token(new.identifier)}&patient={new.patient}",
        ),
    ]
    for e in entries:
        e["fullUrl"] = f"urn:uuid:{_episode_uuid(new.identifier + e['request']['url'])}"
    tx = bundle.transaction(entries)
    results = bundle.results(client.transaction(tx), tx)
    return Saved(results[0].created, {"careplan": results[0].reference or ""})


def save_care_team(client: FhirClient, raw: Json, team: CareTeam) -> Json:
    return client.update(
        dump(careteam.update_fhir(raw, team)), if_match=(raw.get("meta") or {}).get("versionId")
    )


def record_assessment(client: FhirClient, assessment: InclusionAssessment) -> Saved:
    result = client.create(
        dump(inclusion.to_fhir(assessment)),
        if_none_exist=_cond("inclusion-assessment", assessment.identifier, assessment.patient),
    )
    return Saved(result.created, {"assessment": result.reference or ""})


def record_consent(
    client: FhirClient,
    grant: ConsentGrant,
    *,
    purpose_of_use: str | None = None,
    audit: Json | None = None,
) -> Saved:
    """A Consent is restricted: a conditional create needs organisation-wide clearance (the coordinator's).
    A disclosure's audit (``audit``) goes in the same transaction; it names the Consent by
    :func:`consent_url`."""
    resource = dump(consent.to_fhir(grant, purpose_of_use=purpose_of_use))
    condition = _cond("consent", grant.identifier, grant.patient)
    if audit is None:
        result = client.create(resource, if_none_exist=condition)
        return Saved(result.created, {"consent": result.reference or ""})
    tx = bundle.transaction(
        [bundle.create_entry(resource, full_url=consent_url(grant), if_none_exist=condition), audit]
    )
    first = bundle.results(client.transaction(tx), tx)[0]
    return Saved(first.created, {"consent": first.reference or ""})


def consent_url(grant: ConsentGrant) -> str:
    return f"urn:uuid:{grant.identifier}"


def save_planned_contact(client: FhirClient, contact: Contact, *, traject_identifier: str) -> Saved:
    """A planned contact on its own (conditional create; its traject link resolved by the server)."""
    enc = dump(encounter.to_fhir(contact, episode=_episode_condition(traject_identifier)))
    url = f"urn:uuid:{contact.identifier}"
    tx = bundle.transaction(
        [
            bundle.create_entry(
                enc, full_url=url, if_none_exist=_cond("contact", contact.identifier, contact.patient)
            )
        ]
    )
    results = bundle.results(client.transaction(tx), tx)
    return Saved(results[0].created, {"contact": results[0].reference or ""})
