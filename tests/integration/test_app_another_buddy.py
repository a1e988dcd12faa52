"""Issue 14, "another buddy" after the introduction, through the app against the sandbox's real HAPI: the
buddy reports the girl's wish, the coordinator picks the new buddy by name (caseload beside the name), and one
transaction ends the old buddy's period, adds the new one, restarts the introduction and gives her the to-do
"tell your coach". What landed is checked with the loader's token; the new buddy's token (app and server)
then finds nothing of the old buddy's period."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.integration.app_support import admin_search, launch, org_or_external, text_of, traject_ident
from tests.integration.launch_support import RunningApp, serve_app

pytestmark = pytest.mark.integration
SID = "https://hvol-fhir.org/fhir/sid/"
YOUTH = "hv-youth-04"  # in the introduction with buddy 1 and coach 1 (demo data)


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-another-buddy")) as app:
        yield app


def _put_back(org: Any, resource: dict[str, Any]) -> None:
    resource["meta"] = {
        k: v for k, v in resource.get("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Content-Type": "application/fhir+json"}
    url = f"{org.fhir_base}/{resource['resourceType']}/{resource['id']}"
    resp = requests.put(url, json=resource, headers=headers, timeout=60)
    assert resp.status_code in (200, 201), resp.text[:300]


@pytest.fixture
def traject_restored(prog_org: Any) -> Iterator[None]:
    """hv-youth-04's CareTeam, CarePlan and EpisodeOfCare as they were, and no Task the test made: later
    tests of the shared sandbox count on buddy 1 and coach 1 in her running introduction."""
    patient = f"Patient/{YOUTH}"
    kept = [
        *admin_search(prog_org, "CareTeam", patient=patient),
        *admin_search(prog_org, "CarePlan", patient=patient),
        *admin_search(prog_org, "EpisodeOfCare", patient=patient),
    ]
    tasks = {t["id"] for t in admin_search(prog_org, "Task", subject=patient)}
    yield
    for resource in kept:
        _put_back(prog_org, resource)
    headers = {"Authorization": f"Bearer {prog_org.admin_token()}"}
    for t in admin_search(prog_org, "Task", subject=patient):
        if t["id"] not in tasks:
            resp = requests.delete(f"{prog_org.fhir_base}/Task/{t['id']}", headers=headers, timeout=60)
            assert resp.status_code in (200, 204), resp.text[:300]


def _state(org: Any, ident: str) -> tuple[Any, ...]:
    """What a half-write would change: versions of team and plan, and the Tasks by kind and status."""
    patient = f"Patient/{YOUTH}"
    (team,) = admin_search(org, "CareTeam", patient=patient)
    (plan,) = admin_search(org, "CarePlan", identifier=f"{SID}traject|{ident}")
    tasks = sorted(
        (t["code"]["coding"][0]["code"], t["status"]) for t in admin_search(org, "Task", subject=patient)
    )
    return team["meta"]["versionId"], plan["meta"]["versionId"], tasks


def _periods(team: dict[str, Any], who: str) -> list[dict[str, str]]:
    return [p.get("period", {}) for p in team["participant"] if p["member"]["reference"] == who]


@pytest.mark.usefixtures("traject_restored")
def test_another_buddy_in_one_transaction(running: RunningApp, prog_org: Any) -> None:
    buddy = launch(running, prog_org, "hv-buddy-1", YOUTH)
    ident = traject_ident(buddy)
    base = f"/t/{ident}"
    reported = buddy.post(f"{base}/kennismaking", {"outcome": "other-buddy"}, csrf_from=f"{base}/")
    assert reported.status_code == 303, text_of(reported)[-400:]
    coordinator = launch(running, prog_org, "hv-coordinator", YOUTH)
    show = coordinator.get(f"{base}/")
    assert (
        'data-testid="another-buddy-link"' in show.text and 'data-testid="confirm-decision"' not in show.text
    )
    # The plain confirm is refused for this outcome: without a new buddy nobody would hold the introduction.
    plain = coordinator.post(f"{base}/kennismaking", {"action": "bevestig"}, csrf_from=f"{base}/")
    assert plain.status_code == 422 and "nieuwe ervaringsmaatje" in text_of(plain)
    assert buddy.get(f"{base}/ander-maatje").status_code == 403  # choosing is the coordinator's
    form_path = f"{base}/ander-maatje"
    page = coordinator.get(form_path)
    shown = text_of(page)
    assert page.status_code == 200 and "hv-buddy" not in shown and "Practitioner/" not in shown
    loads = re.findall(r'data-testid="caseload">(\d+)<', page.text)
    assert len(loads) == 3  # the four buddies but the current one, each with her caseload
    assert 'value="Practitioner/hv-buddy-1"' not in page.text
    todo = coordinator.hidden(form_path, "todo_uuid")
    before = _state(prog_org, ident)
    none = coordinator.post(form_path, {"todo_uuid": todo, "date": ""})
    assert none.status_code == 422 and "Kies een ervaringsmaatje" in text_of(none)
    # A coach the EHR does not know: HAPI refuses the CareTeam, and with it the whole transaction.
    wrong = coordinator.post(
        form_path, {"todo_uuid": todo, "buddy": "Practitioner/hv-buddy-2", "coach": "Practitioner/hv-nobody"}
    )
    assert wrong.status_code == 422 and 'value="Practitioner/hv-buddy-2" checked' in wrong.text  # kept
    assert _state(prog_org, ident) == before  # nothing half-written
    done = coordinator.post(
        form_path, {"todo_uuid": todo, "buddy": "Practitioner/hv-buddy-2", "coach": "Practitioner/hv-coach-2"}
    )
    assert done.status_code == 303, text_of(done)[-600:]
    (team,) = admin_search(prog_org, "CareTeam", patient=f"Patient/{YOUTH}")
    old, new = _periods(team, "Practitioner/hv-buddy-1"), _periods(team, "Practitioner/hv-buddy-2")
    assert len(old) == 1 and old[0].get("end") and len(new) == 1 and new[0]["start"] == old[0]["end"]
    assert _periods(team, "Practitioner/hv-coach-1")[0].get("end") == new[0]["start"]
    assert _periods(team, "Practitioner/hv-coach-2") == [{"start": new[0]["start"]}]
    (plan,) = admin_search(prog_org, "CarePlan", identifier=f"{SID}traject|{ident}")
    intros = [a for a in plan["activity"] if "introduction" in str(a["detail"].get("code"))]
    assert len(intros) == 2 and intros[0]["detail"]["status"] == "completed"
    tasks = admin_search(prog_org, "Task", subject=f"Patient/{YOUTH}")
    by_kind = {t["code"]["coding"][0]["code"]: t for t in tasks}
    assert by_kind["intro-decision"]["status"] == "completed"
    informs = [t for t in tasks if t["code"]["coding"][0]["code"] == "inform-coach"]
    assert [t["owner"]["reference"] for t in informs] == ["Practitioner/hv-buddy-2"]
    again = coordinator.post(form_path, {"todo_uuid": todo, "buddy": "Practitioner/hv-buddy-3"})
    assert again.status_code == 303, text_of(again)[-600:]  # a resend is recognised as saved
    (after,) = admin_search(prog_org, "CareTeam", patient=f"Patient/{YOUTH}")
    assert not _periods(after, "Practitioner/hv-buddy-3")  # and it changed nothing
    assert after["meta"]["versionId"] == team["meta"]["versionId"]
    fresh = {"todo_uuid": str(uuid.uuid4()), "buddy": "Practitioner/hv-buddy-3"}
    later = coordinator.post(form_path, fresh)
    assert later.status_code == 422 and "niet doorgegeven" in text_of(later)  # a new form: nothing to confirm
    assert (
        len(
            [
                t
                for t in admin_search(prog_org, "Task", subject=f"Patient/{YOUTH}")
                if t["code"]["coding"][0]["code"] == "inform-coach"
            ]
        )
        == 1
    )
    # The new buddy: her role on the girl, a new introduction, nothing of buddy 1's period (app and server).
    newcomer = launch(running, prog_org, "hv-buddy-2", YOUTH)
    assert newcomer.get(f"{base}/").status_code == 200
    journal = newcomer.get(f"{base}/journaal")
    assert journal.status_code == 200
    olds = [
        c["id"]
        for c in admin_search(prog_org, "Communication", patient=f"Patient/{YOUTH}")
        if c["sender"]["reference"] == "Practitioner/hv-buddy-1"
    ]
    assert olds and not any(i in journal.text for i in olds)
    token = prog_org.token_for("hv-buddy-2", YOUTH)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    found = requests.get(
        f"{prog_org.fhir_base}/Communication",
        params={"patient": f"Patient/{YOUTH}"},
        headers=headers,
        timeout=60,
    )
    assert found.status_code == 200 and not found.json().get("entry") and found.json().get("total", 0) == 0
    read = requests.get(f"{prog_org.fhir_base}/Communication/{olds[0]}", headers=headers, timeout=60)
    assert read.status_code == 404
    # The coordinator still reads all of it.
    boss = prog_org.token_for("hv-coordinator", YOUTH)
    assert (
        requests.get(
            f"{prog_org.fhir_base}/Communication/{olds[0]}",
            headers={"Authorization": f"Bearer {boss}", "Accept": "application/fhir+json"},
            timeout=60,
        ).status_code
        == 200
    )
