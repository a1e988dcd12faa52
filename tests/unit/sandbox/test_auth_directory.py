"""Clearance derivation (who may read whose journal) and reading the directory from FHIR resources."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import responses

from sandbox.auth.directory import (
    CARETEAM_ROLE_SYSTEM,
    FhirDirectory,
    age_on,
    derive_clearance,
    role_label,
    user_from_fhir,
)
from sandbox.auth.testing import demo_directory

DIRECTORY = demo_directory()


@pytest.mark.parametrize(
    ("user_id", "clearance", "label"),
    [
        ("coordinator", ["*"], "coördinator"),
        ("buddy-y1", ["y1"], "ervaringsmaatje"),  # buddy of this youth
        ("buddy-y2", ["y2"], "ervaringsmaatje"),  # buddy of another youth: not y1
        ("coach", ["y1", "y2"], "coach"),
        ("scientist", [], "gedragswetenschapper"),
        ("mentor", [], "mentor/groepsleiding"),
        ("staff", [], "overig personeel"),
        ("former-buddy", [], "overig personeel"),  # only on an inactive CareTeam
    ],
)
def test_clearance_table(user_id: str, clearance: list[str], label: str) -> None:
    user = DIRECTORY.user(user_id)
    assert user is not None
    assert derive_clearance(user) == clearance
    assert role_label(user) == label


def test_age_counts_birthdays() -> None:
    assert age_on(dt.date(2010, 3, 14), dt.date(2026, 3, 13)) == 15
    assert age_on(dt.date(2010, 3, 14), dt.date(2026, 3, 14)) == 16
    assert age_on(None, dt.date(2026, 1, 1)) is None


def role(code: str) -> dict[str, Any]:
    return {"coding": [{"system": CARETEAM_ROLE_SYSTEM, "code": code}]}


def practitioner(pid: str, given: str, family: str) -> dict[str, Any]:
    return {"resourceType": "Practitioner", "id": pid, "name": [{"given": [given], "family": family}]}


def careteam(ctid: str, patient: str, status: str, *members: tuple[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "CareTeam",
        "id": ctid,
        "status": status,
        "subject": {"reference": f"Patient/{patient}"},
        "participant": [
            {"role": [role(r)], "member": {"reference": f"Practitioner/{m}"}} for m, r in members
        ],
    }


TODAY = dt.date(2026, 6, 1)
ROLES: list[dict[str, Any]] = [
    {
        "resourceType": "PractitionerRole",
        "id": "r1",
        "active": True,
        "code": [role("coordinator")],
        "practitioner": {"reference": "Practitioner/p-coord"},
    },
    {
        "resourceType": "PractitionerRole",
        "id": "r2",
        "active": False,
        "code": [role("coordinator")],
        "practitioner": {"reference": "Practitioner/p-ex"},
    },
    {
        "resourceType": "PractitionerRole",
        "id": "r3",
        "code": [role("coordinator")],
        "period": {"end": "2026-01-01"},
        "practitioner": {"reference": "Practitioner/p-ex"},
    },
    {
        "resourceType": "PractitionerRole",
        "id": "r4",
        "code": [role("behavioural-scientist")],
        "practitioner": {"reference": "Practitioner/p-gw"},
    },
]
TEAMS = [
    careteam(
        "ct1", "y1", "active", ("p-buddy", "buddy"), ("p-coach", "coach"), ("p-gw", "behavioural-scientist")
    ),
    careteam("ct2", "y2", "inactive", ("p-buddy", "buddy")),
    careteam("ct3", "y3", "active", ("p-coach", "coach"), ("p-mentor", "mentor")),
]


@pytest.mark.parametrize(
    ("pid", "clearance", "label"),
    [
        ("p-coord", ["*"], "coördinator"),
        ("p-ex", [], "overig personeel"),  # coordinator role inactive or ended
        ("p-buddy", ["y1"], "ervaringsmaatje"),  # ct2 is inactive
        ("p-coach", ["y1", "y3"], "coach"),
        ("p-gw", [], "gedragswetenschapper"),
        ("p-mentor", [], "mentor/groepsleiding"),
        ("p-staff", [], "overig personeel"),
    ],
)
def test_user_from_fhir_resources(pid: str, clearance: list[str], label: str) -> None:
    user = user_from_fhir(practitioner(pid, "Test", "Persoon"), ROLES, TEAMS, TODAY)
    assert derive_clearance(user) == clearance
    assert role_label(user) == label
    assert user.name == "Test Persoon"


def bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [{"resource": r} for r in resources],
    }


BASE = "http://fhir.test/fhir"


@responses.activate
def test_fhir_directory_reads_one_user_with_the_token() -> None:
    responses.get(f"{BASE}/Practitioner/p-buddy", json=practitioner("p-buddy", "Bo", "Maatje"))
    responses.get(
        f"{BASE}/PractitionerRole",
        json=bundle(),
        match=[
            responses.matchers.query_param_matcher({"practitioner": "Practitioner/p-buddy", "_count": "200"})
        ],
    )
    responses.get(
        f"{BASE}/CareTeam",
        json=bundle(TEAMS[0], TEAMS[1]),
        match=[
            responses.matchers.query_param_matcher({"participant": "Practitioner/p-buddy", "_count": "200"})
        ],
    )
    directory = FhirDirectory(BASE + "/", lambda: "admin-token", today=lambda: TODAY)
    user = directory.user("p-buddy")
    assert user is not None and user.name == "Bo Maatje"
    assert derive_clearance(user) == ["y1"]
    assert all(call.request.headers["Authorization"] == "Bearer admin-token" for call in responses.calls)


@responses.activate
def test_fhir_directory_unknown_user_and_paging() -> None:
    responses.get(f"{BASE}/Practitioner/nobody", status=404)
    responses.get(
        f"{BASE}/Patient",
        json=bundle(
            {
                "resourceType": "Patient",
                "id": "y2",
                "name": [{"given": ["Noor"], "family": "Voorbeeld"}],
                "birthDate": "2009-11-02",
            },
            next_url=f"{BASE}?_getpages=abc&_getpagesoffset=1",
        ),
        match=[responses.matchers.query_param_matcher({"_count": "200"})],
    )
    responses.get(
        BASE, json=bundle({"resourceType": "Patient", "id": "y1", "name": [{"text": "Sanne Testmeisje"}]})
    )
    directory = FhirDirectory(BASE, "static-token", today=lambda: TODAY)
    assert directory.user("nobody") is None
    youths = directory.youths()
    assert [(y.id, y.name, y.birth_date) for y in youths] == [
        ("y2", "Noor Voorbeeld", dt.date(2009, 11, 2)),
        ("y1", "Sanne Testmeisje", None),
    ]
