"""Another buddy after the introduction (issue 14): the old buddy's period ends where the new one's begins,
so each reads only what was written in her own period; the same person cannot "replace" herself."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.privacy import periods
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import CareTeam, CareTeamMember

AMS = ZoneInfo("Europe/Amsterdam")
OLD, NEW, COACH, COACH2 = "Practitioner/old", "Practitioner/new", "Practitioner/coach", "Practitioner/coach2"
START, SWITCH = datetime(2026, 3, 1, 9, tzinfo=AMS), datetime(2026, 3, 29, 9, tzinfo=AMS)  # DST on 29 March

TEAM = CareTeam(
    identifier="ct",
    patient="Patient/y",
    members=(
        CareTeamMember(member=OLD, role=c.ROLE_BUDDY, start=START),
        CareTeamMember(member=COACH, role=c.ROLE_COACH, start=START),
        CareTeamMember(member="Practitioner/boss", role=c.ROLE_COORDINATOR),
    ),
)


def test_old_period_ends_where_the_new_one_begins() -> None:
    team = periods.hand_over(TEAM, c.ROLE_BUDDY, CareTeamMember(member=NEW, role=c.ROLE_BUDDY), SWITCH)
    old = periods.reading_periods(team, OLD, c.ROLE_BUDDY)
    new = periods.reading_periods(team, NEW, c.ROLE_BUDDY)
    assert old == ((START, SWITCH),) and new == ((SWITCH, None),)
    just_before = datetime(2026, 3, 29, 8, 59, 59, tzinfo=AMS)
    assert periods.within(old, just_before) and not periods.within(new, just_before)
    assert periods.within(new, SWITCH) and not periods.within(old, SWITCH)  # the end is exclusive
    # The coach stays (same period as before), the coordinator keeps reading everything.
    assert periods.reading_periods(team, COACH, c.ROLE_COACH) == ((START, None),)
    assert periods.reading_periods(team, "Practitioner/boss", c.ROLE_COORDINATOR) is None


def test_a_new_coach_is_handed_over_the_same_way() -> None:
    team = periods.hand_over(TEAM, c.ROLE_COACH, CareTeamMember(member=COACH2, role=c.ROLE_COACH), SWITCH)
    assert periods.reading_periods(team, COACH, c.ROLE_COACH) == ((START, SWITCH),)
    assert periods.reading_periods(team, COACH2, c.ROLE_COACH) == ((SWITCH, None),)


def test_the_old_buddy_returning_later_gets_a_second_separate_period() -> None:
    team = periods.hand_over(TEAM, c.ROLE_BUDDY, CareTeamMember(member=NEW, role=c.ROLE_BUDDY), SWITCH)
    later = datetime(2026, 6, 1, 9, tzinfo=AMS)
    team = periods.hand_over(team, c.ROLE_BUDDY, CareTeamMember(member=OLD, role=c.ROLE_BUDDY), later)
    assert periods.reading_periods(team, OLD, c.ROLE_BUDDY) == ((START, SWITCH), (later, None))
    assert not periods.within(
        periods.reading_periods(team, OLD, c.ROLE_BUDDY), datetime(2026, 4, 1, tzinfo=AMS)
    )


@pytest.mark.parametrize(
    ("role", "member"),
    [
        (c.ROLE_BUDDY, CareTeamMember(member=OLD, role=c.ROLE_BUDDY)),  # herself
        (c.ROLE_COORDINATOR, CareTeamMember(member=NEW, role=c.ROLE_COORDINATOR)),  # no period role
        (c.ROLE_BUDDY, CareTeamMember(member=NEW, role=c.ROLE_COACH)),  # role mismatch
    ],
)
def test_refused_changes_leave_the_team_as_it_was(role: str, member: CareTeamMember) -> None:
    with pytest.raises(InvalidInput):
        periods.hand_over(TEAM, role, member, SWITCH)
