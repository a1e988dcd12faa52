"""The journal: reading it (buddy, coach, coordinator only, P-JOURNAL-READERS), amending an entry (If-Match;
a stale edit shows both versions), the coach's coaching journal (P-COACH-JOURNAL), sharing under the youth's
consent (P-SHARE-CONSENT) and the danger override (P-DANGER). Every read, write, disclosure and override
leaves an AuditEvent; a read is shown only after its AuditEvent is written.

Journal text goes only into pages for these three roles; log lines carry codes, never content.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from hvol_fhir.ehr import VersionConflict
from hvol_fhir.errors import InvalidInput
from hvol_fhir.mapping import communication
from hvol_fhir.privacy import access, audit, guard, periods
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import end_of_day
from hvol_fhir.programme.model import BROKEN, ConsentGrant, JournalEntry
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectReader, TrajectRecord

from .context import Ctx, check_csrf, ctx, form_errors, form_value, now, require, require_patient
from .pagekit import common, failed, load, member_names
from .state import state

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
DANGER_REASONS = {
    "danger-self": "Direct gevaar voor de jongere zelf",
    "danger-others": "Direct gevaar voor anderen",
    "reporting-duty": "Meldcode / meldplicht (Veilig Thuis)",
}


def read_journal(
    c_: Ctx, record: TrajectRecord, purpose: str = access.PURPOSE_ROUTINE
) -> tuple[list[JournalEntry], list[dict[str, Any]]]:
    """The journal for a cleared role, after its AuditEvent is written (no audit, no journal)."""
    require(
        access.may_read_journal(c_.role),
        "Het journaal is alleen voor het ervaringsmaatje, de coach en de coördinator.",
    )
    patient = require_patient(c_)
    entries, raw = TrajectReader(c_.client, patient).journal(record)
    # Issue 14: only entries of her own buddy period (coach: her period), before anything is shown or audited.
    entries, raw = periods.readable(entries, raw, periods.reading_periods(record.care_team, c_.user, c_.role))
    writes.write_audit(
        c_.client,
        audit.journal_read(
            c_.user or "", patient, [f"Communication/{r['id']}" for r in raw], now(), purpose=purpose
        ),
    )
    broken = [e for e in entries if e.authenticity == BROKEN]
    if broken:
        # Issue 12: entries whose seal does not open are recorded (which, never what) and shown as such.
        log.warning(
            "sealed entries did not open count=%d reasons=%s",
            len(broken),
            ",".join(sorted({e.broken_reason or "" for e in broken})),
        )
        writes.write_audit(
            c_.client,
            audit.seal_failure(c_.user or "", patient, [f"Communication/{e.id}" for e in broken], now()),
        )
    return entries, raw


@bp.get("/l/<launch_id>/t/<ident>/journaal")
def index(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(
        access.may_read_journal(c_.role),
        "Het journaal is alleen voor het ervaringsmaatje, de coach en de coördinator.",
    )
    record = load(c_, ident)
    entries, raw = read_journal(c_, record)
    versions = {r["id"]: (r.get("meta") or {}).get("versionId") for r in raw}
    contacts = {f"Encounter/{x.id}": x for x in record.contacts}
    kind = request.args.get("soort")
    shown = [e for e in entries if not kind or e.kind == kind]
    return render_template(
        "journal/index.html",
        **common(
            c_,
            ident=ident,
            record=record,
            entries=sorted(shown, key=lambda e: e.written_at, reverse=True),
            versions=versions,
            contacts=contacts,
            names=member_names(c_, record.care_team),
            kind=kind,
            can_write_coaching=access.may_write_journal(c_.role, c.JOURNAL_COACHING),
            can_disclose=access.may_disclose(c_.role),
            can_override=access.may_override(c_.role),
            new_uuid=str(uuid.uuid4()),
            saved=request.args.get("opgeslagen"),
            is_coordinator=c_.role == c.ROLE_COORDINATOR,
            seal_reasons=SEAL_REASONS,
        ),
    )


def _find(raw: list[dict[str, Any]], entry_id: str) -> dict[str, Any]:
    for r in raw:
        if r.get("id") == entry_id:
            return r
    raise InvalidInput("Dit journaalverslag bestaat niet (meer).", field="entry")


@bp.route("/l/<launch_id>/t/<ident>/journaal/<entry_id>/wijzig", methods=["GET", "POST"])
def amend(launch_id: str, ident: str, entry_id: str) -> Any:
    """Amend an entry: only its author; If-Match on the version she started from."""
    c_ = ctx(launch_id)
    require(access.may_read_journal(c_.role))
    record = load(c_, ident, with_tasks=False)
    errors: list[str] = []
    conflict: dict[str, Any] | None = None
    entries, raw = read_journal(c_, record)
    current = _find(raw, entry_id)
    entry = communication.from_fhir(current)
    require(entry.author == c_.user, "Alleen de schrijver van een verslag kan het wijzigen.")
    # Issue 12: an entry the app did not seal is not hers to take over (amending would sign it as hers).
    require(
        entry.written_by_app, "Dit verslag is niet door de app geschreven en kan hier niet worden gewijzigd."
    )
    form = (
        dict(request.form)
        if request.method == "POST"
        else {"text": entry.text, "version": (current.get("meta") or {}).get("versionId")}
    )
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            try:
                JournalEntry(**{**_fields(entry), "text": form_value("text")})  # same checks as a new entry
                writes.amend_entry(
                    c_.client,
                    current,
                    form_value("text"),
                    version=form_value("version"),
                    care_team=record.traject.care_team,
                )
            except VersionConflict as exc:
                theirs = exc.current or current
                guard.journal_entries([theirs], entry.patient)
                conflict = {
                    "text": communication.from_fhir(theirs).text,
                    "version": (theirs.get("meta") or {}).get("versionId"),
                }
                raise
            try:
                writes.write_audit(
                    c_.client,
                    audit.journal_write(
                        c_.user or "", entry.patient, [f"Communication/{entry_id}"], now(), update=True
                    ),
                )
            except Exception as exc:  # noqa: BLE001
                log.warning("audit write failed kind=journal-update error=%s", type(exc).__name__)
            return redirect(url_for("journal.index", launch_id=launch_id, ident=ident, opgeslagen="1"), 303)
    return render_template(
        "journal/amend.html",
        **common(
            c_, ident=ident, entry=entry, entry_id=entry_id, form=form, errors=errors, conflict=conflict
        ),
    ), (409 if conflict else 422 if errors else 200)


def _fields(e: JournalEntry) -> dict[str, Any]:
    return {
        k: getattr(e, k)
        for k in ("identifier", "traject", "patient", "author", "kind", "written_at", "text", "contact", "id")
    }


@bp.post("/l/<launch_id>/t/<ident>/coachjournaal")
def coaching(launch_id: str, ident: str) -> Any:
    """P-COACH-JOURNAL: the coach's own entry (no contact; the coach never meets the youth)."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(
        access.may_write_journal(c_.role, c.JOURNAL_COACHING),
        "Alleen de coach schrijft in het coachjournaal.",
    )
    patient = require_patient(c_)
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident, with_tasks=False)
        moment = now()
        entry = JournalEntry(
            identifier=form_value("entry_uuid") or str(uuid.uuid4()),
            traject=record.reference,
            patient=patient,
            author=c_.user or "",
            kind=c.JOURNAL_COACHING,
            written_at=moment,
            text=form_value("text"),
        )
        with state().store.refresh_lock("save:" + entry.identifier):
            saved = writes.save_entry(c_.client, entry, care_team=record.traject.care_team)
        if saved.created:
            writes.write_audit(
                c_.client, audit.journal_write(c_.user or "", patient, [saved.references["entry"]], moment)
            )
        return redirect(url_for("journal.index", launch_id=launch_id, ident=ident, opgeslagen="1"), 303)
    return failed(c_, errors, ident=ident, form_text=form_value("text"))


def _until(value: str) -> datetime | None:
    """The last day of a grant (a date field); a malformed value is a message on the form, not a 500."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "Vul een geldige datum in bij 'Geldig tot'.", field="until", code="not-a-date"
        ) from None
    return end_of_day(day)  # 00:00 Amsterdam time after that day: summer and winter time alike


@bp.route("/l/<launch_id>/t/<ident>/delen", methods=["GET", "POST"])
def share(launch_id: str, ident: str) -> Any:
    """P-SHARE-CONSENT: record the youth's grant (what, with whom, why, until when); audit the disclosure."""
    c_ = ctx(launch_id)
    require(
        access.may_disclose(c_.role),
        "Delen uit het journaal legt de coördinator vast, met toestemming van de jongere.",
    )
    patient = require_patient(c_)
    record = load(c_, ident, with_tasks=False)
    entries, _ = read_journal(c_, record)
    errors: list[str] = []
    form = dict(request.form) if request.method == "POST" else {"consent_uuid": str(uuid.uuid4())}
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            moment = now()
            chosen = [f"Communication/{i}" for i in request.form.getlist("entries")]
            end = _until(form_value("until"))
            recipient = form_value("recipient").strip()
            if recipient and "/" not in recipient:
                recipient = f"Practitioner/{recipient}"
            grant = ConsentGrant(
                identifier=form_value("consent_uuid"),
                kind=c.CONSENT_DISCLOSURE,
                patient=patient,
                granted_by=patient,
                recorded=moment,
                start=moment,
                end=end,
                entries=tuple(chosen),
                recipient=recipient or None,
                purpose=form_value("why").strip() or None,
            )
            purpose = form_value("purpose") if form_value("purpose") in access.SHARE_PURPOSES else "PATRQT"
            writes.record_consent(c_.client, grant, purpose_of_use=purpose)
            writes.write_audit(
                c_.client, audit.disclosure(c_.user or "", patient, chosen, moment, purpose=purpose)
            )
            return redirect(
                url_for("journal.index", launch_id=launch_id, ident=ident, opgeslagen="gedeeld"), 303
            )
    return render_template(
        "journal/share.html",
        **common(
            c_,
            ident=ident,
            entries=entries,
            form=form,
            errors=errors,
            purposes=access.SHARE_PURPOSES_NL,
            team=record.care_team.members if record.care_team else (),
            names=member_names(c_, record.care_team),
        ),
    ), (422 if errors else 200)


@bp.route("/l/<launch_id>/t/<ident>/gevaar", methods=["GET", "POST"])
def danger(launch_id: str, ident: str) -> Any:
    """P-DANGER: share without consent because of direct danger. Mandatory reason and explanation; recorded as
    a journal entry (so coach and coordinator, the other readers, are informed) and an AuditEvent (THREAT)."""
    c_ = ctx(launch_id)
    require(access.may_override(c_.role))
    patient = require_patient(c_)
    record = load(c_, ident, with_tasks=False)
    errors: list[str] = []
    form = dict(request.form) if request.method == "POST" else {"entry_uuid": str(uuid.uuid4())}
    contacts = sorted(record.contacts, key=lambda x: x.start, reverse=True)
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            reason = form_value("reason")
            if reason not in DANGER_REASONS:
                raise InvalidInput(
                    "Kies de reden waarom u zonder toestemming deelt.", field="reason", code="missing-value"
                )
            for name, label in (
                ("what", "wat u deelt"),
                ("whom", "met wie u deelt"),
                ("why", "waarom het nodig is"),
            ):
                if not form_value(name).strip():
                    raise InvalidInput(f"Vul in {label}.", field=name, code="missing-value")
            told = form_value("told")
            if told not in ("ja", "nee"):
                raise InvalidInput(
                    "Geef aan of de jongere is verteld wat, waarom en met wie u deelt.", field="told"
                )
            if told == "nee" and not form_value("not_told_why").strip():
                raise InvalidInput("Leg uit waarom de jongere (nog) niet is ingelicht.", field="not_told_why")
            contact = form_value("contact") or (f"Encounter/{contacts[0].id}" if contacts else "")
            if not contact:
                raise InvalidInput("Kies het contact waarin het gevaar bleek.", field="contact")
            moment = now()
            text = (
                f"DOORBREKING GEHEIMHOUDING (P-DANGER) – {DANGER_REASONS[reason]}.\n"
                f"Wat gedeeld: {form_value('what').strip()}\nMet wie: {form_value('whom').strip()}\n"
                f"Waarom: {form_value('why').strip()}\n"
                + (
                    "De jongere is verteld wat, waarom, hoe en met wie."
                    if told == "ja"
                    else f"De jongere is (nog) niet ingelicht: {form_value('not_told_why').strip()}"
                )
            )
            entry = JournalEntry(
                identifier=form_value("entry_uuid"),
                traject=record.reference,
                patient=patient,
                author=c_.user or "",
                kind=c.JOURNAL_BUDDY,
                written_at=moment,
                text=text,
                contact=contact,
            )
            with state().store.refresh_lock("save:" + entry.identifier):
                saved = writes.save_entry(c_.client, entry, care_team=record.traject.care_team)
            if saved.created:
                writes.write_audit(
                    c_.client, audit.override(c_.user or "", patient, [saved.references["entry"]], moment)
                )
            log.info("danger override recorded role=%s", c_.role)
            return redirect(
                url_for("journal.index", launch_id=launch_id, ident=ident, opgeslagen="gevaar"), 303
            )
    return render_template(
        "journal/danger.html",
        **common(c_, ident=ident, form=form, errors=errors, reasons=DANGER_REASONS, contacts=contacts),
    ), (422 if errors else 200)
