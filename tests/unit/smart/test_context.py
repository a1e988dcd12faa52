"""Launch context and fhirUser (scopes-and-launch-context.html; R191, R193, R202; §4.3 scenario 9)."""

from __future__ import annotations

import pytest

from hvol_fhir.smart import IdTokenInvalid
from hvol_fhir.smart.context import parse_context, resolve_fhir_user

from .conftest import BASE


def test_every_context_field() -> None:
    ctx = parse_context(
        {
            "access_token": "secret",
            "token_type": "bearer",
            "patient": "youth-1",
            "encounter": "enc-1",
            "fhirContext": [
                {"reference": "CarePlan/cp-1"},
                {"canonical": "https://hvol-fhir.org/fhir/Questionnaire/q", "role": "questionnaire-render"},
                {"identifier": {"system": "s", "value": "v"}, "type": "CarePlan"},
                {"role": "orphan"},  # no reference, canonical or identifier: dropped
                "junk",
            ],
            "need_patient_banner": False,
            "smart_style_url": "https://ehr.example.org/style.json",
            "intent": "reconcile-journal",
            "tenant": "org-7",
            "__hvol_theme": "dark",
            "https://ehr.example.org/ext": {"x": 1},
            "unknown_plain_member": 1,
        }
    )
    assert ctx.patient == "youth-1" and ctx.encounter == "enc-1"
    assert [i.role for i in ctx.fhir_context] == ["launch", "questionnaire-render", "launch"]  # R191
    assert ctx.fhir_context[0].reference == "CarePlan/cp-1" and ctx.fhir_context[2].type == "CarePlan"
    assert ctx.need_patient_banner is False
    assert ctx.smart_style_url == "https://ehr.example.org/style.json"
    assert ctx.intent == "reconcile-journal" and ctx.tenant == "org-7"
    assert ctx.extensions == {"__hvol_theme": "dark", "https://ehr.example.org/ext": {"x": 1}}
    assert "secret" not in repr(ctx)


def test_defaults_when_absent() -> None:
    ctx = parse_context({"need_patient_banner": "false"})  # not a boolean: ignored
    assert ctx.patient is None and ctx.fhir_context == () and ctx.intent is None  # R193: default UI
    assert ctx.need_patient_banner is True


@pytest.mark.parametrize(
    ("claim", "url", "same"),
    [
        ("Practitioner/pr-1", f"{BASE}/Practitioner/pr-1", True),
        (f"{BASE}/Practitioner/pr-1", f"{BASE}/Practitioner/pr-1", True),
        (f"{BASE}/PractitionerRole/r-1/_history/2", f"{BASE}/PractitionerRole/r-1/_history/2", True),
        ("https://idp.example.net/fhir/Person/p-9", "https://idp.example.net/fhir/Person/p-9", False),
        (
            "https://ehr.example.org/other/Practitioner/pr-1",
            "https://ehr.example.org/other/Practitioner/pr-1",
            False,
        ),
    ],
)
def test_fhir_user_relative_or_absolute(claim: str, url: str, same: bool) -> None:
    user = resolve_fhir_user(claim, BASE)
    assert user.url == url and user.same_server is same  # R97: no token to another server
    assert user.resource_type in {"Practitioner", "PractitionerRole", "Person"}


@pytest.mark.parametrize("claim", ["", None, 42, "Observation/o-1", "Practitioner", "Practitioner/"])
def test_fhir_user_must_name_a_user(claim: object) -> None:
    with pytest.raises(IdTokenInvalid):
        resolve_fhir_user(claim, BASE)
