"""The rules for recording a contact (P-JOURNAL, P-PLAN) and the danger override (P-DANGER), pure."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme.rules.contacts import (
    check_held,
    check_moment_passed,
    check_no_overlap,
    check_planned,
    overlapping,
)
from hvol_fhir.programme.rules.danger import Override, check_override, override_text
from tests.unit.programme.builders import at, contact

NOW = at(2026, 11, 20, 15, 0)
TEN = contact(at(2026, 11, 18, 10, 0), 60, ident="ten")


@pytest.mark.parametrize(
    ("start", "minutes", "clashes"),
    [
        (at(2026, 11, 18, 10, 30), 60, True),  # starts inside
        (at(2026, 11, 18, 9, 30), 60, True),  # ends inside
        (at(2026, 11, 18, 9, 0), 180, True),  # around it
        (at(2026, 11, 18, 11, 0), 30, False),  # back to back after
        (at(2026, 11, 18, 9, 0), 60, False),  # back to back before
        (at(2026, 11, 19, 10, 0), 60, False),  # another day
    ],
)
def test_overlap(start: datetime, minutes: int, clashes: bool) -> None:
    new = contact(start, minutes, ident="new")
    assert bool(overlapping(new, [TEN])) is clashes


def test_what_does_not_take_time_or_is_itself_does_not_overlap() -> None:
    new = contact(at(2026, 11, 18, 10, 0), 60, ident="new")
    cancelled = contact(at(2026, 11, 18, 10, 0), 60, ident="c", status="cancelled")
    itself = contact(at(2026, 11, 18, 10, 0), 60, ident="new")
    assert not overlapping(new, [cancelled, itself])
    with pytest.raises(InvalidInput) as raised:
        check_no_overlap(new, [TEN])
    assert raised.value.code == "overlap" and raised.value.field == "start"


def test_a_held_contact_has_ended_by_now_give_or_take_the_clock_skew() -> None:
    check_held(contact(NOW - timedelta(hours=1), 64), NOW)
    with pytest.raises(InvalidInput) as raised:
        check_held(contact(NOW - timedelta(hours=1), 66), NOW)
    assert raised.value.code == "in-future"


def test_a_planned_contact_lies_at_most_a_year_ahead() -> None:
    check_planned(contact(NOW + timedelta(days=300), 60), NOW)
    with pytest.raises(InvalidInput) as raised:
        check_planned(contact(NOW + timedelta(days=366), 60), NOW)
    assert raised.value.code == "too-far-ahead"


def test_a_recorded_moment_is_not_in_the_future() -> None:
    check_moment_passed(NOW + timedelta(minutes=5), NOW)
    with pytest.raises(InvalidInput):
        check_moment_passed(NOW + timedelta(minutes=6), NOW)


def test_the_override_text_says_what_with_whom_why_and_whether_she_was_told() -> None:
    told = Override("danger-others", " Dreiging ", "Politie", "Acuut", "ja")
    not_told = Override("reporting-duty", "x", "Veilig Thuis", "y", "nee", "Ze sliep")
    check_override(told)
    check_override(not_told)
    assert "Direct gevaar voor anderen" in override_text(told) and "Wat gedeeld: Dreiging\n" in override_text(
        told
    )
    assert override_text(not_told).endswith("(nog) niet ingelicht: Ze sliep")
