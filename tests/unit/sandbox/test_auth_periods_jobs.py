"""Clearance honours periods and status (issue 13 cause 7), and tokens carry the user's job scopes only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sandbox.auth import create_auth_app
from sandbox.auth.directory import (
    CARETEAM_ROLE_SYSTEM,
    InMemoryDirectory,
    Membership,
    User,
    Youth,
    derive_clearance,
    derive_programme_clearance,
    period_is_current,
    user_from_fhir,
)
from sandbox.auth.grants import dev_token
from sandbox.auth.jobs import STAFF, cap_to_job, job_scopes, jobs_of
from sandbox.auth.scopes import parse_resource_scope
from sandbox.auth.testing import make_settings
from tests.unit.sandbox.test_auth_token import BASIC, claims_of, exchange, get_code

TODAY = dt.date(2026, 6, 15)
ME = {"resourceType": "Practitioner", "id": "p1", "name": [{"text": "Test Persoon"}]}


def team(status: str = "active", period: dict[str, str] | None = None, **participant: Any) -> dict[str, Any]:
    member: dict[str, Any] = {
        "role": [{"coding": [{"system": CARETEAM_ROLE_SYSTEM, "code": participant.pop("code", "buddy")}]}],
        "member": {"reference": "Practitioner/p1"},
        **participant,
    }
    out: dict[str, Any] = {
        "resourceType": "CareTeam",
        "id": "ct",
        "status": status,
        "subject": {"reference": "Patient/y1"},
        "participant": [member],
    }
    if period is not None:
        out["period"] = period
    return out


def coordinator_role(**fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "PractitionerRole",
        "practitioner": {"reference": "Practitioner/p1"},
        "code": [{"coding": [{"system": CARETEAM_ROLE_SYSTEM, "code": "coordinator"}]}],
        **fields,
    }


@pytest.mark.parametrize(
    ("careteam", "cleared"),
    [
        (team(), True),
        (team(period={"start": "2026-01-01"}), True),
        (team(period={"start": "2026-01-01", "end": "2026-06-15"}), True),  # the last day still counts
        (team(period={"start": "2026-01-01", "end": "2026-06-14"}), False),  # participation ended yesterday
        (team(period={"start": "2026-06-16"}), False),  # not begun yet
        (team(period={"start": "2026-01-01T09:00:00+01:00", "end": "2026-06-14T23:59:00+02:00"}), False),
        (team(period={"end": "2026"}), False),  # an end we cannot read fails closed
        (team(period={"start": "garbage"}), False),
        (team("inactive"), False),
        (team("suspended"), False),
        (team("proposed"), False),
        ({**team(), "status": None}, False),
        (team("active", {"start": "2025-01-01", "end": "2026-06-01"}), False),  # the team's own period ended
        (team("active", {"start": "2025-01-01", "end": "2026-12-31"}), True),
    ],
)
def test_careteam_periods_and_status_decide_clearance(careteam: dict[str, Any], cleared: bool) -> None:
    user = user_from_fhir(ME, [], [careteam], TODAY)
    assert derive_clearance(user) == (["y1"] if cleared else [])
    assert derive_programme_clearance(user) == (["y1"] if cleared else [])


@pytest.mark.parametrize(
    ("role", "cleared"),
    [
        (coordinator_role(), True),
        (coordinator_role(active=True, period={"start": "2020-01-01"}), True),
        (coordinator_role(active=False), False),
        (coordinator_role(period={"end": "2026-06-14"}), False),
        (coordinator_role(period={"start": "2026-07-01"}), False),  # a future coordinator is not one yet
        (coordinator_role(period={"start": "20xx"}), False),
    ],
)
def test_coordinator_role_honours_active_and_period(role: dict[str, Any], cleared: bool) -> None:
    user = user_from_fhir(ME, [role], [], TODAY)
    assert derive_clearance(user) == (["*"] if cleared else [])


def test_period_is_current_is_inclusive_and_open_ended() -> None:
    assert period_is_current(None, TODAY) and period_is_current({}, TODAY)
    assert period_is_current({"start": "2026-06-15", "end": "2026-06-15"}, TODAY)
    assert not period_is_current({"start": "2026-06-16"}, TODAY)


# --- job scopes ----------------------------------------------------------------------------------------


def user(*roles: str, coordinator: bool = False) -> User:
    return User("u", "U", coordinator=coordinator, memberships=tuple(Membership("y1", r) for r in roles))


def allows(scopes: tuple[str, ...], resource: str, letter: str) -> bool:
    parsed = [p for p in map(parse_resource_scope, scopes) if p]
    return any(p.resource_type in ("*", resource) and letter in p.permissions for p in parsed)


@pytest.mark.parametrize(
    ("who", "may", "may_not"),
    [
        (
            user(),
            [("Patient", "r"), ("Communication", "s"), ("Encounter", "c")],
            [
                ("CareTeam", "c"),
                ("CareTeam", "u"),
                ("PractitionerRole", "c"),
                ("Communication", "d"),
                ("Patient", "u"),
            ],
        ),
        (
            user("mentor"),
            [("Encounter", "c"), ("CarePlan", "r")],
            [("CareTeam", "u"), ("PractitionerRole", "u")],
        ),
        (
            user("buddy"),
            [("Communication", "c"), ("Encounter", "c"), ("QuestionnaireResponse", "u")],
            [("Observation", "r"), ("Condition", "s"), ("CareTeam", "u"), ("PractitionerRole", "c")],
        ),
        (user("coach"), [("Communication", "u")], [("MedicationRequest", "r"), ("CareTeam", "c")]),
        (user("behavioural-scientist"), [("CarePlan", "u"), ("Observation", "c")], [("Consent", "c")]),
        (
            user(coordinator=True),
            [("CareTeam", "c"), ("Consent", "u"), ("Communication", "c")],
            [("PractitionerRole", "c"), ("Subscription", "c")],
        ),
    ],
)
def test_each_job_gets_its_own_scopes_never_everything(
    who: User, may: list[tuple[str, str]], may_not: list[tuple[str, str]]
) -> None:
    scopes = job_scopes(who)
    assert "user/*.cruds" not in scopes and "user/*.*" not in scopes
    for resource, letter in may:
        assert allows(scopes, resource, letter), (resource, letter)
    for resource, letter in may_not:
        assert not allows(scopes, resource, letter), (resource, letter)


def test_jobs_follow_current_roles_only() -> None:
    assert jobs_of(user()) == (STAFF,)
    former = User("u", "U", memberships=(Membership("y1", "buddy", active=False),))
    assert jobs_of(former) == (STAFF,)
    assert set(jobs_of(user("buddy", "coach"))) == {"buddy", "coach"}


def test_cap_to_job_intersects_and_keeps_the_clients_syntax() -> None:
    buddy = user("buddy")
    capped = cap_to_job(["launch", "openid", "patient/Encounter.rs", "patient/*.cruds", "user/*.read"], buddy)
    assert capped[:3] == ("launch", "openid", "patient/Encounter.rs")  # covered whole: kept as asked
    assert "patient/Communication.crus" in capped and "patient/Observation.rs" not in capped
    assert not any(s.startswith(("patient/*", "user/*")) for s in capped)
    staff = cap_to_job(["patient/*.read", "user/*.cruds", "user/CareTeam.cu"], user())
    assert staff[0] == "patient/*.read" and "user/*.rs" in staff and "user/CareTeam.cu" not in staff
    assert cap_to_job(["patient/Observation.rs?category=vital-signs"], user()) == ()  # never guessed at


def test_dev_token_never_grants_beyond_the_job() -> None:
    settings = make_settings(directory=InMemoryDirectory([user()], []), enable_dev_token=True)
    body = dev_token(settings, "u", scope="user/*.cruds system/*.* user/CareTeam.cruds")
    assert "user/*.cruds" not in body["scope"].split()
    assert not allows(tuple(body["scope"].split()), "CareTeam", "c")
    assert allows(tuple(body["scope"].split()), "Communication", "r")


# --- at token issue and on refresh --------------------------------------------------------------------------


class ClockedFhirDirectory:
    """The directory as FhirDirectory derives it (user_from_fhir on FHIR JSON), on a clock the test moves."""

    def __init__(self, roles: list[dict[str, Any]], teams: list[dict[str, Any]], today: dt.date) -> None:
        self.roles, self.teams, self.today = roles, teams, today

    def users(self) -> list[User]:
        return [self._user()]

    def user(self, user_id: str) -> User | None:
        return self._user() if user_id == "p1" else None

    def _user(self) -> User:
        return user_from_fhir(ME, self.roles, self.teams, self.today)

    def youths(self) -> list[Youth]:
        return [Youth("y1", "Test Jongere")]

    def youth(self, patient_id: str) -> Youth | None:
        return Youth("y1", "Test Jongere") if patient_id == "y1" else None


def _code_then_refresh(
    directory: ClockedFhirDirectory, later: dt.date
) -> tuple[dict[str, Any], dict[str, Any]]:
    settings = make_settings(directory=directory)
    client = create_auth_app(settings).test_client()
    code, verifier = get_code(
        client, user="p1", scope="launch openid fhirUser offline_access patient/Communication.rs"
    )
    first = exchange(client, code, verifier).get_json()
    directory.today = later
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = client.post("/token", data=form, headers=BASIC).get_json()
    return claims_of(client, first["access_token"]), claims_of(client, second["access_token"])


def test_refresh_after_the_participation_ended_carries_no_clearance() -> None:
    """Issue 13 cause 7: the buddy's period on the youth's CareTeam ends today; tomorrow's refresh of the same
    grant carries no clearance and no buddy scopes, although the CareTeam itself is still active."""
    careteam = team()
    careteam["participant"][0]["period"] = {"start": "2026-01-01", "end": "2026-06-15"}
    directory = ClockedFhirDirectory([], [careteam], TODAY)
    first, second = _code_then_refresh(directory, TODAY + dt.timedelta(days=1))
    assert first["hvol_journal"] == ["y1"] and "patient/Communication.rs" in first["scope"].split()
    assert "hvol_journal" not in second and "hvol_programme" not in second


def test_refresh_after_the_coordinator_role_ended_carries_no_clearance() -> None:
    role = coordinator_role(period={"start": "2025-01-01", "end": "2026-06-15"})
    directory = ClockedFhirDirectory([role], [], TODAY)
    first, second = _code_then_refresh(directory, TODAY + dt.timedelta(days=1))
    assert first["hvol_journal"] == ["*"]
    assert "hvol_journal" not in second


def test_a_scope_two_job_scopes_cover_together_is_granted_whole() -> None:
    """The behavioural scientist's job: user/*.rs plus user/CarePlan.cru cover patient/CarePlan.crus, and the
    grant says so in one scope (the app checks a feature against single granted scopes)."""
    from sandbox.auth.directory import BEHAVIOURAL_SCIENTIST, User
    from sandbox.auth.jobs import cap_to_job

    scientist = User("bs", "Test", org_roles=frozenset({BEHAVIOURAL_SCIENTIST}))
    granted = cap_to_job(
        ["patient/CarePlan.crus", "patient/Observation.crus", "patient/Consent.crus"], scientist
    )
    assert "patient/CarePlan.crus" in granted and "patient/Observation.crus" in granted
    assert "patient/Consent.rs" in granted and "patient/Consent.crus" not in granted
