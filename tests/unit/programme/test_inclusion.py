from __future__ import annotations

from datetime import date, datetime

import pytest

from hvol_fhir.errors import RuleViolation
from hvol_fhir.programme.alerts import enforce
from hvol_fhir.programme.model import InclusionAssessment
from hvol_fhir.programme.rules.inclusion import (
    check_age,
    check_inclusion,
    check_inclusion_period,
    inclusion_due,
)
from tests.unit.programme.builders import at, traject


@pytest.mark.parametrize(
    ("birth", "inclusion", "blocked"),
    [
        (date(2013, 5, 10), date(2025, 5, 9), True),  # 11, a day short of 12
        (date(2013, 5, 10), date(2025, 5, 10), False),  # 12th birthday
        (date(2007, 5, 10), date(2025, 5, 9), False),  # 17, the day before turning 18
        (date(2007, 5, 10), date(2025, 5, 10), True),  # 18th birthday: too old
        # Born 29 February: in a non-leap year she turns a year older on 1 March (Dutch civil practice).
        (date(2008, 2, 29), date(2026, 2, 28), False),  # still 17
        (date(2008, 2, 29), date(2026, 3, 1), True),  # 18
        (date(2012, 2, 29), date(2024, 2, 28), True),  # 11
        (date(2012, 2, 29), date(2024, 2, 29), False),  # 12 on her leap-day birthday
        (date(2013, 2, 28), date(2025, 2, 28), False),
    ],
)
def test_p_age(birth: date, inclusion: date, blocked: bool) -> None:
    alerts = check_age(birth, inclusion, subject="CarePlan/t1")
    assert bool(alerts) is blocked
    if blocked:
        (alert,) = alerts
        assert (alert.rule_id, alert.severity, alert.subjects) == ("P-AGE", "block", ("CarePlan/t1",))
        assert "jaar" in alert.message_nl


def _assessment(**kw: object) -> InclusionAssessment:
    base: dict[str, object] = dict(
        identifier="a1",
        traject="CarePlan/t1",
        patient="Patient/p1",
        assessor="Practitioner/gw",
        assessed_on=date(2025, 5, 1),
        birth_date=date(2010, 1, 1),
        category="factual",
        criteria_met=True,
    )
    return InclusionAssessment(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "rules"),
    [
        ({}, []),
        ({"contra_indications": ("addiction",)}, ["P-CONTRA"]),
        ({"contra_indications": ("psychiatric", "unwilling-to-stop-drugs")}, ["P-CONTRA"]),
        ({"criteria_met": False}, ["P-ASSESS"]),
        ({"birth_date": date(2007, 4, 30)}, ["P-AGE"]),
        ({"birth_date": date(2007, 4, 30), "contra_indications": ("addiction",)}, ["P-AGE", "P-CONTRA"]),
    ],
)
def test_check_inclusion_blocks(changes: dict[str, object], rules: list[str]) -> None:
    alerts = check_inclusion(_assessment(**changes))
    assert [a.rule_id for a in alerts] == rules
    assert all(a.severity == "block" for a in alerts)


def test_contra_message_names_no_diagnosis_and_enforce_raises() -> None:
    alerts = check_inclusion(_assessment(contra_indications=("psychiatric",)))
    assert "psychiat" not in alerts[0].message_nl.lower()
    with pytest.raises(RuleViolation) as caught:
        enforce(alerts)
    assert caught.value.rule_id == "P-CONTRA"
    enforce([])  # nothing blocks: no error


INCL_START = at(2025, 3, 3, 10)  # Monday; day 42 is Sunday 13 April


def test_inclusion_due_is_day_42() -> None:
    assert inclusion_due(INCL_START) == date(2025, 4, 13)


@pytest.mark.parametrize(
    ("now", "severity"),
    [
        (at(2025, 4, 5, 12), None),  # more than a week ahead
        (at(2025, 4, 6, 0, 1), "info"),  # seven days ahead: heads-up
        (at(2025, 4, 13, 23, 59), "info"),  # day 42 still within the norm
        (at(2025, 4, 14, 0, 1), "warning"),  # day 43
    ],
)
def test_p_incl_6w_open(now: datetime, severity: str | None) -> None:
    t = traject([("inclusion", INCL_START, None)])
    alerts = check_inclusion_period(t, now)
    assert [a.severity for a in alerts] == ([severity] if severity else [])
    assert all(a.rule_id == "P-INCL-6W" and a.due == date(2025, 4, 13) for a in alerts)


@pytest.mark.parametrize(
    ("end", "alerts"),
    [(at(2025, 4, 13, 18), 0), (at(2025, 4, 14, 9), 1)],
)
def test_p_incl_6w_ended(end: datetime, alerts: int) -> None:
    t = traject([("inclusion", INCL_START, end), ("introduction", end, None)])
    result = check_inclusion_period(t, at(2025, 6, 1))
    assert len(result) == alerts
    assert all(a.severity == "info" for a in result)


def test_p_incl_6w_without_inclusion_phase() -> None:
    assert check_inclusion_period(traject([("preparation", INCL_START, None)]), at(2026, 1, 1)) == []
