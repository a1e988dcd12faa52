"""Escalations (P-POLICE, P-SAFETY, P-DANGER consultation, opschalen) against the sandbox's real HAPI and
authorization server: the buddy raises one, coach and coordinator get a to-do that holds no journal content
and stays open until handled, the behavioural scientist sees only the escalations she was involved in, and
mentors and staff see nothing, by the app (hidden answers like missing) or by their own FHIR token.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hvol_fhir.mapping import escalation as mapping
from tests.conftest_proof import PROOF
from tests.integration.app_support import Page, launch, org_or_external, traject_ident
from tests.integration.launch_support import RunningApp, serve_app
from tests.sealing_support import opened

pytestmark = pytest.mark.integration
YOUTH = "hv-youth-07"  # buddy hv-buddy-2, coach hv-coach-1, mentor hv-mentor-1 (sandbox.demo_scenario)
TASK_KIND = "https://hvol-fhir.org/fhir/CodeSystem/task-kind"


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-escalations")) as app:
        yield app


@pytest.fixture(scope="module")
def pages(running: RunningApp, prog_org: Any) -> dict[str, Page]:
    users = {
        "buddy": "hv-buddy-2",
        "coach": "hv-coach-1",
        "coordinator": "hv-coordinator",
        "gw": "hv-behavioural-scientist",
        "mentor": "hv-mentor-1",
        "staff": "hv-staff-1",
    }
    return {k: launch(running, prog_org, user, YOUTH) for k, user in users.items()}


@pytest.fixture(scope="module")
def ident(pages: dict[str, Page]) -> str:
    return traject_ident(pages["buddy"])


def tasks(org: Any, token: str | None = None) -> list[dict[str, Any]]:
    resp = requests.get(
        f"{org.fhir_base}/Task",
        params={"subject": f"Patient/{YOUTH}", "code": f"{TASK_KIND}|escalation", "_count": "100"},
        headers={"Authorization": f"Bearer {token or org.admin_token()}", "Accept": "application/fhir+json"},
        timeout=60,
    )
    assert resp.status_code == 200, resp.text[-400:]
    return [
        e["resource"] for e in resp.json().get("entry", []) if e.get("search", {}).get("mode") != "outcome"
    ]


def by_identifier(org: Any, value: str) -> dict[str, Any]:
    found = [t for t in tasks(org) if any(i.get("value") == value for i in t.get("identifier", []))]
    assert len(found) == 1, found
    return found[0]


def raise_one(page: Page, ident: str, kind: str, text: str, **extra: str) -> tuple[requests.Response, str]:
    form_uuid = page.hidden(f"/t/{ident}/escalaties", "uuid")
    data = {"uuid": form_uuid, "kind": kind, "text": text, **extra}
    return page.post(f"/t/{ident}/escalaties", data), form_uuid


def seen(page: Page, path: str) -> tuple[int, str]:
    resp = page.get(path)
    return resp.status_code, html.unescape(resp.text)


def errors_of(resp: requests.Response) -> str:
    found = re.search(r'<div class="error".*?</div>', resp.text, re.S)
    return html.unescape(re.sub("<[^>]+>", " ", found.group(0))) if found else resp.text[-300:]


def normalised(body: str, page: Page) -> str:
    """The page without what differs per request anyway (launch id, CSRF token, the traject id asked)."""
    body = body.replace(page.launch_id, "L")
    body = re.sub(r'value="[0-9a-f]{64}"', 'value="T"', body)
    return re.sub(r"/t/[^/\"]+/", "/t/X/", body)


def test_police_escalation_is_a_todo_for_coach_and_coordinator_without_journal_content(
    pages: dict[str, Page], ident: str, prog_org: Any
) -> None:
    secret = f"Agent vroeg naar haar vriend {uuid.uuid4().hex[:8]}"
    resp, form_uuid = raise_one(pages["buddy"], ident, "police", secret)
    assert resp.status_code == 303, resp.text[-600:]
    again, _ = raise_one(pages["buddy"], ident, "police", secret, uuid=form_uuid)  # a double submit
    assert again.status_code == 303, errors_of(again)
    raw = by_identifier(prog_org, form_uuid)  # exactly one Task for the two sends
    stored = json.dumps(raw)
    assert secret not in stored and '"police"' not in stored and "reasonCode" not in raw  # sealed
    assert "Communication" not in stored and "payload" not in raw  # no journal content, no journal link
    codes = {(s["system"].rsplit("/", 1)[1], s["code"]) for s in raw["meta"]["security"]}
    assert {("v3-Confidentiality", "R"), ("security-compartment", "buddy-programme")} <= codes
    escalation = mapping.from_json(opened(prog_org, raw))
    assert escalation.message == secret and escalation.kind == "police" and escalation.is_open
    assert escalation.recipients == ("Practitioner/hv-coach-1", "Practitioner/hv-coordinator")
    for who in ("coach", "coordinator", "buddy"):
        status, body = seen(pages[who], f"/t/{ident}/escalaties")
        assert status == 200 and secret in body and "Politie vraagt informatie" in body, who
    assert 'data-testid="handle"' in seen(pages["coach"], f"/t/{ident}/escalaties")[1]
    assert 'data-testid="handle"' not in seen(pages["buddy"], f"/t/{ident}/escalaties")[1]


def test_bad_input_keeps_the_text_and_writes_nothing(
    pages: dict[str, Page], ident: str, prog_org: Any
) -> None:
    before = len(tasks(prog_org))
    typed = f"Ik voel me niet veilig {uuid.uuid4().hex[:8]}"
    resp, _ = raise_one(pages["buddy"], ident, "gossip", typed)
    assert resp.status_code == 422 and typed in html.unescape(resp.text) and "Kies een waarde" in resp.text
    resp, _ = raise_one(pages["buddy"], ident, "own-safety", "   ")
    assert resp.status_code == 422 and "leeg" in resp.text
    coach_try = pages["coach"].post_as_if_allowed(
        f"/t/{ident}/escalaties", {"uuid": str(uuid.uuid4()), "kind": "police", "text": typed}
    )
    assert coach_try.status_code == 422 and "Alleen het ervaringsmaatje" in html.unescape(coach_try.text)
    assert len(tasks(prog_org)) == before


def test_behavioural_scientist_sees_only_what_she_was_involved_in(
    pages: dict[str, Page], ident: str, prog_org: Any
) -> None:
    hidden_text = f"Zonder gedragswetenschapper {uuid.uuid4().hex[:8]}"
    shared_text = f"Zorgen over de nieuwe vriend {uuid.uuid4().hex[:8]}"
    resp, hidden_id = raise_one(pages["buddy"], ident, "concern", hidden_text)
    assert resp.status_code == 303
    resp, shared_id = raise_one(pages["buddy"], ident, "danger-consultation", shared_text)
    assert resp.status_code == 303
    status, body = seen(pages["gw"], f"/t/{ident}/escalaties")
    assert status == 200 and hidden_text not in body and shared_text not in body
    # opschalen by the coordinator: now she sees that one, and only that one
    version = by_identifier(prog_org, shared_id)["meta"]["versionId"]
    up = pages["coordinator"].post(
        f"/t/{ident}/escalaties/{shared_id}/opschalen",
        {"version": version},
        csrf_from=f"/t/{ident}/escalaties",
    )
    assert up.status_code == 303, up.text[-500:]
    status, body = seen(pages["gw"], f"/t/{ident}/escalaties")
    assert shared_text in body and hidden_text not in body and "Agent vroeg" not in body
    assert 'data-testid="handle"' not in body  # she reads; coach and coordinator handle
    # one she was not involved in answers exactly like one that does not exist
    hidden = pages["gw"].post_as_if_allowed(f"/t/{ident}/escalaties/{hidden_id}/afhandelen", {})
    missing = pages["gw"].post_as_if_allowed(f"/t/{ident}/escalaties/{uuid.uuid4()}/afhandelen", {})
    assert hidden.status_code == missing.status_code == 404
    assert normalised(hidden.text, pages["gw"]) == normalised(missing.text, pages["gw"])
    assert by_identifier(prog_org, hidden_id)["status"] == "requested"


def test_mentor_and_staff_see_nothing_hidden_answers_like_missing(
    pages: dict[str, Page], ident: str, prog_org: Any
) -> None:
    raise_one(pages["buddy"], ident, "own-safety", f"Bedreigd bij de bushalte {uuid.uuid4().hex[:8]}")
    for who, user in (("mentor", "hv-mentor-1"), ("staff", "hv-staff-1")):
        page = pages[who]
        real = page.get(f"/t/{ident}/escalaties")
        missing = page.get(f"/t/{uuid.uuid4()}/escalaties")
        assert real.status_code == missing.status_code == 403, who
        assert normalised(real.text, page) == normalised(missing.text, page), who
        forged = page.post_as_if_allowed(
            f"/t/{ident}/escalaties", {"uuid": str(uuid.uuid4()), "kind": "police", "text": "x"}
        )
        assert forged.status_code == 403, who
        # their own FHIR token (user/*.rs at the EHR): the server hides the Tasks like the journal
        assert tasks(prog_org, prog_org.token_for(user)) == [], who
    assert tasks(prog_org), "the escalations exist (the admin sees them)"


def test_handled_leaves_the_todo_list_and_a_second_handler_is_told_plainly(
    pages: dict[str, Page], ident: str, prog_org: Any
) -> None:
    text = f"Politie belde opnieuw {uuid.uuid4().hex[:8]}"
    resp, esc = raise_one(pages["buddy"], ident, "police", text)
    assert resp.status_code == 303
    version = by_identifier(prog_org, esc)["meta"]["versionId"]
    done = pages["coach"].post(
        f"/t/{ident}/escalaties/{esc}/afhandelen", {"version": version}, csrf_from=f"/t/{ident}/escalaties"
    )
    assert done.status_code == 303, done.text[-500:]
    handled = mapping.from_json(opened(prog_org, by_identifier(prog_org, esc)))
    assert handled.status == "handled" and handled.handled_by == "Practitioner/hv-coach-1"
    late = pages["coordinator"].post(
        f"/t/{ident}/escalaties/{esc}/afhandelen", {"version": version}, csrf_from=f"/t/{ident}/escalaties"
    )
    assert late.status_code in (409, 422) and "al afgehandeld" in html.unescape(late.text)
    body = seen(pages["coordinator"], f"/t/{ident}/escalaties")[1]
    assert "Afgehandeld door Esther Bakker" in body


def test_the_danger_override_sends_the_buddy_to_consult_first(pages: dict[str, Page], ident: str) -> None:
    danger = pages["buddy"].get(f"/t/{ident}/gevaar")
    assert danger.status_code == 200
    link = re.search(r'href="([^"]+)" data-testid="consult-first"', danger.text)
    assert link, "P-DANGER: 'consult coach and coordinator first' is offered before the override"
    consult = pages["buddy"].browser.get(pages["buddy"].app.url + html.unescape(link.group(1)))
    assert re.search(r'value="danger-consultation" required checked', consult.text)


def read_audits(org: Any, task_id: str, user: str) -> int:
    """The read AuditEvents naming this escalation whose requestor is `user`."""
    resp = requests.get(
        f"{org.fhir_base}/AuditEvent",
        params={"entity": f"Task/{task_id}", "subtype": "search-type", "_count": "200"},
        headers={"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"},
        timeout=60,
    )
    assert resp.status_code == 200, resp.text[-400:]
    events = [
        e["resource"] for e in resp.json().get("entry", []) if e["resource"]["resourceType"] == "AuditEvent"
    ]
    return sum(
        1
        for ev in events
        for agent in ev.get("agent", [])
        if agent.get("requestor") and (agent.get("who") or {}).get("reference") == f"Practitioner/{user}"
    )


def test_a_page_that_shows_an_escalation_records_the_read_first_the_start_page_none(
    pages: dict[str, Page], ident: str, prog_org: Any
) -> None:
    """Issue 15: kind and message are sealed content; reading them is audited as a journal read is. The start
    page lists the escalation as an open item without them, and records nothing."""
    secret = f"Ik werd gevolgd na het contact {uuid.uuid4().hex[:8]}"
    resp, form_uuid = raise_one(pages["buddy"], ident, "own-safety", secret)
    assert resp.status_code == 303, errors_of(resp)
    task_id = by_identifier(prog_org, form_uuid)["id"]
    coach_before = read_audits(prog_org, task_id, "hv-coach-1")
    start = pages["coach"].get("/vandaag").text
    assert 'data-kind="escalatie"' in start and secret not in html.unescape(start)
    assert "eigen veiligheid" not in html.unescape(start).lower()
    assert read_audits(prog_org, task_id, "hv-coach-1") == coach_before  # a to-do is no read
    for who, user in (("coach", "hv-coach-1"), ("coordinator", "hv-coordinator")):
        before = read_audits(prog_org, task_id, user)
        status, body = seen(pages[who], f"/t/{ident}/escalaties")
        assert status == 200 and secret in body
        PROOF.add("escalation_reads")
        if read_audits(prog_org, task_id, user) != before + 1:
            PROOF.found("unaudited_escalation_reads", f"{who}: no read audit")
        assert read_audits(prog_org, task_id, user) == before + 1, who
    # Handled, so the youth's open items are as they were.
    version = by_identifier(prog_org, form_uuid)["meta"]["versionId"]
    done = pages["coordinator"].post(
        f"/t/{ident}/escalaties/{form_uuid}/afhandelen",
        {"version": version},
        csrf_from=f"/t/{ident}/escalaties",
    )
    assert done.status_code == 303, errors_of(done)
