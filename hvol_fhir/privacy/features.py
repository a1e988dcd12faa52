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
from hvol_fhir.smart.scopes import Feature, Permission

STAFF: Final = "staff"  # everybody without a programme role on this youth

FEATURES: Mapping[str, Feature] = {
    f.name: f
    for f in (
        Feature(
            "identity",
            "Herkennen van uw rol in het programma",
            (Permission("user", "Practitioner", "r"), Permission("user", "PractitionerRole", "rs")),
            identity=True,
        ),
        Feature("youth", "Naam en leeftijd van de jongere", (Permission("patient", "Patient", "r"),)),
        Feature(
            "programme-card",
            "Programmakaart (fase, buddy, contactdata)",
            (
                Permission("patient", "CarePlan", "rs"),
                Permission("patient", "CareTeam", "rs"),
                Permission("patient", "Encounter", "rs"),
            ),
        ),
        Feature("contacts", "Contactmomenten vastleggen", (Permission("patient", "Encounter", "crus"),)),
        Feature(
            "journal",
            "Dagboek lezen en schrijven",
            (Permission("patient", "Communication", "crus"), Permission("patient", "AuditEvent", "c")),
        ),
        Feature(
            "measurements",
            "Metingen",
            (
                Permission("patient", "QuestionnaireResponse", "crus"),
                Permission("user", "Questionnaire", "rs"),
            ),
        ),
        Feature(
            "measurement-report",
            "Rapportage van de metingen (alle trajecten)",
            (Permission("user", "CarePlan", "rs"), Permission("user", "QuestionnaireResponse", "rs")),
        ),
        Feature(
            "traject",
            "Traject beheren (fasen, team)",
            (Permission("patient", "CarePlan", "crus"), Permission("patient", "CareTeam", "crus")),
        ),
        Feature("consent", "Toestemmingen beheren", (Permission("patient", "Consent", "crus"),)),
        # P-AVAIL: the buddy's availability agreement is an activity of the traject's CarePlan.
        Feature("availability", "Bereikbaarheid afspreken", (Permission("patient", "CarePlan", "rus"),)),
        Feature("waitinglist", "Wachtlijst en herinneringen", (Permission("user", "Task", "crus"),)),
        Feature("journal-audit", "Inzage in dagboektoegang", (Permission("patient", "AuditEvent", "rs"),)),
        # The traject's EpisodeOfCare (contacts point at it) and the inclusion Observation.
        Feature(
            "programme-links",
            "Koppeling van contacten en inclusie aan het traject",
            (Permission("patient", "EpisodeOfCare", "crus"), Permission("patient", "Observation", "crus")),
        ),
        # P-COACH-AFTER: the buddy records that she spoke with her coach as a Task of the youth. Task is in
        # the youth's compartment (Task.for), so a patient-level scope never reaches another youth's tasks.
        Feature(
            "coach-followup",
            "Coachcontact na een contactmoment vastleggen",
            (Permission("patient", "Task", "crus"),),
        ),
        Feature(
            "coach-followup-list",
            "Contacten zonder coachcontact volgen",
            (Permission("patient", "Task", "rs"),),
        ),
        # P-POLICE, P-SAFETY, P-DANGER, opschalen: an escalation is a Task of the youth; the coach handles it,
        # the behavioural scientist reads the ones she was involved in.
        Feature("escalations", "Escalaties melden en afhandelen", (Permission("patient", "Task", "crus"),)),
        Feature(
            "escalations-read",
            "Escalaties lezen waarbij u betrokken bent",
            (Permission("patient", "Task", "rs"),),
        ),
        # The coordinator's overview of all trajects: user-level reads (a patient-level token is confined to
        # the launched youth).
        Feature(
            "cohort",
            "Overzicht van alle trajecten",
            (
                Permission("user", "CarePlan", "rs"),
                Permission("user", "CareTeam", "rs"),
                Permission("user", "Encounter", "rs"),
                Permission("user", "Patient", "rs"),
                Permission("user", "AuditEvent", "rs"),
            ),
        ),
    )
}

# What regular staff and the mentor get (P-MENTOR: told *that* a contact happens, never its content).
CARD_FEATURES: Final[tuple[str, ...]] = ("identity", "youth", "programme-card")

# The narrowest set per programme role (careteam-role codes of docs/sandbox-contract.md, plus "staff").
ROLE_FEATURES: Mapping[str, tuple[str, ...]] = {
    STAFF: CARD_FEATURES,
    c.ROLE_MENTOR: CARD_FEATURES,
    c.ROLE_BUDDY: (
        *CARD_FEATURES,
        "contacts",
        "journal",
        "measurements",
        "coach-followup",
        "availability",
        "escalations",
    ),
    c.ROLE_COACH: (
        *CARD_FEATURES,
        "contacts",
        "journal",
        "measurements",
        "coach-followup-list",
        "escalations",
    ),
    c.ROLE_BEHAVIOURAL_SCIENTIST: (
        *CARD_FEATURES,
        "traject",
        "measurements",
        "programme-links",
        "measurement-report",
        "escalations-read",
    ),
    c.ROLE_COORDINATOR: (
        *CARD_FEATURES,
        "contacts",
        "journal",
        "measurements",
        "traject",
        "consent",
        "waitinglist",
        "journal-audit",
        "programme-links",
        "coach-followup",
        "cohort",
        "measurement-report",
        "escalations",
    ),
}
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
UNION_FEATURES: Final[tuple[str, ...]] = tuple(dict.fromkeys(f for r in PRECEDENCE for f in ROLE_FEATURES[r]))
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
