"""The programme's domain types (domain.md), as frozen, slotted dataclasses.

The domain imports nothing from mapping, ehr or the web app. Construction validates what a value can say
about itself: codes known, time zones present, end not before start, a contact at most a working day, journal
text neither empty nor too long. Checks that need the clock (a date far in the future) live in
`hvol_fhir.programme.validate` and take `now`. References are FHIR reference strings ("Patient/123").
Identifiers are the client-generated UUID values of the `https://hvol-fhir.org/fhir/sid/<what>` systems;
`id` is the server's logical id once known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.checks import (
    require_aware,
    require_code,
    require_contact_outcome,
    require_date,
    require_in,
    require_max_duration,
    require_order,
    require_ref,
    require_text,
)
from hvol_fhir.programme.clock import utc
from hvol_fhir.programme.pauses import Outflow as Outflow  # re-exported: the domain types live here
from hvol_fhir.programme.pauses import Pause as Pause

MAX_CONTACT_DURATION: Final = timedelta(hours=10)  # "longer than a working day" is a typo, not a contact
MAX_JOURNAL_CHARS: Final = 20_000
MAX_SHORT_TEXT_CHARS: Final = 1_000


def _require_identifier(value: str, field_name: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise InvalidInput(
            "De identificatie ontbreekt of is ongeldig.", field=field_name, code="invalid-identifier"
        )


def _require_opt_ref(value: str | None, field_name: str) -> None:
    if value is not None:
        require_ref(value, field_name)


def _require_opt_aware(value: datetime | None, field_name: str) -> None:
    if value is not None:
        require_aware(value, field_name)


@dataclass(frozen=True, slots=True, kw_only=True)
class PhasePeriod:
    """One phase of a traject (CarePlan.activity with detail.code = phase)."""

    phase: str
    start: datetime
    end: datetime | None = None
    status: str = "in-progress"

    def __post_init__(self) -> None:
        require_code(c.TRAJECT_PHASE, self.phase, "PhasePeriod.phase")
        require_aware(self.start, "PhasePeriod.start")
        _require_opt_aware(self.end, "PhasePeriod.end")
        require_order(self.start, self.end, "PhasePeriod.end")
        require_in(c.ACTIVITY_STATUS, self.status, "PhasePeriod.status")

    @property
    def is_open(self) -> bool:
        return self.end is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Traject:
    """A youth's path through the programme (CarePlan). Phases are in chronological order."""

    identifier: str
    patient: str
    created: datetime
    status: str = "active"
    phases: tuple[PhasePeriod, ...] = ()
    category: str | None = None
    care_team: str | None = None
    replaces: str | None = None  # P-RESTART: the traject this one restarts
    intro_outcome: str | None = None  # P-INTRO-OUTCOME
    closure_reason: str | None = None  # P-CLOSE-REASON
    pauses: tuple[Pause, ...] = ()  # issue 14, in order of time; only the last may be open
    outflow: Outflow | None = None  # P-OUTFLOW
    id: str | None = None

    def __post_init__(self) -> None:
        _require_identifier(self.identifier, "Traject.identifier")
        require_ref(self.patient, "Traject.patient")
        require_aware(self.created, "Traject.created")
        require_in(c.CAREPLAN_STATUS, self.status, "Traject.status")
        if self.category is not None:
            require_code(c.VICTIM_CATEGORY, self.category, "Traject.category")
        _require_opt_ref(self.care_team, "Traject.care_team")
        _require_opt_ref(self.replaces, "Traject.replaces")
        if self.intro_outcome is not None:
            require_code(c.INTRODUCTION_OUTCOME, self.intro_outcome, "Traject.intro_outcome")
        if self.closure_reason is not None:
            require_code(c.CLOSURE_REASON, self.closure_reason, "Traject.closure_reason")
        for earlier, later in zip(self.phases, self.phases[1:], strict=False):
            if earlier.end is None:
                raise InvalidInput(
                    "Alleen de laatste fase mag nog open zijn (zonder einddatum).",
                    field="Traject.phases",
                    code="open-phase-not-last",
                )
            if utc(later.start) < utc(earlier.start):
                raise InvalidInput(
                    "De fases staan niet in volgorde van tijd.",
                    field="Traject.phases",
                    code="phases-out-of-order",
                )

    @property
    def open_pause(self) -> Pause | None:
        return self.pauses[-1] if self.pauses and self.pauses[-1].is_open else None

    @property
    def current_phase(self) -> PhasePeriod | None:
        """The last phase, open or closed (a closed traject's last phase is closure)."""
        return self.phases[-1] if self.phases else None

    def phase_periods(self, phase: str) -> tuple[PhasePeriod, ...]:
        return tuple(p for p in self.phases if p.phase == phase)


@dataclass(frozen=True, slots=True, kw_only=True)
class InclusionAssessment:
    """The behavioural scientist's inclusion assessment (P-ASSESS, P-AGE, P-CAT, P-CONTRA)."""

    identifier: str
    traject: str
    patient: str
    assessor: str
    assessed_on: date  # the inclusion date P-AGE is computed on
    birth_date: date  # Patient.birthDate as used for P-AGE
    category: str
    contra_indications: tuple[str, ...] = ()
    criteria_met: bool = False
    id: str | None = None

    def __post_init__(self) -> None:
        _require_identifier(self.identifier, "InclusionAssessment.identifier")
        require_ref(self.traject, "InclusionAssessment.traject")
        require_ref(self.patient, "InclusionAssessment.patient")
        require_ref(self.assessor, "InclusionAssessment.assessor")
        require_date(self.assessed_on, "InclusionAssessment.assessed_on")
        require_date(self.birth_date, "InclusionAssessment.birth_date")
        if self.birth_date > self.assessed_on:
            raise InvalidInput(
                "De geboortedatum ligt na de datum van de beoordeling.",
                field="InclusionAssessment.birth_date",
                code="birth-after-assessment",
            )
        require_code(c.VICTIM_CATEGORY, self.category, "InclusionAssessment.category")
        for i, code in enumerate(self.contra_indications):
            require_code(c.CONTRA_INDICATION, code, f"InclusionAssessment.contra_indications[{i}]")


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """A contact moment between buddy and youth (Encounter). Times are absolute (aware) datetimes."""

    identifier: str
    traject: str
    patient: str
    buddy: str
    start: datetime
    end: datetime
    contact_type: str
    present: tuple[str, ...] = ()  # references of the people present besides buddy and youth
    location: str | None = None
    status: str = "finished"
    missed_reason: str | None = None  # issue 14: set = did not take place ("cancelled"); counts for no norm
    cancelled_by: str | None = None  # who called it off
    network: str | None = None  # a contact with her network (intake, progress meeting): no norm either
    id: str | None = None

    def __post_init__(self) -> None:
        _require_identifier(self.identifier, "Contact.identifier")
        require_ref(self.traject, "Contact.traject")
        require_ref(self.patient, "Contact.patient")
        require_ref(self.buddy, "Contact.buddy")
        require_aware(self.start, "Contact.start")
        require_aware(self.end, "Contact.end")
        require_order(self.start, self.end, "Contact.end")
        require_max_duration(self.start, self.end, MAX_CONTACT_DURATION, "Contact.end")
        require_code(c.CONTACT_TYPE, self.contact_type, "Contact.contact_type")
        for i, ref in enumerate(self.present):
            require_ref(ref, f"Contact.present[{i}]")
        if self.location is not None:
            require_text(
                self.location, "Contact.location", max_chars=MAX_SHORT_TEXT_CHARS, what_nl="De plaats"
            )
        require_in(c.ENCOUNTER_STATUS, self.status, "Contact.status")
        require_contact_outcome(self.status, self.missed_reason, self.cancelled_by, self.network)

    @property
    def duration(self) -> timedelta:
        # Absolute time, so a contact across a DST change lasts what the clock on the wall did not show.
        return utc(self.end) - utc(self.start)


AUTHENTIC: Final = "app"
UNVERIFIED: Final = "unverified"
BROKEN: Final = "broken"


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """A buddy's contact journal entry or a coach's coaching journal entry (restricted Communication)."""

    identifier: str
    traject: str
    patient: str
    author: str
    kind: str
    written_at: datetime
    text: str = field(repr=False)  # never in logs or tracebacks
    contact: str | None = None
    id: str | None = None
    # Issue 12: "app" = sealed by the app for this author and time (verified on reading); "unverified" = not
    # written by the app (no seal: by hand, another app, or before the migration); "broken" = the seal does
    # not open (`broken_reason` is the code), and `text` is empty.
    authenticity: str = AUTHENTIC
    broken_reason: str | None = None

    @property
    def written_by_app(self) -> bool:
        return self.authenticity == AUTHENTIC

    def __post_init__(self) -> None:
        _require_identifier(self.identifier, "JournalEntry.identifier")
        require_ref(self.traject, "JournalEntry.traject")
        require_ref(self.patient, "JournalEntry.patient")
        require_ref(self.author, "JournalEntry.author")
        require_code(c.JOURNAL_KIND, self.kind, "JournalEntry.kind")
        require_aware(self.written_at, "JournalEntry.written_at")
        if self.authenticity not in (AUTHENTIC, UNVERIFIED, BROKEN):
            raise InvalidInput("Onbekende herkomst van het verslag.", field="JournalEntry.authenticity")
        if self.authenticity == BROKEN:
            return  # nothing could be opened: there is no text to check
        require_text(
            self.text, "JournalEntry.text", max_chars=MAX_JOURNAL_CHARS, what_nl="Het journaalverslag"
        )
        _require_opt_ref(self.contact, "JournalEntry.contact")


@dataclass(frozen=True, slots=True, kw_only=True)
class CareTeamMember:
    """A participant of the programme CareTeam.

    P-RESP: a buddy without SKJ registration needs a responsible professional (`responsible_professional`).
    """

    member: str
    role: str
    skj_number: str | None = None
    responsible_professional: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        require_ref(self.member, "CareTeamMember.member")
        require_code(c.CARETEAM_ROLE, self.role, "CareTeamMember.role")
        if self.skj_number is not None and not self.skj_number.strip():
            raise InvalidInput(
                "Het SKJ-nummer is leeg.", field="CareTeamMember.skj_number", code="empty-text"
            )
        _require_opt_ref(self.responsible_professional, "CareTeamMember.responsible_professional")
        _require_opt_aware(self.start, "CareTeamMember.start")
        _require_opt_aware(self.end, "CareTeamMember.end")
        if self.start is not None:
            require_order(self.start, self.end, "CareTeamMember.end")

    def active_at(self, moment: datetime) -> bool:
        at = utc(moment)
        return (self.start is None or utc(self.start) <= at) and (self.end is None or at < utc(self.end))


@dataclass(frozen=True, slots=True, kw_only=True)
class CareTeam:
    """The programme CareTeam of one youth."""

    identifier: str
    patient: str
    members: tuple[CareTeamMember, ...] = ()
    traject: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        _require_identifier(self.identifier, "CareTeam.identifier")
        require_ref(self.patient, "CareTeam.patient")
        _require_opt_ref(self.traject, "CareTeam.traject")

    def with_role(self, role: str, moment: datetime | None = None) -> tuple[CareTeamMember, ...]:
        return tuple(m for m in self.members if m.role == role and (moment is None or m.active_at(moment)))


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentGrant:
    """Participation consent (P-CONSENT) or a disclosure grant out of the journal (P-SHARE-CONSENT)."""

    identifier: str
    kind: str  # codes.CONSENT_PARTICIPATION | codes.CONSENT_DISCLOSURE
    patient: str
    granted_by: str
    recorded: datetime
    status: str = "active"
    start: datetime | None = None
    end: datetime | None = None
    entries: tuple[str, ...] = ()  # disclosure: the journal entries that may be shared
    recipient: str | None = None  # disclosure: with whom
    purpose: str | None = None  # disclosure: why, in the youth's own terms
    id: str | None = None
    recipient_name: str | None = None  # disclosure: her name; alone, an organisation by name (sharing.py)

    def __post_init__(self) -> None:
        _require_identifier(self.identifier, "ConsentGrant.identifier")
        require_in(c.CONSENT_KINDS, self.kind, "ConsentGrant.kind")
        require_ref(self.patient, "ConsentGrant.patient")
        require_ref(self.granted_by, "ConsentGrant.granted_by")
        require_aware(self.recorded, "ConsentGrant.recorded")
        require_in(c.CONSENT_STATUS, self.status, "ConsentGrant.status")
        _require_opt_aware(self.start, "ConsentGrant.start")
        _require_opt_aware(self.end, "ConsentGrant.end")
        if self.start is not None:
            require_order(self.start, self.end, "ConsentGrant.end")
        for i, ref in enumerate(self.entries):
            require_ref(ref, f"ConsentGrant.entries[{i}]")
        _require_opt_ref(self.recipient, "ConsentGrant.recipient")
        if self.purpose is not None:
            require_text(
                self.purpose, "ConsentGrant.purpose", max_chars=MAX_SHORT_TEXT_CHARS, what_nl="Het doel"
            )
        if self.kind == c.CONSENT_DISCLOSURE:
            # P-SHARE-CONSENT: what, with whom, why.
            if not self.entries:
                raise InvalidInput(
                    "Geef aan welke journaalverslagen gedeeld mogen worden.",
                    field="ConsentGrant.entries",
                    code="missing-value",
                )
            if self.recipient is None and self.recipient_name is None:
                raise InvalidInput(
                    "Geef aan met wie de informatie gedeeld mag worden.",
                    field="ConsentGrant.recipient",
                    code="missing-value",
                )
            if self.purpose is None:
                raise InvalidInput(
                    "Geef aan waarom de informatie gedeeld wordt.",
                    field="ConsentGrant.purpose",
                    code="missing-value",
                )

    def in_force_at(self, moment: datetime) -> bool:
        return (
            self.status == "active"
            and (self.start is None or utc(self.start) <= utc(moment))
            and (self.end is None or utc(moment) < utc(self.end))
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """A to-do for a person in the programme (waiting list, 18th-birthday talk, coach contact, ...)."""

    identifier: str
    kind: str
    status: str = "requested"
    due: date | None = None
    owner: str | None = None
    focus: str | None = None  # usually the traject
    patient: str | None = None
    authored: datetime | None = None
    outcome: str | None = None  # P-18 talk, P-INTRO-OUTCOME decision: a code of codes.TASK_OUTCOMES[kind]
    id: str | None = None

    def __post_init__(self) -> None:
        _require_identifier(self.identifier, "Task.identifier")
        if self.outcome is not None:
            require_code(c.TASK_OUTCOMES.get(self.kind, c.EIGHTEEN_OUTCOME), self.outcome, "Task.outcome")
        require_code(c.TASK_KIND, self.kind, "Task.kind")
        require_in(c.TASK_STATUS, self.status, "Task.status")
        if self.due is not None:
            require_date(self.due, "Task.due")
        _require_opt_ref(self.owner, "Task.owner")
        _require_opt_ref(self.focus, "Task.focus")
        _require_opt_ref(self.patient, "Task.patient")
        _require_opt_aware(self.authored, "Task.authored")
