"""The gates before an introduction starts (issue 14; domain.md "Inclusion", guide §2.1 and §4.2).

An introduction with a buddy starts only when all of these hold:

- P-ASSESS: a behavioural scientist (not the coordinator) recorded that the criteria are met, on a real
  date that is not in the future (a future date would move the age test);
- P-AGE: the girl is 12 to 17 on that assessment date; P-CONTRA: no contra-indication;
- P-CONSENT: her own consent is recorded, and for a girl under 16 also a parent's or guardian's (Dutch youth
  care: below 16 the parents decide with her);
- P-WAIT: she is on the waiting list (the open waiting-list Task).

Every refusal says in Dutch what is missing and who can supply it. The shell gathers the evidence (which
assessment, whose consents, which tasks); the decision is this pure function.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from hvol_fhir.errors import InvalidInput, RuleViolation
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import BLOCK, Alert
from hvol_fhir.programme.clock import age_on, local_date
from hvol_fhir.programme.model import ConsentGrant, InclusionAssessment, Task
from hvol_fhir.programme.rules.common import check_now
from hvol_fhir.programme.rules.inclusion import check_age, check_contra_indications

# Below this age a parent or guardian consents as well (WGBO / Jeugdwet: 12-15 decide together).
PARENT_CONSENT_BELOW: Final = 16
OPEN_TASK: Final = frozenset({"draft", "requested", "received", "accepted", "ready", "in-progress"})


@dataclass(frozen=True, slots=True, kw_only=True)
class StartEvidence:
    """What the EHR holds about a girl's inclusion, as the coordinator's app read it."""

    assessment: InclusionAssessment | None  # the latest one
    assessor_is_behavioural_scientist: bool  # the assessor holds a signed behavioural-scientist role
    birth_date: date | None
    consents: tuple[ConsentGrant, ...] = ()
    tasks: tuple[Task, ...] = ()


def require_assessment_date(assessed_on: date, now: datetime) -> None:
    """An assessment date in the future is refused before anything is stored (it would move P-AGE)."""
    check_now(now)
    if assessed_on > local_date(now):
        raise InvalidInput(
            "De datum van de beoordeling ligt in de toekomst. Vul de dag in waarop u de jongere beoordeelde.",
            field="date",
            code="date-in-future",
        )


def assessment_blocks(assessment: InclusionAssessment) -> list[Alert]:
    """What keeps an assessment from saying "criteria met" (P-AGE, P-CONTRA): stored as not met, then."""
    return [
        *check_age(assessment.birth_date, assessment.assessed_on, subject=assessment.traject),
        *check_contra_indications(assessment),
    ]


def needs_parent_consent(birth_date: date, on: date) -> bool:
    return age_on(birth_date, on) < PARENT_CONSENT_BELOW


def participation_consents(consents: Iterable[ConsentGrant], at: datetime) -> tuple[bool, bool]:
    """(her own consent in force, a parent's or guardian's in force) at ``at``."""
    own = parent = False
    for grant in consents:
        if grant.kind != c.CONSENT_PARTICIPATION or not grant.in_force_at(at):
            continue
        if grant.granted_by == grant.patient:
            own = True
        elif grant.granted_by.startswith("RelatedPerson/"):
            parent = True
    return own, parent


def waiting_list_task(tasks: Iterable[Task]) -> Task | None:
    """The open waiting-list Task (P-WAIT), if any."""
    return next((t for t in tasks if t.kind == c.TASK_WAITING_LIST and t.status in OPEN_TASK), None)


def _block(rule_id: str, message: str) -> Alert:
    return Alert(rule_id=rule_id, severity=BLOCK, message_nl=message)


def _assessment_gate(evidence: StartEvidence, now: datetime) -> list[Alert]:
    a = evidence.assessment
    if a is None:
        return [
            _block("P-ASSESS", "Er is nog geen inclusiebeoordeling. De gedragswetenschapper legt die vast.")
        ]
    if not evidence.assessor_is_behavioural_scientist:
        return [
            _block(
                "P-ASSESS",
                "De inclusiebeoordeling is niet door een gedragswetenschapper vastgelegd. "
                "Vraag de gedragswetenschapper van het team om de beoordeling.",
            )
        ]
    if a.assessed_on > local_date(now):
        return [
            _block(
                "P-ASSESS",
                "De datum van de inclusiebeoordeling ligt in de toekomst. "
                "De gedragswetenschapper legt de beoordeling opnieuw vast met de juiste datum.",
            )
        ]
    blocks = assessment_blocks(a)
    if not blocks and not a.criteria_met:
        blocks.append(
            _block(
                "P-ASSESS",
                "De gedragswetenschapper heeft niet vastgesteld dat de jongere aan de inclusiecriteria "
                "voldoet. Alleen de gedragswetenschapper kan dat oordeel geven.",
            )
        )
    return blocks


def check_start(evidence: StartEvidence, now: datetime) -> list[Alert]:
    """Every gate that is still closed before an introduction may start; empty when it may start."""
    check_now(now)
    missing = _assessment_gate(evidence, now)
    own, parent = participation_consents(evidence.consents, now)
    if not own:
        missing.append(
            _block(
                "P-CONSENT",
                "De toestemming van de jongere is nog niet vastgelegd. De coördinator legt die vast.",
            )
        )
    if evidence.birth_date is None:
        missing.append(
            _block(
                "P-AGE",
                "De geboortedatum van de jongere ontbreekt in het dossier. "
                "Vraag de administratie die aan te vullen.",
            )
        )
    elif needs_parent_consent(evidence.birth_date, local_date(now)) and not parent:
        missing.append(
            _block(
                "P-CONSENT",
                "De jongere is jonger dan 16 jaar: ook een ouder of voogd moet toestemming geven. "
                "De coördinator legt die toestemming vast.",
            )
        )
    if waiting_list_task(evidence.tasks) is None:
        missing.append(
            _block(
                "P-WAIT",
                "De jongere staat niet op de wachtlijst. De coördinator zet haar op de wachtlijst "
                "als de beoordeling en de toestemming er zijn.",
            )
        )
    return missing


def check_waiting_list(evidence: StartEvidence, now: datetime) -> list[Alert]:
    """P-CONSENT before P-WAIT: the gates that must be open before she goes on the waiting list."""
    return [a for a in check_start(evidence, now) if a.rule_id != "P-WAIT"]


def latest(assessments: Iterable[InclusionAssessment]) -> InclusionAssessment | None:
    """The assessment of the latest date; of two on one day the later one given (pass them in the order
    they were recorded: a correction on the same day replaces a blocked one)."""
    best: InclusionAssessment | None = None
    for a in assessments:
        if best is None or a.assessed_on >= best.assessed_on:
            best = a
    return best


class GatesClosed(RuleViolation):
    """One or more gates are closed: every reason in one message, so the coordinator sees all at once."""

    def __init__(self, alerts: list[Alert], *, field: str | None = None) -> None:
        super().__init__(" ".join(a.message_nl for a in alerts), rule_id=alerts[0].rule_id, field=field)
        self.alerts = tuple(alerts)


def require_open(alerts: list[Alert], *, field: str | None = None) -> None:
    blocking = [a for a in alerts if a.blocks]
    if blocking:
        raise GatesClosed(blocking, field=field)
