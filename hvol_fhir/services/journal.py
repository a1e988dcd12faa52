"""Reading the journal and writing in it (P-JOURNAL-READERS, P-COACH-JOURNAL): buddy, coach and coordinator.

A read returns content only after its AuditEvent is written (:func:`.audit.record_read`); every write
carries its AuditEvent in its own transaction (:func:`.audit.for_write`). Log lines carry codes and
counts, never content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hvol_fhir.ehr import VersionConflict
from hvol_fhir.errors import Conflict, InvalidInput, NotAllowed
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import communication
from hvol_fhir.privacy import access, audit, guard, periods
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import BROKEN, JournalEntry
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectReader, TrajectRecord
from hvol_fhir.services import audit as policy
from hvol_fhir.services.caller import Caller

log = logging.getLogger(__name__)

READERS_ONLY = "Het journaal is alleen voor het ervaringsmaatje, de coach en de coördinator."


@dataclass(frozen=True)
class Journal:
    entries: list[JournalEntry]  # oldest first, labels checked
    raw: list[Json]  # the Communications as read (their versions are needed to amend)

    @property
    def versions(self) -> dict[str, str | None]:
        return {str(r.get("id")): (r.get("meta") or {}).get("versionId") for r in self.raw}

    def find(self, entry_id: str) -> tuple[JournalEntry, Json]:
        for entry, raw in zip(self.entries, self.raw, strict=True):
            if raw.get("id") == entry_id:
                return entry, raw
        raise InvalidInput("Dit journaalverslag bestaat niet (meer).", field="entry")


def read_journal(caller: Caller, record: TrajectRecord, purpose: str = access.PURPOSE_ROUTINE) -> Journal:
    """The traject's journal, after the AuditEvent of this read is written (no audit, no journal)."""
    caller.require(access.may_read_journal(caller.role), READERS_ONLY)
    patient = caller.youth()
    entries, raw = TrajectReader(caller.client, patient).journal(record)
    # Issue 14: only entries of her own buddy period (coach: her period), before anything is shown or audited.
    entries, raw = periods.readable(
        entries, raw, periods.reading_periods(record.care_team, caller.user, caller.role), record.care_team
    )
    moment = caller.now()
    user = caller.user or ""
    read = [f"Communication/{r['id']}" for r in raw]
    events = [audit.journal_read(user, patient, read, moment, purpose=purpose)]
    broken = [e for e in entries if e.authenticity == BROKEN]
    if broken:
        # Issue 12: entries whose seal does not open are recorded (which, never what) and shown as such.
        log.warning(
            "sealed entries did not open count=%d reasons=%s",
            len(broken),
            ",".join(sorted({e.broken_reason or "" for e in broken})),
        )
        events.append(audit.seal_failure(user, patient, [f"Communication/{e.id}" for e in broken], moment))
    policy.record_read(caller.client, events)
    return Journal(entries, raw)


@dataclass(frozen=True)
class AmendEntry:
    record: TrajectRecord
    current: Json  # the entry as she opened it (from read_journal)
    text: str
    version: str  # the version she started from (If-Match)


class EntryChanged(Conflict):
    """Someone saved this entry after she opened it: both versions go back to her."""

    def __init__(self, message_nl: str, theirs: JournalEntry, version: str | None) -> None:
        super().__init__(message_nl, field="text", code="version-conflict")
        self.theirs = theirs
        self.version = version


def editable(caller: Caller, raw: Json) -> JournalEntry:
    """The entry, when she may amend it: her own, and written by the app (else she would sign another's)."""
    entry = communication.from_fhir(raw)
    if entry.author != caller.user:
        raise NotAllowed("Alleen de schrijver van een verslag kan het wijzigen.")
    if not entry.written_by_app:
        raise NotAllowed("Dit verslag is niet door de app geschreven en kan hier niet worden gewijzigd.")
    return entry


def amend_entry(caller: Caller, cmd: AmendEntry) -> Json:
    """A new version of her entry, with its audit, in one transaction (If-Match on her version).

    EntryChanged when another version came first. A resend of an amendment that already landed (its answer
    was lost) meets its own version: the entry then already says what she wrote, and that counts as saved.
    """
    caller.require(access.may_read_journal(caller.role), READERS_ONLY)
    entry = editable(caller, cmd.current)
    JournalEntry(**{**_fields(entry), "text": cmd.text})  # the same checks as a new entry
    ref = f"Communication/{cmd.current['id']}"
    event = audit.journal_write(entry.author, entry.patient, [ref], caller.now(), update=True)
    try:
        return writes.amend_entry(
            caller.client,
            cmd.current,
            cmd.text,
            version=cmd.version,
            care_team=cmd.record.traject.care_team,
            audit=policy.for_write(event, subject=ref, patient=entry.patient),
        )
    except VersionConflict as exc:
        theirs = caller.client.read("Communication", str(cmd.current["id"]))
        guard.journal_entries([theirs], entry.patient)
        stored = communication.from_fhir(theirs)
        if stored.text == cmd.text and stored.author == entry.author:
            return theirs  # her own earlier send landed (and its audit with it, in the same transaction)
        raise EntryChanged(exc.message_nl, stored, (theirs.get("meta") or {}).get("versionId")) from None


def _fields(e: JournalEntry) -> dict[str, Any]:
    keep = ("identifier", "traject", "patient", "author", "kind", "written_at", "text", "contact", "id")
    return {k: getattr(e, k) for k in keep}


@dataclass(frozen=True)
class WriteCoachingEntry:
    record: TrajectRecord
    identifier: str
    text: str


@dataclass(frozen=True)
class EntrySaved:
    entry: str  # Communication/<id>
    created: bool  # False: it was there already (a resend or a double submit)


def write_entry(caller: Caller, entry: JournalEntry, record: TrajectRecord, event: Json) -> EntrySaved:
    """A journal entry on its own with its AuditEvent (``event``, naming :func:`writes.entry_url`)."""
    with caller.lock("save:" + entry.identifier):
        saved = writes.save_entry(
            caller.client,
            entry,
            care_team=record.traject.care_team,
            audit=policy.for_write(event, subject=writes.entry_url(entry), patient=entry.patient),
        )
    return EntrySaved(saved.references["entry"], saved.created)


def new_entry(
    caller: Caller,
    record: TrajectRecord,
    identifier: str,
    kind: str,
    text: str,
    contact: str | None = None,
    at: datetime | None = None,
) -> JournalEntry:
    """An entry she writes now (or `at`, the moment the caller already checked), in this traject, as herself
    (checked as every entry: text, references)."""
    return JournalEntry(
        identifier=identifier,
        traject=record.reference,
        patient=caller.youth(),
        author=caller.author(),
        kind=kind,
        written_at=at or caller.now(),
        text=text,
        contact=contact,
    )


def write_coaching_entry(caller: Caller, cmd: WriteCoachingEntry) -> EntrySaved:
    """P-COACH-JOURNAL: the coach's own entry (no contact; the coach never meets the youth)."""
    caller.require(
        access.may_write_journal(caller.role, c.JOURNAL_COACHING),
        "Alleen de coach schrijft in het coachjournaal.",
    )
    entry = new_entry(caller, cmd.record, cmd.identifier, c.JOURNAL_COACHING, cmd.text)
    event = audit.journal_write(entry.author, entry.patient, [writes.entry_url(entry)], entry.written_at)
    return write_entry(caller, entry, cmd.record, event)


__all__ = [
    "AmendEntry",
    "EntryChanged",
    "EntrySaved",
    "Journal",
    "WriteCoachingEntry",
    "amend_entry",
    "editable",
    "new_entry",
    "read_journal",
    "write_coaching_entry",
    "write_entry",
]
