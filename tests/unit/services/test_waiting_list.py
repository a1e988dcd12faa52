"""The buddy picker's caseload (issue 14): current buddies of active programme teams, as signed and read."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hvol_fhir.mapping import careteam
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import CareTeam, CareTeamMember
from hvol_fhir.services.waiting_list import caseloads

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 12, 5, 9, tzinfo=AMS)


def team(ident: str, *members: CareTeamMember, status: str = "active") -> dict[str, object]:
    raw = careteam.to_fhir(CareTeam(identifier=ident, patient=f"Patient/{ident}", members=members))
    out = raw.model_dump(by_alias=True, exclude_none=True, mode="json")
    out["status"] = status
    return out


def buddy(who: str, start: datetime | None = None, end: datetime | None = None) -> CareTeamMember:
    return CareTeamMember(
        member=f"Practitioner/{who}", role=c.ROLE_BUDDY, skj_number="SKJ-1", start=start, end=end
    )


def test_caseload_counts_current_buddies_of_active_teams_only() -> None:
    teams = [
        team("a", buddy("b1")),
        team("b", buddy("b1"), buddy("b2", end=datetime(2026, 11, 1, tzinfo=AMS))),  # b2 ended
        team("c", buddy("b2"), status="inactive"),
        team("d", buddy("b2", start=datetime(2027, 1, 1, tzinfo=AMS))),  # not started yet
        {"resourceType": "CareTeam", "status": "active", "name": "Huisartsenteam"},  # another system's
    ]
    load = caseloads(teams, NOW)
    assert load["Practitioner/b1"] == 2 and load["Practitioner/b2"] == 0
