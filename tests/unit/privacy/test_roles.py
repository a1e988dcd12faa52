"""The role policy: programme role from signed CareTeam / PractitionerRole (pure), the card-only rule, ages,
and the per-role scopes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hvol_fhir import terminology as t
from hvol_fhir.mapping.person import age_from_birth_date
from hvol_fhir.privacy.features import FEATURES, ROLE_FEATURES, UNION_FEATURES, card_only, named
from hvol_fhir.privacy.roles import CARETEAM_ROLE_SYSTEM, RolePolicy, decide_role
from hvol_fhir.sealing import keys as vault
from hvol_fhir.sealing import membership
from hvol_fhir.smart.renewal import narrowing_candidates
from hvol_fhir.smart.scopes import build_request

TODAY = dt.date(2026, 6, 1)
ME = "Practitioner/me"
COORDINATOR = "Practitioner/the-coordinator"
RING = vault.generate("test")
KEYS = membership.verification_keys(RING)


def _coding(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": CARETEAM_ROLE_SYSTEM, "code": code}]}]


def _team(*participants: dict[str, Any], status: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "CareTeam",
        "status": status,
        "identifier": [{"system": t.sid("careteam"), "value": "team-1"}],
        "subject": {"reference": "Patient/youth-1"},
        "participant": list(participants),
    }


def _signed(resources: list[dict[str, Any]], ring: vault.KeyRing = RING) -> list[dict[str, Any]]:
    sign = {"CareTeam": membership.sign_careteam, "PractitionerRole": membership.sign_role}
    return [sign[r["resourceType"]](ring, r, COORDINATOR) for r in resources]


def _member(ref: str, code: str, **period: str) -> dict[str, Any]:
    return {"member": {"reference": ref}, "role": _coding(code), **({"period": period} if period else {})}


def _coordinator_role(ref: str = ME, active: bool = True) -> dict[str, Any]:
    return {
        "resourceType": "PractitionerRole",
        "active": active,
        "practitioner": {"reference": ref},
        "code": _coding("coordinator"),
    }


@pytest.mark.parametrize(
    ("teams", "roles", "expected"),
    [
        ([_team(_member(ME, "buddy"))], [], ("buddy", "careteam")),
        ([_team(_member("https://ehr/fhir/" + ME, "coach"))], [], ("coach", "careteam")),  # absolute ref
        ([_team(_member(ME, "mentor"), _member(ME, "buddy"))], [], ("buddy", "careteam")),  # widest wins
        ([_team(_member(ME, "buddy", end="2026-01-01"))], [], ("staff", "none")),  # ended
        ([_team(_member(ME, "buddy", start="2026-07-01"))], [], ("staff", "none")),  # not yet
        ([_team(_member(ME, "buddy"), status="inactive")], [], ("staff", "none")),
        ([_team(_member("Practitioner/other", "buddy"))], [], ("staff", "none")),
        ([], [_coordinator_role()], ("coordinator", "practitionerrole")),
        ([], [_coordinator_role(active=False)], ("staff", "none")),
        ([], [_coordinator_role("Practitioner/other")], ("staff", "none")),
        (
            [_team({"member": {"reference": ME}, "role": [{"coding": [{"system": "x", "code": "buddy"}]}]})],
            [],
            ("staff", "none"),
        ),  # a buddy code from another system is not the programme's
    ],
)
def test_decide_role(teams: list[Any], roles: list[Any], expected: tuple[str, str]) -> None:
    decision = decide_role(ME, _signed(teams), _signed(roles), TODAY, keys=KEYS)
    assert (decision.role, decision.source) == expected


def test_no_fhir_user_means_unknown_staff() -> None:
    assert decide_role(None, _signed([_team(_member(ME, "buddy"))]), [], TODAY, keys=KEYS).role == "staff"


def _self_grants() -> list[tuple[str, list[Any], list[Any]]]:
    """Every way a staff member with write access to the EHR can try to give herself a programme role."""
    signed_team = _signed([_team(_member("Practitioner/buddy", "buddy"))])[0]
    added = {**signed_team, "participant": [*signed_team["participant"], _member(ME, "buddy")]}
    swapped = {**signed_team, "participant": [_member(ME, "buddy")]}
    widened = _signed([_team(_member(ME, "mentor"))])[0]
    widened = {**widened, "participant": [_member(ME, "coordinator")]}
    reopened = _signed([_team(_member(ME, "buddy", end="2026-01-01"))])[0]
    reopened = {**reopened, "participant": [_member(ME, "buddy")]}
    other_youth = {**_signed([_team(_member(ME, "buddy"))])[0], "subject": {"reference": "Patient/other"}}
    copied_sig = {**_team(_member(ME, "buddy")), "extension": signed_team["extension"]}
    role = _signed([_coordinator_role("Practitioner/someone-else")])[0]
    stolen_role = {**role, "practitioner": {"reference": ME}}
    return [
        ("unsigned CareTeam", [_team(_member(ME, "buddy"))], []),
        ("unsigned coordinator role", [], [_coordinator_role()]),
        ("added to a signed team", [added], []),
        ("swapped into a signed team", [swapped], []),
        ("mentor made coordinator", [widened], []),
        ("ended membership reopened", [reopened], []),
        ("signed team moved to another youth", [other_youth], []),
        ("signature copied to a new team", [copied_sig], []),
        ("coordinator role taken over", [], [stolen_role]),
        ("signed by another key", _signed([_team(_member(ME, "buddy"))], vault.generate("x")), []),
        ("role signed by another key", [], _signed([_coordinator_role()], vault.generate("x"))),
    ]


@pytest.mark.parametrize(
    ("what", "teams", "roles"), _self_grants(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_a_membership_not_signed_by_the_app_grants_nothing(
    what: str, teams: list[Any], roles: list[Any]
) -> None:
    decision = decide_role(ME, teams, roles, TODAY, keys=KEYS)
    assert decision.role == "staff", what


def test_without_keys_nobody_gets_a_programme_role() -> None:
    teams = _signed([_team(_member(ME, "buddy"))])
    assert decide_role(ME, teams, _signed([_coordinator_role()]), TODAY, keys=None).role == "staff"


def test_mentor_gets_the_programme_card_only() -> None:
    assert ROLE_FEATURES["mentor"] == ROLE_FEATURES["staff"] == ("identity", "youth", "programme-card")


@pytest.mark.parametrize(
    ("role", "card"),
    [
        ("buddy", False),
        ("coach", False),
        ("coordinator", False),
        ("behavioural-scientist", False),
        ("mentor", True),
        ("staff", True),
        ("someone-else", True),  # a role the policy does not know gets what regular staff get
    ],
)
def test_card_only_is_one_rule(role: str, card: bool) -> None:
    policy = RolePolicy(role)
    assert card_only(role) is card and policy.card_only is card
    assert policy.reads_journal is (role in ("buddy", "coach", "coordinator"))
    assert policy.label and "-" not in policy.label  # a Dutch label, never the code


def test_buddy_scopes_stay_within_the_programme() -> None:
    """P-ASSESS: nothing of the record beyond the programme's resources and the youth's name and age."""
    scopes = build_request(named(ROLE_FEATURES["buddy"]), "v2", ehr_launch=True).scopes
    types = {s.split("/")[1].split(".")[0] for s in scopes if "/" in s and "." in s}
    assert types <= {
        "Patient",
        "CarePlan",
        "CareTeam",
        "Encounter",
        "Communication",
        "AuditEvent",
        "QuestionnaireResponse",
        "Questionnaire",
        "Practitioner",
        "PractitionerRole",
        "Task",
    }
    assert "patient/Patient.r" in scopes  # read only: no search over other youths
    # P-COACH-AFTER: her own youth's tasks only (Task lies in the youth's compartment by Task.for), never the
    # organisation's waiting list.
    assert "patient/Task.crus" in scopes and not any(s.startswith("user/Task") for s in scopes)


def test_coach_reaches_only_the_youths_tasks() -> None:
    # Follow-ups (read) and escalations (she marks them handled: update): patient level, never user/Task.
    scopes = build_request(named(ROLE_FEATURES["coach"]), "v2", ehr_launch=True).scopes
    assert "patient/Task.crus" in scopes and not any(s.startswith("user/Task") for s in scopes)


def test_programme_features_live_in_the_library_table() -> None:
    for name in ("programme-links", "coach-followup", "coach-followup-list", "cohort"):
        assert name in FEATURES
    assert {"programme-links", "coach-followup", "cohort"} <= set(ROLE_FEATURES["coordinator"])
    assert "programme-links" in ROLE_FEATURES["behavioural-scientist"]
    assert "cohort" in UNION_FEATURES
    cohort = build_request(named(["cohort"]), "v2", ehr_launch=True).scopes
    assert "user/CarePlan.rs" in cohort and "user/Patient.rs" in cohort


def test_union_request_contains_role_discovery() -> None:
    scopes = build_request(named(UNION_FEATURES), "v2", ehr_launch=True).scopes
    for needed in ("launch", "openid", "fhirUser", "online_access", "user/PractitionerRole.rs"):
        assert needed in scopes
    assert any(s.startswith("patient/CareTeam.") and "r" in s.split(".")[1] for s in scopes)


def test_narrowing_candidates_fall_back_to_granted_strings() -> None:
    wanted = ("launch", "patient/CarePlan.rs", "patient/Patient.r")
    granted = ["launch", "patient/CarePlan.crus", "patient/Patient.r", "patient/Consent.crus"]
    exact, covering = narrowing_candidates(wanted, granted)
    assert exact == wanted
    assert covering == ("launch", "patient/CarePlan.crus", "patient/Patient.r")  # Consent dropped


@pytest.mark.parametrize(
    ("birth", "age"), [("2010-06-01", 16), ("2010-06-02", 15), ("2010", None), (None, None)]
)
def test_age_on(birth: str | None, age: int | None) -> None:
    assert age_from_birth_date(birth, TODAY) == age
