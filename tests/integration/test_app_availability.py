"""P-AVAIL against the sandbox's real HAPI and authorization server: the buddy records the availability
agreement on the traject's CarePlan (If-Match), it validates against hvol-careplan, the other roles see what
they may, mentors and staff cannot write it even past CSRF, and a stale edit is refused with a plain message.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hvol_fhir.mapping import availability as mapping
from tests.integration.app_support import Page, launch, org_or_external, traject_ident
from tests.integration.launch_support import RunningApp, serve_app
from tests.sealing_support import opened

pytestmark = pytest.mark.integration
SID = "https://hvol-fhir.org/fhir/sid/"
YOUTH = "hv-youth-08"


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-availability")) as app:
        yield app


@pytest.fixture(scope="module")
def buddy(running: RunningApp, prog_org: Any) -> tuple[Page, str]:
    page = launch(running, prog_org, "hv-buddy-3", YOUTH)
    return page, traject_ident(page)


def _admin(org: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}


def careplan(org: Any, ident: str) -> dict[str, Any]:
    resp = requests.get(
        f"{org.fhir_base}/CarePlan",
        params={"identifier": f"{SID}traject|{ident}"},
        headers=_admin(org),
        timeout=60,
    )
    assert resp.status_code == 200, resp.text
    raw = dict(resp.json()["entry"][0]["resource"])
    assert "negen" not in json.dumps(raw) and "uur alleen" not in json.dumps(raw)  # notes sealed (issue 12)
    return opened(org, raw)


def form(page: Page, ident: str, note: str, **over: Any) -> dict[str, Any]:
    """The crisis section of the form (issue 14: one section per matter); ``over`` names its fields bare."""
    data: dict[str, Any] = {
        "version": page.hidden(f"/t/{ident}/bereikbaarheid", "version"),
        "crisis_days": ["mon", "thu"],
        "crisis_start": "16:00",
        "crisis_end": "19:30",
        "crisis_channels": ["whatsapp", "phone"],
        "note": note,
    }
    data.update({k if k in ("version", "note") or "_" in k else f"crisis_{k}": v for k, v in over.items()})
    return data


def test_buddy_saves_an_agreement_that_validates_and_the_team_sees_it(
    buddy: tuple[Page, str], running: RunningApp, prog_org: Any
) -> None:
    page, ident = buddy
    note = f"Na 20 uur alleen bij crisis {uuid.uuid4().hex[:8]}"
    before = careplan(prog_org, ident)
    resp = page.post(f"/t/{ident}/bereikbaarheid", form(page, ident, note))
    assert resp.status_code == 303, resp.text[-800:]
    after = careplan(prog_org, ident)
    assert int(after["meta"]["versionId"]) == int(before["meta"]["versionId"]) + 1
    agreement = mapping.from_careplan(after)
    assert agreement is not None
    assert agreement.days == ("mon", "thu") and agreement.window == "16:00–19:30"
    assert agreement.channels == ("phone", "whatsapp") and agreement.matters == ("crisis",)
    assert agreement.note == note and agreement.buddy == "Practitioner/hv-buddy-3"
    # the phases and everything else on the CarePlan are untouched
    assert [x for x in after["activity"] if not mapping.is_availability(x)] == [
        x for x in before.get("activity", []) if not mapping.is_availability(x)
    ]
    checked = requests.post(
        f"{prog_org.fhir_base}/CarePlan/$validate",
        json=after,
        headers={**_admin(prog_org), "Content-Type": "application/fhir+json"},
        timeout=120,
    )
    errors = [i for i in checked.json().get("issue", []) if i["severity"] in ("error", "fatal")]
    assert not errors, errors

    shown = html.unescape(page.get(f"/t/{ident}/").text)
    assert "maandag, donderdag, 16:00–19:30" in shown and note in shown
    coach = launch(running, prog_org, "hv-coach-2", YOUTH)
    assert note in html.unescape(coach.get(f"/t/{ident}/").text)
    # the mentor's card: how to reach the buddy (days, channels), not what for nor her note
    card = html.unescape(launch(running, prog_org, "hv-mentor-2", YOUTH).get("/kaart").text)
    assert "maandag, donderdag; via Telefoon, WhatsApp" in card
    assert note not in card and "Crisissituaties" not in card and "crisissituaties" not in card


def test_questions_and_crisis_each_get_their_own_days_times_and_channels(
    buddy: tuple[Page, str], running: RunningApp, prog_org: Any
) -> None:
    page, ident = buddy
    questions = {
        "vragen_days": ["wed"],
        "vragen_start": "15:00",
        "vragen_end": "17:00",
        "vragen_channels": ["email"],
    }
    resp = page.post(f"/t/{ident}/bereikbaarheid", form(page, ident, "per onderwerp", **questions))
    assert resp.status_code == 303, resp.text[-600:]
    agreements = mapping.all_from_careplan(careplan(prog_org, ident))
    assert [ag.matters for ag in agreements] == [("any-question",), ("crisis",)]
    assert agreements[0].days == ("wed",) and agreements[0].channels == ("email",)
    assert agreements[1].days == ("mon", "thu") and agreements[1].channels == ("phone", "whatsapp")
    shown = html.unescape(page.get(f"/t/{ident}/").text)
    assert "woensdag, 15:00–17:00" in shown and "maandag, donderdag, 16:00–19:30" in shown
    card = html.unescape(launch(running, prog_org, "hv-mentor-2", YOUTH).get("/kaart").text)
    assert "maandag, woensdag, donderdag; via" in card and "per onderwerp" not in card
    # the same matter twice cannot be stored: a half-filled questions section is refused, nothing written
    version = careplan(prog_org, ident)["meta"]["versionId"]
    half = page.post(f"/t/{ident}/bereikbaarheid", form(page, ident, "x", vragen_days=["fri"]))
    assert half.status_code == 422 and "Voor vragen:" in html.unescape(half.text)
    assert careplan(prog_org, ident)["meta"]["versionId"] == version


def test_bad_input_keeps_what_she_typed_and_writes_nothing(buddy: tuple[Page, str], prog_org: Any) -> None:
    page, ident = buddy
    version = careplan(prog_org, ident)["meta"]["versionId"]
    note = f"Bel liever niet {uuid.uuid4().hex[:8]}"
    for over, message in (
        ({"start": "20:00", "end": "18:00"}, "eindtijd moet na de begintijd"),
        ({"channels": []}, "minstens één manier"),
        ({"days": []}, "minstens één dag"),
        ({"start": "25:00"}, "geldige tijd"),
    ):
        resp = page.post(f"/t/{ident}/bereikbaarheid", form(page, ident, note, **over))
        text = html.unescape(resp.text)
        assert resp.status_code == 422, (over, resp.status_code)
        assert message in text and note in text
    assert careplan(prog_org, ident)["meta"]["versionId"] == version


def test_a_stale_edit_is_refused_with_a_plain_conflict_message(
    buddy: tuple[Page, str], prog_org: Any
) -> None:
    page, ident = buddy
    old_version = page.hidden(f"/t/{ident}/bereikbaarheid", "version")
    first = page.post(f"/t/{ident}/bereikbaarheid", form(page, ident, "eerste", version=old_version))
    assert first.status_code == 303, first.text[-600:]
    mine = f"tweede {uuid.uuid4().hex[:8]}"
    stale = page.post(
        f"/t/{ident}/bereikbaarheid", form(page, ident, mine, version=old_version, days=["sat"])
    )
    text = html.unescape(stale.text)
    assert stale.status_code == 409
    assert "intussen gewijzigd" in text and mine in text  # what she typed stays
    assert 'data-testid="their-version"' in text and "eerste" in text
    now_in_ehr = mapping.from_careplan(careplan(prog_org, ident))
    assert now_in_ehr is not None and now_in_ehr.note == "eerste"


@pytest.mark.parametrize("user", ["hv-mentor-2", "hv-staff-1"])
def test_mentor_and_staff_cannot_write_it_even_with_a_valid_csrf_token(
    running: RunningApp, prog_org: Any, buddy: tuple[Page, str], user: str
) -> None:
    _, ident = buddy
    before = careplan(prog_org, ident)
    page = launch(running, prog_org, user, YOUTH)
    data = {
        "vragen_days": ["sun"],
        "vragen_start": "01:00",
        "vragen_end": "02:00",
        "vragen_channels": ["email"],
        "version": before["meta"]["versionId"],
        "note": "poging",
    }
    assert page.post(f"/t/{ident}/bereikbaarheid", data, csrf_from="/kaart").status_code == 400  # no token
    resp = page.post_as_if_allowed(f"/t/{ident}/bereikbaarheid", data)
    assert resp.status_code in (403, 404)
    assert page.get(f"/t/{ident}/bereikbaarheid").status_code in (403, 404)
    after = careplan(prog_org, ident)
    assert after["meta"]["versionId"] == before["meta"]["versionId"]
