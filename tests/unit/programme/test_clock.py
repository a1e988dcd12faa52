from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hvol_fhir.programme.clock import (
    IsoWeek,
    add_months,
    age_on,
    birthday_in,
    local_date,
    split_by_week,
    utc,
)
from tests.unit.programme.builders import AMS, at


@pytest.mark.parametrize(
    ("moment", "week"),
    [
        (at(2025, 3, 23, 23, 30), IsoWeek(2025, 12)),  # Sunday 23:30 local
        (at(2025, 3, 24, 0, 30), IsoWeek(2025, 13)),  # Monday 00:30 local
        # Sunday 23:30 local is Sunday 22:30 UTC in winter: still the same week either way ...
        (datetime(2025, 3, 23, 22, 30, tzinfo=UTC), IsoWeek(2025, 12)),
        # ... but Sunday 23:30 UTC is already Monday 00:30 in Amsterdam: the local week counts.
        (datetime(2025, 3, 23, 23, 30, tzinfo=UTC), IsoWeek(2025, 13)),
        (datetime(2025, 6, 29, 22, 30, tzinfo=UTC), IsoWeek(2025, 27)),  # summer: Monday 00:30 CEST
        (at(2024, 12, 30, 9), IsoWeek(2025, 1)),  # ISO year differs from calendar year
        (at(2027, 1, 3, 12), IsoWeek(2026, 53)),
    ],
)
def test_iso_week_is_local_amsterdam(moment: datetime, week: IsoWeek) -> None:
    assert IsoWeek.of(moment) == week


@pytest.mark.parametrize(
    ("week", "hours"),
    [
        (IsoWeek(2025, 13), 167),  # contains Sunday 30 March 2025, clocks go forward
        (IsoWeek(2025, 43), 169),  # contains Sunday 26 October 2025, clocks go back
        (IsoWeek(2025, 20), 168),
    ],
)
def test_dst_weeks_have_167_or_169_hours(week: IsoWeek, hours: int) -> None:
    assert utc(week.end) - utc(week.start) == timedelta(hours=hours)
    assert split_by_week(week.start, week.end) == {week: timedelta(hours=hours)}


def test_split_at_week_boundary_in_local_time() -> None:
    parts = split_by_week(at(2025, 3, 23, 23, 30), at(2025, 3, 24, 0, 30))
    assert parts == {IsoWeek(2025, 12): timedelta(minutes=30), IsoWeek(2025, 13): timedelta(minutes=30)}


def test_split_uses_absolute_time_across_spring_forward() -> None:
    # 01:30 -> 03:30 local on 30 March 2025 is one real hour (02:00 does not exist).
    assert split_by_week(at(2025, 3, 30, 1, 30), at(2025, 3, 30, 3, 30)) == {
        IsoWeek(2025, 13): timedelta(hours=1)
    }


def test_split_uses_absolute_time_across_fall_back() -> None:
    # 01:30 -> 03:30 local on 26 October 2025 is three real hours (02:00-03:00 happens twice).
    assert split_by_week(at(2025, 10, 26, 1, 30), at(2025, 10, 26, 3, 30)) == {
        IsoWeek(2025, 43): timedelta(hours=3)
    }


aware_times = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@given(start=aware_times, minutes=st.integers(min_value=0, max_value=60 * 24 * 20))
def test_week_parts_sum_to_the_duration(start: datetime, minutes: int) -> None:
    end = start + timedelta(minutes=minutes)
    parts = split_by_week(start.astimezone(AMS), end.astimezone(AMS))
    assert sum(parts.values(), timedelta(0)) == end - start
    assert all(part > timedelta(0) for part in parts.values())
    assert list(parts) == sorted(parts)


@pytest.mark.parametrize(
    ("birth", "year", "birthday"),
    [
        (date(2008, 2, 29), 2026, date(2026, 3, 1)),  # non-leap year: 1 March (Dutch civil practice)
        (date(2008, 2, 29), 2028, date(2028, 2, 29)),
        (date(2008, 2, 28), 2026, date(2026, 2, 28)),
        (date(2008, 3, 1), 2026, date(2026, 3, 1)),
    ],
)
def test_birthday_in_year(birth: date, year: int, birthday: date) -> None:
    assert birthday_in(birth, year) == birthday


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2012, 2, 29), date(2024, 2, 28), 11),
        (date(2012, 2, 29), date(2024, 2, 29), 12),  # 2024 is a leap year: birthday on 29 February
        (date(2010, 6, 15), date(2028, 6, 14), 17),
        (date(2010, 6, 15), date(2028, 6, 15), 18),
        (date(2010, 6, 15), date(2010, 6, 15), 0),
    ],
)
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 5, 31), -3, date(2026, 2, 28)),
        (date(2028, 5, 31), -3, date(2028, 2, 29)),
        (date(2026, 3, 1), -3, date(2025, 12, 1)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 1, 15), 12, date(2026, 1, 15)),
    ],
)
def test_add_months_clamps_to_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_local_date_of_late_utc_time_is_next_day() -> None:
    assert local_date(datetime(2025, 7, 1, 22, 30, tzinfo=UTC)) == date(2025, 7, 2)
