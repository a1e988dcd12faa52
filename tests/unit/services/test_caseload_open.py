"""Issue 15: who may open which girl's traject from a list (pure), which features a launch without a patient
asks for, and the sandbox's caseload claim (derived from signed memberships only)."""

from __future__ import annotations

from typing import Any

import pytest

from hvol_fhir import terminology as t
from hvol_fhir.errors import NotFound
from hvol_fhir.privacy.features import (
    CASELOAD_FEATURES,
    ROLE_FEATURES,
    UNION_FEATURES,
    launch_features,
    named,
)
from hvol_fhir.services.caseload import decide_opening
from hvol_fhir.smart.scopes import build_request
from sandbox.auth.directory import Membership, User
from sandbox.auth.jobs import caseload_of
from tests.unit.privacy.test_roles import KEYS, ME, TODAY, _member, _signed, _team

PLAN = {
    "resourceType": "CarePlan",
    "subject": {"reference": "Patient/youth-1"},
    "category": [{"coding": [{"system": t.cs_url(t.PROGRAMME), "code": t.PROGRAMME_CODE}]}],
}


def _open(plan: Any, teams: list[Any], role: str, user: str | None = ME) -> tuple[str, str]:
    opened = decide_opening(plan, teams, user=user, role=role, today=TODAY, keys=KEYS)
    return opened.patient, opened.role


def test_a_buddy_opens_a_girl_of_her_own_signed_team() -> None:
    assert _open(PLAN, _signed([_team(_member(ME, "buddy"))]), "buddy") == ("Patient/youth-1", "buddy")
    assert _open(PLAN, _signed([_team(_member(ME, "coach"))]), "buddy") == ("Patient/youth-1", "coach")


@pytest.mark.parametrize(
    "teams",
    [
        [],  # not on the team
        [_team(_member(ME, "buddy"))],  # written in by hand: not signed
        _signed([_team(_member("Practitioner/other", "buddy"))]),
        _signed([_team(_member(ME, "buddy", end="2026-01-01"))]),  # ended
        _signed([_team(_member(ME, "mentor"))]),  # a role that does not read the traject
    ],
)
def test_anyone_elses_girl_answers_as_a_missing_traject(teams: list[Any]) -> None:
    with pytest.raises(NotFound) as missing:
        _open(None, [], "buddy")
    with pytest.raises(NotFound) as refused:
        _open(PLAN, teams, "buddy")
    assert refused.value.message_nl == missing.value.message_nl


def test_the_coordinator_opens_any_programme_traject_and_nothing_else() -> None:
    assert _open(PLAN, [], "coordinator") == ("Patient/youth-1", "coordinator")
    with pytest.raises(NotFound):
        _open({**PLAN, "category": []}, [], "coordinator")  # not a programme traject
    for role in ("staff", "behavioural-scientist", "mentor"):
        with pytest.raises(NotFound):
            _open(PLAN, _signed([_team(_member(ME, "buddy"))]), role)


def test_a_launch_without_a_patient_asks_for_the_caseload_read_set() -> None:
    assert launch_features("buddy", with_patient=False) == CASELOAD_FEATURES
    assert launch_features("coach", with_patient=False) == CASELOAD_FEATURES
    assert launch_features("buddy", with_patient=True) == ROLE_FEATURES["buddy"]
    assert launch_features("coordinator", with_patient=False) == ROLE_FEATURES["coordinator"]
    assert set(CASELOAD_FEATURES) <= set(UNION_FEATURES)  # narrowing asks only for what the first grant had
    scopes = build_request(named(CASELOAD_FEATURES), "v2", ehr_launch=True).scopes
    resource = [s for s in scopes if "/" in s and not s.startswith("launch")]
    assert resource and all(s.startswith("user/") for s in resource)
    writes = [s for s in resource if any(x in s.split(".")[1] for x in "cud")]
    assert writes == ["user/AuditEvent.c"]  # read-only but for the journal read's audit


def _user(*memberships: Membership, coordinator: bool = False) -> User:
    return User("p1", "Test", coordinator=coordinator, memberships=memberships)


def test_the_caseload_claim_lists_her_current_buddy_and_coach_girls() -> None:
    buddy = _user(
        Membership("y1", "buddy"), Membership("y2", "buddy"), Membership("y3", "buddy", active=False)
    )
    assert caseload_of(buddy) == ["y1", "y2"]
    assert caseload_of(_user(Membership("y1", "coach"))) == ["y1"]
    assert caseload_of(_user(coordinator=True)) is None  # the coordinator: the whole programme
    assert caseload_of(_user()) is None  # regular staff: the EHR's own access, not the programme's
    assert caseload_of(_user(Membership("y1", "buddy"), Membership("y2", "behavioural-scientist"))) is None


def test_an_unsigned_team_adds_no_girl() -> None:
    """The directory keeps only signed memberships (issue 12); the claim is made from what it keeps."""
    from sandbox.auth.directory import memberships_from_careteam
    from sandbox.auth.signed import filter_directory

    def claim(team: dict[str, Any]) -> list[str] | None:
        teams, _roles = filter_directory([team], [], KEYS)
        return caseload_of(_user(*memberships_from_careteam(teams[0], "me", TODAY)))

    assert claim(_signed([_team(_member(ME, "buddy"))])[0]) == ["youth-1"]
    assert not claim(_team(_member(ME, "buddy")))  # the same team, written by hand: no girl
