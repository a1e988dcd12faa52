"""Open items against the sandbox's real HAPI and authorization server (issue 15): the coordinator
acknowledges an item of the organisation (an alignment meeting or a presentation due) with a note, sealed at
rest and kept apart from then on; a held contact without a journal entry is an open item on the buddy's start
page (read from the entries' metadata, which the server gives her) until the contact is gone. Each test
deletes what it added, so the shared sandbox is as it found it."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import encounter
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Contact
from tests.integration.app_support import launch, org_or_external
from tests.integration.launch_support import RunningApp, serve_app
from tests.integration.test_app_workday import assert_plain, due_kinds, open_kinds, visible

pytestmark = pytest.mark.integration
SID = "https://hvol-fhir.org/fhir/sid/"


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-open-items")) as app:
        yield app


def admin(org: Any, method: str, path: str, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    if "json" in kw:
        headers["Content-Type"] = "application/fhir+json"
    return requests.request(method, f"{org.fhir_base}/{path}", headers=headers, timeout=60, **kw)


def found(org: Any, query: str) -> list[dict[str, Any]]:
    resp = admin(org, "GET", query)
    assert resp.status_code == 200, resp.text[-400:]
    return [e["resource"] for e in resp.json().get("entry", []) if e.get("search", {}).get("mode") == "match"]


def test_the_coordinator_acknowledges_an_organisation_item_with_a_sealed_note(
    running: RunningApp, prog_org: Any
) -> None:
    page = launch(running, prog_org, "hv-coordinator", "hv-youth-06")
    overview = page.get("/overzicht").text
    block = overview.split("Afstemmingsoverleg en presentaties", 1)[1]
    key = re.search(
        r'data-kind="(afstemmingsoverleg|presentatie)".*?name="item" value="([^"]+)"', block, re.S
    )
    if key is None:
        pytest.skip("no organisation item open in this sandbox today")
    slug, item = key.group(1), html.unescape(key.group(2))
    open_before = open_kinds(block).count(slug)
    note = f"Overleg staat in de agenda (fictief {uuid.uuid4().hex[:6]})"
    ack = str(uuid.uuid4())
    try:
        for _ in range(2):  # a resend creates nothing twice
            done = page.post(
                "/overzicht/gezien", {"ack_uuid": ack, "item": item, "note": note}, csrf_from="/overzicht"
            )
            assert done.status_code == 303, visible(done.text)[-600:]
        after = page.get("/overzicht").text
        block = after.split("Afstemmingsoverleg en presentaties", 1)[1]
        assert open_kinds(block).count(slug) == open_before - 1
        assert note in visible(after) and 'data-testid="acknowledged"' in block
        assert_plain(after)
        (stored,) = found(prog_org, f"Task?identifier={SID}task|{ack}")
        assert "focus" not in stored and "for" not in stored
        assert note not in json.dumps(stored) and "note" not in stored  # sealed at rest
        # Another staff member has no say in it.
        staff = launch(running, prog_org, "hv-buddy-1", "hv-youth-04")
        refused = staff.post_as_if_allowed(
            "/overzicht/gezien", {"ack_uuid": str(uuid.uuid4()), "item": item, "note": "x"}
        )
        assert refused.status_code == 403, refused.status_code
    finally:
        for task in found(prog_org, f"Task?identifier={SID}task|{ack}"):
            assert admin(prog_org, "DELETE", f"Task/{task['id']}").status_code in (200, 204)


def test_a_held_contact_without_entry_is_open_on_the_buddys_start_page(
    running: RunningApp, prog_org: Any
) -> None:
    """hv-youth-09, buddy hv-buddy-4: a contact registered elsewhere (no journal entry) two hours ago."""
    page = launch(running, prog_org, "hv-buddy-4", "hv-youth-09")
    before = due_kinds(page.get("/vandaag").text)
    (episode,) = found(prog_org, "EpisodeOfCare?patient=Patient/hv-youth-09&status=active,onhold")
    (plan,) = [
        p
        for p in found(prog_org, "CarePlan?patient=Patient/hv-youth-09&status=active,on-hold")
        if any(i.get("system") == f"{SID}traject" for i in p.get("identifier", []))
    ]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    contact = Contact(
        identifier=str(uuid.uuid4()),
        traject=f"CarePlan/{plan['id']}",
        patient="Patient/hv-youth-09",
        buddy="Practitioner/hv-buddy-4",
        start=start,
        end=start + timedelta(minutes=30),
        contact_type=c.CONTACT_FACE_TO_FACE,
    )
    body = dump(encounter.to_fhir(contact, episode=f"EpisodeOfCare/{episode['id']}"))
    made = admin(prog_org, "POST", "Encounter", json=body)
    assert made.status_code == 201, made.text[-600:]
    try:
        shown = page.get("/vandaag").text
        assert "contactjournaal" in due_kinds(shown), visible(shown)[-800:]
        assert_plain(shown)
    finally:
        assert admin(prog_org, "DELETE", f"Encounter/{made.json()['id']}").status_code in (200, 204)
    assert due_kinds(page.get("/vandaag").text).count("contactjournaal") == before.count("contactjournaal")
