"""Bearer tokens and SMART scopes on the sandbox HAPI server (401 and 403 paths, open endpoints)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from sandbox.tokens import TokenIssuer

from .conftest import FhirClient, Org

pytestmark = pytest.mark.integration


def _patient(pid: str) -> dict[str, object]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": "Scope", "given": ["Test"]}]}


@pytest.fixture(scope="module")
def patients(admin: FhirClient) -> tuple[str, str]:
    a, b = f"auth-a-{uuid.uuid4()}", f"auth-b-{uuid.uuid4()}"
    for pid in (a, b):
        assert admin.put(f"Patient/{pid}", _patient(pid)).status_code == 201
    return a, b


def _is_outcome(resp_json: dict[str, object]) -> bool:
    return resp_json.get("resourceType") == "OperationOutcome"


# --- open endpoints --------------------------------------------------------------------------------------


def test_metadata_is_open_and_advertises_smart(fhir: Callable[[str | None], FhirClient], org: Org) -> None:
    resp = fhir(None).get("metadata")
    assert resp.status_code == 200
    security = resp.json()["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    oauth = next(e for e in security["extension"] if e["url"].endswith("/oauth-uris"))
    uris = {e["url"]: e["valueUri"] for e in oauth["extension"]}
    assert uris == {"token": org.auth_url + "/token", "authorize": org.auth_url + "/authorize"}


def test_smart_configuration_is_open(fhir: Callable[[str | None], FhirClient], org: Org) -> None:
    resp = fhir(None).get(".well-known/smart-configuration")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["issuer"] == org.issuer.issuer
    assert doc["jwks_uri"] == org.auth_url + "/jwks"
    assert doc["authorization_endpoint"] == org.auth_url + "/authorize"
    assert doc["token_endpoint"] == org.auth_url + "/token"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"private_key_jwt", "client_secret_basic"}
    assert {
        "launch-ehr",
        "launch-standalone",
        "permission-v1",
        "permission-v2",
        "context-ehr-patient",
        "client-confidential-asymmetric",
        "sso-openid-connect",
    } <= set(doc["capabilities"])


# --- 401 -------------------------------------------------------------------------------------------------


def _bad_tokens(org: Org) -> dict[str, str]:
    other = TokenIssuer(issuer=org.issuer.issuer, audience=org.issuer.audience)
    same_kid_other_key = TokenIssuer(issuer=org.issuer.issuer, audience=org.issuer.audience)
    same_kid_other_key.key = TokenIssuer(issuer="x", audience="y").key
    forged_same_kid = same_kid_other_key.sign(
        {
            "iss": org.issuer.issuer,
            "aud": org.issuer.audience,
            "sub": "mallory",
            "exp": int(time.time()) + 600,
            "scope": "system/*.*",
            "hvol_admin": True,
        },
        header={"kid": org.issuer.kid},
    )
    return {
        "forged (other key, own kid)": other.mint(sub="mallory", scope="system/*.*", admin=True),
        "forged (other key, our kid)": forged_same_kid,
        "expired": org.issuer.mint(sub="late", scope="user/*.cruds", lifetime=-3600),
        "wrong audience": TokenIssuer(
            issuer=org.issuer.issuer, audience="http://127.0.0.1:1/fhir", key=org.issuer.key
        ).mint(sub="elsewhere", scope="user/*.cruds"),
        "wrong issuer": TokenIssuer(
            issuer="http://127.0.0.1:1", audience=org.issuer.audience, key=org.issuer.key
        ).mint(sub="x", scope="user/*.cruds"),
        "not a jwt": "abc.def.ghi",
    }


@pytest.mark.parametrize(
    "case",
    [
        "forged (other key, own kid)",
        "forged (other key, our kid)",
        "expired",
        "wrong audience",
        "wrong issuer",
        "not a jwt",
    ],
)
def test_bad_tokens_get_401(
    org: Org, fhir: Callable[[str | None], FhirClient], patients: tuple[str, str], case: str
) -> None:
    resp = fhir(_bad_tokens(org)[case]).get(f"Patient/{patients[0]}")
    assert resp.status_code == 401
    assert _is_outcome(resp.json())
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_token_gets_401(fhir: Callable[[str | None], FhirClient], patients: tuple[str, str]) -> None:
    client = fhir(None)
    for resp in (
        client.get(f"Patient/{patients[0]}"),
        client.get("Patient"),
        client.post("Patient", _patient("x")),
        client.post("", {"resourceType": "Bundle", "type": "batch", "entry": []}),
    ):
        assert resp.status_code == 401
        assert _is_outcome(resp.json())


def test_unauthenticated_invalid_body_is_401_not_422(fhir: Callable[[str | None], FhirClient]) -> None:
    # Authentication runs before validation: anonymous bodies are never inspected.
    resp = fhir(None).post("Patient", {"resourceType": "Patient", "gender": "nonsense"})
    assert resp.status_code == 401


# --- 403: scopes -----------------------------------------------------------------------------------------


def test_read_and_search_need_their_scope(
    org: Org, fhir: Callable[[str | None], FhirClient], patients: tuple[str, str]
) -> None:
    a = patients[0]
    search_only = fhir(org.issuer.mint(sub="s", scope="user/Patient.s"))
    read_only = fhir(org.issuer.mint(sub="r", scope="user/Patient.r"))
    other_type = fhir(org.issuer.mint(sub="o", scope="user/Observation.rs"))
    assert search_only.get(f"Patient/{a}").status_code == 403
    assert search_only.get(f"Patient?_id={a}").status_code == 200
    assert read_only.get(f"Patient/{a}").status_code == 200
    assert read_only.get(f"Patient?_id={a}").status_code == 403
    assert other_type.get(f"Patient/{a}").status_code == 403
    assert other_type.get("Patient").status_code == 403
    assert other_type.get(f"Patient/{a}/_history").status_code == 403


def test_v1_and_v2_scopes_are_equivalent(
    org: Org, fhir: Callable[[str | None], FhirClient], patients: tuple[str, str]
) -> None:
    for scope in ("user/Patient.read", "user/Patient.rs", "user/*.read", "system/Patient.rs"):
        client = fhir(org.issuer.mint(sub="v", scope=scope))
        assert client.get(f"Patient/{patients[0]}").status_code == 200, scope
        assert client.post("Patient", _patient("nope")).status_code == 403, scope
    writer = fhir(org.issuer.mint(sub="w", scope="user/Patient.write"))
    assert writer.get(f"Patient/{patients[0]}").status_code == 403


def test_writes_need_their_scope(
    org: Org, fhir: Callable[[str | None], FhirClient], patients: tuple[str, str]
) -> None:
    a = patients[0]
    reader = fhir(org.issuer.mint(sub="r", scope="user/Patient.rs"))
    creator = fhir(org.issuer.mint(sub="c", scope="user/Patient.c"))
    pid = f"scope-new-{uuid.uuid4()}"
    assert reader.put(f"Patient/{pid}", _patient(pid)).status_code == 403
    assert reader.post("Patient", _patient("x")).status_code == 403
    assert reader.delete(f"Patient/{a}").status_code == 403
    assert (
        reader.request(
            "PATCH",
            f"Patient/{a}",
            [{"op": "add", "path": "/active", "value": True}],
            content_type="application/json-patch+json",
        ).status_code
        == 403
    )
    assert creator.post("Patient", {"resourceType": "Patient"}).status_code == 201
    assert creator.put(f"Patient/{a}", _patient(a)).status_code == 403
    assert creator.delete(f"Patient/{a}").status_code == 403


def test_transaction_entries_need_their_scope(
    org: Org, fhir: Callable[[str | None], FhirClient], patients: tuple[str, str]
) -> None:
    a = patients[0]
    reader = fhir(org.issuer.mint(sub="r", scope="user/Patient.rs"))
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"request": {"method": "GET", "url": f"Patient/{a}"}},
            {
                "fullUrl": "urn:uuid:" + str(uuid.uuid4()),
                "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    resp = reader.post("", bundle)
    assert resp.status_code == 403
    assert _is_outcome(resp.json())
    bundle["type"] = "batch"
    assert reader.post("", bundle).status_code == 403
    read_bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": f"Patient/{a}"}}],
    }
    assert reader.post("", read_bundle).status_code == 200


def test_operations_need_scope_or_admin(
    org: Org, fhir: Callable[[str | None], FhirClient], admin: FhirClient, patients: tuple[str, str]
) -> None:
    a = patients[0]
    staff = fhir(org.issuer.mint(sub="s", scope="user/*.cruds"))
    patient_reader = fhir(org.issuer.mint(sub="p", scope="user/Patient.rs"))
    assert (
        staff.post(
            "$expunge",
            {
                "resourceType": "Parameters",
                "parameter": [{"name": "expungeEverything", "valueBoolean": True}],
            },
        ).status_code
        == 403
    )
    assert patient_reader.get(f"Patient/{a}/$everything").status_code == 403
    assert staff.get(f"Patient/{a}/$everything").status_code == 200
    assert patient_reader.get(f"Patient/{a}/$meta").status_code == 200
    assert admin.get(f"Patient/{a}/$meta").status_code == 200


def test_patient_scopes_stay_in_the_patients_compartment(
    org: Org, fhir: Callable[[str | None], FhirClient], admin: FhirClient, patients: tuple[str, str]
) -> None:
    a, b = patients
    obs = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "stemming"},
        "subject": {"reference": f"Patient/{b}"},
    }
    other_obs = admin.post("Observation", obs).json()["id"]
    client = fhir(org.issuer.mint(sub="p", scope="patient/*.rs", patient=a))
    assert client.get(f"Patient/{a}").status_code == 200
    assert client.get(f"Patient/{b}").status_code == 403
    assert client.get(f"Observation/{other_obs}").status_code == 403
    own = client.get(f"Observation?subject=Patient/{a}")
    assert own.status_code == 200
    writer = fhir(org.issuer.mint(sub="pw", scope="patient/Observation.cruds", patient=a))
    assert writer.post("Observation", obs).status_code == 403
    assert writer.post("Observation", {**obs, "subject": {"reference": f"Patient/{a}"}}).status_code == 201
    no_claim = fhir(org.issuer.mint(sub="pn", scope="patient/*.rs"))
    assert no_claim.get(f"Patient/{a}").status_code == 403


def test_tasks_belong_to_the_compartment_of_the_youth_they_are_for(
    org: Org, fhir: Callable[[str | None], FhirClient], admin: FhirClient, patients: tuple[str, str]
) -> None:
    """R4 leaves Task out of the Patient compartment; the sandbox puts a Task in the compartment of Task.for,
    so a patient-level token can write her own youth's tasks and never read another youth's."""
    a, b = patients

    def task(pid: str) -> dict[str, object]:
        return {
            "resourceType": "Task",
            "status": "requested",
            "intent": "order",
            "for": {"reference": f"Patient/{pid}"},
            "description": "coachcontact",
        }

    other = admin.post("Task", task(b)).json()["id"]
    client = fhir(org.issuer.mint(sub="pt", scope="patient/Task.crus", patient=a))
    created = client.post("Task", task(a))
    assert created.status_code == 201
    assert client.get(f"Task/{created.json()['id']}").status_code == 200
    assert client.post("Task", task(b)).status_code == 403
    assert client.get(f"Task/{other}").status_code == 403
    assert client.get(f"Task?subject=Patient/{b}").status_code == 403
    own = client.get(f"Task?subject=Patient/{a}").json()
    assert [e["resource"]["id"] for e in own["entry"]] == [created.json()["id"]]


def test_batch_entries_with_patient_scopes_do_not_fail_in_parallel(
    org: Org, fhir: Callable[[str | None], FhirClient], patients: tuple[str, str]
) -> None:
    """HAPI runs batch entries in a thread pool; the compartment rules are not thread-safe, so the sandbox
    runs them one by one (a ConcurrentModificationException gave random 500s before)."""
    a, _ = patients
    client = fhir(org.issuer.mint(sub="pb", scope="patient/*.rs", patient=a))
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": f"{t}?subject=Patient/{a}"}}
            for t in ("Observation", "Encounter", "CarePlan", "CareTeam", "Task", "Condition") * 4
        ],
    }
    for _ in range(5):
        resp = client.post("", batch)
        assert resp.status_code == 200
        assert {e["response"]["status"][:3] for e in resp.json()["entry"]} == {"200"}


def test_server_evaluated_and_conformance_types_are_loader_only(
    org: Org, fhir: Callable[[str | None], FhirClient], admin: FhirClient
) -> None:
    staff = fhir(org.issuer.mint(sub="s", scope="user/*.cruds"))
    subscription = {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "x",
        "criteria": "Communication?status=completed",
        "channel": {"type": "rest-hook", "endpoint": "http://127.0.0.1:9/hook"},
    }
    assert staff.post("Subscription", subscription).status_code == 403
    profile = admin.get("StructureDefinition/hvol-test-patient").json()
    assert staff.put("StructureDefinition/hvol-test-patient", profile).status_code == 403
    assert staff.get("StructureDefinition/hvol-test-patient").status_code == 200
