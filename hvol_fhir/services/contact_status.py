"""The buddy turns a planned contact into a held one with its journal entry, or records it as missed
(issue 14). Rules: :mod:`hvol_fhir.programme.rules.contact_status`; this is the I/O shell.

Held: the Encounter (updated with ``If-Match`` on the version she saw: planned -> finished, actual times), its
journal entry (a conditional create on its identifier) and the entry's AuditEvent go in ONE transaction: all
or nothing. A resend after it landed finds the contact held and says so; nothing is written twice.
Missed: one Encounter update with ``If-Match`` (one resource changes).
Network contacts (intake, progress meeting): a held contact with its entry like any other, marked so that it
counts toward none of her norms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hvol_fhir import terminology as t
from hvol_fhir.ehr import bundle
from hvol_fhir.errors import InvalidInput, NotFound
from hvol_fhir.fhirjson import Json, dump
from hvol_fhir.mapping import communication, encounter
from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Contact
from hvol_fhir.programme.rules import contact_status as rules
from hvol_fhir.programme.rules.contacts import check_held, check_no_overlap
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services.caller import Caller
from hvol_fhir.services.contacts import audit_of
from hvol_fhir.services.journal import new_entry

ONLY_OWN = "Alleen het ervaringsmaatje van dit contact legt vast of het is doorgegaan."
NOT_FOUND = "Dit geplande contact bestaat niet (meer)."


@dataclass(frozen=True)
class HoldPlanned:
    record: TrajectRecord
    contact_identifier: str
    start: datetime
    end: datetime
    contact_type: str
    entry_identifier: str
    text: str
    present: tuple[str, ...] = ()
    location: str | None = None


@dataclass(frozen=True)
class RecordMissed:
    record: TrajectRecord
    contact_identifier: str
    reason: str
    cancelled_by: str | None = None


def planned_contact(caller: Caller, record: TrajectRecord, identifier: str) -> tuple[Contact, Json]:
    """Her own contact with this identifier and the Encounter it came from (for its version)."""
    caller.require(access.may_register_contacts(caller.role), ONLY_OWN)
    for contact in record.contacts:
        if contact.identifier == identifier and contact.buddy == caller.user and contact.id:
            return contact, record.encounters[contact.id]
    raise NotFound(NOT_FOUND, field="contact")


def _episode(raw: Json) -> str:
    refs = [e.get("reference") for e in raw.get("episodeOfCare") or [] if e.get("reference")]
    return str(refs[0]) if refs else ""


# What the server keeps itself: echoed back inside a transaction, HAPI reads meta.source ("#abc") as a
# reference to a contained resource that is not there and refuses the whole bundle.
_SERVER_META = ("source", "lastUpdated", "versionId")


def _update(caller: Caller, raw: Json, contact: Contact) -> Json:
    body = dump(encounter.update_fhir(raw, contact, episode=_episode(raw)))
    body["meta"] = {k: v for k, v in (body.get("meta") or {}).items() if k not in _SERVER_META}
    put = bundle.update_entry(body, if_match=(raw.get("meta") or {}).get("versionId"))
    put["fullUrl"] = f"{caller.client.base_url}/Encounter/{body['id']}"  # the validator wants a fullUrl
    return put


def hold_planned(caller: Caller, cmd: HoldPlanned) -> str:
    """Held with its journal entry, in one transaction. Returns the entry's reference."""
    planned, raw = planned_contact(caller, cmd.record, cmd.contact_identifier)
    moment = caller.now()
    held = rules.held_from_planned(
        planned,
        start=cmd.start,
        end=cmd.end,
        contact_type=cmd.contact_type,
        present=cmd.present,
        location=cmd.location,
        now=moment,
    )
    check_no_overlap(held, cmd.record.contacts)  # the contact itself does not count (same identifier)
    entry = new_entry(
        caller, cmd.record, cmd.entry_identifier, c.JOURNAL_BUDDY, cmd.text, f"Encounter/{planned.id}", moment
    )
    url = writes.entry_url(entry)
    care_team = cmd.record.traject.care_team
    com = dump(communication.to_fhir(entry, care_team=care_team))
    condition = bundle.identifier_condition(t.sid("journal-entry"), entry.identifier)
    tx = bundle.transaction(
        [
            _update(caller, raw, held),
            bundle.create_entry(com, full_url=url, if_none_exist=f"{condition}&patient={entry.patient}"),
            audit_of(entry),
        ]
    )
    with caller.lock("save:" + entry.identifier):
        results = bundle.results(caller.client.transaction(tx), tx)
    return results[1].reference or ""


def record_missed(caller: Caller, cmd: RecordMissed) -> Contact:
    """Missed, with why and who called it off: one Encounter update with If-Match."""
    planned, raw = planned_contact(caller, cmd.record, cmd.contact_identifier)
    missed = rules.missed_from_planned(
        planned, reason=cmd.reason, cancelled_by=cmd.cancelled_by or None, now=caller.now()
    )
    # One entry, sent as a transaction like the held path, so both go through the same If-Match handling.
    caller.client.transaction(bundle.transaction([_update(caller, raw, missed)]))
    return missed


@dataclass(frozen=True)
class RecordNetworkContact:
    record: TrajectRecord
    contact_identifier: str
    entry_identifier: str
    start: datetime
    end: datetime
    contact_type: str
    network: str  # network-contact code: intake, progress-meeting, other
    text: str


def record_network_contact(caller: Caller, cmd: RecordNetworkContact) -> str:
    """A held contact with her network and its journal entry, in one transaction (as any held contact); it
    counts toward none of her contact norms. Returns the contact's reference."""
    caller.require(access.may_register_contacts(caller.role), ONLY_OWN)
    if not cmd.network:
        raise InvalidInput(
            "Kies wat voor contact met het netwerk het was.", field="network", code="missing-value"
        )
    moment = caller.now()
    contact = Contact(
        identifier=cmd.contact_identifier,
        traject=cmd.record.reference,
        patient=caller.youth(),
        buddy=caller.author(),
        start=cmd.start,
        end=cmd.end,
        contact_type=cmd.contact_type,
        network=cmd.network,
    )
    check_held(contact, moment)
    check_no_overlap(contact, cmd.record.contacts)
    contact_ref = f"urn:uuid:{contact.identifier}"
    entry = new_entry(
        caller, cmd.record, cmd.entry_identifier, c.JOURNAL_BUDDY, cmd.text, contact_ref, moment
    )
    with caller.lock("save:" + entry.identifier):
        saved = writes.save_contact_with_entry(
            caller.client,
            contact,
            entry,
            traject_identifier=cmd.record.traject.identifier,
            care_team=cmd.record.traject.care_team,
            audit=audit_of(entry),
        )
    return saved.references["contact"]
