"""The traject's phase machine (domain.md "The traject and its phases", guide §4).

    preparation -> inclusion -> introduction -> contact-period -> closure
    introduction -> introduction   (P-INTRO-OUTCOME "other buddy": a new introduction with another buddy)
    any open phase -> closure      (with a reason, P-CLOSE-REASON)
    closure is final; P-RESTART is a new traject that `replaces` the old one.

Leaving the introduction for anything but closure needs the youth's decision (P-INTRO-OUTCOME): "continue"
leads to the contact period, "other buddy" to a new introduction, "stop" closes the traject. An abrupt end
during the introduction (e.g. the youth ran away) may close it without a decision, but never without a reason.
Illegal moves raise `RuleViolation`; functions return a new `Traject` and never change the old one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Final

from hvol_fhir.errors import InvalidInput, RuleViolation
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import BLOCK, Alert
from hvol_fhir.programme.checks import require_aware, require_code
from hvol_fhir.programme.clock import utc
from hvol_fhir.programme.model import PhasePeriod, Traject

FIRST_PHASES: Final = frozenset({c.PHASE_PREPARATION, c.PHASE_INCLUSION})
ALLOWED: Final[dict[str, frozenset[str]]] = {
    c.PHASE_PREPARATION: frozenset({c.PHASE_INCLUSION, c.PHASE_CLOSURE}),
    c.PHASE_INCLUSION: frozenset({c.PHASE_INTRODUCTION, c.PHASE_CLOSURE}),
    c.PHASE_INTRODUCTION: frozenset({c.PHASE_INTRODUCTION, c.PHASE_CONTACT_PERIOD, c.PHASE_CLOSURE}),
    c.PHASE_CONTACT_PERIOD: frozenset({c.PHASE_CLOSURE}),
    c.PHASE_CLOSURE: frozenset(),
}
# Which decision allows which way out of the introduction.
_OUTCOME_TARGET: Final = {
    c.OUTCOME_CONTINUE: c.PHASE_CONTACT_PERIOD,
    c.OUTCOME_OTHER_BUDDY: c.PHASE_INTRODUCTION,
    c.OUTCOME_STOP: c.PHASE_CLOSURE,
}
_PHASE_NL: Final = {
    c.PHASE_PREPARATION: "voorbereiding",
    c.PHASE_INCLUSION: "inclusieperiode",
    c.PHASE_INTRODUCTION: "kennismakingsperiode",
    c.PHASE_CONTACT_PERIOD: "contactperiode",
    c.PHASE_CLOSURE: "afronding",
}


def is_closed(traject: Traject) -> bool:
    current = traject.current_phase
    return current is not None and current.phase == c.PHASE_CLOSURE


def can_move(traject: Traject, to_phase: str) -> bool:
    current = traject.current_phase
    if current is None:
        return to_phase in FIRST_PHASES
    return to_phase in ALLOWED[current.phase]


def transition(traject: Traject, to_phase: str, at: datetime, *, reason: str | None = None) -> Traject:
    """Move the traject into `to_phase` at `at`, ending the current phase there."""
    require_code(c.TRAJECT_PHASE, to_phase, "phase")
    require_aware(at, "at")
    current = traject.current_phase
    if current is not None and current.phase == c.PHASE_CLOSURE:
        raise RuleViolation(
            "Dit traject is afgerond. Start een nieuw traject als de jongere opnieuw wil beginnen.",
            rule_id="P-RESTART",
            field="phase",
        )
    if not can_move(traject, to_phase):
        here = _PHASE_NL[current.phase] if current else "het begin"
        raise RuleViolation(
            f"Van {here} kan het traject niet naar {_PHASE_NL[to_phase]}.",
            rule_id="P-PHASE",
            field="phase",
        )
    if current is not None and utc(at) < utc(current.start):
        raise InvalidInput("De nieuwe fase begint vóór de huidige fase.", field="at", code="end-before-start")
    if current is not None and current.phase == c.PHASE_INTRODUCTION and to_phase != c.PHASE_CLOSURE:
        _require_outcome_allows(traject.intro_outcome, to_phase)

    status, closure_reason, intro_outcome = traject.status, traject.closure_reason, traject.intro_outcome
    phases = list(traject.phases)
    if current is not None:
        phases[-1] = replace(current, end=current.end or at, status="completed")
    if to_phase == c.PHASE_CLOSURE:
        if reason is None:
            raise RuleViolation(
                "Kies een reden van afronding.", rule_id="P-CLOSE-REASON", field="closure_reason"
            )
        require_code(c.CLOSURE_REASON, reason, "closure_reason")
        # Closure marks the end of the traject: a moment, so the phase is complete at once.
        phases.append(PhasePeriod(phase=to_phase, start=at, end=at, status="completed"))
        status, closure_reason = "completed", reason
    else:
        phases.append(PhasePeriod(phase=to_phase, start=at))
        if to_phase == c.PHASE_INTRODUCTION:
            intro_outcome = None  # a new introduction waits for a new decision
    return replace(
        traject,
        phases=tuple(phases),
        status=status,
        closure_reason=closure_reason,
        intro_outcome=intro_outcome,
    )


def _require_outcome_allows(outcome: str | None, to_phase: str) -> None:
    if outcome is None:
        raise RuleViolation(
            "Leg eerst de beslissing van de jongere over de kennismaking vast.",
            rule_id="P-INTRO-OUTCOME",
            field="intro_outcome",
        )
    if _OUTCOME_TARGET[outcome] != to_phase:
        raise RuleViolation(
            f"Na deze beslissing van de jongere volgt {_PHASE_NL[_OUTCOME_TARGET[outcome]]}, "
            f"niet {_PHASE_NL[to_phase]}.",
            rule_id="P-INTRO-OUTCOME",
            field="intro_outcome",
        )


def require_intro_outcome(traject: Traject, outcome: str, field: str, message_nl: str) -> None:
    """P-INTRO-OUTCOME's precondition, for the buddy's report and the coordinator's record alike: a known
    outcome, given while the traject is in its introduction period (`message_nl` says so otherwise)."""
    require_code(c.INTRODUCTION_OUTCOME, outcome, field)
    current = traject.current_phase
    if current is None or current.phase != c.PHASE_INTRODUCTION:
        raise RuleViolation(message_nl, rule_id="P-INTRO-OUTCOME", field=field)


def record_intro_outcome(
    traject: Traject, outcome: str, at: datetime, *, reason: str | None = None
) -> Traject:
    """P-INTRO-OUTCOME: record the youth's decision and move on (stop closes, with `reason`)."""
    require_intro_outcome(
        traject,
        outcome,
        "intro_outcome",
        "Een beslissing over de kennismaking kan alleen tijdens de kennismakingsperiode.",
    )
    decided = replace(traject, intro_outcome=outcome)
    return transition(decided, _OUTCOME_TARGET[outcome], at, reason=reason)


def close(traject: Traject, reason: str, at: datetime) -> Traject:
    """P-CLOSE-REASON: end the traject from any open phase, with a reason."""
    return transition(traject, c.PHASE_CLOSURE, at, reason=reason)


def restart(
    old: Traject,
    *,
    identifier: str,
    at: datetime,
    first_phase: str = c.PHASE_INCLUSION,
    replaces: str | None = None,
) -> Traject:
    """P-RESTART: a new traject for the same youth that replaces the closed one.

    `replaces` is the reference to the old CarePlan; by default `CarePlan/<old.id>`.
    """
    if not is_closed(old):
        raise RuleViolation(
            "Een nieuw traject kan pas als het vorige traject is afgerond.",
            rule_id="P-RESTART",
            field="replaces",
        )
    if first_phase not in FIRST_PHASES:
        raise RuleViolation(
            "Een nieuw traject begint met de voorbereiding of de inclusieperiode.",
            rule_id="P-RESTART",
            field="phase",
        )
    ref = replaces or (f"CarePlan/{old.id}" if old.id else None)
    if ref is None:
        raise InvalidInput("Het vorige traject heeft nog geen id.", field="replaces", code="missing-value")
    new = Traject(
        identifier=identifier,
        patient=old.patient,
        created=at,
        category=old.category,
        care_team=old.care_team,
        replaces=ref,
    )
    return transition(new, first_phase, at)


def check_closure_reason(traject: Traject, *, subject: str | None = None) -> list[Alert]:
    """P-CLOSE-REASON as an alert, for data read from the EHR: a closed traject without a reason."""
    if is_closed(traject) and traject.closure_reason is None:
        return [
            Alert(
                rule_id="P-CLOSE-REASON",
                severity=BLOCK,
                message_nl="Het traject is afgerond zonder reden. Vul de reden van afronding aan.",
                subjects=(subject,) if subject else (),
            )
        ]
    return []
