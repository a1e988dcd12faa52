"""The programme's role policy, part 1: what each role may use of the app (features), in Dutch.

A feature is a part of the app with the SMART permissions it needs (``hvol_fhir.smart.scopes`` knows only
the syntax); a role asks for the union of its features' permissions and nothing more (least privilege,
smart-launch.md R46), and the buddy sees nothing of the record beyond the programme's own resources and the
youth's name and age (P-ASSESS). Regular staff and the mentor get the programme card only (P-MENTOR): that
rule is :data:`CARD_FEATURES` here and :func:`card_only` below, nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules import escalation
from hvol_fhir.smart.errors import ScopeSyntaxError
from hvol_fhir.smart.scopes import Feature, as_permission, parse_resource_scope

STAFF: Final = "staff"  # everybody without a programme role on this youth


# One line per feature: name | Dutch label shown to users | the SMART v2 scopes it needs (the form a reader of
# the EHR's app registration recognises). "identity" also needs openid + fhirUser (who the user is).
_TABLE: Final = """
identity            | Herkennen van uw rol in het programma | user/Practitioner.r user/PractitionerRole.rs
youth               | Naam en leeftijd van de jongere | patient/Patient.r
programme-card      | Programmakaart (fase, buddy, contactdata) | patient/CarePlan.rs patient/CareTeam.rs patient/Encounter.rs
contacts            | Contactmomenten vastleggen | patient/Encounter.crus
journal             | Contactjournaal lezen en schrijven | patient/Communication.crus patient/AuditEvent.c
measurements        | Metingen | patient/QuestionnaireResponse.crus user/Questionnaire.rs
measurement-report  | Rapportage van de metingen (alle trajecten) | user/CarePlan.rs user/QuestionnaireResponse.rs
traject             | Traject beheren (fasen, team) | patient/CarePlan.crus patient/CareTeam.crus
# Issue 14: below 16 a parent or guardian consents too; the RelatedPerson is made in the same save.
consent             | Toestemmingen beheren | patient/Consent.crus patient/RelatedPerson.crs
# P-AVAIL: the buddy's availability agreement is an activity of the traject's CarePlan.
availability        | Bereikbaarheid afspreken | patient/CarePlan.rus
waitinglist         | Wachtlijst en herinneringen | user/Task.crus
journal-audit       | Inzage in wie het contactjournaal opende | patient/AuditEvent.rs
# The traject's EpisodeOfCare (contacts point at it) and the inclusion Observation.
programme-links     | Koppeling van contacten en inclusie aan het traject | patient/EpisodeOfCare.crus patient/Observation.crus
# P-COACH-AFTER: the buddy records that she spoke with her coach as a Task of the youth. Task is in the
# youth's compartment (Task.for), so a patient-level scope never reaches another youth's tasks.
coach-followup      | Coachcontact na een contactmoment vastleggen | patient/Task.crus
coach-followup-list | Contacten zonder coachcontact volgen | patient/Task.rs
# P-POLICE, P-SAFETY, P-DANGER, opschalen: an escalation is a Task of the youth; the coach handles it, the
# behavioural scientist reads the ones she was involved in (issue 15: each read leaves an AuditEvent).
escalations         | Escalaties melden en afhandelen | patient/Task.crus
escalations-read    | Escalaties lezen waarbij u betrokken bent | patient/Task.rs patient/AuditEvent.c
# The coordinator's overview of all trajects: user-level reads (a patient-level token is confined to the
# launched youth).
cohort              | Overzicht van alle trajecten | user/CarePlan.rs user/CareTeam.rs user/Encounter.rs user/Patient.rs user/AuditEvent.rs
# Issue 15: the coordinator opens any girl's traject from the overview and her start page. The reads of a
# traject's pages beyond the overview's, and the AuditEvent of a journal read; writing stays patient-level.
cohort-trajects     | Trajecten van alle jongeren openen | user/Communication.rs user/EpisodeOfCare.rs user/Observation.rs user/Consent.rs user/RelatedPerson.rs user/AuditEvent.c
# Issue 15: a launch without a patient gives the buddy or coach her caseload: user-level reads that the EHR
# confines to the girls of her own teams (sandbox: claim hvol_caseload). Read-only but for the journal read's
# AuditEvent: a contact or entry is written from a launch for that girl, where the EHR's patient context and
# the server's compartment check hold for the write (see README, "Caseload").
caseload            | Uw jongeren (caseload) | user/Patient.rs user/CarePlan.rs user/CareTeam.rs user/Encounter.rs user/Task.rs
caseload-journal    | Contactjournaal van uw jongeren lezen | user/Communication.rs user/AuditEvent.c
caseload-measurements | Metingen van uw jongeren | user/QuestionnaireResponse.rs user/Questionnaire.rs
"""  # noqa: E501 - a table reads best one feature a line


def _feature(line: str) -> Feature:
    name, label, needs = (part.strip() for part in line.split("|"))
    perms = []
    for scope in needs.split():
        parsed = parse_resource_scope(scope)
        if parsed is None:
            raise ScopeSyntaxError(f"feature {name!r}: not a resource scope {scope!r}")
        perms.append(as_permission(parsed))
    return Feature(name, label, tuple(perms), identity=name == "identity")


FEATURES: Mapping[str, Feature] = {
    f.name: f for f in (_feature(line) for line in _TABLE.strip().splitlines() if not line.startswith("#"))
}

# What regular staff and the mentor get (P-MENTOR: told *that* a contact happens, never its content).
CARD_FEATURES: Final[tuple[str, ...]] = ("identity", "youth", "programme-card")

# The narrowest set per programme role (careteam-role codes of docs/sandbox-contract.md, plus "staff").
ROLE_FEATURES: Mapping[str, tuple[str, ...]] = {
    STAFF: CARD_FEATURES,
    c.ROLE_MENTOR: CARD_FEATURES,
    c.ROLE_BUDDY: (
        *CARD_FEATURES,
        *"contacts journal measurements coach-followup availability escalations".split(),
    ),
    c.ROLE_COACH: (*CARD_FEATURES, *"contacts journal measurements coach-followup-list escalations".split()),
    c.ROLE_BEHAVIOURAL_SCIENTIST: (
        *CARD_FEATURES,
        *"traject measurements programme-links measurement-report escalations-read".split(),
    ),
    c.ROLE_COORDINATOR: (
        *CARD_FEATURES,
        *"contacts journal measurements traject consent waitinglist journal-audit programme-links".split(),
        *"coach-followup cohort cohort-trajects measurement-report escalations".split(),
    ),
}
# Issue 15: a buddy's or coach's launch without a patient (her caseload across girls).
CASELOAD_FEATURES: Final[tuple[str, ...]] = (
    "identity",
    "caseload",
    "caseload-journal",
    "caseload-measurements",
)
CASELOAD_ROLES: Final = frozenset({c.ROLE_BUDDY, c.ROLE_COACH})
# What each role may do on the pages, beyond the data its features read: one table, so that views and
# templates ask ``RolePolicy.may("...")`` and never compare role codes (issue 16).
_PROGRAMME_TEAM: Final = frozenset({c.ROLE_BUDDY, c.ROLE_COACH, c.ROLE_COORDINATOR})
PAGE_ACTIONS: Final[Mapping[str, frozenset[str]]] = {
    "start-page": _PROGRAMME_TEAM,
    "availability": _PROGRAMME_TEAM,
    "escalations": _PROGRAMME_TEAM | {c.ROLE_BEHAVIOURAL_SCIENTIST},
    "raise-escalation": escalation.RAISERS,  # the programme rule decides; the table names it once
    "handle-escalation": escalation.HANDLERS,
    "programme-overview": frozenset({c.ROLE_COORDINATOR}),
    "outreach": frozenset({c.ROLE_COORDINATOR}),
    "see-pause-reason": frozenset({c.ROLE_COORDINATOR}),
    "eighteen-talk": frozenset({c.ROLE_BUDDY, c.ROLE_COORDINATOR}),
    "intro-decision": frozenset({c.ROLE_BUDDY, c.ROLE_COORDINATOR}),
    "report-intro-decision": frozenset({c.ROLE_BUDDY}),
    "confirm-intro-decision": frozenset({c.ROLE_COORDINATOR}),
    "tick-intro-topics": frozenset({c.ROLE_BUDDY}),
    "finish-planned-contact": frozenset({c.ROLE_BUDDY}),
    "consult-before-danger": frozenset({c.ROLE_BUDDY}),
    "edit-availability": frozenset({c.ROLE_BUDDY}),
    "writing-help": frozenset({c.ROLE_BUDDY, c.ROLE_COACH}),
    "coaching-journal-link": frozenset({c.ROLE_COACH}),
    "see-seal-reasons": frozenset({c.ROLE_COORDINATOR}),
    # P-SHARE-CONSENT (issue 14): the traject page lists the youth's shares and the coordinator withdraws one
    # at her request; only her token reads Consents (the buddy's job at the EHR has no Consent scopes).
    "see-shares": frozenset({c.ROLE_COORDINATOR}),
    "withdraw-share": frozenset({c.ROLE_COORDINATOR}),
    # Roles whose token may search the youth's Tasks (coach follow-ups P-COACH-AFTER, measurement tasks).
    "read-tasks": _PROGRAMME_TEAM,
}


def may(role: str, action: str) -> bool:
    """Whether ``role`` may take a page action; an unknown action is an error, never a silent no."""
    return role in PAGE_ACTIONS[action]


# Most significant first: a user with two roles on one team gets the wider one.
PRECEDENCE: Final[tuple[str, ...]] = (
    c.ROLE_COORDINATOR,
    c.ROLE_BUDDY,
    c.ROLE_COACH,
    c.ROLE_BEHAVIOURAL_SCIENTIST,
    c.ROLE_MENTOR,
    STAFF,
)
# What the first authorization request asks for: every role's features (role discovery is part of them),
# because the EHR launch names no user until the code exchange (see hvol_fhir.smart.launch, narrowing).
UNION_FEATURES: Final[tuple[str, ...]] = tuple(
    dict.fromkeys([*(f for r in PRECEDENCE for f in ROLE_FEATURES[r]), *CASELOAD_FEATURES])
)
ROLE_LABELS: Mapping[str, str] = {
    c.ROLE_COORDINATOR: "Coördinator",
    c.ROLE_BUDDY: "Ervaringsmaatje",
    c.ROLE_COACH: "Coach",
    c.ROLE_BEHAVIOURAL_SCIENTIST: "Gedragswetenschapper",
    c.ROLE_MENTOR: "Jeugdzorgwerker / mentor",
    STAFF: "Medewerker (geen rol in het programma)",
}


def features_of(role: str) -> tuple[str, ...]:
    """The role's features; an unknown role gets what regular staff get."""
    return ROLE_FEATURES.get(role, CARD_FEATURES)


def launch_features(role: str, *, with_patient: bool) -> tuple[str, ...]:
    """What a launch asks for once the role is known: the role's own set, or, for a buddy or coach launched
    without a patient, her caseload's read-only set (a patient/ scope means nothing without a patient)."""
    if not with_patient and role in CASELOAD_ROLES:
        return CASELOAD_FEATURES
    return features_of(role)


def card_only(role: str) -> bool:
    """P-MENTOR: the role sees the programme card (phase, buddy, contact dates and types) and nothing more."""
    return set(features_of(role)) <= set(CARD_FEATURES)


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, ROLE_LABELS[STAFF])


def named(names: Iterable[str]) -> tuple[Feature, ...]:
    """The features called ``names``, in that order; names the table does not know are left out."""
    return tuple(FEATURES[n] for n in dict.fromkeys(names) if n in FEATURES)


def feature_labels(names: Iterable[str]) -> list[str]:
    return [f.label for f in named(names)]


def disabled_message(disabled: Iterable[str]) -> str | None:
    """The Dutch notice for features switched off by a narrower grant; ``None`` when nothing is off."""
    labels = feature_labels(disabled)
    if not labels:
        return None
    return (
        "Het dossier heeft de app minder rechten gegeven dan nodig. Deze onderdelen staan daarom uit: "
        f"{', '.join(labels)}. Vraag de beheerder van het dossiersysteem om deze rechten voor de app."
    )
