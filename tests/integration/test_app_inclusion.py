"""Issue 14 through the app against the sandbox's real HAPI: pause and resume, start from the waiting list,
the introduction's outcome, and per-period journal readers. Each write is checked with the loader's token."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests

from hvol_fhir.programme.rules.birthday import eighteen_talk_due, eighteenth_birthday
from tests.integration.app_support import admin_search, launch, org_or_external, text_of, traject_ident
from tests.integration.launch_support import RunningApp, serve_app
from tests.sealing_support import journal_text

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
    assert "gepauzeerd" in page and "vermist of weggelopen" in page
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


def fhir_get(org: Any, token: str, path: str, **params: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    return requests.get(f"{org.fhir_base}/{path}", params=params, headers=headers, timeout=60)


def without_ids(resp: requests.Response, *ids: str) -> str:
    """The answer with the asked ids and the server's request-specific parts blanked out."""
    body = resp.text
    for i in ids:
        body = body.replace(i, "ID")
    return re.sub(r'"(id|lastUpdated|fullUrl|url)"\s*:\s*"[^"]*"', r'"\1":"X"', body)


@pytest.fixture
def team_restored(prog_org: Any) -> Iterator[None]:
    """hv-youth-04's CareTeam as the demo made it, put back after the test: later tests of the same sandbox
    (the working day's, the security suite's) count on buddy 1 and coach 1 being her team."""
    (team,) = admin_search(prog_org, "CareTeam", patient="Patient/hv-youth-04")
    yield
    # The same labels, profile and signed membership as before; only the server's version stamps go.
    team["meta"] = {k: v for k, v in team.get("meta", {}).items() if k not in ("versionId", "lastUpdated")}
    headers = {"Authorization": f"Bearer {prog_org.admin_token()}", "Content-Type": "application/fhir+json"}
    resp = requests.put(f"{prog_org.fhir_base}/CareTeam/{team['id']}", json=team, headers=headers, timeout=60)
    assert resp.status_code in (200, 201), resp.text[:300]


@pytest.mark.usefixtures("team_restored")
def test_a_new_buddy_reads_only_her_own_period(running: RunningApp, prog_org: Any) -> None:
    """Change of buddy on hv-youth-04: the new buddy (and the server for her token) treats an entry of the
    previous buddy's period exactly as a missing one; the coordinator still reads it; her own she reads."""
    youth = "hv-youth-04"
    coordinator = launch(running, prog_org, "hv-coordinator", youth)
    ident = traject_ident(coordinator)
    base = f"/t/{ident}"
    old = admin_search(prog_org, "Communication", patient=f"Patient/{youth}")
    old_ids = [c["id"] for c in old if c["sender"]["reference"].endswith("hv-buddy-1")]
    assert old_ids, "the demo data gives buddy 1 journal entries on this youth"
    for who, role in (("Practitioner/hv-buddy-1", "buddy"), ("Practitioner/hv-coach-1", "coach")):
        ended = coordinator.post(
            f"{base}/team", {"action": "end", "member": who, "role": role}, csrf_from=f"{base}/"
        )
        assert ended.status_code == 303, text_of(ended)[-400:]
    added = coordinator.post(
        f"{base}/team",
        {"member": "hv-buddy-2", "role": "buddy", "responsible": "Practitioner/hv-behavioural-scientist"},
        csrf_from=f"{base}/",
    )
    assert added.status_code == 303, text_of(added)[-400:]
    buddy = launch(running, prog_org, "hv-buddy-2", youth)
    path = f"{base}/contact"
    own = f"Ik vroeg hoe haar week was. {uuid.uuid4()}"
    form = {
        "contact_uuid": buddy.hidden(path, "contact_uuid"),
        "entry_uuid": buddy.hidden(path, "entry_uuid"),
        "type": "video",
        "date": "2026-11-25",
        "start": "07:10",
        "end": "07:20",
        "text": own,
    }
    assert buddy.post(path, form).status_code == 303
    journal = text_of(buddy.get(f"{base}/journaal"))
    assert own in journal
    old_texts = [journal_text(prog_org, c) for c in old if c["id"] in old_ids]
    assert not any(t[:40] in journal for t in old_texts if t)
    # The app: another period's entry answers as a missing one.
    hidden, missing = (
        buddy.get(f"{base}/journaal/{old_ids[0]}/wijzig"),
        buddy.get(f"{base}/journaal/geen-{old_ids[0]}/wijzig"),
    )
    assert hidden.status_code == missing.status_code and hidden.status_code >= 400
    assert text_of(hidden).replace(old_ids[0], "ID") == text_of(missing).replace(f"geen-{old_ids[0]}", "ID")
    # The server, for her own token: read and search the same as for a missing entry.
    token = prog_org.token_for("hv-buddy-2", youth)
    gone = f"{old_ids[0]}9999"
    read_hidden, read_missing = (
        fhir_get(prog_org, token, f"Communication/{old_ids[0]}"),
        fhir_get(prog_org, token, f"Communication/{gone}"),
    )
    assert read_hidden.status_code == read_missing.status_code == 404
    assert without_ids(read_hidden, old_ids[0]) == without_ids(read_missing, gone)
    found = fhir_get(prog_org, token, "Communication", patient=f"Patient/{youth}", _count="5")
    assert found.status_code == 200
    seen = [e["resource"]["id"] for e in found.json().get("entry", [])]
    assert not set(seen) & set(old_ids) and seen  # her own entry, nothing of the earlier period
    assert "next" not in [link["relation"] for link in found.json().get("link", [])] or len(seen) == 5
    by_id = fhir_get(prog_org, token, "Communication", _id=old_ids[0], patient=f"Patient/{youth}")
    assert by_id.status_code == 200 and not by_id.json().get("entry")
    # The coordinator still reads the earlier period (the rule hides by period, not everything).
    assert (
        fhir_get(
            prog_org, prog_org.token_for("hv-coordinator", youth), f"Communication/{old_ids[0]}"
        ).status_code
        == 200
    )
    assert any(t[:40] in text_of(coordinator.get(f"{base}/journaal")) for t in old_texts if t)


def test_eighteen_talk_resolved_with_an_outcome(running: RunningApp, prog_org: Any) -> None:
    """P-18 on hv-youth-08 (turns 18 within three months): the buddy sees the to-do, records the outcome;
    the demo's open Task is completed with it (no second Task), and the page no longer asks."""
    buddy = launch(running, prog_org, "hv-buddy-3", "hv-youth-08")
    ident = traject_ident(buddy)
    base = f"/t/{ident}"
    page = buddy.get(f"{base}/")
    assert 'data-testid="eighteen-form"' in page.text and "18" in text_of(page)
    empty = buddy.post(f"{base}/achttien", {"outcome": ""}, csrf_from=f"{base}/")
    assert empty.status_code == 422 and "afgesproken" in text_of(empty)
    done = buddy.post(f"{base}/achttien", {"outcome": "continue-other-financing"}, csrf_from=f"{base}/")
    assert done.status_code == 303, text_of(done)[-400:]
    tasks = [
        t
        for t in admin_search(prog_org, "Task", subject="Patient/hv-youth-08")
        if t["code"]["coding"][0]["code"] == "birthday-18-talk"
    ]
    assert [t["status"] for t in tasks] == ["completed"]
    assert tasks[0]["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "continue-other-financing"
    assert 'data-testid="eighteen-form"' not in buddy.get(f"{base}/").text


def test_start_from_the_waiting_list_with_a_buddy_by_name(running: RunningApp, prog_org: Any) -> None:
    """hv-youth-02 is on the waiting list: the coordinator sees the buddies by name with their caseload, and
    one save starts the introduction, adds buddy and coach (signed), completes the waiting-list Task and
    gives the buddy her to-do; the buddy then has her role on the girl's record."""
    youth = "hv-youth-02"
    coordinator = launch(running, prog_org, "hv-coordinator", youth)
    ident = traject_ident(coordinator)
    base = f"/t/{ident}"
    page = coordinator.get(f"{base}/start")
    shown = text_of(page)
    assert page.status_code == 200 and "hv-buddy" not in shown  # names, never ids
    loads = re.findall(r'data-testid="caseload">(\d+)<', page.text)
    assert len(loads) == 4 and sum(map(int, loads)) >= 5  # the demo's running trajects have buddies
    if "ouder of voogd" in shown:  # under 16: a parent's consent first (no second waiting-list Task)
        consent_path = f"{base}/toestemming"
        keys = ("consent_uuid", "parent_consent_uuid", "person_uuid", "task_uuid")
        ids = {k: coordinator.hidden(consent_path, k) for k in keys}
        form = {**ids, "youth_consent": "ja", "parent_consent": "ja", "parent_name": "Ria Jansen"}
        assert coordinator.post(consent_path, form).status_code == 303
        assert not admin_search(prog_org, "Task", identifier=f"{SID}task|{ids['task_uuid']}")
    todo = coordinator.hidden(f"{base}/start", "todo_uuid")
    none = coordinator.post(f"{base}/start", {"todo_uuid": todo})
    assert none.status_code == 422 and "Kies een ervaringsmaatje" in text_of(none)
    started = coordinator.post(
        f"{base}/start",
        {"todo_uuid": todo, "buddy": "Practitioner/hv-buddy-4", "coach": "Practitioner/hv-coach-2"},
    )
    assert started.status_code == 303, text_of(started)[-600:]
    plan = admin_search(prog_org, "CarePlan", identifier=f"{SID}traject|{ident}")[0]
    assert plan["status"] == "active" and "introduction" in str(plan["activity"][-1]["detail"]["code"])
    team = admin_search(prog_org, "CareTeam", patient=f"Patient/{youth}")[0]
    buddies = [p for p in team["participant"] if p["member"]["reference"] == "Practitioner/hv-buddy-4"]
    assert len(buddies) == 1 and buddies[0]["period"]["start"]
    tasks = admin_search(prog_org, "Task", subject=f"Patient/{youth}")
    kinds = {t["code"]["coding"][0]["code"]: t for t in tasks}
    assert [t["status"] for t in tasks if t["code"]["coding"][0]["code"] == "waiting-list"] == ["completed"]
    assert kinds["inform-coach"]["owner"]["reference"] == "Practitioner/hv-buddy-4"
    assert kinds["inform-coach"]["status"] == "requested"
    # P-18: the talk's to-do is made in the same transaction, owned by the buddy, due three months before
    # the 18th birthday (or a few weeks after a late inclusion: rules.birthday.start_todo).
    born = date.fromisoformat(admin_search(prog_org, "Patient", _id=youth)[0]["birthDate"])
    (p18,) = [t for t in tasks if t["code"]["coding"][0]["code"] == "birthday-18-talk"]
    assert p18["owner"]["reference"] == "Practitioner/hv-buddy-4" and p18["status"] == "requested"
    due = date.fromisoformat(p18["restriction"]["period"]["end"])
    assert due == eighteen_talk_due(born) or due <= eighteenth_birthday(born)
    again = coordinator.post(
        f"{base}/start", {"todo_uuid": todo, "buddy": "Practitioner/hv-buddy-4"}
    )  # a resend after the start: the gates say she is no longer on the waiting list
    assert again.status_code == 422 and "wachtlijst" in text_of(again)
    buddy = launch(running, prog_org, "hv-buddy-4", youth)
    assert buddy.get(f"{base}/").status_code == 200  # her membership is signed: the app gives her the role


def test_the_buddy_reports_the_decision_and_the_coordinator_confirms(
    running: RunningApp, prog_org: Any
) -> None:
    """P-INTRO-OUTCOME on hv-youth-05 (in the introduction with buddy 3): the buddy reports "continue"; only
    after the coordinator confirms does the traject move to the contact period, in one transaction."""
    youth = "hv-youth-05"
    buddy = launch(running, prog_org, "hv-buddy-3", youth)
    ident = traject_ident(buddy)
    base = f"/t/{ident}"
    assert 'data-testid="intro-decision-form"' in buddy.get(f"{base}/").text
    confirm_by_buddy = buddy.post(f"{base}/kennismaking", {"action": "bevestig"}, csrf_from=f"{base}/")
    assert confirm_by_buddy.status_code == 403  # confirming is the coordinator's
    reported = buddy.post(f"{base}/kennismaking", {"outcome": "continue"}, csrf_from=f"{base}/")
    assert reported.status_code == 303, text_of(reported)[-400:]
    plan = admin_search(prog_org, "CarePlan", identifier=f"{SID}traject|{ident}")[0]
    assert "contact-period" not in str(plan["activity"])  # not yet: the coordinator confirms
    coordinator = launch(running, prog_org, "hv-coordinator", youth)
    page = text_of(coordinator.get(f"{base}/"))
    assert "Doorgegeven door het maatje" in page and "Doorgaan met dit ervaringsmaatje" in page
    confirmed = coordinator.post(f"{base}/kennismaking", {"action": "bevestig"}, csrf_from=f"{base}/")
    assert confirmed.status_code == 303, text_of(confirmed)[-400:]
    plan = admin_search(prog_org, "CarePlan", identifier=f"{SID}traject|{ident}")[0]
    assert "contact-period" in str(plan["activity"][-1]) or "contact-period" in str(plan["activity"])
    decisions = [
        t
        for t in admin_search(prog_org, "Task", subject=f"Patient/{youth}")
        if t["code"]["coding"][0]["code"] == "intro-decision"
    ]
    assert [t["status"] for t in decisions] == ["completed"]
    again = coordinator.post(f"{base}/kennismaking", {"action": "bevestig"}, csrf_from=f"{base}/")
    assert again.status_code == 422 and "geen beslissing" in text_of(again)


def test_outflow_keeps_the_buddy_and_reminds_her(running: RunningApp, prog_org: Any) -> None:
    """P-OUTFLOW on hv-youth-05: date and destination are recorded (the destination sealed), the traject stays
    open with its buddy, and the buddy gets a to-do to ask her consent before introducing herself there."""
    youth = "hv-youth-05"
    coordinator = launch(running, prog_org, "hv-coordinator", youth)
    ident = traject_ident(coordinator)
    base = f"/t/{ident}"
    empty = coordinator.post(
        f"{base}/uitstroom", {"date": "2027-01-04", "destination": " "}, csrf_from=f"{base}/"
    )
    assert empty.status_code == 422 and "vervolgplek" in text_of(empty)
    place = f"Gezinshuis De Linde {uuid.uuid4().hex[:6]}"
    done = coordinator.post(
        f"{base}/uitstroom", {"date": "2027-01-04", "destination": place}, csrf_from=f"{base}/"
    )
    assert done.status_code == 303, text_of(done)[-400:]
    plan = admin_search(prog_org, "CarePlan", identifier=f"{SID}traject|{ident}")[0]
    assert plan["status"] == "active" and place not in str(plan)  # open; the destination only as ciphertext
    assert "outflow" in str(plan["activity"])
    assert place in text_of(coordinator.get(f"{base}/"))  # the coordinator's app opens it
    reminders = [
        t
        for t in admin_search(prog_org, "Task", subject=f"Patient/{youth}")
        if t["code"]["coding"][0]["code"] == "outflow-consent"
    ]
    assert [t["owner"]["reference"] for t in reminders] == ["Practitioner/hv-buddy-3"]
    assert admin_search(prog_org, "CareTeam", patient=f"Patient/{youth}")  # the team is unchanged
    buddy = launch(running, prog_org, "hv-buddy-3", youth)
    assert "blijft betrokken" in text_of(buddy.get(f"{base}/"))


def test_the_buddy_ticks_the_introduction_topics(running: RunningApp, prog_org: Any) -> None:
    """Guide §5.1 on hv-youth-04 (in the introduction): the current buddy ticks topics over two saves; each
    topic becomes one completed Task, a second tick writes nothing twice; the coordinator sees the count."""
    youth = "hv-youth-04"
    team = admin_search(prog_org, "CareTeam", patient=f"Patient/{youth}")[0]
    current = [
        p["member"]["reference"].split("/")[1]
        for p in team["participant"]
        if "buddy" in str(p.get("role")) and not (p.get("period") or {}).get("end")
    ]
    buddy = launch(running, prog_org, current[-1], youth)
    ident = traject_ident(buddy)
    base = f"/t/{ident}"
    assert buddy.post(f"{base}/onderwerpen", {}, csrf_from=f"{base}/").status_code == 422
    first = buddy.post(
        f"{base}/onderwerpen", {"topic": ["who-buddy", "confidentiality"]}, csrf_from=f"{base}/"
    )
    assert first.status_code == 303, text_of(first)[-400:]
    again = buddy.post(f"{base}/onderwerpen", {"topic": ["confidentiality", "journal"]}, csrf_from=f"{base}/")
    assert again.status_code == 303, text_of(again)[-400:]
    topics = sorted(
        t["output"][0]["valueCodeableConcept"]["coding"][0]["code"]
        for t in admin_search(prog_org, "Task", subject=f"Patient/{youth}")
        if t["code"]["coding"][0]["code"] == "intro-topic"
    )
    assert topics == ["confidentiality", "journal", "who-buddy"]
    coordinator = launch(running, prog_org, "hv-coordinator", youth)
    assert "(3 van de 6)" in text_of(coordinator.get(f"{base}/"))
