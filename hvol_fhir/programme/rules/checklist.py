"""The introduction checklist (issue 14; guide §5.1): the topics the buddy covers over the three contacts of
the introduction: who the buddy is, who the girl is, confidentiality, the journal, coaching, availability.

Each ticked topic is a completed Task (task-kind `intro-topic`, its topic as the output, CodeSystem
intro-topic), made once per traject and topic (its identifier is derived from both, so a second tick or a
resend writes nothing twice). The buddy writes Tasks already (P-COACH-AFTER); the CarePlan, which holds
sealed parts she cannot open, stays untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from hvol_fhir.errors import RuleViolation
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.checks import require_code
from hvol_fhir.programme.model import Task, Traject
from hvol_fhir.programme.rules.common import check_now

TOPICS: Final = ("who-buddy", "who-youth", "confidentiality", "journal", "coaching", "availability")


def ticked(tasks: Iterable[Task]) -> frozenset[str]:
    """The topics covered so far."""
    return frozenset(
        t.outcome for t in tasks if t.kind == c.TASK_INTRO_TOPIC and t.status == "completed" and t.outcome
    )


def topic_identifier(traject: Traject, topic: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"intro-topic/{traject.identifier}/{topic}"))


def tick(
    traject: Traject, topics: Iterable[str], done: frozenset[str], at: datetime, *, buddy: str
) -> list[Task]:
    """The Tasks for the newly ticked ``topics`` (those not ticked before), during the introduction only."""
    check_now(at)
    current = traject.current_phase
    if current is None or current.phase != c.PHASE_INTRODUCTION:
        raise RuleViolation(
            "De onderwerpen van de kennismaking vinkt u aan tijdens de kennismakingsperiode.",
            rule_id="P-INTRO",
            field="topics",
        )
    new = []
    for topic in dict.fromkeys(topics):
        require_code(c.INTRO_TOPIC, topic, "topics")
        if topic in done:
            continue
        new.append(
            Task(
                identifier=topic_identifier(traject, topic),
                kind=c.TASK_INTRO_TOPIC,
                status="completed",
                owner=buddy,
                focus=f"CarePlan/{traject.id}" if traject.id else None,
                patient=traject.patient,
                authored=at,
                outcome=topic,
            )
        )
    return new
