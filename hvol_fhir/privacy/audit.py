"""AuditEvents for every journal read, write, disclosure and override (security-labels.md §5, IHE BALP).

Pure builders on top of `hvol_fhir.mapping.auditevent`: who (the user), when, which youth, why (purpose of
use), which entries. Identifiers only, never content. The events carry the restricted labels themselves, so
only journal readers see them. The app writes them; it does not rely on the server's own audit.

A write's event travels in the write's own transaction (:func:`once`), so the entry and its audit land
together or not at all, and a resend after a lost answer finds both instead of writing either twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

from hvol_fhir.ehr import bundle
from hvol_fhir.fhirjson import Json, dump
from hvol_fhir.mapping import auditevent
from hvol_fhir.privacy.access import PURPOSE_DANGER, PURPOSE_ROUTINE


def _event(
    interaction: str,
    user: str,
    patient: str,
    entries: Iterable[str],
    at: datetime,
    purpose: str,
    outcome: str,
) -> Json:
    access = auditevent.JournalAccess(
        interaction=interaction,
        recorded=at,
        user=user,
        purpose=purpose,
        patient=patient,
        entities=tuple(dict.fromkeys(entries)),
        outcome=outcome,
    )
    return dump(auditevent.to_fhir(access))


def journal_read(
    user: str, patient: str, entries: Iterable[str], at: datetime, *, purpose: str = PURPOSE_ROUTINE
) -> Json:
    """A search of the journal (one event per patient, BALP PatientQuery)."""
    return _event("search-type", user, patient, entries, at, purpose, "0")


def journal_write(
    user: str, patient: str, entries: Iterable[str], at: datetime, *, update: bool = False
) -> Json:
    return _event("update" if update else "create", user, patient, entries, at, PURPOSE_ROUTINE, "0")


def disclosure(user: str, patient: str, entries: Iterable[str], at: datetime, *, purpose: str) -> Json:
    """P-SHARE-CONSENT (purpose SUPNWK/FAMRQT/PATRQT) or P-DANGER (THREAT): information left the journal."""
    return _event("disclose", user, patient, entries, at, purpose, "0")


def override(user: str, patient: str, entries: Iterable[str], at: datetime) -> Json:
    """P-DANGER: the danger override, recorded as a disclosure with purpose THREAT."""
    return _event("disclose", user, patient, entries, at, PURPOSE_DANGER, "0")


def denied(user: str, patient: str, at: datetime) -> Json:
    """A refused journal access (minor failure, outcome 4): who tried, for which youth."""
    return _event("search-type", user, patient, (), at, PURPOSE_ROUTINE, "4")


def seal_failure(user: str, patient: str, entries: Iterable[str], at: datetime) -> Json:
    """Issue 12: sealed entries that did not open (tampered, unknown key, bound elsewhere): a read with a
    minor failure (outcome 4) naming the entries, so the coordinator can look into it. The reason codes stay
    in the app's log; nothing of the content exists to record."""
    return _event("read", user, patient, entries, at, PURPOSE_ROUTINE, "4")


def once(event: Json, *, subject: str, patient: str) -> Json:
    """``event`` as a transaction entry that is created once: a conditional create matching the event of
    this same action (its subtype, for the resource it is about, ``subject``: an ``urn:uuid:`` of an entry
    in the same transaction, which the server resolves before it searches, or ``Type/id``). An update
    adds its time, since an entry is amended more than once; ``If-Match`` already stops a second
    update of the same version. The condition names the youth, because an EHR that protects the journal
    accepts conditional writes on AuditEvent only within a youth the writer may read
    (security-labels.md §4). Being conditional also makes the whole transaction safe to resend.
    """
    subtype = str(event["subtype"][0]["code"])
    condition = f"entity={quote(subject, safe=':/')}&subtype={subtype}&patient={quote(patient, safe='/')}"
    if subtype == "update":
        condition += f"&date={quote(str(event['recorded']), safe='')}"
    full_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'hvol-audit:' + condition)}"
    return bundle.create_entry(event, full_url=full_url, if_none_exist=condition)
