from __future__ import annotations

from datetime import date, datetime

import pytest

from hvol_fhir.programme.rules.organisation import check_alignment, check_presentations
from tests.unit.programme.builders import at

LAST = at(2025, 3, 3, 14)  # + 4 weeks = 31 March, + 8 weeks = 28 April


@pytest.mark.parametrize(
    ("meetings", "now", "expected"),
    [
        ([], at(2025, 3, 10), [("warning", None)]),  # no date that moves every day (its "gezien" stays)
        ([LAST], at(2025, 3, 30), []),
        ([LAST], at(2025, 3, 31), [("info", date(2025, 4, 28))]),  # four weeks: plan the next one
        ([LAST], at(2025, 4, 28, 23), [("info", date(2025, 4, 28))]),  # eight weeks: still within the norm
        ([LAST], at(2025, 4, 29, 8), [("warning", date(2025, 4, 28))]),
        (
            [at(2025, 2, 17), LAST],
            at(2025, 3, 10),
            [("info", None)],
        ),  # two weeks apart: more often than needed
        (
            [LAST, at(2025, 5, 1)],
            at(2025, 4, 29, 8),
            [("warning", date(2025, 4, 28))],
        ),  # planned: not held yet
    ],
)
def test_p_align(meetings: list[datetime], now: datetime, expected: list[tuple[str, date | None]]) -> None:
    alerts = check_alignment(meetings, now)
    assert [(a.severity, a.due) for a in alerts] == expected
    assert all(a.rule_id == "P-ALIGN" for a in alerts)


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        (at(2025, 1, 15), at(2025, 3, 31), []),
        (at(2025, 1, 15), at(2025, 4, 1), ["info"]),  # two weeks before 15 April
        (at(2025, 1, 15), at(2025, 4, 15, 20), ["info"]),
        (at(2025, 1, 15), at(2025, 4, 16, 8), ["warning"]),
        (at(2024, 11, 30), at(2025, 3, 1), ["warning"]),  # 30 Nov + 3 months = 28 Feb
    ],
)
def test_p_present_3m(last: datetime, now: datetime, expected: list[str]) -> None:
    alerts = check_presentations({"Location/group-a": [last], "Location/group-b": [now]}, now)
    assert [a.severity for a in alerts] == expected
    assert all(a.rule_id == "P-PRESENT-3M" and a.subjects == ("Location/group-a",) for a in alerts)


def test_group_never_presented_warns() -> None:
    (alert,) = check_presentations({"Location/group-c": []}, at(2025, 4, 1))
    assert (alert.severity, alert.subjects) == ("warning", ("Location/group-c",))
