"""Planned -> held or missed (issue 14): the rules with the clock pinned (DST, week 53), the Encounter shape
of a missed contact, and that a missed contact counts toward no norm."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hvol_fhir.errors import InvalidInput, UnknownCode
from hvol_fhir.mapping import encounter as m
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import IsoWeek
from hvol_fhir.programme.rules import contact_status as s
from hvol_fhir.programme.rules.common import held
from hvol_fhir.programme.rules.contacts import check_no_overlap
from hvol_fhir.programme.rules.weekly import face_to_face_weeks, weekly_contact_time
from tests.unit.programme.builders import at, contact

START = at(2026, 12, 31, 15, 0)  # ISO week 53 of 2026
PLANNED = contact(START, 60, status="planned", ident="c-1")
EPISODE = "EpisodeOfCare/e1"


def as_json(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json", by_alias=True, exclude_none=True))


def test_held_keeps_the_identifier_so_it_does_not_overlap_with_itself() -> None:
    done = s.held_from_planned(
        PLANNED,
        start=START,
        end=START + timedelta(minutes=75),
        contact_type=c.CONTACT_VIDEO,
        now=START + timedelta(hours=2),
    )
    assert done.status == "finished" and done.identifier == "c-1" and done.contact_type == c.CONTACT_VIDEO
    check_no_overlap(done, [PLANNED])  # the planned version of itself is no overlap
    assert weekly_contact_time(held([done]))[IsoWeek(2026, 53)] == timedelta(minutes=75)


def test_held_before_it_ended_and_twice_are_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        s.held_from_planned(
            PLANNED,
            start=START,
            end=START + timedelta(hours=1),
            contact_type=c.CONTACT_PHONE,
            now=START + timedelta(minutes=30),
        )
    assert info.value.code == "in-future"
    done = s.held_from_planned(
        PLANNED,
        start=START,
        end=START + timedelta(hours=1),
        contact_type=c.CONTACT_PHONE,
        now=START + timedelta(hours=1),
    )
    with pytest.raises(InvalidInput) as again:
        s.missed_from_planned(
            done, reason=c.MISSED_NO_SHOW, cancelled_by=None, now=START + timedelta(hours=2)
        )
    assert again.value.code == "not-planned"


def test_missed_takes_no_time_and_no_norm_and_blocks_no_slot() -> None:
    gone = s.missed_from_planned(
        PLANNED, reason=c.MISSED_NO_SHOW, cancelled_by="youth", now=START + timedelta(hours=1)
    )
    assert (
        gone.missed_reason and gone.status == "cancelled" and gone.cancelled_by is None
    )  # only "cancelled" says who
    assert held([gone]) == [] and weekly_contact_time(held([gone])) == {}
    assert face_to_face_weeks(held([gone])) == set()
    check_no_overlap(contact(START, 60, ident="other"), [gone])  # its slot is free again
    assert s.missed([gone, PLANNED]) == [gone]


def test_calling_off_is_possible_ahead_and_needs_who_the_others_only_afterwards() -> None:
    before = START - timedelta(days=1)
    called_off = s.missed_from_planned(PLANNED, reason=c.MISSED_CANCELLED, cancelled_by="group", now=before)
    assert called_off.cancelled_by == "group"
    with pytest.raises(InvalidInput) as who:
        s.missed_from_planned(PLANNED, reason=c.MISSED_CANCELLED, cancelled_by=None, now=before)
    assert who.value.field == "cancelled_by"
    for reason in (c.MISSED_NO_SHOW, c.MISSED_WITH_LEAVE, c.MISSED_WITHOUT_LEAVE):
        with pytest.raises(InvalidInput) as early:
            s.missed_from_planned(PLANNED, reason=reason, cancelled_by=None, now=before)
        assert early.value.code == "not-yet"
    with pytest.raises(UnknownCode):
        s.missed_from_planned(PLANNED, reason="forgot", cancelled_by=None, now=START + timedelta(hours=1))


def test_the_start_that_counts_is_absolute_time_across_the_dst_change() -> None:
    # 25 October 2026 02:30 happens twice; planned for the first, she reports no-show during the second.
    first = at(2026, 10, 25, 2, 30, fold=0)
    plan = contact(first, 30, status="planned", ident="dst")
    second = at(2026, 10, 25, 2, 31, fold=1)  # an hour and a minute later
    assert s.missed_from_planned(plan, reason=c.MISSED_NO_SHOW, cancelled_by=None, now=second).missed_reason


def test_missed_round_trips_through_the_encounter_and_keeps_foreign_extensions() -> None:
    gone = s.missed_from_planned(PLANNED, reason=c.MISSED_CANCELLED, cancelled_by="youth", now=START)
    data = m.to_fhir(gone, episode="EpisodeOfCare/e1").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    assert data["status"] == "cancelled" and {e["url"].rsplit("/", 1)[1] for e in data["extension"]} == {
        "missed-reason",
        "cancelled-by",
    }
    assert m.from_json(data, traject=PLANNED.traject) == gone
    foreign = {"url": "https://ehr.example.org/ext/x", "valueString": "blijft"}
    stored = {**as_json(m.to_fhir(PLANNED, episode=EPISODE)), "extension": [foreign]}
    updated = m.update_fhir(stored, gone, episode="EpisodeOfCare/e1").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    assert foreign in updated["extension"] and len(updated["extension"]) == 3
    back = m.update_fhir(updated, PLANNED, episode="EpisodeOfCare/e1").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    assert back["extension"] == [foreign]  # ours removed when it is planned again, the EHR's kept


def test_a_missed_reason_on_a_held_contact_is_refused() -> None:
    from dataclasses import replace

    with pytest.raises(InvalidInput) as info:
        replace(PLANNED, status="finished", missed_reason=c.MISSED_NO_SHOW)
    assert info.value.code == "missed-not-cancelled"


def test_the_timeline_draws_missed_and_network_contacts_apart_and_counts_no_hours_for_them() -> None:
    import xml.etree.ElementTree as ET
    from dataclasses import replace as copy_with
    from datetime import UTC, date, datetime

    from hvol_fhir.timeline import Row, render
    from sandbox.demo_scenario import build

    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    story = build(date(2026, 11, 30)).stories[7]
    first, second, *rest = sorted(story.contacts, key=lambda x: x.start)
    gone = copy_with(first, status="cancelled", missed_reason=c.MISSED_NO_SHOW)
    network = copy_with(second, network="intake")
    svg = render([Row(label="x", traject=story.traject, contacts=(gone, network, *rest))], now)
    titles = [el.text or "" for el in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}title")]
    assert any("(niet doorgegaan)" in t for t in titles) and any("(met het netwerk)" in t for t in titles)
    assert 'class="contact missed"' in svg or "contact missed" in svg
    weeks = weekly_contact_time(held([gone, network]))
    assert weeks == {}
