"""P-JOURNAL (a contact without a journal entry, the buddy's start page) and P-COACH-JOURNAL (coach contacts
without a coaching-journal entry, the coach's start page) as open items; the clock pinned, across the DST
change and the turn of an ISO year with week 53."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Contact
from hvol_fhir.programme.open_items import signals
from hvol_fhir.programme.rules import journal_gaps as g
from tests.unit.programme.builders import BUDDY_REF, TRAJECT_REF, at, contact, d

NOW = at(2026, 3, 12, 10, 0)


def held(ident: str, *args: Any, **kwargs: Any) -> Contact:
    return replace(contact(*args, **kwargs), id=ident)


def test_a_held_contact_without_entry_is_open_info_first_then_a_warning() -> None:
    x = held("e1", at(2026, 3, 10, 15, 0), 20)
    fresh = g.contacts_without_entry([x], set(), at(2026, 3, 12, 15, 20))
    assert [(a.rule_id, a.severity, a.subjects) for a in fresh] == [("P-JOURNAL", "info", ("Encounter/e1",))]
    assert "10 maart 2026 om 15:00" in fresh[0].message_nl
    late = g.contacts_without_entry([x], set(), at(2026, 3, 12, 15, 21))
    assert [a.severity for a in late] == ["warning"]


def test_the_entry_resolves_it() -> None:
    x = held("e1", at(2026, 3, 10, 15, 0), 20)
    assert g.contacts_without_entry([x], {"Encounter/e1"}, NOW) == []
    assert len(g.contacts_without_entry([x], {"Encounter/other"}, NOW)) == 1


def test_planned_missed_network_running_and_other_buddies_contacts_need_no_entry() -> None:
    planned = held("p", at(2026, 3, 11, 9, 0), status="planned")
    missed = replace(held("m", at(2026, 3, 11, 9, 0), status="cancelled"), missed_reason="no-show")
    network = replace(held("n", at(2026, 3, 11, 11, 0)), network="intake")
    running = held("r", at(2026, 3, 12, 9, 30), 60)  # ends 10:30, after NOW
    other = replace(held("o", at(2026, 3, 11, 13, 0)), buddy="Practitioner/buddy-before")
    found = g.contacts_without_entry([planned, missed, network, running, other], set(), NOW, buddy=BUDDY_REF)
    assert found == []
    # Without a buddy named, the other buddy's contact counts too (a coordinator's view of the traject).
    assert [a.subjects for a in g.contacts_without_entry([other], set(), NOW)] == [("Encounter/o",)]


def test_entry_deadline_across_the_dst_change_is_by_the_local_clock() -> None:
    # Saturday 28 March 2026 20:00-21:00; the clocks go forward that night.
    x = held("e1", at(2026, 3, 28, 20, 0), 60)
    assert g.contacts_without_entry([x], set(), at(2026, 3, 30, 21, 0))[0].severity == "info"
    assert g.contacts_without_entry([x], set(), at(2026, 3, 30, 21, 1))[0].severity == "warning"
    assert g.contacts_without_entry([x], set(), at(2026, 3, 30, 21, 1))[0].due == d(2026, 3, 30)


def test_several_contacts_without_entry_are_one_open_item() -> None:
    xs = [held(f"e{i}", at(2026, 3, 2 + i, 15, 0), 30) for i in range(3)]
    found = signals(g.contacts_without_entry(xs, set(), NOW), NOW)
    assert [(x.kind.slug, x.message_nl) for x in found.open] == [
        ("contactjournaal", "3 contactmomenten hebben nog geen verslag in het contactjournaal.")
    ]
    assert found.open[0].subjects == ("Encounter/e0", "Encounter/e1", "Encounter/e2")
    assert "P-" not in found.open[0].kind.label_nl


def test_a_coach_contact_without_coaching_entry_is_open_until_one_is_written() -> None:
    spoke = at(2026, 3, 2, 19, 0)
    found = g.coaching_gaps([spoke], [], NOW, subject=TRAJECT_REF)
    assert [(a.rule_id, a.severity, a.due) for a in found] == [("P-COACH-JOURNAL", "warning", d(2026, 3, 9))]
    assert "2 maart 2026" in found[0].message_nl
    assert g.coaching_gaps([spoke], [at(2026, 3, 2, 21, 0)], NOW) == []
    assert g.coaching_gaps([spoke], [at(2026, 3, 5, 8, 0)], NOW) == []
    assert g.coaching_gaps([spoke], [], at(2026, 3, 9, 23, 0))[0].severity == "info"


def test_an_entry_before_the_coach_contact_or_on_the_next_coach_day_does_not_cover_it() -> None:
    first, second = at(2026, 3, 2, 19, 0), at(2026, 3, 6, 12, 0)
    early = at(2026, 3, 1, 12, 0)
    on_second = at(2026, 3, 6, 20, 0)
    found = g.coaching_gaps([first, second], [early, on_second], NOW)
    assert [a.message_nl for a in found] == [
        "Van het coachcontact op 2 maart 2026 staat nog geen verslag in het coachjournaal."
    ]
    # Two coach contacts on one day are one day to write about.
    assert g.coaching_gaps([first, first + timedelta(hours=1)], [first + timedelta(hours=2)], NOW) == []


def test_coaching_gaps_from_since_and_not_in_the_future() -> None:
    old, future = at(2026, 1, 5, 10, 0), at(2026, 3, 20, 10, 0)
    assert g.coaching_gaps([old, future], [], NOW, since=d(2026, 2, 1)) == []


def test_coaching_gaps_over_the_turn_of_a_year_with_week_53() -> None:
    # 2026 has an ISO week 53 (28 Dec 2026 - 3 Jan 2027): days, not weeks, are matched.
    spoke = at(2026, 12, 31, 16, 0)
    now = at(2027, 1, 8, 9, 0)
    assert g.coaching_gaps([spoke], [at(2027, 1, 2, 9, 0)], now) == []
    assert g.coaching_gaps([spoke], [], now)[0].due == d(2027, 1, 7)
    assert g.coaching_gaps([spoke], [], now)[0].severity == "warning"


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInput):
        g.coaching_gaps([NOW.replace(tzinfo=None)], [], NOW)
    with pytest.raises(InvalidInput):
        g.contacts_without_entry([], set(), NOW.replace(tzinfo=None))


def test_kinds_are_plain_dutch() -> None:
    alerts = g.coaching_gaps([at(2026, 3, 2, 19, 0)], [], NOW) + g.contacts_without_entry(
        [held("e1", at(2026, 3, 10, 15, 0))], set(), NOW
    )
    found = signals(alerts, NOW)
    assert {x.kind.slug for x in found.open} == {"coachjournaal", "contactjournaal"}
    assert all(x.kind.section for x in found.open)
    assert c.JOURNAL_COACHING == "coaching-journal"
