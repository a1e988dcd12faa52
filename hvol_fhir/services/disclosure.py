"""Journal content leaving the journal: sharing under the youth's consent (P-SHARE-CONSENT, the coordinator)
and the danger override (P-DANGER, the buddy). Each is one transaction with its AuditEvent (a disclosure).

Issue 14, the guide's §4.7: the recipient is a RelatedPerson of the youth (parent, guardian), a Practitioner
(another professional) or an organisation by name (the municipality, the next placement); the rules are in
:mod:`hvol_fhir.programme.sharing`. Only someone the page could offer is accepted: a RelatedPerson of *this*
youth, a Practitioner the EHR holds; anything else is "not found". The recipient gets nothing in the EHR:
the Consent names the chosen entries (``provision.data``), never the journal, and clearance comes from the
CareTeam alone. The Consent's recipient and purpose text are sealed (kind disclosure), so the EHR's staff
see neither; the AuditEvent names the entries and the Consent (and through it, whom), not the recipient.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from hvol_fhir import terminology as t
from hvol_fhir.ehr import EhrForbidden, EhrNotFound, bundle
from hvol_fhir.errors import InvalidInput
from hvol_fhir.fhirjson import Json, dump
from hvol_fhir.mapping import consent as consent_map
from hvol_fhir.mapping.person import display_name
from hvol_fhir.privacy import access, audit
from hvol_fhir.programme import codes as c
from hvol_fhir.programme import sharing
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.model import ConsentGrant
from hvol_fhir.programme.rules.danger import Override, check_override, override_text
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import audit as policy
from hvol_fhir.services.caller import Caller
from hvol_fhir.services.journal import EntrySaved, new_entry, write_entry

COORDINATOR_ONLY = "Delen uit het journaal legt de coördinator vast, met toestemming van de jongere."
DEFAULT_PURPOSE = "PATRQT"  # on the youth's own request
ORGANISATION = "organisatie"  # the form's choice "an organisation, by the name typed"
MAX_PRACTITIONERS = 200  # one page of the organisation's professionals to pick from


@dataclass(frozen=True)
class Disclose:
    record: TrajectRecord
    consent_identifier: str
    entries: tuple[str, ...]  # Communication/<id> of what is shared
    recipient: str | None  # RelatedPerson/<id> or Practitioner/<id>, or ORGANISATION (then: organisation)
    purpose: str  # one of access.SHARE_PURPOSES; anything else counts as the youth's own request
    why: str | None = None
    until: date | None = None  # her last day (inclusive); None: until she withdraws it
    organisation: str | None = None  # the name typed, when the recipient is an organisation
    consented: bool = False  # the youth said yes to what, why and with whom
    first_day: date | None = None  # default: today


@dataclass(frozen=True)
class Disclosed:
    consent: str  # Consent/<id>
    created: bool


def _rp_candidate(resource: Json) -> sharing.Recipient | None:
    name = display_name(resource)
    relation = next((r.get("text") for r in resource.get("relationship") or [] if r.get("text")), None)
    ref = f"RelatedPerson/{resource.get('id')}"
    return sharing.Recipient(name=name, reference=ref, detail=relation) if name else None


def recipients(caller: Caller) -> list[sharing.Recipient]:
    """Whom the page offers: the youth's own RelatedPersons, then the organisation's professionals.

    Professionals come from a PractitionerRole search, which every role's token may do: a Practitioner
    search would need ``user/Practitioner.s`` in the launch's scopes, and an EHR that grants only ``.r``
    would then switch off recognising the user's role altogether.
    """
    caller.require(access.may_disclose(caller.role), COORDINATOR_ONLY)
    youth = caller.youth()
    people = caller.client.search_all("RelatedPerson", {"patient": youth, "_count": "50"})
    found = [r for r in (_rp_candidate(p) for p in people if p.get("active") is not False) if r]
    roles = caller.client.search("PractitionerRole", {"active": "true", "_count": str(MAX_PRACTITIONERS)})
    seen: set[str] = {caller.user or ""}
    for entry in roles.get("entry") or []:
        who = (entry.get("resource") or {}).get("practitioner") or {}
        ref, name = who.get("reference"), who.get("display")
        if isinstance(ref, str) and ref.startswith("Practitioner/") and name and ref not in seen:
            seen.add(ref)
            found.append(sharing.Recipient(name=name, reference=ref))
    return sorted(found, key=lambda r: (r.kind != sharing.RELATED_PERSON, r.name.casefold()))


def _resolve(caller: Caller, cmd: Disclose) -> sharing.Recipient:
    """The recipient the form names, checked against the EHR (one read): not there, or a RelatedPerson of
    another youth, is "not found"."""
    chosen = (cmd.recipient or "").strip()
    if chosen == ORGANISATION or (not chosen and cmd.organisation):
        return sharing.organisation(cmd.organisation or "")
    if not chosen:
        raise InvalidInput(sharing.NO_RECIPIENT, field="recipient", code="missing-value")
    kind, _, rid = chosen.partition("/")
    if kind not in (sharing.RELATED_PERSON, sharing.PRACTITIONER) or not rid:
        raise InvalidInput(sharing.NOT_FOUND, field="recipient", code="recipient-not-found")
    try:
        resource = caller.client.read(kind, rid)
    except (EhrNotFound, EhrForbidden, InvalidInput):  # another girl's RelatedPerson: out of this launch
        raise InvalidInput(sharing.NOT_FOUND, field="recipient", code="recipient-not-found") from None
    own = kind != sharing.RELATED_PERSON or (resource.get("patient") or {}).get("reference") == caller.youth()
    if resource.get("active") is False or not own:
        raise InvalidInput(sharing.NOT_FOUND, field="recipient", code="recipient-not-found")
    candidate = _rp_candidate(resource) if kind == sharing.RELATED_PERSON else None
    name = candidate.name if candidate else display_name(resource)
    return sharing.Recipient(name=name or chosen, reference=chosen)


def disclose(caller: Caller, cmd: Disclose) -> Disclosed:
    """Record the youth's grant (what, with whom, why, until when) and audit the disclosure, together."""
    caller.require(access.may_disclose(caller.role), COORDINATOR_ONLY)
    patient = caller.youth()
    moment = caller.now()
    recipient = _resolve(caller, cmd)
    terms = sharing.terms(moment, cmd.first_day, cmd.until, consented=cmd.consented)
    purpose = cmd.purpose if cmd.purpose in access.SHARE_PURPOSES else DEFAULT_PURPOSE
    grant = ConsentGrant(
        identifier=cmd.consent_identifier,
        kind=c.CONSENT_DISCLOSURE,
        patient=patient,
        granted_by=patient,
        recorded=moment,
        start=terms.start,
        end=terms.end,
        entries=cmd.entries,
        recipient=recipient.reference,
        recipient_name=recipient.name,
        purpose=cmd.why,
    )
    url = writes.consent_url(grant)
    # The event names the Consent too: it is what makes this disclosure's event unique (audit.once).
    event = audit.disclosure(caller.user or "", patient, [*cmd.entries, url], moment, purpose=purpose)
    with caller.lock("consent:" + grant.identifier):
        saved = writes.record_consent(
            caller.client,
            grant,
            purpose_of_use=purpose,
            audit=policy.for_write(event, subject=url, patient=patient),
        )
    return Disclosed(saved.references["consent"], saved.created)


@dataclass(frozen=True)
class Share:
    """One recorded share, as the traject page lists it."""

    grant: ConsentGrant
    state: str  # sharing.STATE_*
    version: str | None

    @property
    def last_day(self) -> date | None:
        """The last day it runs (the grant ends at 00:00 after it, Amsterdam time)."""
        return local_date(self.grant.end) - timedelta(days=1) if self.grant.end else None

    @property
    def kind_nl(self) -> str:
        kind = self.grant.recipient.split("/", 1)[0] if self.grant.recipient else sharing.ORGANIZATION
        return sharing.KIND_NL.get(kind, "")


def shares(caller: Caller, now: datetime) -> list[Share]:
    """The youth's disclosure grants, newest first (one search; the sealed parts open for this role only).
    A grant whose recipient did not open (another organisation's seal) is left out, not guessed."""
    params = {"patient": caller.youth(), "category": f"{t.LOINC}|{t.LOINC_RELEASE_OF_INFORMATION}"}
    found: list[Share] = []
    for resource in caller.client.search_all("Consent", {**params, "_count": "100"}):
        try:
            grant = consent_map.from_fhir(resource)
        except InvalidInput:
            continue
        version = (resource.get("meta") or {}).get("versionId")
        found.append(Share(grant, sharing.state(grant, now), version))
    return sorted(found, key=lambda s: s.grant.recorded, reverse=True)


def withdraw(caller: Caller, consent_id: str) -> None:
    """The youth withdraws a grant: its status becomes inactive (If-Match), so it no longer allows sharing.
    Withdrawing twice changes nothing."""
    caller.require(access.may_disclose(caller.role), COORDINATOR_ONLY)
    try:
        current = caller.client.read("Consent", consent_id)
        grant = consent_map.from_fhir(current)
    except (EhrNotFound, InvalidInput):
        raise InvalidInput(
            "Deze toestemming is niet gevonden.", field="consent", code="consent-not-found"
        ) from None
    if grant.patient != caller.youth() or grant.kind != c.CONSENT_DISCLOSURE:
        raise InvalidInput("Deze toestemming is niet gevonden.", field="consent", code="consent-not-found")
    if grant.status != "active":
        return
    changed = consent_map.update_fhir(current, replace(grant, status="inactive"))
    put = bundle.update_entry(dump(changed), if_match=(current.get("meta") or {}).get("versionId"))
    put["fullUrl"] = f"{caller.client.base_url}/Consent/{consent_id}"  # the validator wants a fullUrl
    caller.client.transaction(bundle.transaction([put]))


@dataclass(frozen=True)
class OverrideForDanger:
    record: TrajectRecord
    identifier: str  # of the journal entry that records it
    override: Override
    contact: str | None = None  # Encounter/<id> where the danger showed; default: the latest contact


def override_for_danger(caller: Caller, cmd: OverrideForDanger) -> EntrySaved:
    """P-DANGER: a journal entry that records what was shared, with whom and why, audited as a disclosure
    with purpose THREAT, in one transaction."""
    caller.require(access.may_override(caller.role))
    check_override(cmd.override)
    latest = max(cmd.record.contacts, key=lambda x: x.start, default=None)
    contact = cmd.contact or (f"Encounter/{latest.id}" if latest is not None else "")
    if not contact:
        raise InvalidInput("Kies het contact waarin het gevaar bleek.", field="contact")
    entry = new_entry(
        caller, cmd.record, cmd.identifier, c.JOURNAL_BUDDY, override_text(cmd.override), contact
    )
    event = audit.override(entry.author, entry.patient, [writes.entry_url(entry)], entry.written_at)
    return write_entry(caller, entry, cmd.record, event)
