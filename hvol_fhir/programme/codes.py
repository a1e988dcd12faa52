"""The programme's codes, as seen by the domain.

This is the only module of `hvol_fhir.programme` that names code values. The domain validates codes through
a `Codes` lookup (a CodeSystem id and a code in, yes/no out). The default lookup holds the codes pinned in
docs/sandbox-contract.md plus those of the other programme CodeSystems; `mappings/CodeSystem-*.json` stays
the source of truth: tests/unit/programme/test_codes.py fails when the two differ, and
`hvol_fhir.terminology.install()` replaces the default by a lookup read from mappings/ at startup.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final, Protocol

# CodeSystem ids (canonical: https://hvol-fhir.org/fhir/CodeSystem/<id>).
CARETEAM_ROLE: Final = "careteam-role"
TRAJECT_PHASE: Final = "traject-phase"
CONTACT_TYPE: Final = "contact-type"
JOURNAL_KIND: Final = "journal-kind"
VICTIM_CATEGORY: Final = "victim-category"
CONTRA_INDICATION: Final = "contra-indication"
INTRODUCTION_OUTCOME: Final = "introduction-outcome"
CLOSURE_REASON: Final = "closure-reason"
TASK_KIND: Final = "task-kind"
AVAILABILITY_CHANNEL: Final = "availability-channel"
PAUSE_REASON: Final = "pause-reason"
ESCALATION_KIND: Final = "escalation-kind"
OUTREACH_AUDIENCE: Final = "outreach-audience"
MISSED_REASON: Final = "missed-reason"
CONTACT_PARTY: Final = "contact-party"
NETWORK_CONTACT: Final = "network-contact"
EIGHTEEN_OUTCOME: Final = "eighteen-outcome"  # P-18: the talk's outcome
INTRO_TOPIC: Final = "intro-topic"  # guide §5.1: the introduction's checklist

# Pinned in docs/sandbox-contract.md: everybody depends on these.
ROLE_BUDDY: Final = "buddy"
ROLE_COACH: Final = "coach"
ROLE_COORDINATOR: Final = "coordinator"
ROLE_BEHAVIOURAL_SCIENTIST: Final = "behavioural-scientist"
ROLE_MENTOR: Final = "mentor"

PHASE_PREPARATION: Final = "preparation"
PHASE_INCLUSION: Final = "inclusion"
PHASE_INTRODUCTION: Final = "introduction"
PHASE_CONTACT_PERIOD: Final = "contact-period"
PHASE_CLOSURE: Final = "closure"

CONTACT_FACE_TO_FACE: Final = "face-to-face"
CONTACT_VIDEO: Final = "video"
CONTACT_PHONE: Final = "phone"
CONTACT_MESSAGING: Final = "messaging"
CONTACT_EMAIL: Final = "email"

JOURNAL_BUDDY: Final = "buddy-journal"
JOURNAL_COACHING: Final = "coaching-journal"

# Defined in mappings/ (checked by test_codes.py).
OUTCOME_CONTINUE: Final = "continue"
OUTCOME_OTHER_BUDDY: Final = "other-buddy"
OUTCOME_STOP: Final = "stop"

TASK_WAITING_LIST: Final = "waiting-list"
TASK_BIRTHDAY_18: Final = "birthday-18-talk"
TASK_COACH_CONTACT: Final = "coach-contact"
TASK_GROUP_PRESENTATION: Final = "group-presentation"
TASK_ALIGNMENT_MEETING: Final = "alignment-meeting"
TASK_ITEM_ACKNOWLEDGED: Final = "item-acknowledged"  # a coordinator saw an open item (issue 15)
TASK_INFORM_COACH: Final = "inform-coach"  # issue 14: start from the waiting list, the buddy tells her coach
TASK_OUTFLOW_CONSENT: Final = "outflow-consent"  # P-OUTFLOW: ask her before introducing at the next place
TASK_INTRO_DECISION: Final = "intro-decision"  # P-INTRO-OUTCOME: the buddy reports, the coordinator confirms
TASK_INTRO_TOPIC: Final = "intro-topic"  # guide §5.1: one topic of the introduction covered

# Issue 14: a pause (missing or ran away, admitted elsewhere, other), a non-phase CarePlan activity.
ACTIVITY_PAUSE: Final = "pause"
ACTIVITY_OUTFLOW: Final = "outflow"  # P-OUTFLOW: date and destination of the move (destination sealed)
PAUSE_MISSING: Final = "missing"
PAUSE_ADMISSION: Final = "admission"
PAUSE_OTHER: Final = "other"
TASK_ESCALATION: Final = "escalation"
TASK_PROFESSIONAL_PRESENTATION: Final = "professional-presentation"
TASK_INFORMATION_LETTER: Final = "information-letter"

# Guide §4.1: who a presentation or an information letter is for.
AUDIENCE_GROUP: Final = "group"
AUDIENCE_PROFESSIONALS: Final = "professionals"
AUDIENCE_PARENTS: Final = "parents"
AUDIENCE_GUARDIANS: Final = "guardians"
AUDIENCE_MUNICIPALITY: Final = "municipality"

# Issue 14: a planned contact that did not take place, why, and who cancelled it.
MISSED_NO_SHOW: Final = "no-show"
MISSED_CANCELLED: Final = "cancelled"
MISSED_WITH_LEAVE: Final = "absent-with-leave"
MISSED_WITHOUT_LEAVE: Final = "absent-without-leave"

# P-POLICE, P-SAFETY, P-DANGER (consult first), opschalen (guide §2.3, §4.8).
ESCALATION_POLICE: Final = "police"
ESCALATION_OWN_SAFETY: Final = "own-safety"
ESCALATION_DANGER_CONSULTATION: Final = "danger-consultation"
ESCALATION_CONCERN: Final = "concern"
EIGHTEEN_CONTINUE: Final = "continue-other-financing"
EIGHTEEN_CLOSE: Final = "close-at-18"
# Which CodeSystem a task's outcome (Task.output) comes from, per task kind (issue 14).
TASK_OUTCOMES: Final = {
    TASK_BIRTHDAY_18: EIGHTEEN_OUTCOME,
    TASK_INTRO_DECISION: INTRODUCTION_OUTCOME,
    TASK_INTRO_TOPIC: INTRO_TOPIC,
}

PROGRAMME_CODES: Final[Mapping[str, frozenset[str]]] = {
    CARETEAM_ROLE: frozenset(
        {ROLE_BUDDY, ROLE_COACH, ROLE_COORDINATOR, ROLE_BEHAVIOURAL_SCIENTIST, ROLE_MENTOR}
    ),
    TRAJECT_PHASE: frozenset(
        {PHASE_PREPARATION, PHASE_INCLUSION, PHASE_INTRODUCTION, PHASE_CONTACT_PERIOD, PHASE_CLOSURE}
    ),
    CONTACT_TYPE: frozenset(
        {CONTACT_FACE_TO_FACE, CONTACT_VIDEO, CONTACT_PHONE, CONTACT_MESSAGING, CONTACT_EMAIL}
    ),
    JOURNAL_KIND: frozenset({JOURNAL_BUDDY, JOURNAL_COACHING}),
    # P-CAT: juridisch, feitelijk, vermoedelijk, potentieel.
    VICTIM_CATEGORY: frozenset({"legal", "factual", "suspected", "potential"}),
    # P-CONTRA.
    CONTRA_INDICATION: frozenset({"addiction", "unwilling-to-stop-drugs", "psychiatric"}),
    INTRODUCTION_OUTCOME: frozenset({OUTCOME_CONTINUE, OUTCOME_OTHER_BUDDY, OUTCOME_STOP}),
    # P-CLOSE-REASON: buddy side, youth side, abrupt ends.
    CLOSURE_REASON: frozenset(
        {
            "buddy-danger",
            "buddy-retraumatisation",
            "buddy-repeated-confrontations",
            "buddy-no-click",
            "buddy-trust-broken",
            "buddy-private-circumstances",
            "youth-no-click",
            "youth-no-longer-needed",
            "abrupt-ran-away",
            "abrupt-faded",
        }
    ),
    TASK_KIND: frozenset(
        {
            TASK_WAITING_LIST,
            TASK_BIRTHDAY_18,
            TASK_COACH_CONTACT,
            TASK_GROUP_PRESENTATION,
            TASK_ALIGNMENT_MEETING,
            TASK_ITEM_ACKNOWLEDGED,
            TASK_INFORM_COACH,
            TASK_OUTFLOW_CONSENT,
            TASK_ESCALATION,
            TASK_PROFESSIONAL_PRESENTATION,
            TASK_INFORMATION_LETTER,
            TASK_INTRO_DECISION,
            TASK_INTRO_TOPIC,
        }
    ),
    PAUSE_REASON: frozenset({PAUSE_MISSING, PAUSE_ADMISSION, PAUSE_OTHER}),
    EIGHTEEN_OUTCOME: frozenset({EIGHTEEN_CONTINUE, EIGHTEEN_CLOSE}),
    INTRO_TOPIC: frozenset(
        {"who-buddy", "who-youth", "confidentiality", "journal", "coaching", "availability"}
    ),
    AVAILABILITY_CHANNEL: frozenset({"phone", "whatsapp", "email"}),
    ESCALATION_KIND: frozenset(
        {ESCALATION_POLICE, ESCALATION_OWN_SAFETY, ESCALATION_DANGER_CONSULTATION, ESCALATION_CONCERN}
    ),
    OUTREACH_AUDIENCE: frozenset(
        {AUDIENCE_GROUP, AUDIENCE_PROFESSIONALS, AUDIENCE_PARENTS, AUDIENCE_GUARDIANS, AUDIENCE_MUNICIPALITY}
    ),
    MISSED_REASON: frozenset({MISSED_NO_SHOW, MISSED_CANCELLED, MISSED_WITH_LEAVE, MISSED_WITHOUT_LEAVE}),
    CONTACT_PARTY: frozenset({"youth", "buddy", "group", "other"}),
    NETWORK_CONTACT: frozenset({"intake", "progress-meeting", "other"}),
}

# FHIR R4 core value sets the domain uses for statuses (required bindings, not programme codes).
CAREPLAN_STATUS: Final = frozenset(
    {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
)
ACTIVITY_STATUS: Final = frozenset(
    {
        "not-started",
        "scheduled",
        "in-progress",
        "on-hold",
        "completed",
        "cancelled",
        "stopped",
        "unknown",
        "entered-in-error",
    }
)
ENCOUNTER_STATUS: Final = frozenset(
    {
        "planned",
        "arrived",
        "triaged",
        "in-progress",
        "onleave",
        "finished",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
CONSENT_STATUS: Final = frozenset({"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"})
TASK_STATUS: Final = frozenset(
    {
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "ready",
        "cancelled",
        "in-progress",
        "on-hold",
        "failed",
        "completed",
        "entered-in-error",
    }
)
# Consent kinds are two profiles (hvol-participation-consent, hvol-disclosure-consent), not a CodeSystem.
CONSENT_PARTICIPATION: Final = "participation"
CONSENT_DISCLOSURE: Final = "disclosure"
CONSENT_KINDS: Final = frozenset({CONSENT_PARTICIPATION, CONSENT_DISCLOSURE})


class Codes(Protocol):
    """A terminology lookup: is `code` defined in the programme CodeSystem `system` (an id, not a URL)?"""

    def contains(self, system: str, code: str) -> bool: ...


class StaticCodes:
    """A `Codes` lookup over an in-memory table."""

    def __init__(self, table: Mapping[str, frozenset[str]]) -> None:
        self._table = dict(table)

    def contains(self, system: str, code: str) -> bool:
        return code in self._table.get(system, frozenset())


DEFAULT_CODES: Final = StaticCodes(PROGRAMME_CODES)

# The process-wide lookup (set once at startup) and a per-context override (tests, one request). A global
# rather than only a ContextVar: threads start with an empty context and would not see what startup set.
_installed: list[Codes] = [DEFAULT_CODES]
_override: ContextVar[Codes | None] = ContextVar("hvol_codes_override", default=None)


def current_codes() -> Codes:
    """The lookup the dataclasses validate against."""
    return _override.get() or _installed[0]


def install_codes(codes: Codes) -> None:
    """Make `codes` the lookup of the whole process (call once at startup, e.g. `terminology.install()`)."""
    _installed[0] = codes


@contextmanager
def use_codes(codes: Codes) -> Iterator[Codes]:
    """Validate against `codes` inside the block only (tests, a provider's own terminology)."""
    token = _override.set(codes)
    try:
        yield codes
    finally:
        _override.reset(token)
