"""Checks of a measurement against the Questionnaire and the traject, with plain Dutch messages.

Refused, each with its own message, nothing stored: a score outside 0-10 or not a whole number, an unanswered
required item, an answer to an item the Questionnaire does not have, a response to another version of the
Questionnaire than the current one, a response for a traject that is closed (or not active). Form input is
parsed here too (`parse_form`), so the web layer only passes strings through. Messages never repeat the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from hvol_fhir.errors import InvalidInput, RuleViolation
from hvol_fhir.measurements.model import Measurement
from hvol_fhir.measurements.questionnaire import ItemDef, QuestionnaireDef
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Traject

_INT: Final = re.compile(r"^[+-]?\d{1,3}$")
OPEN_STATUS: Final = frozenset({"active"})


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # the item's linkId
    message_nl: str
    code: str


class MeasurementRefused(InvalidInput):
    """One or more answers cannot be accepted; `problems` names each item (shown next to it on the page)."""

    default_code = "measurement-refused"

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = f" (en nog {len(problems) - 1} andere)" if len(problems) > 1 else ""
        super().__init__(first.message_nl + more, field=first.field, code=first.code)
        self.problems = tuple(problems)


def _out_of_range(item: ItemDef) -> Problem:
    return Problem(
        item.link_id,
        f"Bij ‘{item.label}’ kan alleen een heel getal van {item.min_value} tot en met {item.max_value}.",
        "out-of-range",
    )


def _missing(item: ItemDef) -> Problem:
    return Problem(
        item.link_id, f"‘{item.label}’ is nog niet ingevuld. Schuif het bolletje naar een getal.", "required"
    )


def parse_form(values: Mapping[str, str | None], q: QuestionnaireDef) -> tuple[dict[str, int], list[Problem]]:
    """Scores from form fields named by linkId; a blank or absent field is unanswered. Problems for
    anything that is not a whole number in range (required items are checked by `check_answers`)."""
    answers: dict[str, int] = {}
    problems: list[Problem] = []
    for item in q.items:
        raw = (values.get(item.link_id) or "").strip()
        if not raw:
            continue
        if not _INT.match(raw):
            problems.append(_out_of_range(item))
            continue
        answers[item.link_id] = int(raw)
    return answers, problems


def check_answers(answers: Mapping[str, int], q: QuestionnaireDef) -> list[Problem]:
    problems: list[Problem] = []
    known = {i.link_id for i in q.items}
    for link_id in answers:
        if link_id not in known:
            problems.append(Problem(link_id, "Deze vraag hoort niet bij de meting.", "unknown-item"))
    for item in q.items:
        score = answers.get(item.link_id)
        if score is None:
            if item.required:
                problems.append(_missing(item))
        elif not item.min_value <= score <= item.max_value or (score - item.min_value) % item.step:
            problems.append(_out_of_range(item))
    return problems


def read_form(values: Mapping[str, str | None], q: QuestionnaireDef) -> tuple[dict[str, int], list[Problem]]:
    """`parse_form` and `check_answers` together, one problem per question at most, in Questionnaire order."""
    answers, problems = parse_form(values, q)
    reported = {p.field for p in problems}
    problems += [p for p in check_answers(answers, q) if p.field not in reported]
    order = {i.link_id: n for n, i in enumerate(q.items)}
    return answers, sorted(problems, key=lambda p: order.get(p.field, len(order)))


def check_version(canonical: str, q: QuestionnaireDef) -> None:
    if canonical != q.canonical:
        raise RuleViolation(
            "Deze meting hoort bij een andere versie van de vragenlijst dan de huidige "
            f"(versie {q.version}). Er is niets opgeslagen: open de meting opnieuw en vul de nieuwe lijst "
            "in.",
            rule_id="questionnaire-version",
            field="questionnaire",
        )


def check_traject_open(traject: Traject) -> None:
    current = traject.current_phase
    if traject.status not in OPEN_STATUS or (current is not None and current.phase == c.PHASE_CLOSURE):
        raise RuleViolation(
            "Dit traject is afgesloten. Er kan geen meting meer bij; er is niets opgeslagen.",
            rule_id="traject-closed",
            field="traject",
        )


def check_measurement(m: Measurement, q: QuestionnaireDef, traject: Traject) -> None:
    """Everything a measurement must satisfy before it is saved; raises the first kind of refusal."""
    check_version(m.questionnaire, q)
    check_traject_open(traject)
    if traject.id is None or m.traject != f"CarePlan/{traject.id}" or m.patient != traject.patient:
        raise InvalidInput("Deze meting hoort niet bij dit traject.", field="traject", code="wrong-traject")
    problems = check_answers(dict(m.answers), q)
    if problems:
        raise MeasurementRefused(problems)


def ordered(answers: Mapping[str, int], q: QuestionnaireDef) -> tuple[tuple[str, int], ...]:
    """Answers as (linkId, score) pairs in Questionnaire order (unknown linkIds last, so checks still see
    them)."""
    order = [i.link_id for i in q.items]
    known = tuple((k, answers[k]) for k in order if k in answers)
    return known + tuple((k, v) for k, v in answers.items() if k not in order)
