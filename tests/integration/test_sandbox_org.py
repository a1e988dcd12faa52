"""The sandbox organisation as a whole: demo data loaded and valid, journal clearance derived per youth from
the CareTeams on HAPI, the launcher listing the demo users, and the journal seen or not seen per role."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
import requests

from hvol_fhir import terminology as t
from hvol_fhir.ehr.client import FhirClient as EhrClient
from sandbox.demo_data import resources
from sandbox.tokens import JOURNAL_CLAIM, PROGRAMME_CLAIM

from .conftest import FhirClient, Org

pytestmark = pytest.mark.integration

YOUTH = "hv-youth-06"  # contact period; buddy hv-buddy-1, coach hv-coach-1, mentor hv-mentor-2


def _claims(org: Org, token: str) -> dict[str, object]:
    return org.issuer.decode(token)


def test_demo_data_is_all_there(org: Org) -> None:
    expected = {(r["resourceType"], r["id"]) for r in resources(org.scenario)}
    client = EhrClient(org.fhir_base, org.admin_token())
    found = {
        (r["resourceType"], r["id"])
        for rtype in {k for k, _ in expected}
        for r in client.search_all(rtype, {"_elements": "id", "_count": "200"})
    }
    assert expected <= found
    assert Counter(k for k, _ in expected)["Communication"] > 300


@pytest.mark.parametrize(
    "rtype, profile",
    [
        ("CarePlan", "hvol-careplan"),
        ("Encounter", "hvol-encounter"),
        ("Communication", "hvol-journal-communication"),
        ("CareTeam", "hvol-careteam"),
    ],
)
def test_demo_resources_claim_their_profile_and_validate(admin: FhirClient, rtype: str, profile: str) -> None:
    """Loaded through the validating server, and a sample re-validates against its profile with no errors."""
    bundle = admin.get(f"{rtype}?_count=3").json()
    entries = [e["resource"] for e in bundle.get("entry", []) if e["resource"]["id"].startswith("hv-")]
    assert entries, rtype
    url = t.profile_url(profile)
    for res in entries:
        assert url in res["meta"]["profile"]
        outcome = admin.post(f"{rtype}/$validate?profile={url}", res).json()
        errors = [i for i in outcome.get("issue", []) if i["severity"] in ("error", "fatal")]
        assert errors == [], errors


@pytest.mark.parametrize(
    "user, expected",
    [
        ("hv-coordinator", ["*"]),
        ("hv-buddy-1", "includes"),
        ("hv-coach-1", "includes"),
        ("hv-buddy-3", "excludes"),
        ("hv-coach-2", "excludes"),
        ("hv-behavioural-scientist", None),
        ("hv-mentor-2", None),
        ("hv-staff-1", None),
    ],
)
def test_journal_clearance_is_derived_per_youth_from_fhir(org: Org, user: str, expected: object) -> None:
    claim = _claims(org, org.token_for(user, YOUTH)).get(JOURNAL_CLAIM)
    if expected is None:
        assert claim is None
    elif expected == "includes":
        assert isinstance(claim, list) and YOUTH in claim
    elif expected == "excludes":
        assert isinstance(claim, list) and YOUTH not in claim and claim  # cleared for her own youths only
    else:
        assert claim == expected


@pytest.mark.parametrize(
    "user, sees",
    [
        ("hv-coordinator", True),
        ("hv-buddy-1", True),
        ("hv-coach-1", True),
        ("hv-buddy-3", False),
        ("hv-behavioural-scientist", False),
        ("hv-mentor-2", False),
        ("hv-staff-1", False),
    ],
)
def test_journal_through_the_fhir_api_per_role(
    org: Org, fhir: Callable[[str | None], FhirClient], user: str, sees: bool
) -> None:
    client = fhir(org.token_for(user, YOUTH, "user/Communication.rs user/Patient.rs"))
    found = client.get(f"Communication?subject=Patient/{YOUTH}").json()
    assert found["resourceType"] == "Bundle"
    assert bool(found.get("entry")) is sees
    read = client.get("Communication/hv-journal-06-001")
    assert read.status_code == (200 if sees else 404)


def test_launcher_lists_demo_users_and_youths_from_fhir(org: Org) -> None:
    page = requests.get(org.launcher_url, timeout=10)
    assert page.status_code == 200
    for text in (
        "Marieke de Vries",
        "Sanne Visser",
        "Tom Peeters",
        "Sophie Meijer",
        "coördinator",
        "ervaringsmaatje",
        "gedragswetenschapper",
    ):
        assert text in page.text


def test_smart_configuration_at_the_fhir_base_names_this_organisations_server(org: Org) -> None:
    doc = requests.get(org.fhir_base + "/.well-known/smart-configuration", timeout=10).json()
    assert doc["authorization_endpoint"] == org.auth_url + "/authorize"
    assert doc["token_endpoint"] == org.auth_url + "/token"
    assert requests.get(doc["jwks_uri"], timeout=10).json()["keys"][0]["kid"] == org.issuer.kid


@pytest.mark.parametrize(
    "user, expected",
    [
        ("hv-coordinator", ["*"]),
        ("hv-behavioural-scientist", "includes"),
        ("hv-buddy-1", "includes"),
        ("hv-mentor-2", None),
        ("hv-staff-1", None),
    ],
)
def test_programme_clearance_adds_the_behavioural_scientist_for_scores(
    org: Org, user: str, expected: object
) -> None:
    claim = _claims(org, org.token_for(user, YOUTH)).get(PROGRAMME_CLAIM)
    if expected is None:
        assert claim is None
    elif expected == "includes":
        assert isinstance(claim, list) and YOUTH in claim
    else:
        assert claim == expected
