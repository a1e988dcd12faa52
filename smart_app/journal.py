"""The journal pages: reading it (buddy, coach, coordinator only, P-JOURNAL-READERS), amending an entry
(If-Match; a stale edit shows both versions), the coach's coaching journal (P-COACH-JOURNAL) and the danger
override (P-DANGER). Sharing under the youth's consent (P-SHARE-CONSENT) is :mod:`smart_app.sharing`.

The work and its audit are in :mod:`hvol_fhir.services.journal` and :mod:`hvol_fhir.services.disclosure`:
a read is shown only after its AuditEvent is written (else a plain message says why not), and every write
carries its AuditEvent in its own transaction. These views turn forms into commands and results into pages.
Journal text goes only into pages for these three roles; log lines carry codes, never content.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.danger import REASONS as DANGER_REASONS
from hvol_fhir.programme.rules.danger import Override
from hvol_fhir.services import disclosure, journal

from .calling import caller
from .context import check_csrf, ctx, form_errors, form_value, require, require_patient
from .pagekit import common, failed, load, member_names

log = logging.getLogger(__name__)
bp = Blueprint("journal", __name__)
# Issue 12: why a sealed entry does not open, for the coordinator (no content, no ids).
SEAL_REASONS = {
    "seal-tampered": "De versleutelde tekst is gewijzigd of beschadigd.",
    "seal-malformed": "Er staat iets anders dan een verzegelde tekst.",
    "seal-unknown-key": "Het is verzegeld met een sleutel die de app niet kent "
    "(een andere organisatie of een verloren sleutel).",
    "seal-other-youth": "De verzegelde tekst hoort bij een andere jongere en is hierheen gekopieerd.",
    "seal-other-entry": "De verzegelde tekst hoort bij een ander verslag en is hierheen gekopieerd.",
    "seal-author": "Schrijver of tijdstip is na het opslaan in het dossier gewijzigd.",
}


def _to_journal(launch_id: str, ident: str, saved: str) -> Any:
    return redirect(url_for("journal.index", launch_id=launch_id, ident=ident, opgeslagen=saved), 303)


@bp.get("/l/<launch_id>/t/<ident>/journaal")
def index(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_read_journal(c_.role), journal.READERS_ONLY)
    record = load(c_, ident)
    read = journal.read_journal(caller(c_), record)
    kind = request.args.get("soort")
    shown = [e for e in read.entries if not kind or e.kind == kind]
    return render_template(
        "journal/index.html",
        **common(
            c_,
            ident=ident,
            record=record,
            entries=sorted(shown, key=lambda e: e.written_at, reverse=True),
            versions=read.versions,
            contacts={f"Encounter/{x.id}": x for x in record.contacts},
            names=member_names(c_, record.care_team),
            kind=kind,
            can_write_coaching=access.may_write_journal(c_.role, c.JOURNAL_COACHING),
            can_disclose=access.may_disclose(c_.role),
            can_override=access.may_override(c_.role),
            new_uuid=str(uuid.uuid4()),
            saved=request.args.get("opgeslagen"),
            is_coordinator=c_.policy.may("see-seal-reasons"),
            seal_reasons=SEAL_REASONS,
        ),
    )


@bp.route("/l/<launch_id>/t/<ident>/journaal/<entry_id>/wijzig", methods=["GET", "POST"])
def amend(launch_id: str, ident: str, entry_id: str) -> Any:
    """Amend an entry: only its author; If-Match on the version she started from."""
    c_ = ctx(launch_id)
    require(access.may_read_journal(c_.role))
    record = load(c_, ident, with_tasks=False)
    _, current = journal.read_journal(caller(c_), record).find(entry_id)
    entry = journal.editable(caller(c_), current)
    version = (current.get("meta") or {}).get("versionId")
    form = dict(request.form) if request.method == "POST" else {"text": entry.text, "version": version}
    errors: list[str] = []
    conflict: dict[str, Any] | None = None
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            command = journal.AmendEntry(record, current, form_value("text"), form_value("version"))
            try:
                journal.amend_entry(caller(c_), command)
            except journal.EntryChanged as exc:
                conflict = {"text": exc.theirs.text, "version": exc.version}
                raise
            return _to_journal(launch_id, ident, "1")
    return render_template(
        "journal/amend.html",
        **common(
            c_, ident=ident, entry=entry, entry_id=entry_id, form=form, errors=errors, conflict=conflict
        ),
    ), (409 if conflict else 422 if errors else 200)


@bp.post("/l/<launch_id>/t/<ident>/coachjournaal")
def coaching(launch_id: str, ident: str) -> Any:
    """P-COACH-JOURNAL: the coach's own entry (no contact; the coach never meets the youth)."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(
        access.may_write_journal(c_.role, c.JOURNAL_COACHING),
        "Alleen de coach schrijft in het coachjournaal.",
    )
    require_patient(c_)
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident, with_tasks=False)
        identifier = form_value("entry_uuid") or str(uuid.uuid4())
        command = journal.WriteCoachingEntry(record, identifier, form_value("text"))
        journal.write_coaching_entry(caller(c_), command)
        return _to_journal(launch_id, ident, "1")
    return failed(c_, errors, ident=ident, form_text=form_value("text"))


def _override() -> Override:
    names = ("reason", "what", "whom", "why", "told", "not_told_why")
    return Override(**{n: form_value(n) for n in names})


@bp.route("/l/<launch_id>/t/<ident>/gevaar", methods=["GET", "POST"])
def danger(launch_id: str, ident: str) -> Any:
    """P-DANGER: share without consent because of direct danger. Mandatory reason and explanation; recorded as
    a journal entry (so coach and coordinator, the other readers, are informed) and an AuditEvent (THREAT)."""
    c_ = ctx(launch_id)
    require(access.may_override(c_.role))
    record = load(c_, ident, with_tasks=False)
    errors: list[str] = []
    form = dict(request.form) if request.method == "POST" else {"entry_uuid": str(uuid.uuid4())}
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            command = disclosure.OverrideForDanger(
                record, form_value("entry_uuid"), _override(), form_value("contact") or None
            )
            disclosure.override_for_danger(caller(c_), command)
            log.info("danger override recorded role=%s", c_.role)
            return _to_journal(launch_id, ident, "gevaar")
    contacts = sorted(record.contacts, key=lambda x: x.start, reverse=True)
    return render_template(
        "journal/danger.html",
        **common(c_, ident=ident, form=form, errors=errors, reasons=DANGER_REASONS, contacts=contacts),
    ), (422 if errors else 200)
