"""Escalations (P-POLICE, P-SAFETY, P-DANGER consultation, opschalen; guide §2.3, §3, §4.7, §4.8).

The buddy raises one when the police ask her for information about the youth, when her own safety is at
risk, when she doubts whether the youth is a direct danger (she consults coach and coordinator *before* a
danger override), or when she is worried about an unsafe situation. Coach and coordinator always get it as a
to-do; it stays open until one of them marks it handled. The behavioural scientist is involved only when the
buddy asks for it or a coach or coordinator scales up ("opschalen"), and then sees only this escalation: its
kind and the short message the buddy wrote for it, never the journal.

Pure: every decision takes the team and `now`; nothing here reads or writes the EHR.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Protocol, TypeVar

from hvol_fhir.errors import InvalidInput, NotAllowed
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import INFO, WARNING, Alert
from hvol_fhir.programme.checks import require_aware, require_code, require_ref, require_text
from hvol_fhir.programme.clock import local_date, utc
from hvol_fhir.programme.model import CareTeam
from hvol_fhir.programme.rules.common import check_now
from hvol_fhir.programme.text_nl import date_nl

MESSAGE_MAX: Final = 2_000
OPEN: Final = "open"
HANDLED: Final = "handled"
# An open escalation is a to-do for today: after two days without handling, the overview says so.
HANDLE_WITHIN: Final = timedelta(days=2)
# P-DANGER: a consultation counts for an override in the next day; after that, consult again.
CONSULTATION_VALID: Final = timedelta(hours=24)
RAISERS: Final = frozenset({c.ROLE_BUDDY})
HANDLERS: Final = frozenset({c.ROLE_COACH, c.ROLE_COORDINATOR})
# Kinds where the buddy herself may be in danger: the page tells her to call 112 first.
CALL_112_FIRST: Final = frozenset({c.ESCALATION_OWN_SAFETY})
# The open-item rule of every open escalation, whatever its kind: the kind is sealed, so the to-do lists
# (start pages, overview) must not tell one kind from another by its rule id either.
OPEN_RULE: Final = "P-ESCALATION"
RULE_OF: Final = {
    c.ESCALATION_POLICE: "P-POLICE",
    c.ESCALATION_OWN_SAFETY: "P-SAFETY",
    c.ESCALATION_DANGER_CONSULTATION: "P-DANGER",
    c.ESCALATION_CONCERN: "P-DANGER",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    """One escalation (a Task of kind ``escalation``); ``message`` is sealed in the EHR."""

    identifier: str
    traject: str
    patient: str
    raised_by: str
    raised_at: datetime
    kind: str
    message: str
    recipients: tuple[str, ...]  # coach(es) and coordinator(s); the behavioural scientist when involved
    status: str = OPEN
    handled_by: str | None = None
    handled_at: datetime | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.identifier, str) or not self.identifier.strip():
            raise InvalidInput("De identificatie ontbreekt.", field="Escalation.identifier")
        require_ref(self.traject, "Escalation.traject")
        require_ref(self.patient, "Escalation.patient")
        require_ref(self.raised_by, "Escalation.raised_by")
        require_aware(self.raised_at, "Escalation.raised_at")
        require_code(c.ESCALATION_KIND, self.kind, "Escalation.kind")
        require_text(self.message, "message", max_chars=MESSAGE_MAX, what_nl="Het bericht")
        for i, ref in enumerate(self.recipients):
            require_ref(ref, f"Escalation.recipients[{i}]")
        if self.status not in (OPEN, HANDLED):
            raise InvalidInput("Onbekende status van de escalatie.", field="Escalation.status")
        if self.status == HANDLED and (self.handled_by is None or self.handled_at is None):
            raise InvalidInput("Wie de escalatie afhandelde ontbreekt.", field="Escalation.handled_by")
        if self.handled_at is not None:
            require_aware(self.handled_at, "Escalation.handled_at")

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def rule_id(self) -> str:
        return RULE_OF[self.kind]


class Raised(Protocol):
    """What the to-do lists need of an escalation: who raised it for whom, when, and whether it is open. Both
    the opened `Escalation` and the `EscalationTodo` read from the Task's clear parts have it."""

    @property
    def identifier(self) -> str: ...
    @property
    def traject(self) -> str: ...
    @property
    def raised_by(self) -> str: ...
    @property
    def raised_at(self) -> datetime: ...
    @property
    def recipients(self) -> tuple[str, ...]: ...
    @property
    def is_open(self) -> bool: ...


E = TypeVar("E", bound=Raised)


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationTodo:
    """An escalation as a to-do, from the Task's parts in the clear (requester, recipients, status, time):
    no kind and no message, so listing it opens nothing sealed and needs no audit of a read."""

    identifier: str
    traject: str
    raised_by: str
    raised_at: datetime
    recipients: tuple[str, ...] = ()
    is_open: bool = True

    def __post_init__(self) -> None:
        require_ref(self.traject, "EscalationTodo.traject")
        require_aware(self.raised_at, "EscalationTodo.raised_at")


def _members(team: CareTeam | None, role: str, moment: datetime) -> tuple[str, ...]:
    if team is None:
        return ()
    return tuple(dict.fromkeys(m.member for m in team.with_role(role, moment)))


def recipients_for(
    team: CareTeam | None, moment: datetime, *, involve_behavioural_scientist: bool = False
) -> tuple[str, ...]:
    """Coach(es) and coordinator(s) of the team now (P-POLICE, P-SAFETY: always both), plus the behavioural
    scientist when asked. Refused in plain Dutch when the team lacks someone the escalation must reach."""
    check_now(moment)
    coaches = _members(team, c.ROLE_COACH, moment)
    coordinators = _members(team, c.ROLE_COORDINATOR, moment)
    if not coaches:
        raise NotAllowed(
            "Deze jongere heeft nu geen coach in het team. Bel de coördinator; zij vult het team aan.",
            field="team",
            code="no-coach",
        )
    if not coordinators:
        raise NotAllowed(
            "Deze jongere heeft nu geen coördinator in het team. Bel uw coach; zij zorgt dat de "
            "coördinator het team aanvult.",
            field="team",
            code="no-coordinator",
        )
    scientists: tuple[str, ...] = ()
    if involve_behavioural_scientist:
        scientists = _members(team, c.ROLE_BEHAVIOURAL_SCIENTIST, moment)
        if not scientists:
            raise NotAllowed(
                "Er is geen gedragswetenschapper in het team van deze jongere. Vraag de coördinator er "
                "een toe te voegen, of verstuur de melding zonder gedragswetenschapper.",
                field="involve_behavioural_scientist",
                code="no-behavioural-scientist",
            )
    return coaches + coordinators + scientists


def raise_escalation(
    *,
    identifier: str,
    traject: str,
    patient: str,
    raised_by: str,
    role: str,
    kind: str,
    message: str,
    team: CareTeam | None,
    now: datetime,
    involve_behavioural_scientist: bool = False,
) -> Escalation:
    """A new escalation by the youth's current buddy, addressed to coach and coordinator (and the behavioural
    scientist when asked)."""
    check_now(now)
    if role not in RAISERS or raised_by not in _members(team, c.ROLE_BUDDY, now):
        raise NotAllowed(
            "Alleen het ervaringsmaatje van deze jongere meldt hier een escalatie.", field="role"
        )
    recipients = recipients_for(team, now, involve_behavioural_scientist=involve_behavioural_scientist)
    return Escalation(
        identifier=identifier,
        traject=traject,
        patient=patient,
        raised_by=raised_by,
        raised_at=now,
        kind=kind,
        message=message.strip() if isinstance(message, str) else message,
        recipients=recipients,
    )


def visible_to(escalation: Raised, role: str, user: str | None) -> bool:
    """Who sees an escalation at all: the buddy who raised it, its coach and coordinator recipients (and any
    coordinator: she is the provider's single point of contact), and the behavioural scientist only when she
    was involved. Mentor and regular staff never."""
    if user is None:
        return False
    if role == c.ROLE_BUDDY:
        return escalation.raised_by == user
    if role == c.ROLE_COORDINATOR:
        return True
    if role in (c.ROLE_COACH, c.ROLE_BEHAVIOURAL_SCIENTIST):
        return user in escalation.recipients
    return False


def handle(escalation: Escalation, *, by: str, role: str, now: datetime) -> Escalation:
    """Coach or coordinator marks it handled; it then leaves everybody's to-do list."""
    check_now(now)
    if role not in HANDLERS or not visible_to(escalation, role, by):
        raise NotAllowed("Alleen de coach of de coördinator handelt een escalatie af.", field="role")
    if not escalation.is_open:
        raise InvalidInput("Deze escalatie is al afgehandeld.", field="status", code="already-handled")
    if utc(now) < utc(escalation.raised_at):
        raise InvalidInput("Afhandelen kan niet vóór het melden.", field="now", code="before-raised")
    return replace(escalation, status=HANDLED, handled_by=by, handled_at=now)


def scale_up(
    escalation: Escalation, *, by: str, role: str, team: CareTeam | None, now: datetime
) -> Escalation:
    """Opschalen: coach or coordinator involves the team's behavioural scientist in this escalation."""
    check_now(now)
    if role not in HANDLERS or not visible_to(escalation, role, by):
        raise NotAllowed(
            "Alleen de coach of de coördinator schaalt op naar de gedragswetenschapper.", field="role"
        )
    if not escalation.is_open:
        raise InvalidInput("Deze escalatie is al afgehandeld.", field="status", code="already-handled")
    scientists = recipients_for(team, now, involve_behavioural_scientist=True)
    added = tuple(r for r in scientists if r not in escalation.recipients)
    return replace(escalation, recipients=escalation.recipients + added)


def involves_behavioural_scientist(escalation: Escalation, team: CareTeam | None) -> bool:
    scientists = {m.member for m in team.members if m.role == c.ROLE_BEHAVIOURAL_SCIENTIST} if team else set()
    return any(r in scientists for r in escalation.recipients)


def open_for(escalations: Iterable[E], role: str, user: str | None) -> list[E]:
    """The open escalations on this user's to-do list, oldest first."""
    mine = [e for e in escalations if e.is_open and visible_to(e, role, user)]
    return sorted(mine, key=lambda e: utc(e.raised_at))


def danger_consulted(escalations: Sequence[Escalation], by: str, now: datetime) -> bool:
    """P-DANGER: did this buddy consult coach and coordinator in the last day (a danger consultation)?"""
    check_now(now)
    return any(
        e.kind == c.ESCALATION_DANGER_CONSULTATION
        and e.raised_by == by
        and timedelta(0) <= utc(now) - utc(e.raised_at) <= CONSULTATION_VALID
        for e in escalations
    )


def escalation_alerts(escalations: Iterable[Raised], now: datetime) -> list[Alert]:
    """Every open escalation is an open item until handled: info while it is fresh, a warning once it waited
    longer than two days. The text names neither kind nor content (both are sealed); pass only the
    escalations the viewer may see (`open_for`)."""
    check_now(now)
    out: list[Alert] = []
    for e in sorted(escalations, key=lambda x: utc(x.raised_at)):
        if not e.is_open:
            continue
        raised = local_date(e.raised_at)
        late = utc(now) - utc(e.raised_at) > HANDLE_WITHIN
        message = (
            f"De melding van {date_nl(raised)} wacht al meer dan twee dagen op afhandeling."
            if late
            else f"Een melding van {date_nl(raised)} wacht op afhandeling door de coach of de coördinator."
        )
        out.append(
            Alert(
                rule_id=OPEN_RULE,
                severity=WARNING if late else INFO,
                message_nl=message,
                due=local_date(e.raised_at + HANDLE_WITHIN),
                subjects=(e.traject,),
            )
        )
    return out
