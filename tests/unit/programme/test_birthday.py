from __future__ import annotations

from datetime import date, datetime

import pytest

from hvol_fhir.programme.model import Task
from hvol_fhir.programme.rules.birthday import (
    check_eighteen,
    eighteen_talk_due,
    eighteen_task,
    eighteenth_birthday,
)
from tests.unit.programme.builders import at


@pytest.mark.parametrize(
    ("birth", "eighteen", "due"),
    [
        (date(2008, 2, 29), date(2026, 3, 1), date(2025, 12, 1)),  # leap-day birth: 1 March, due 1 December
        (date(2008, 5, 31), date(2026, 5, 31), date(2026, 2, 28)),  # 31 May - 3 months: end of February
        (date(2010, 5, 31), date(2028, 5, 31), date(2028, 2, 29)),
        (date(2008, 1, 15), date(2026, 1, 15), date(2025, 10, 15)),
    ],
)
def test_due_dates(birth: date, eighteen: date, due: date) -> None:
    assert eighteenth_birthday(birth) == eighteen
    assert eighteen_talk_due(birth) == due


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2025, 10, 1), []),  # more than four weeks before 1 December
        (at(2025, 11, 3), ["info"]),  # within four weeks
        (at(2025, 12, 1, 23, 59), ["info"]),  # the due date itself
        (at(2025, 12, 2, 0, 1), ["warning"]),
        (at(2026, 2, 28, 23), ["warning"]),  # still 17 on 28 February 2026
        (at(2026, 3, 1, 0, 1), []),  # 18 now: the rule no longer applies
    ],
)
def test_p_18_for_29_february_birth(now: datetime, expected: list[str]) -> None:
    alerts = check_eighteen(date(2008, 2, 29), now)
    assert [a.severity for a in alerts] == expected
    assert all(a.rule_id == "P-18" and a.due == date(2025, 12, 1) for a in alerts)
    assert all("1 maart 2026" in a.message_nl for a in alerts)


def test_completed_task_silences_and_task_builder() -> None:
    task = eighteen_task(
        identifier="k1",
        birth_date=date(2008, 2, 29),
        traject="CarePlan/t1",
        patient="Patient/p1",
        owner="Practitioner/b",
    )
    assert (task.kind, task.due, task.status, task.focus) == (
        "birthday-18-talk",
        date(2025, 12, 1),
        "requested",
        "CarePlan/t1",
    )
    done = Task(identifier="k1", kind="birthday-18-talk", status="completed")
    assert check_eighteen(date(2008, 2, 29), at(2025, 12, 20), tasks=[task]) != []
    assert check_eighteen(date(2008, 2, 29), at(2025, 12, 20), tasks=[done]) == []
