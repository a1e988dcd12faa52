"""Issue 14 through the app against the sandbox's real HAPI: pause and resume, start from the waiting list,
the introduction's outcome, and per-period journal readers. Each write is checked with the loader's token."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.integration.app_support import launch, org_or_external, traject_ident
from tests.integration.launch_support import RunningApp, serve_app

pytestmark = pytest.mark.integration
SID = "https://hvol-fhir.org/fhir/sid/"
PAUSE_SYSTEM = "https://hvol-fhir.org/fhir/CodeSystem/pause-reason"


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-inclusion")) as app:
        yield app


def admin_search(org: Any, resource_type: str, **params: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    resp = requests.get(
        f"{org.fhir_base}/{resource_type}", params={**params, "_count": "200"}, headers=headers, timeout=60
    )
    assert resp.status_code == 200, resp.text
    return [e["resource"] for e in resp.json().get("entry", [])]


def text_of(resp: requests.Response) -> str:
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html.unescape(resp.text)))


def test_pause_while_missing_and_resume(running: RunningApp, prog_org: Any) -> None:
    """The coordinator pauses (she is missing): CarePlan on-hold, EpisodeOfCare onhold, the reason sealed (not
    in the EHR's clear text); the buddy sees that it rests and that it is not her fault, not why; resume."""
    coordinator = launch(running, prog_org, "hv-coordinator", "hv-youth-05")
    ident = traject_ident(coordinator)
    base = f"/t/{ident}"
    no_reason = coordinator.post(f"{base}/fase", {"action": "pause"}, csrf_from=f"{base}/")
    assert no_reason.status_code == 422 and "waarom" in text_of(no_reason)
    paused = coordinator.post(
        f"{base}/fase", {"action": "pause", "pause_reason": "missing"}, csrf_from=f"{base}/"
    )
    assert paused.status_code == 303, text_of(paused)[-600:]
    plan = admin_search(prog_org, "CarePlan", identifier=f"{SID}traject|{ident}")[0]
    assert plan["status"] == "on-hold"
    assert PAUSE_SYSTEM not in str(plan)  # the reason is sealed: the EHR holds only ciphertext
    assert (
        admin_search(prog_org, "EpisodeOfCare", identifier=f"{SID}traject|{ident}")[0]["status"] == "onhold"
    )
    page = text_of(coordinator.get(f"{base}/"))
    assert "tijdelijk stil" in page and "vermist of weggelopen" in page
    buddy = launch(running, prog_org, "hv-buddy-3", "hv-youth-05")
    seen = text_of(buddy.get(f"{base}/"))
    assert "ligt niet aan het maatje" in seen and "vermist" not in seen
    resumed = coordinator.post(f"{base}/fase", {"action": "resume"}, csrf_from=f"{base}/")
    assert resumed.status_code == 303, text_of(resumed)[-600:]
    plan = admin_search(prog_org, "CarePlan", identifier=f"{SID}traject|{ident}")[0]
    assert plan["status"] == "active"
    pauses = [a for a in plan["activity"] if "pause" in str(a["detail"].get("code"))]
    assert [p["detail"]["status"] for p in pauses] == ["completed"]
    again = coordinator.post(f"{base}/fase", {"action": "resume"}, csrf_from=f"{base}/")
    assert again.status_code == 422 and "niet gepauzeerd" in text_of(again)
