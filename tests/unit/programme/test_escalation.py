"""Escalations (P-POLICE, P-SAFETY, P-DANGER consultation, opschalen): who raises, who is reached, who sees
it, handling and scaling up; the clock pinned, including across the DST change."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from hvol_fhir.errors import InvalidInput, NotAllowed, UnknownCode
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import CareTeam, CareTeamMember
from hvol_fhir.programme.rules import escalation as e
from tests.unit.programme.builders import BUDDY_REF, PATIENT_REF, TRAJECT_REF, at

COACH = "Practitioner/coach-1"
COORD = "Practitioner/coord-1"
GW = "Practitioner/gw-1"
MENTOR = "Practitioner/mentor-1"
NOW = at(2026, 3, 10, 14, 0)


def team(*roles: str, start_days_ago: int = 60) -> CareTeam:
    who = {
        c.ROLE_BUDDY: BUDDY_REF,
        c.ROLE_COACH: COACH,
        c.ROLE_COORDINATOR: COORD,
        c.ROLE_BEHAVIOURAL_SCIENTIST: GW,
        c.ROLE_MENTOR: MENTOR,
    }
    start = NOW - timedelta(days=start_days_ago)
    return CareTeam(
        identifier="team-1",
        patient=PATIENT_REF,
        members=tuple(CareTeamMember(member=who[r], role=r, start=start) for r in roles),
    )


FULL = team(c.ROLE_BUDDY, c.ROLE_COACH, c.ROLE_COORDINATOR, c.ROLE_BEHAVIOURAL_SCIENTIST, c.ROLE_MENTOR)


def raised(
    kind: str = c.ESCALATION_POLICE, *, now: datetime = NOW, gw: bool = False, care_team: CareTeam = FULL
) -> e.Escalation:
    return e.raise_escalation(
        identifier="esc-1",
        traject=TRAJECT_REF,
        patient=PATIENT_REF,
        raised_by=BUDDY_REF,
        role=c.ROLE_BUDDY,
        kind=kind,
        message="  Agent belde over een afspraak van vrijdag (fictief).  ",
        team=care_team,
        now=now,
        involve_behavioural_scientist=gw,
    )


def test_police_reaches_coach_and_coordinator_not_the_behavioural_scientist() -> None:
    esc = raised()
    assert esc.recipients == (COACH, COORD)
    assert esc.is_open and esc.rule_id == "P-POLICE"
    assert esc.message == "Agent belde over een afspraak van vrijdag (fictief)."


def test_the_buddy_may_involve_the_behavioural_scientist() -> None:
    assert raised(c.ESCALATION_CONCERN, gw=True).recipients == (COACH, COORD, GW)


@pytest.mark.parametrize(
    ("roles", "code"),
    [
        ((c.ROLE_BUDDY, c.ROLE_COORDINATOR), "no-coach"),
        ((c.ROLE_BUDDY, c.ROLE_COACH), "no-coordinator"),
    ],
)
def test_refused_in_dutch_when_the_team_cannot_be_reached(roles: tuple[str, ...], code: str) -> None:
    with pytest.raises(NotAllowed) as info:
        raised(care_team=team(*roles))
    assert info.value.code == code and "team" in info.value.message_nl


def test_involving_a_missing_behavioural_scientist_is_refused_not_dropped() -> None:
    with pytest.raises(NotAllowed) as info:
        raised(gw=True, care_team=team(c.ROLE_BUDDY, c.ROLE_COACH, c.ROLE_COORDINATOR))
    assert info.value.code == "no-behavioural-scientist"


@pytest.mark.parametrize("role", [c.ROLE_COACH, c.ROLE_COORDINATOR, c.ROLE_MENTOR, "staff"])
def test_only_the_buddy_raises(role: str) -> None:
    with pytest.raises(NotAllowed):
        e.raise_escalation(
            identifier="x", traject=TRAJECT_REF, patient=PATIENT_REF, raised_by=BUDDY_REF, role=role,
            kind=c.ESCALATION_POLICE, message="m", team=FULL, now=NOW,
        )  # fmt: skip


def test_a_buddy_of_another_youth_or_an_ended_buddy_does_not_raise() -> None:
    ended = CareTeam(
        identifier="t",
        patient=PATIENT_REF,
        members=(
            CareTeamMember(member=BUDDY_REF, role=c.ROLE_BUDDY, start=NOW - timedelta(days=90), end=NOW),
            *team(c.ROLE_COACH, c.ROLE_COORDINATOR).members,
        ),
    )  # fmt: skip
    with pytest.raises(NotAllowed):
        raised(care_team=ended, now=NOW + timedelta(hours=1))


def test_empty_message_and_unknown_kind_are_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        e.raise_escalation(
            identifier="x", traject=TRAJECT_REF, patient=PATIENT_REF, raised_by=BUDDY_REF,
            role=c.ROLE_BUDDY, kind=c.ESCALATION_POLICE, message="   ", team=FULL, now=NOW,
        )  # fmt: skip
    assert info.value.field == "message" and "leeg" in info.value.message_nl
    with pytest.raises(UnknownCode):
        raised(kind="gossip")


def test_visibility_staff_and_mentor_never_scientist_only_when_involved() -> None:
    esc = raised()
    assert e.visible_to(esc, c.ROLE_BUDDY, BUDDY_REF)
    assert not e.visible_to(esc, c.ROLE_BUDDY, "Practitioner/other-buddy")
    assert e.visible_to(esc, c.ROLE_COACH, COACH)
    assert not e.visible_to(esc, c.ROLE_COACH, "Practitioner/coach-2")
    assert e.visible_to(esc, c.ROLE_COORDINATOR, COORD)
    assert not e.visible_to(esc, c.ROLE_BEHAVIOURAL_SCIENTIST, GW)
    assert not e.visible_to(esc, c.ROLE_MENTOR, MENTOR)
    assert not e.visible_to(esc, "staff", MENTOR)
    assert not e.visible_to(esc, c.ROLE_COORDINATOR, None)
    assert e.visible_to(raised(gw=True), c.ROLE_BEHAVIOURAL_SCIENTIST, GW)


def test_it_stays_open_until_coach_or_coordinator_handles_it() -> None:
    esc = raised()
    assert e.open_for([esc], c.ROLE_COACH, COACH) == [esc]
    with pytest.raises(NotAllowed):
        e.handle(esc, by=BUDDY_REF, role=c.ROLE_BUDDY, now=NOW)
    with pytest.raises(NotAllowed):
        e.handle(raised(gw=True), by=GW, role=c.ROLE_BEHAVIOURAL_SCIENTIST, now=NOW)
    done = e.handle(esc, by=COACH, role=c.ROLE_COACH, now=NOW + timedelta(hours=1))
    assert done.status == e.HANDLED and done.handled_by == COACH
    assert e.open_for([done], c.ROLE_COORDINATOR, COORD) == []
    with pytest.raises(InvalidInput) as info:
        e.handle(done, by=COORD, role=c.ROLE_COORDINATOR, now=NOW + timedelta(hours=2))
    assert info.value.code == "already-handled"


def test_scaling_up_adds_the_behavioural_scientist_once() -> None:
    esc = raised(c.ESCALATION_CONCERN)
    up = e.scale_up(esc, by=COORD, role=c.ROLE_COORDINATOR, team=FULL, now=NOW)
    assert up.recipients == (COACH, COORD, GW) and e.involves_behavioural_scientist(up, FULL)
    assert e.scale_up(up, by=COACH, role=c.ROLE_COACH, team=FULL, now=NOW).recipients == up.recipients
    with pytest.raises(NotAllowed):
        e.scale_up(esc, by=BUDDY_REF, role=c.ROLE_BUDDY, team=FULL, now=NOW)


def test_danger_consultation_counts_for_one_day_and_only_for_her() -> None:
    consult = raised(c.ESCALATION_DANGER_CONSULTATION)
    assert e.danger_consulted([consult], BUDDY_REF, NOW + timedelta(hours=23))
    assert not e.danger_consulted([consult], BUDDY_REF, NOW + timedelta(hours=25))
    assert not e.danger_consulted([consult], "Practitioner/other-buddy", NOW)
    assert not e.danger_consulted([raised(c.ESCALATION_POLICE)], BUDDY_REF, NOW)
    # not before it was raised
    assert not e.danger_consulted([consult], BUDDY_REF, NOW - timedelta(minutes=1))


def test_danger_consultation_window_is_absolute_time_across_the_dst_change() -> None:
    # 28 March 2026, 22:00 local; the clocks go forward that night: 24 h later is 29 March 23:00 local.
    before = at(2026, 3, 28, 22, 0)
    consult = raised(c.ESCALATION_DANGER_CONSULTATION, now=before)
    assert e.danger_consulted([consult], BUDDY_REF, at(2026, 3, 29, 22, 30))
    assert not e.danger_consulted([consult], BUDDY_REF, at(2026, 3, 29, 23, 1))


def test_an_open_escalation_is_an_open_item_until_handled_and_warns_after_two_days_without_content() -> None:
    esc = raised()
    fresh = e.escalation_alerts([esc], NOW + timedelta(days=2))
    assert [(a.rule_id, a.severity) for a in fresh] == [(e.OPEN_RULE, "info")]
    alerts = e.escalation_alerts([esc], NOW + timedelta(days=2, minutes=1))
    # One rule id for every kind: the kind is sealed, and the to-do lists must not tell kinds apart.
    assert [(a.rule_id, a.severity) for a in alerts] == [(e.OPEN_RULE, "warning")]
    assert all("afspraak" not in a.message_nl and "10 maart" in a.message_nl for a in fresh + alerts)
    assert "olitie" not in alerts[0].message_nl
    done = replace(esc, status=e.HANDLED, handled_by=COACH, handled_at=NOW)
    assert e.escalation_alerts([done], NOW + timedelta(days=9)) == []


def test_a_todo_from_the_clear_parts_is_seen_by_the_same_people_as_the_escalation() -> None:
    esc = raised(gw=True)
    todo = e.EscalationTodo(
        identifier=esc.identifier,
        traject=esc.traject,
        raised_by=esc.raised_by,
        raised_at=esc.raised_at,
        recipients=esc.recipients,
    )
    for role, user in [
        (c.ROLE_BUDDY, BUDDY_REF),
        (c.ROLE_BUDDY, "Practitioner/other-buddy"),
        (c.ROLE_COACH, COACH),
        (c.ROLE_COACH, "Practitioner/coach-2"),
        (c.ROLE_COORDINATOR, COORD),
        (c.ROLE_BEHAVIOURAL_SCIENTIST, GW),
        (c.ROLE_MENTOR, MENTOR),
    ]:
        assert e.visible_to(todo, role, user) == e.visible_to(esc, role, user), (role, user)
    assert e.open_for([todo], c.ROLE_COACH, COACH) == [todo]
    assert e.open_for([replace(todo, is_open=False)], c.ROLE_COACH, COACH) == []


def test_naive_now_is_refused() -> None:
    with pytest.raises(InvalidInput):
        e.danger_consulted([], BUDDY_REF, NOW.replace(tzinfo=None))
