"""The gates before an introduction (issue 14): each closed gate refuses with a Dutch reason and who can
supply it; the clock is pinned (the 16th birthday and an assessment "today" fall on the local date)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import ConsentGrant, InclusionAssessment, Task
from hvol_fhir.programme.rules import gates

from .builders import PATIENT_REF, TRAJECT_REF, at

NOW = at(2026, 3, 29, 0, 30)  # the night of the spring DST change: still 29 March in Amsterdam
BS = "Practitioner/gw"


def _assessment(**kw: object) -> InclusionAssessment:
    base = InclusionAssessment(
        identifier="a1",
        traject=TRAJECT_REF,
        patient=PATIENT_REF,
        assessor=BS,
        assessed_on=date(2026, 3, 1),
        birth_date=date(2010, 6, 1),  # 15 on the assessment date
        category="suspected",
        criteria_met=True,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def _consent(by: str, ident: str = "k1") -> ConsentGrant:
    return ConsentGrant(
        identifier=ident,
        kind=c.CONSENT_PARTICIPATION,
        patient=PATIENT_REF,
        granted_by=by,
        recorded=at(2026, 3, 2),
        start=at(2026, 3, 2),
        recipient="CareTeam/ct1",
    )


WAIT = Task(identifier="w1", kind=c.TASK_WAITING_LIST, status="requested", focus=TRAJECT_REF)


def _evidence(**kw: object) -> gates.StartEvidence:
    base = gates.StartEvidence(
        assessment=_assessment(),
        assessor_is_behavioural_scientist=True,
        birth_date=date(2010, 6, 1),
        consents=(_consent(PATIENT_REF), _consent("RelatedPerson/p1", "k2")),
        tasks=(WAIT,),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_all_gates_open() -> None:
    assert gates.check_start(_evidence(), NOW) == []


@pytest.mark.parametrize(
    ("changes", "rule", "words"),
    [
        ({"assessment": None}, "P-ASSESS", "gedragswetenschapper legt die vast"),
        ({"assessor_is_behavioural_scientist": False}, "P-ASSESS", "niet door een gedragswetenschapper"),
        ({"assessment": _assessment(criteria_met=False)}, "P-ASSESS", "Alleen de gedragswetenschapper"),
        ({"assessment": _assessment(assessed_on=date(2026, 3, 30))}, "P-ASSESS", "in de toekomst"),
        ({"assessment": _assessment(contra_indications=("psychiatric",))}, "P-CONTRA", "contra-indicatie"),
        (
            {"assessment": _assessment(birth_date=date(2014, 3, 2)), "birth_date": date(2014, 3, 2)},
            "P-AGE",
            "vanaf 12",
        ),
        ({"consents": (_consent("RelatedPerson/p1", "k2"),)}, "P-CONSENT", "toestemming van de jongere"),
        ({"consents": (_consent(PATIENT_REF),)}, "P-CONSENT", "ouder of voogd"),
        ({"tasks": ()}, "P-WAIT", "niet op de wachtlijst"),
        ({"tasks": (replace(WAIT, status="completed"),)}, "P-WAIT", "niet op de wachtlijst"),
        ({"birth_date": None}, "P-AGE", "geboortedatum"),
    ],
)
def test_each_closed_gate_says_what_and_who(changes: dict[str, object], rule: str, words: str) -> None:
    alerts = gates.check_start(_evidence(**changes), NOW)
    assert [a.rule_id for a in alerts] == [rule]
    assert words in alerts[0].message_nl and alerts[0].blocks
    assert "P-" not in alerts[0].message_nl  # no rule codes on screen
    with pytest.raises(gates.GatesClosed) as raised:
        gates.require_open(alerts)
    assert raised.value.message_nl == alerts[0].message_nl


def test_sixteen_on_the_local_day_needs_no_parent() -> None:
    """She turns 16 on 29 March: at 00:30 Amsterdam time (28 March 23:30 UTC) she is 16 already."""
    sixteen = date(2010, 3, 29)
    evidence = _evidence(
        birth_date=sixteen, assessment=_assessment(birth_date=sixteen), consents=(_consent(PATIENT_REF),)
    )
    assert gates.check_start(evidence, NOW) == []
    assert gates.check_start(evidence, at(2026, 3, 28, 23, 30)) != []


def test_every_missing_piece_at_once() -> None:
    alerts = gates.check_start(_evidence(assessment=None, consents=(), tasks=()), NOW)
    assert [a.rule_id for a in alerts] == ["P-ASSESS", "P-CONSENT", "P-CONSENT", "P-WAIT"]
    assert len(str(gates.GatesClosed(alerts))) > 100


def test_revoked_or_ended_consent_does_not_count() -> None:
    ended = replace(_consent(PATIENT_REF), end=at(2026, 3, 10))
    assert [a.rule_id for a in gates.check_start(_evidence(consents=(ended,)), NOW)] == [
        "P-CONSENT",
        "P-CONSENT",
    ]


def test_waiting_list_needs_all_but_the_waiting_list() -> None:
    assert gates.check_waiting_list(_evidence(tasks=()), NOW) == []
    assert [a.rule_id for a in gates.check_waiting_list(_evidence(assessment=None, tasks=()), NOW)] == [
        "P-ASSESS"
    ]


def test_future_assessment_date_is_refused_before_storing() -> None:
    gates.require_assessment_date(date(2026, 3, 29), NOW)  # today (local) is fine
    with pytest.raises(InvalidInput, match="toekomst"):
        gates.require_assessment_date(date(2026, 3, 30), NOW)


def test_blocked_assessment_lists_age_and_contra() -> None:
    old = _assessment(birth_date=date(2008, 1, 1), contra_indications=("addiction",))
    assert [a.rule_id for a in gates.assessment_blocks(old)] == ["P-AGE", "P-CONTRA"]
    assert gates.assessment_blocks(_assessment()) == []


def test_latest_assessment_wins() -> None:
    first, second = _assessment(), _assessment(identifier="a2", assessed_on=date(2026, 3, 5))
    assert gates.latest([second, first]) is second
    again = _assessment(identifier="a3", assessed_on=date(2026, 3, 5), criteria_met=False)
    assert gates.latest([first, second, again]) is again  # same day: the later recorded one
    assert gates.latest([]) is None
