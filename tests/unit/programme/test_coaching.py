from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme.rules.coaching import check_coach_after
from tests.unit.programme.builders import at, contact

C = contact(at(2025, 5, 5, 15), 60)  # ends Monday 5 May 16:00


@pytest.mark.parametrize(
    ("coach", "now", "expected"),
    [
        ([at(2025, 5, 5, 16, 30)], at(2025, 5, 20), []),  # shortly after: fine
        ([at(2025, 5, 12, 16)], at(2025, 5, 20), []),  # exactly seven days after the end: fine
        ([at(2025, 5, 12, 16, 1)], at(2025, 5, 20), ["warning"]),  # a minute late
        ([at(2025, 5, 5, 15, 30)], at(2025, 5, 20), ["warning"]),  # during the contact does not count
        ([], at(2025, 5, 7), ["info"]),  # window still open
        ([], at(2025, 5, 12, 16, 1), ["warning"]),
    ],
)
def test_p_coach_after(coach: list[datetime], now: datetime, expected: list[str]) -> None:
    alerts = check_coach_after([C], coach, now)
    assert [a.severity for a in alerts] == expected
    assert all(a.rule_id == "P-COACH-AFTER" and a.due == date(2025, 5, 12) for a in alerts)


def test_one_coach_contact_covers_several_contacts_and_window_is_a_parameter() -> None:
    contacts = [C, contact(at(2025, 5, 6, 10), 30)]
    assert check_coach_after(contacts, [at(2025, 5, 6, 18)], at(2025, 6, 1)) == []
    late = check_coach_after(contacts, [at(2025, 5, 6, 18)], at(2025, 6, 1), window=timedelta(hours=12))
    assert [a.subjects for a in late] == [("CarePlan/t1",)]


def test_planned_contacts_are_skipped_and_naive_coach_times_refused() -> None:
    assert check_coach_after([contact(at(2025, 5, 5, 15), status="planned")], [], at(2025, 6, 1)) == []
    with pytest.raises(InvalidInput) as caught:
        check_coach_after([C], [datetime(2025, 5, 5, 17)], at(2025, 6, 1))
    assert caught.value.field == "coach_contacts[0]"
