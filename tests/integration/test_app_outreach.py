"""Preparation (guide §4.1) against the sandbox: the coordinator records presentations per group and to
professionals and the information letters; each is one Task of the organisation that validates against the
programme's Task profile and names no youth; P-PRESENT-3M is signalled per group; other roles get nothing.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from hvol_fhir.mapping import outreach as mapping
from tests.integration.app_support import Page, launch, org_or_external
from tests.integration.launch_support import RunningApp, serve_app

pytestmark = pytest.mark.integration
YOUTH = "hv-youth-09"
TASK_KIND = "https://hvol-fhir.org/fhir/CodeSystem/task-kind"


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-outreach")) as app:
        app.app.config["HVOL_GROUPS"] = ["De Linde", "De Wilg"]
        yield app


@pytest.fixture(scope="module")
def coordinator(running: RunningApp, prog_org: Any) -> Page:
    return launch(running, prog_org, "hv-coordinator", YOUTH)


def stored(org: Any, identifier: str) -> dict[str, Any]:
    resp = requests.get(
        f"{org.fhir_base}/Task",
        params={"identifier": f"https://hvol-fhir.org/fhir/sid/task|{identifier}"},
        headers={"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"},
        timeout=60,
    )
    entries = resp.json().get("entry", [])
    assert len(entries) == 1, entries
    return dict(entries[0]["resource"])


def post(page: Page, **fields: str) -> tuple[requests.Response, str]:
    form_uuid = page.hidden("/voorbereiding", "uuid")
    return page.post("/voorbereiding", {"uuid": form_uuid, **fields}), form_uuid


def test_presentations_per_group_and_a_letter_are_recorded_and_signalled_per_group(
    coordinator: Page, prog_org: Any
) -> None:
    day = (date.today() - timedelta(days=10)).isoformat()
    resp, group_id = post(
        coordinator, kind="group-presentation", audience="group", audience_name="De Linde", day=day
    )
    assert resp.status_code == 303, resp.text[-600:]
    same = {"uuid": group_id, "kind": "group-presentation", "audience": "group", "audience_name": "De Linde"}
    again = coordinator.post("/voorbereiding", {**same, "day": day})
    assert again.status_code == 303  # a resend of the same form
    letter_name = f"Gemeente Voorbeeld {uuid.uuid4().hex[:6]}"
    resp, letter_id = post(
        coordinator, kind="information-letter", audience="municipality", audience_name=letter_name, day=day
    )
    assert resp.status_code == 303
    for identifier in (group_id, letter_id):
        task = stored(prog_org, identifier)
        assert "for" not in task and "focus" not in task  # about the programme, not about a youth
        checked = requests.post(
            f"{prog_org.fhir_base}/Task/$validate",
            json=task,
            headers={
                "Authorization": f"Bearer {prog_org.admin_token()}",
                "Content-Type": "application/fhir+json",
                "Accept": "application/fhir+json",
            },
            timeout=120,
        )
        errors = [i for i in checked.json().get("issue", []) if i["severity"] in ("error", "fatal")]
        assert not errors, errors
    assert mapping.from_json(stored(prog_org, letter_id)).audience_name == letter_name
    page = html.unescape(coordinator.get("/voorbereiding").text)
    alerts = page.split('data-testid="outreach-alerts"')[1].split("</ul>")[0]
    assert "De Wilg" in alerts and "nog niet gepresenteerd" in alerts  # no presentation there yet
    assert "De Linde" not in alerts  # presented ten days ago
    assert "informatiebrief" not in alerts  # a letter went out
    assert letter_name in page


def test_a_mismatch_keeps_what_was_typed_and_writes_nothing(coordinator: Page, prog_org: Any) -> None:
    name = f"Team Jeugdzorg {uuid.uuid4().hex[:6]}"
    today = date.today().isoformat()
    resp, form_uuid = post(
        coordinator, kind="group-presentation", audience="municipality", audience_name=name, day=today
    )
    text = html.unescape(resp.text)
    assert resp.status_code == 422 and "past niet bij voor wie" in text and name in text
    resp, _ = post(
        coordinator, kind="information-letter", audience="parents", audience_name=name, day="gisteren"
    )
    assert resp.status_code == 422 and "geldige datum" in html.unescape(resp.text)
    check = requests.get(
        f"{prog_org.fhir_base}/Task",
        params={"identifier": f"https://hvol-fhir.org/fhir/sid/task|{form_uuid}"},
        headers={"Authorization": f"Bearer {prog_org.admin_token()}", "Accept": "application/fhir+json"},
        timeout=60,
    )
    assert check.json().get("entry", []) == []


@pytest.mark.parametrize("user", ["hv-buddy-4", "hv-mentor-1", "hv-staff-1"])
def test_only_the_coordinator(running: RunningApp, prog_org: Any, user: str) -> None:
    page = launch(running, prog_org, user, YOUTH)
    assert page.get("/voorbereiding").status_code == 403
    forged = page.post_as_if_allowed(
        "/voorbereiding",
        {"uuid": str(uuid.uuid4()), "kind": "information-letter", "audience": "parents", "audience_name": "X",
         "day": date.today().isoformat()},
    )  # fmt: skip
    assert forged.status_code == 403
