"""Journal content leaving the journal: sharing under the youth's consent (P-SHARE-CONSENT, the coordinator)
and the danger override (P-DANGER, the buddy). Each is one transaction with its AuditEvent (a disclosure).

The recipient of a disclosure is any reference (a Practitioner, a RelatedPerson, an Organization ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hvol_fhir.errors import InvalidInput
from hvol_fhir.privacy import access, audit
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import ConsentGrant
from hvol_fhir.programme.rules.danger import Override, check_override, override_text
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import audit as policy
from hvol_fhir.services.caller import Caller
from hvol_fhir.services.journal import EntrySaved, new_entry, write_entry

COORDINATOR_ONLY = "Delen uit het journaal legt de coördinator vast, met toestemming van de jongere."
DEFAULT_PURPOSE = "PATRQT"  # on the youth's own request


@dataclass(frozen=True)
class Disclose:
    record: TrajectRecord
    consent_identifier: str
    entries: tuple[str, ...]  # Communication/<id> of what is shared
    recipient: str | None  # any reference
    purpose: str  # one of access.SHARE_PURPOSES; anything else counts as the youth's own request
    why: str | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Disclosed:
    consent: str  # Consent/<id>
    created: bool


def disclose(caller: Caller, cmd: Disclose) -> Disclosed:
    """Record the youth's grant (what, with whom, why, until when) and audit the disclosure, together."""
    caller.require(access.may_disclose(caller.role), COORDINATOR_ONLY)
    patient = caller.youth()
    moment = caller.now()
    purpose = cmd.purpose if cmd.purpose in access.SHARE_PURPOSES else DEFAULT_PURPOSE
    grant = ConsentGrant(
        identifier=cmd.consent_identifier,
        kind=c.CONSENT_DISCLOSURE,
        patient=patient,
        granted_by=patient,
        recorded=moment,
        start=moment,
        end=cmd.until,
        entries=cmd.entries,
        recipient=cmd.recipient,
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
