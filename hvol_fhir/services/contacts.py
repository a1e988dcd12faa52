"""The buddy records her contacts (P-JOURNAL, P-PLAN, P-COACH-AFTER).

``record_contact`` takes a contact with a status: *held* (with its journal entry: contact, entry and the
entry's AuditEvent in one transaction) or *planned* (the contact alone; the mentor's card shows it). Each
carries client-generated identifiers, so a resend never creates anything twice. A further status (a missed
contact) is one more branch in :func:`_contact` and :func:`record_contact`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from hvol_fhir.privacy import access, audit
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Contact, JournalEntry, Task
from hvol_fhir.programme.rules.contacts import (
    check_held,
    check_moment_passed,
    check_no_overlap,
    check_planned,
)
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import audit as policy
from hvol_fhir.services.caller import Caller
from hvol_fhir.services.journal import new_entry

ContactStatus = Literal["held", "planned"]
HELD: Final = "held"
PLANNED: Final = "planned"
# The programme's word for a contact's state -> Encounter.status (R4 encounter-status).
ENCOUNTER_STATUS: Final[dict[str, str]] = {HELD: "finished", PLANNED: "planned"}
ONLY_BUDDY = "Alleen het ervaringsmaatje legt contactmomenten vast."


@dataclass(frozen=True)
class RecordContact:
    record: TrajectRecord
    contact_identifier: str
    start: datetime
    end: datetime
    contact_type: str
    status: ContactStatus = HELD
    present: tuple[str, ...] = ()
    location: str | None = None
    entry_identifier: str | None = None  # held: the journal entry written with it
    text: str = ""


@dataclass(frozen=True)
class ContactRecorded:
    contact: str  # Encounter/<id>
    entry: str | None  # Communication/<id> of a held contact's entry
    created: bool  # False: it was there already (a resend or a double submit)


def _contact(caller: Caller, cmd: RecordContact) -> Contact:
    return Contact(
        identifier=cmd.contact_identifier,
        traject=cmd.record.reference,
        patient=caller.youth(),
        buddy=caller.user or "",
        start=cmd.start,
        end=cmd.end,
        contact_type=cmd.contact_type,
        present=cmd.present,
        location=cmd.location,
        status=ENCOUNTER_STATUS[cmd.status],
    )


def record_contact(caller: Caller, cmd: RecordContact) -> ContactRecorded:
    """A held contact with its journal entry, or a planned contact. InvalidInput names the field."""
    caller.require(access.may_register_contacts(caller.role), ONLY_BUDDY)
    contact = _contact(caller, cmd)
    moment = caller.now()
    traject = cmd.record.traject
    if cmd.status == PLANNED:
        check_planned(contact, moment)
        saved = writes.save_planned_contact(caller.client, contact, traject_identifier=traject.identifier)
        return ContactRecorded(saved.references["contact"], None, saved.created)
    check_held(contact, moment)
    check_no_overlap(contact, cmd.record.contacts)
    contact_ref = f"urn:uuid:{contact.identifier}"
    entry = new_entry(
        caller, cmd.record, cmd.entry_identifier or "", c.JOURNAL_BUDDY, cmd.text, contact_ref, moment
    )
    with caller.lock("save:" + entry.identifier):  # a double submit waits, then finds it
        saved = writes.save_contact_with_entry(
            caller.client,
            contact,
            entry,
            traject_identifier=traject.identifier,
            care_team=traject.care_team,
            audit=audit_of(entry),
        )
    return ContactRecorded(saved.references["contact"], saved.references["entry"], saved.created)


def audit_of(entry: JournalEntry) -> dict[str, Any]:
    """The new entry's AuditEvent as an entry of its transaction (pure: the bench sends the same bare)."""
    url = writes.entry_url(entry)
    event = audit.journal_write(entry.author, entry.patient, [url], entry.written_at)
    return policy.for_write(event, subject=url, patient=entry.patient)


@dataclass(frozen=True)
class RecordCoachContact:
    record: TrajectRecord
    task_identifier: str
    at: datetime


def record_coach_contact(caller: Caller, cmd: RecordCoachContact) -> str:
    """P-COACH-AFTER: 'I spoke with my coach' (a completed coach-contact task; no content). Its reference."""
    caller.require(access.may_register_contacts(caller.role))
    check_moment_passed(cmd.at, caller.now())
    todo = Task(
        identifier=cmd.task_identifier,
        kind=c.TASK_COACH_CONTACT,
        status="completed",
        owner=caller.user,
        focus=cmd.record.reference,
        patient=caller.youth(),
        authored=cmd.at,
    )
    return writes.create_task(caller.client, todo).references["task"]
