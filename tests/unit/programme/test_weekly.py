"""P-F2F-WEEK and P-2H-WEEK: ISO weeks in Europe/Amsterdam, DST weeks, contacts across midnight/week ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hvol_fhir.programme.clock import IsoWeek
from hvol_fhir.programme.model import Contact, Traject
from hvol_fhir.programme.rules.weekly import (
    assessed_weeks,
    check_face_to_face,
    check_weekly_hours,
    weekly_contact_time,
)
from tests.unit.programme.builders import AMS, at, contact, traject

W12, W13, W14 = IsoWeek(2025, 12), IsoWeek(2025, 13), IsoWeek(2025, 14)
W43, W44 = IsoWeek(2025, 43), IsoWeek(2025, 44)


def _period(start: datetime, end: datetime | None = None) -> Traject:
    phases = [("introduction", start - timedelta(days=10), start), ("contact-period", start, end)]
    if end is not None:
        phases.append(("closure", end, end))
    return traject(phases, closure_reason="youth-no-longer-needed" if end else None)


@pytest.mark.parametrize(
    ("start", "end", "now", "weeks"),
    [
        # Starts Monday 00:00: its first week counts.
        (at(2025, 3, 17), None, at(2025, 4, 2), [W12, W13, W14]),
        # Starts on a Thursday: the partial first week is not assessed.
        (at(2025, 3, 13, 15), None, at(2025, 4, 2), [W12, W13, W14]),
        # Ends on a Wednesday: the partial last week is not assessed.
        (at(2025, 3, 17), at(2025, 4, 2, 12), at(2025, 5, 1), [W12, W13]),
        # Ends on a Sunday: that week is covered by local date.
        (at(2025, 3, 17), at(2025, 3, 30, 18), at(2025, 5, 1), [W12, W13]),
        # Future weeks are not assessed.
        (at(2025, 3, 17), None, at(2025, 3, 18), [W12]),
    ],
)
def test_assessed_weeks(start: datetime, end: datetime | None, now: datetime, weeks: list[IsoWeek]) -> None:
    assert assessed_weeks(_period(start, end), now) == weeks


def test_contact_across_week_boundary_is_split_in_local_time() -> None:
    # Sunday 23:30 -> Monday 00:30 local: half in each week.
    totals = weekly_contact_time([contact(at(2025, 3, 23, 23, 30), 60)])
    assert totals == {W12: timedelta(minutes=30), W13: timedelta(minutes=30)}


def test_contact_across_midnight_within_a_week_stays_whole() -> None:
    totals = weekly_contact_time([contact(at(2025, 3, 19, 23, 0), 120)])  # Wednesday -> Thursday
    assert totals == {W12: timedelta(hours=2)}


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(2025, 3, 30, 1, 0), at(2025, 3, 30, 4, 0), 2),  # spring forward: 3 wall-clock hours, 2 real
        (at(2025, 10, 26, 1, 0), at(2025, 10, 26, 3, 0), 3),  # fall back: 2 wall-clock hours, 3 real
    ],
)
def test_dst_contact_durations_are_absolute(start: datetime, end: datetime, hours: int) -> None:
    assert sum(weekly_contact_time([contact(start, end=end)]).values(), timedelta()) == timedelta(hours=hours)


def test_two_hours_norm_met_only_with_absolute_time() -> None:
    # Contact period from Monday 24 March; in the spring-forward week a contact from 01:00 to 03:30 local
    # on Sunday 30 March reads 2.5 h on the wall clock but lasted 1.5 h: the norm is not met.
    t = _period(at(2025, 3, 24))
    contacts = [contact(at(2025, 3, 30, 1, 0), end=at(2025, 3, 30, 3, 30))]
    alert, running = check_weekly_hours(t, contacts, at(2025, 3, 31, 9))
    assert (alert.rule_id, alert.severity, alert.due) == ("P-2H-WEEK", "warning", date(2025, 3, 30))
    assert "1 uur 30 minuten" in alert.message_nl
    assert (running.severity, running.due) == ("info", W14.sunday)  # the new week has just begun


def test_two_hours_in_fall_back_week() -> None:
    # Monday 20 Oct to Sunday 26 Oct (169 h week): 01:00 -> 02:00 (second pass) is 2 real hours: met.
    t = _period(at(2025, 10, 20))
    contacts = [contact(at(2025, 10, 26, 1, 0), end=at(2025, 10, 26, 2, 0, fold=1))]
    assert [a.due for a in check_weekly_hours(t, contacts, at(2025, 10, 27, 9))] == [
        W44.sunday
    ]  # running week


@pytest.mark.parametrize(
    ("contacts", "now", "expected"),
    [
        # Week 12 has 2 h: nothing; week 13 has nothing and is over: warning.
        ([contact(at(2025, 3, 18, 10), 120)], at(2025, 3, 31, 9), [(W13, "warning"), (W14, "info")]),
        # The running week is short: info with Sunday as due date.
        (
            [contact(at(2025, 3, 18, 10), 120), contact(at(2025, 3, 25, 10), 30)],
            at(2025, 3, 26, 9),
            [(W13, "info")],
        ),
        # Sunday 23:30 -> Monday 00:30 contributes 30 min to each: 1 h 30 + 30 min = 2 h in week 12.
        (
            [
                contact(at(2025, 3, 18, 10), 90),
                contact(at(2025, 3, 23, 23, 30), 60),
                contact(at(2025, 3, 25), 90),
            ],
            at(2025, 3, 31, 9),
            [(W14, "info")],
        ),
        # Sunday 23:30 counts for week 12; Monday 00:30 only for week 13.
        (
            [
                contact(at(2025, 3, 18, 10), 90),
                contact(at(2025, 3, 24, 0, 30), 30),
                contact(at(2025, 3, 25), 90),
            ],
            at(2025, 3, 31, 9),
            [(W12, "warning"), (W14, "info")],
        ),
    ],
)
def test_p_2h_week(contacts: list[Contact], now: datetime, expected: list[tuple[IsoWeek, str]]) -> None:
    alerts = check_weekly_hours(_period(at(2025, 3, 17)), contacts, now)
    assert [(a.due, a.severity) for a in alerts] == [(w.sunday, s) for w, s in expected]


@pytest.mark.parametrize(
    ("start", "now", "expected"),
    [
        (at(2025, 3, 23, 23, 30), at(2025, 3, 31, 9), [(W13, "warning"), (W14, "info")]),  # Sunday 23:30: W12
        (at(2025, 3, 24, 0, 30), at(2025, 3, 31, 9), [(W12, "warning"), (W14, "info")]),  # Monday 00:30: W13
        (at(2025, 3, 24, 0, 30), at(2025, 3, 23, 9), [(W12, "info")]),  # week 12 still running
        (at(2025, 3, 30, 3, 30), at(2025, 3, 31, 9), [(W12, "warning"), (W14, "info")]),  # DST Sunday: W13
        (at(2025, 3, 30, 3, 30), at(2025, 3, 30, 23, 59), [(W12, "warning")]),  # W13 met before it ends
    ],
)
def test_p_f2f_week(start: datetime, now: datetime, expected: list[tuple[IsoWeek, str]]) -> None:
    contacts = [contact(start, 30), contact(at(2025, 3, 19, 10), 30, kind="video")]
    alerts = check_face_to_face(_period(at(2025, 3, 17)), contacts, now)
    assert [(a.due, a.severity) for a in alerts] == [(w.sunday, s) for w, s in expected]
    assert all(a.rule_id == "P-F2F-WEEK" for a in alerts)


def test_f2f_in_utc_late_sunday_belongs_to_the_local_monday() -> None:
    # 23:30 UTC on Sunday 23 March is 00:30 on Monday in Amsterdam: week 13.
    c = contact(datetime(2025, 3, 23, 23, 30, tzinfo=UTC), 30)
    alerts = check_face_to_face(_period(at(2025, 3, 17)), [c], at(2025, 3, 31, 9))
    assert [(a.due, a.severity) for a in alerts] == [(W12.sunday, "warning"), (W14.sunday, "info")]


def test_video_and_phone_do_not_count_as_face_to_face() -> None:
    contacts = [
        contact(at(2025, 3, 18, 10), 120, kind="video"),
        contact(at(2025, 3, 19, 10), 60, kind="phone"),
    ]
    f2f = check_face_to_face(_period(at(2025, 3, 17)), contacts, at(2025, 3, 24, 9))
    assert [(a.due, a.severity) for a in f2f] == [(W12.sunday, "warning"), (W13.sunday, "info")]
    hours = check_weekly_hours(_period(at(2025, 3, 17)), contacts, at(2025, 3, 24, 9))
    assert [(a.due, a.severity) for a in hours] == [(W13.sunday, "info")]  # 3 h in week 12: met


local_times = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


@given(
    starts=st.lists(local_times, max_size=12),
    minutes=st.lists(st.integers(min_value=0, max_value=600), min_size=12, max_size=12),
)
def test_week_totals_equal_sum_of_durations(starts: list[datetime], minutes: list[int]) -> None:
    contacts = [
        contact(s.astimezone(AMS), m, ident=f"c{i}")
        for i, (s, m) in enumerate(zip(starts, minutes, strict=False))
    ]
    totals = weekly_contact_time(contacts)
    assert sum(totals.values(), timedelta()) == sum((c.duration for c in contacts), timedelta())
    for week, total in totals.items():
        assert timedelta(0) < total <= utc_week_length(week)


def utc_week_length(week: IsoWeek) -> timedelta:
    return week.end.astimezone(UTC) - week.start.astimezone(UTC)
