"""Scope syntax, choice and grant comparison (scopes-and-launch-context.html; smart-launch.md §1.14)."""

from __future__ import annotations

import pytest

from hvol_fhir.privacy.features import FEATURES, ROLE_FEATURES, disabled_message, named
from hvol_fhir.smart.scopes import (
    Permission,
    build_request,
    choose_syntax,
    compare,
    parse_resource_scope,
)


@pytest.mark.parametrize(
    ("scope", "letters", "syntax", "query"),
    [
        ("patient/Observation.read", "rs", "v1", ""),
        ("user/*.write", "cud", "v1", ""),
        ("system/*.*", "cruds", "v1", ""),
        ("patient/Encounter.rs", "rs", "v2", ""),
        ("user/*.cruds", "cruds", "v2", ""),
        ("patient/Observation.rs?category=laboratory", "rs", "v2", "category=laboratory"),
    ],
)
def test_parse(scope: str, letters: str, syntax: str, query: str) -> None:
    parsed = parse_resource_scope(scope)
    assert parsed is not None
    assert parsed.letters == frozenset(letters) and parsed.syntax == syntax and parsed.query == query


@pytest.mark.parametrize(
    "scope", ["openid", "fhirUser", "launch", "launch/patient", "online_access", "patient/X.sr",
              "patient/X.rr", "patient/X.", "doctor/X.read", "patient/X.read?x=1"],
)  # fmt: skip
def test_not_resource_scopes(scope: str) -> None:
    assert parse_resource_scope(scope) is None


@pytest.mark.parametrize(
    ("caps", "override", "expected"),
    [
        (["permission-v2", "permission-v1"], None, "v2"),
        (["permission-v1"], None, "v1"),
        ([], None, "v1"),
        (["permission-v2"], "v1", "v1"),  # per-issuer override first
        ([], "v2", "v2"),
    ],
)
def test_choose_syntax(caps: list[str], override: str | None, expected: str) -> None:
    assert choose_syntax(caps, override) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("role", sorted(ROLE_FEATURES))
@pytest.mark.parametrize("syntax", ["v1", "v2"])
def test_request_never_mixes_syntaxes(role: str, syntax: str) -> None:
    request = build_request(named(ROLE_FEATURES[role]), syntax, ehr_launch=True)  # type: ignore[arg-type]
    parsed = [p for p in (parse_resource_scope(s) for s in request.scopes) if p is not None]
    assert parsed and {p.syntax for p in parsed} == {syntax}
    resources = [(p.context, p.resource) for p in parsed]
    assert len(resources) == len(set(resources))  # one scope per resource type (R131)
    assert "*" not in {p.resource for p in parsed}  # no wildcards (R148)
    assert "launch" in request.scopes and "online_access" in request.scopes  # R35, R215


def test_v2_letters_are_ordered_and_merged() -> None:
    request = build_request(named(["programme-card", "contacts"]), "v2", ehr_launch=False)
    assert "patient/Encounter.crus" in request.scopes  # rs from the card, cru from contacts (R135 order)
    assert "launch/patient" in request.scopes and "launch" not in request.scopes


def test_buddy_sees_nothing_beyond_the_programme() -> None:
    # P-ASSESS: no Observation, Condition, DocumentReference ... for the buddy; Patient read only.
    request = build_request(named(ROLE_FEATURES["buddy"]), "v2", ehr_launch=True)
    resources = {p.resource for p in (parse_resource_scope(s) for s in request.scopes) if p}
    assert resources == {
        "Patient", "CarePlan", "CareTeam", "Encounter", "Communication", "AuditEvent",
        "QuestionnaireResponse", "Questionnaire", "Practitioner", "PractitionerRole", "Task",
    }  # fmt: skip
    assert "patient/Patient.r" in request.scopes


def test_staff_gets_the_programme_card_only() -> None:
    request = build_request(named(ROLE_FEATURES["staff"]), "v2", ehr_launch=True)
    assert not any("Communication" in s for s in request.scopes)


def test_full_grant_enables_everything() -> None:
    request = build_request(named(ROLE_FEATURES["coordinator"]), "v2", ehr_launch=True)
    report = compare(request, request.scopes)
    assert (
        report.complete and disabled_message(report.disabled) is None and report.enabled == request.features
    )


def test_narrower_grant_switches_features_off() -> None:
    request = build_request(named(ROLE_FEATURES["buddy"]), "v2", ehr_launch=True)
    granted = [
        s if not s.startswith("patient/Communication") else "patient/Communication.rs" for s in request.scopes
    ]
    report = compare(request, granted)
    assert report.disabled == ("journal",)
    assert "patient/Communication.crus" in report.missing
    message = disabled_message(report.disabled)
    assert message is not None and FEATURES["journal"].label in message and "beheerder" in message


def test_v1_grant_for_v2_request_and_wildcards() -> None:
    request = build_request(named(["youth", "programme-card"]), "v2", ehr_launch=True)
    assert compare(request, ["patient/*.read"]).enabled == ("youth", "programme-card")
    assert compare(request, ["user/*.cruds"]).enabled == ("youth", "programme-card")
    assert compare(request, ["system/*.cruds"]).enabled == ()


def test_query_restricted_grant_does_not_cover() -> None:
    request = build_request(named(["youth"]), "v2", ehr_launch=True)
    assert compare(request, ["patient/Patient.rs?identifier=x"]).disabled == ("youth",)


def test_identity_needs_openid_and_fhiruser() -> None:
    request = build_request(named(["identity"]), "v2", ehr_launch=True)
    without = [s for s in request.scopes if s != "fhirUser"]
    assert compare(request, without).disabled == ("identity",)
    assert compare(request, request.scopes).enabled == ("identity",)


def test_absent_scope_in_response_means_as_requested() -> None:
    from hvol_fhir.smart.scopes import granted_scopes

    request = build_request(named(["youth"]), "v2", ehr_launch=True)
    assert granted_scopes(None, request) == request.scopes
    assert granted_scopes("", request) == ()


def test_permission_letters_validated() -> None:
    from hvol_fhir.smart import ScopeSyntaxError

    with pytest.raises(ScopeSyntaxError):
        Permission("patient", "Patient", "rx")


@pytest.mark.parametrize(
    "role, has_report",
    [
        ("coordinator", True),
        ("behavioural-scientist", True),
        ("buddy", False),
        ("coach", False),
        ("mentor", False),
        ("staff", False),
    ],
)
def test_only_coordinator_and_behavioural_scientist_get_the_measurement_report(
    role: str, has_report: bool
) -> None:
    assert ("measurement-report" in ROLE_FEATURES[role]) is has_report
