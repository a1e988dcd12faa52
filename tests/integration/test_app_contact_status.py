"""Planned -> held or missed (issue 14) against the sandbox: one click turns a planned contact into a held
one with its journal entry (one transaction, the same Encounter, no overlap with itself, no second entry on
a resend); a missed contact records why and who called it off, validates, counts for nothing and shows on the
mentor's card as not taken place, without its reason or any content.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.integration.app_support import Page, launch, org_or_external, traject_ident
from tests.integration.launch_support import RunningApp, serve_app
from tests.sealing_support import journal_text

pytestmark = pytest.mark.integration
YOUTH = "hv-youth-09"  # buddy hv-buddy-4, mentor hv-mentor-1 (sandbox.demo_scenario)
SID = "https://hvol-fhir.org/fhir/sid/"


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-contact-status")) as app:
        yield app


@pytest.fixture(scope="module")
def buddy(running: RunningApp, prog_org: Any) -> tuple[Page, str]:
    page = launch(running, prog_org, "hv-buddy-4", YOUTH)
    return page, traject_ident(page)


def admin_get(org: Any, path: str, **params: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    resp = requests.get(f"{org.fhir_base}/{path}", params=params, headers=headers, timeout=60)
    assert resp.status_code == 200, resp.text[-300:]
    return [
        e["resource"] for e in resp.json().get("entry", []) if e.get("search", {}).get("mode") != "outcome"
    ]


def plan(page: Page, ident: str, hour: int, minutes: int = 45) -> str:
    """A planned contact yesterday at an hour no demo contact uses; its identifier."""
    day = (datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(days=1)).date().isoformat()
    contact = str(uuid.uuid4())
    form = {"contact_uuid": contact, "date": day, "type": "face-to-face", "entry_uuid": str(uuid.uuid4())}
    form.update({"start": f"{hour:02d}:00", "end": f"{hour:02d}:{minutes:02d}"})
    resp = page.post(f"/t/{ident}/plan", form, csrf_from=f"/t/{ident}/")
    assert resp.status_code == 303, resp.text[-500:]
    return contact


def errors_of(resp: requests.Response) -> str:
    found = re.search(r'<div class="error".*?</div>', resp.text, re.S)
    return html.unescape(re.sub("<[^>]+>", " ", found.group(0))) if found else resp.text[-300:]


def encounters(org: Any, contact: str) -> list[dict[str, Any]]:
    return admin_get(org, "Encounter", identifier=f"{SID}contact|{contact}")


def test_one_click_turns_a_planned_contact_into_a_held_one_with_its_entry(
    buddy: tuple[Page, str], prog_org: Any
) -> None:
    page, ident = buddy
    contact = plan(page, ident, 5)
    before = encounters(prog_org, contact)
    assert [e["status"] for e in before] == ["planned"]
    shown = page.get(f"/t/{ident}/")
    assert f"/contact/{contact}" in shown.text  # the "afronden" link on her planned contact
    form_page = page.get(f"/t/{ident}/contact/{contact}")
    assert (
        form_page.status_code == 200
        and 'value="05:00"' in form_page.text
        and 'value="05:45"' in form_page.text
    )
    entry = re.search(r'name="entry_uuid" value="([^"]+)"', form_page.text)
    assert entry
    text = f"We liepen samen naar de bakker {uuid.uuid4().hex[:8]}"
    day = re.search(r'name="date" required value="([^"]+)"', form_page.text)
    assert day
    held = {"entry_uuid": entry.group(1), "date": day.group(1), "start": "05:00", "end": "05:50"}
    held.update({"type": "face-to-face", "text": text})
    resp = page.post(
        f"/t/{ident}/contact/{contact}/gehouden", held, csrf_from=f"/t/{ident}/contact/{contact}"
    )
    assert resp.status_code == 303, errors_of(resp)
    after = encounters(prog_org, contact)
    assert len(after) == 1 and after[0]["status"] == "finished" and after[0]["id"] == before[0]["id"]
    assert after[0]["period"]["end"] > before[0]["period"]["end"]  # the actual end she entered
    entries = admin_get(prog_org, "Communication", identifier=f"{SID}journal-entry|{entry.group(1)}")
    assert len(entries) == 1 and entries[0]["encounter"]["reference"].endswith(f"Encounter/{after[0]['id']}")
    assert journal_text(prog_org, entries[0]) == text
    again = page.post(f"/t/{ident}/contact/{contact}/gehouden", held, csrf_from=f"/t/{ident}/")
    assert again.status_code in (404, 422) and "niet meer gepland" in html.unescape(again.text)
    assert len(admin_get(prog_org, "Communication", identifier=f"{SID}journal-entry|{entry.group(1)}")) == 1


def test_missed_records_why_and_who_and_the_card_shows_only_that_it_did_not_take_place(
    buddy: tuple[Page, str], running: RunningApp, prog_org: Any
) -> None:
    page, ident = buddy
    contact = plan(page, ident, 4, 30)
    url = f"/t/{ident}/contact/{contact}/gemist"
    refused = page.post(url, {"reason": "cancelled"}, csrf_from=f"/t/{ident}/contact/{contact}")
    assert refused.status_code == 422 and "wie het contact afzegde" in html.unescape(refused.text)
    assert encounters(prog_org, contact)[0]["status"] == "planned"
    for user in ("hv-mentor-1", "hv-staff-1"):
        other = launch(running, prog_org, user, YOUTH)
        forged = other.post_as_if_allowed(url, {"reason": "no-show"})
        assert forged.status_code in (403, 404), user
    assert encounters(prog_org, contact)[0]["status"] == "planned"
    resp = page.post(
        url, {"reason": "cancelled", "cancelled_by": "youth"}, csrf_from=f"/t/{ident}/contact/{contact}"
    )
    assert resp.status_code == 303, resp.text[-600:]
    stored = encounters(prog_org, contact)[0]
    assert stored["status"] == "cancelled"
    codes = {
        e["url"].rsplit("/", 1)[1]: e["valueCoding"]["code"]
        for e in stored["extension"]
        if "valueCoding" in e
    }
    assert codes == {"missed-reason": "cancelled", "cancelled-by": "youth"}
    checked = requests.post(
        f"{prog_org.fhir_base}/Encounter/$validate",
        json=stored,
        headers={"Authorization": f"Bearer {prog_org.admin_token()}", "Content-Type": "application/fhir+json",
                 "Accept": "application/fhir+json"},
        timeout=120,
    )  # fmt: skip
    errors = [i for i in checked.json().get("issue", []) if i["severity"] in ("error", "fatal")]
    assert not errors, errors
    shown = html.unescape(page.get(f"/t/{ident}/").text)
    assert "niet doorgegaan: afgezegd" in shown
    card = html.unescape(launch(running, prog_org, "hv-mentor-1", YOUTH).get("/kaart").text)
    past = card.split('data-testid="past"')[1].split("</table>")[0]
    assert "04:00–04:30" in past and "(niet doorgegaan)" in past and "fgezegd" not in past


def test_a_contact_with_her_network_is_journalled_but_counts_toward_no_norm(
    buddy: tuple[Page, str], prog_org: Any
) -> None:
    page, ident = buddy
    form_page = page.get(f"/t/{ident}/netwerkcontact")
    assert form_page.status_code == 200
    ids = dict(re.findall(r'name="(contact_uuid|entry_uuid)" value="([^"]+)"', form_page.text))
    day = (datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(days=1)).date().isoformat()
    text = f"Voortgangsgesprek met mentor en moeder {uuid.uuid4().hex[:8]}"
    data = {**ids, "date": day, "start": "03:00", "end": "03:40", "type": "face-to-face", "text": text}
    missing_kind = page.post(f"/t/{ident}/netwerkcontact", data)
    assert missing_kind.status_code == 422 and text in html.unescape(
        missing_kind.text
    )  # what she typed stays
    resp = page.post(f"/t/{ident}/netwerkcontact", {**data, "network": "progress-meeting"})
    assert resp.status_code == 303, resp.text[-600:]
    stored = encounters(prog_org, ids["contact_uuid"])
    assert len(stored) == 1 and stored[0]["status"] == "finished"
    codes = {e["url"].rsplit("/", 1)[1]: e["valueCoding"]["code"] for e in stored[0].get("extension", [])}
    assert codes.get("network-contact") == "progress-meeting"
    entries = admin_get(prog_org, "Communication", identifier=f"{SID}journal-entry|{ids['entry_uuid']}")
    assert len(entries) == 1 and journal_text(prog_org, entries[0]) == text
    from hvol_fhir.mapping import encounter
    from hvol_fhir.programme.rules.common import held

    contact = encounter.from_json(stored[0], traject="CarePlan/x")
    assert contact.network == "progress-meeting" and held([contact]) == []  # no norm counts it
    assert "met het netwerk: voortgangsgesprek" in html.unescape(page.get(f"/t/{ident}/").text)
