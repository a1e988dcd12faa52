"""JournalEntry <-> Communication (profile hvol-journal-communication; https://hl7.org/fhir/R4/communication.html).

A journal entry always carries the full label set of hvol_fhir.mapping.labels (P-JOURNAL-READERS): it is
added on every write, merged (never dropped) on update, and a Communication without it is refused on read.
`basedOn` is the traject's CarePlan, `encounter` the contact, `sender` the author, the text the single
`payload.contentString`. The narrative (`text`) is never written: viewers and `_summary=text` show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fhir.resources.R4B.communication import Communication

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.errors import InvalidInput, MissingElement
from hvol_fhir.mapping import labels
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import AUTHENTIC, BROKEN, UNVERIFIED, JournalEntry
from hvol_fhir.sealing.codec import take_status

_KEYS = ("identifier", "basedOn", "status", "category", "subject", "encounter", "sent", "sender", "payload")


def _to_dict(entry: JournalEntry, care_team: str | None) -> f.Json:
    return f.prune(
        {
            "resourceType": "Communication",
            "id": entry.id,
            "meta": {
                "profile": [t.profile_url(t.P_JOURNAL)],
                "security": labels.journal_labels(care_team),
            },
            "identifier": [f.identifier("journal-entry", entry.identifier)],
            "basedOn": [f.ref(entry.traject)],
            "status": "completed",
            "category": [f.concept(c.JOURNAL_KIND, entry.kind, "JournalEntry.kind")],
            "subject": f.ref(entry.patient),
            "encounter": f.ref(entry.contact),
            "sent": f.iso(entry.written_at),
            "sender": f.ref(entry.author),
            "payload": [{"contentString": f.fhir_string(entry.text, "JournalEntry.text")}],
        }
    )


def to_fhir(entry: JournalEntry, *, care_team: str | None = None) -> Communication:
    """`care_team`: the CareTeam that justifies access, named on the compartment label (DS4P)."""
    return f.parse_as(Communication, _to_dict(entry, care_team))


def _authenticity(status: str | None) -> tuple[str, str | None]:
    """From the seal status the sealing codec noted on reading (hvol_fhir.sealing.codec): only an entry that
    opened under the app's key, bound to this author and time, is the named author's."""
    status = status or ""
    if status == "sealed":
        return AUTHENTIC, None
    if status.startswith("broken"):
        return BROKEN, status.partition(":")[2] or "seal-broken"
    return UNVERIFIED, None


def from_fhir(model: Any) -> JournalEntry:
    status, model = take_status(model)
    data = f.as_dict("Communication", model)
    labels.require_full_label_set(data.get("meta"))
    based_on = f.need(data, "basedOn", "Communication")
    authenticity, reason = _authenticity(status)
    text = ""
    if authenticity != BROKEN:
        payloads = f.need(data, "payload", "Communication")
        if len(payloads) != 1:
            raise InvalidInput("Een journaalverslag heeft precies één tekst.", field="Communication.payload")
        text = payloads[0].get("contentString")
        if not isinstance(text, str):
            raise MissingElement(
                "Het journaalverslag heeft geen leesbare tekst (versleuteld of een bijlage).",
                field="Communication.payload[0].contentString",
            )
    encounter = data.get("encounter")
    return JournalEntry(
        identifier=f.identifier_value(data, "journal-entry", "Communication"),
        traject=f.ref_value(based_on[0], "Communication.basedOn[0]"),
        patient=f.ref_value(f.need(data, "subject", "Communication"), "Communication.subject"),
        author=f.ref_value(f.need(data, "sender", "Communication"), "Communication.sender"),
        kind=f.code(data.get("category"), c.JOURNAL_KIND, "Communication.category"),
        written_at=f.instant(data.get("sent"), "Communication.sent"),
        text=text,
        contact=f.ref_value(encounter, "Communication.encounter") if encounter else None,
        id=data.get("id"),
        authenticity=authenticity,
        broken_reason=reason,
    )


_MERGES: Final[Mapping[str, f.Merge]] = {
    "identifier": f.merge_identifiers,
    "basedOn": f.merge_ref_list,
    "category": lambda o, n: f.merge_codeable_list(o, n, [t.cs_url(c.JOURNAL_KIND)]),
    "subject": f.merge_ref,
    "encounter": f.merge_ref,
    "sender": f.merge_ref,
    "status": lambda o, n: o or n,  # the EHR's workflow status is not ours to reset
}


def update_fhir(existing: Any, entry: JournalEntry, *, care_team: str | None = None) -> Communication:
    """Only mapped elements change; labels are the union of old and new (never fewer)."""
    old = f.as_dict("Communication", existing)
    new = _to_dict(entry, care_team)
    merged = f.overlay(old, new, _KEYS, _MERGES)
    merged.pop("text", None)  # a narrative would expose the entry to every viewer
    meta = labels.merge_labels(old.get("meta"), f.with_profile(old.get("meta"), t.P_JOURNAL))
    meta = labels.merge_labels(meta, {**meta, "security": new["meta"]["security"]})
    labels.require_full_label_set(meta)
    return f.updated(Communication, merged, meta, entry.id)
