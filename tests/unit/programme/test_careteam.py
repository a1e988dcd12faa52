from __future__ import annotations

import pytest

from hvol_fhir.programme.model import CareTeam, CareTeamMember
from hvol_fhir.programme.rules.careteam import check_responsibility
from tests.unit.programme.builders import at

NOW = at(2025, 5, 1, 12)
GW = CareTeamMember(member="Practitioner/gw", role="behavioural-scientist", skj_number="SKJ-1")


@pytest.mark.parametrize(
    ("buddy", "blocked"),
    [
        (CareTeamMember(member="Practitioner/b", role="buddy", skj_number="SKJ-2"), False),
        (
            CareTeamMember(member="Practitioner/b", role="buddy", responsible_professional="Practitioner/gw"),
            False,
        ),
        (CareTeamMember(member="Practitioner/b", role="buddy"), True),
        (
            CareTeamMember(member="Practitioner/b", role="buddy", responsible_professional="Practitioner/x"),
            True,
        ),
        # A buddy whose membership ended no longer needs cover.
        (
            CareTeamMember(member="Practitioner/b", role="buddy", start=at(2024, 1, 1), end=at(2025, 1, 1)),
            False,
        ),
    ],
)
def test_p_resp(buddy: CareTeamMember, blocked: bool) -> None:
    team = CareTeam(identifier="ct1", patient="Patient/p1", members=(GW, buddy))
    alerts = check_responsibility(team, NOW)
    assert [a.rule_id for a in alerts] == (["P-RESP"] if blocked else [])
    assert all(a.severity == "block" for a in alerts)
