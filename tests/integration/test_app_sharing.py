"""Issue 14, P-SHARE-CONSENT over HTTP against the sandbox: the coordinator shares chosen journal entries with
a guardian (RelatedPerson), a professional (Practitioner) or an organisation typed by name, with the girl's
consent, why and until when; each bad input is refused in Dutch with the form as typed and nothing written;
a withdrawn share is shown as such; and what is shared reaches no one else: not the EHR's staff, not the
recipient's own EHR account (no journal access), not the AuditEvents.

The sandbox is shared by the whole session: the RelatedPersons made here are deleted afterwards and every
share made here is withdrawn (a withdrawn Consent allows nothing, so later tests see no active share of it).
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from tests.conftest_proof import Proof
from tests.integration.app_support import Page, launch, org_or_external, traject_ident
from tests.integration.launch_support import RunningApp, serve_app

pytestmark = pytest.mark.integration
YOUTH = "hv-youth-07"  # buddy hv-buddy-2, coach hv-coach-1, mentor hv-mentor-1 (sandbox.demo_scenario)
SID = "https://hvol-fhir.org/fhir/sid/"
SHARE = "/t/{}/delen"


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-sharing")) as app:
        yield app


def _admin(org: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}


def admin_search(org: Any, resource_type: str, **params: str) -> list[dict[str, Any]]:
    resp = requests.get(
        f"{org.fhir_base}/{resource_type}",
        params={**params, "_count": "500"},
        headers=_admin(org),
        timeout=60,
    )
    assert resp.status_code == 200, resp.text[:300]
    return [e["resource"] for e in resp.json().get("entry", [])]


def _person(org: Any, patient: str, name: str) -> str:
    body = {
        "resourceType": "RelatedPerson",
        "active": True,
        "patient": {"reference": f"Patient/{patient}"},
        "relationship": [{"text": "voogd"}],
        "name": [{"text": name}],
    }
    headers = {**_admin(org), "Content-Type": "application/fhir+json"}
    resp = requests.post(f"{org.fhir_base}/RelatedPerson", json=body, headers=headers, timeout=60)
    assert resp.status_code == 201, resp.text[:300]
    return f"RelatedPerson/{resp.json()['id']}"


@pytest.fixture(scope="module")
def people(prog_org: Any) -> Iterator[dict[str, str]]:
    """Her guardian, and another girl's guardian (never hers to pick); deleted afterwards."""
    made = {
        "guardian": _person(prog_org, YOUTH, "Gerda Vogel"),
        "other": _person(prog_org, "hv-youth-09", "Henk Ander"),
    }
    yield made
    for ref in made.values():
        requests.delete(f"{prog_org.fhir_base}/{ref}", headers=_admin(prog_org), timeout=60)


@pytest.fixture(scope="module")
def coordinator(running: RunningApp, prog_org: Any, people: dict[str, str]) -> Iterator[tuple[Page, str]]:
    page = launch(running, prog_org, "hv-coordinator", YOUTH)
    ident = traject_ident(page)
    before = {c["id"] for c in _consents(prog_org)}
    yield page, ident
    # Put the sandbox back: each share made here withdrawn (an AuditEvent names each: none is deleted).
    for consent in _consents(prog_org):
        if consent["id"] not in before and consent["status"] == "active":
            path = f"{SHARE.format(ident)}/{consent['id']}/intrekken"
            resp = page.post(path, {}, csrf_from=SHARE.format(ident))
            assert resp.status_code == 303, _text(resp)[_text(resp).find("Er is niets") :][:600]


def _consents(org: Any) -> list[dict[str, Any]]:
    return admin_search(org, "Consent", patient=f"Patient/{YOUTH}", category="http://loinc.org|64292-6")


def _entries(page: Page, ident: str) -> list[str]:
    found = re.findall(r'name="entries" value="([^"]+)"', page.get(SHARE.format(ident)).text)
    assert found, "the demo gives this youth journal entries"
    return found


def _form(page: Page, ident: str, **over: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "consent_uuid": str(uuid.uuid4()),
        "entries": _entries(page, ident)[0],
        "recipient": "Practitioner/hv-mentor-1",
        "purpose": "SUPNWK",
        "why": f"Zodat hij weet wat er speelt {uuid.uuid4().hex[:8]}",
        "until": (date.today() + timedelta(days=30)).isoformat(),
        "consent_given": "ja",
    }
    form.update(over)
    return form


def _text(resp: requests.Response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.text)))


def _disclosures(org: Any) -> int:
    return len(admin_search(org, "AuditEvent", patient=f"Patient/{YOUTH}", subtype="disclose"))


@pytest.mark.parametrize(
    ("kind", "over", "shown"),
    [
        ("guardian", {"purpose": "FAMRQT"}, "Gerda Vogel"),
        ("professional", {}, "Kees Mulder"),  # hv-mentor-1 (sandbox.demo_scenario)
        (
            "organisation",
            {"recipient": "organisatie", "organisation": "Gemeente Rijswaard"},
            "Gemeente Rijswaard",
        ),
    ],
)
def test_a_share_with_any_recipient_is_one_consent_and_one_audit(
    coordinator: tuple[Page, str],
    prog_org: Any,
    running: RunningApp,
    people: dict[str, str],
    kind: str,
    over: Any,
    shown: str,
) -> None:
    page, ident = coordinator
    if kind == "guardian":
        over = {**over, "recipient": people["guardian"]}
    form = _form(page, ident, **over)
    audits = _disclosures(prog_org)
    resp = page.post(SHARE.format(ident), form)
    assert resp.status_code == 303, _text(resp)[-600:]
    (stored,) = admin_search(prog_org, "Consent", identifier=f"{SID}consent|{form['consent_uuid']}")
    raw = json.dumps(stored)
    # The EHR holds who and why only sealed: the actor keeps its role, not the name or the reference.
    assert shown not in raw and form["why"] not in raw and people["guardian"] not in raw
    assert stored["provision"]["provision"][0]["data"] == [
        {"meaning": "instance", "reference": {"reference": f"Communication/{form['entries']}"}}
    ]
    assert _disclosures(prog_org) == audits + 1
    traject = _text(page.browser.get(running.url + resp.headers["Location"]))
    assert "De toestemming van de jongere is vastgelegd." in traject and shown in traject
    assert form["why"] not in traject  # her words stay on the share page, a journal page


BAD = [
    ("no recipient", {"recipient": ""}, "Kies met wie er gedeeld wordt"),
    ("organisation without a name", {"recipient": "organisatie", "organisation": " "}, "Kies met wie"),
    ("recipient not found", {"recipient": "Practitioner/bestaat-niet"}, "staat niet (meer) in het dossier"),
    ("another girl's guardian", {"recipient": "other"}, "staat niet (meer) in het dossier"),
    ("no consent", {"consent_given": ""}, "Zonder toestemming van de jongere wordt er niets gedeeld"),
    (
        "end before start",
        {"from": "2031-03-02", "until": "2031-03-01"},
        "De einddatum ligt vóór de begindatum",
    ),
    ("expired", {"from": "2026-01-01", "until": "2026-02-01"}, "Deze einddatum is al voorbij"),
    ("not a date", {"until": "31-02-2027"}, "Vul een geldige datum in bij 'Geldig tot'"),
]


@pytest.mark.parametrize(("case", "over", "message"), BAD, ids=[b[0] for b in BAD])
def test_each_bad_share_says_why_keeps_the_form_and_writes_nothing(
    coordinator: tuple[Page, str], prog_org: Any, people: dict[str, str], case: str, over: Any, message: str
) -> None:
    page, ident = coordinator
    if over.get("recipient") == "other":
        over = {**over, "recipient": people["other"]}
    form = _form(page, ident, **over)
    consents, audits = len(_consents(prog_org)), _disclosures(prog_org)
    resp = page.post(SHARE.format(ident), form)
    assert resp.status_code == 422, (case, _text(resp)[-400:])
    assert message in _text(resp), (case, _text(resp)[-600:])
    # Everything she typed is still there, the ticked entry too.
    assert f'value="{html.escape(form["why"])}"' in resp.text
    assert re.search(rf'name="entries" value="{form["entries"]}" checked', resp.text)
    assert f'value="{form["consent_uuid"]}"' in resp.text
    assert len(_consents(prog_org)) == consents and _disclosures(prog_org) == audits
    assert not admin_search(prog_org, "Consent", identifier=f"{SID}consent|{form['consent_uuid']}")


def test_a_withdrawn_share_is_shown_withdrawn_and_stays_so(
    coordinator: tuple[Page, str], prog_org: Any
) -> None:
    page, ident = coordinator
    form = _form(page, ident, recipient="organisatie", organisation="Zorgboerderij De Hoeve")
    assert page.post(SHARE.format(ident), form).status_code == 303
    (stored,) = admin_search(prog_org, "Consent", identifier=f"{SID}consent|{form['consent_uuid']}")
    path = f"{SHARE.format(ident)}/{stored['id']}/intrekken"
    for _ in range(2):  # withdrawing twice changes nothing
        resp = page.post(path, {}, csrf_from=SHARE.format(ident))
        assert resp.status_code == 303, _text(resp)[-400:]
    (after,) = admin_search(prog_org, "Consent", identifier=f"{SID}consent|{form['consent_uuid']}")
    assert after["status"] == "inactive" and after["meta"]["versionId"] == "2"
    row = re.search(
        r'<tr data-testid="share" data-state="([^"]+)"><td>Zorgboerderij De Hoeve',
        page.get(f"/t/{ident}/").text,
    )
    assert row and row.group(1) == "ingetrokken"


def test_what_is_shared_reaches_its_recipient_record_only(
    coordinator: tuple[Page, str], prog_org: Any, running: RunningApp, proof: Proof
) -> None:
    """Markers in the purpose and in an organisation's name: in the clear nowhere at the EHR (not the
    Consent, not the AuditEvent), not for regular staff or the professional shared with (whose EHR account
    gets no journal access from a share), not in the mentor's app; for the coordinator her words only on the
    share page, the name also in the traject page's list of shares."""
    page, ident = coordinator
    why, name = (f"DEELMERK-{uuid.uuid4().hex[:10]}" for _ in range(2))
    entry = _entries(page, ident)[0]
    form = _form(
        page, ident, why=f"Afspraken {why}", recipient="organisatie", organisation=f"Gemeente {name}"
    )
    assert page.post(SHARE.format(ident), form).status_code == 303
    mentor_share = _form(page, ident, entries=entry)  # and one with the mentor, on the same entry
    assert page.post(SHARE.format(ident), mentor_share).status_code == 303
    leaks: list[str] = []

    def check(place: str, text: str, *markers: str) -> None:
        proof.add("share_leak_places")
        if any(m in text for m in markers):
            leaks.append(place)
            proof.found("share_leaks", f"shared marker in {place}")

    for rtype in ("Consent", "AuditEvent", "RelatedPerson", "Communication", "CarePlan", "Task"):
        for resource in admin_search(prog_org, rtype, patient=f"Patient/{YOUTH}"):
            check(f"EHR {rtype}", json.dumps(resource), why, name)
    for user in ("hv-staff-1", "hv-mentor-1"):
        headers = {"Authorization": f"Bearer {prog_org.token_for(user)}", "Accept": "application/fhir+json"}
        read = requests.get(f"{prog_org.fhir_base}/Communication/{entry}", headers=headers, timeout=60)
        assert read.status_code in (403, 404), (user, read.status_code)  # a share grants no journal access
        found = requests.get(
            f"{prog_org.fhir_base}/Consent",
            params={"patient": f"Patient/{YOUTH}"},
            headers=headers,
            timeout=60,
        )
        check(f"{user} Consent search", found.text, why, name, mentor_share["why"])
    mentor = launch(running, prog_org, "hv-mentor-1", YOUTH)
    for path in ("/", "/kaart", f"/t/{ident}/", SHARE.format(ident)):
        check(f"mentor app {path.split('/')[-1] or 'start'}", mentor.get(path).text, why, name)
    traject = page.get(f"/t/{ident}/").text
    check("coordinator traject page", traject, why)
    assert not leaks, leaks
    assert name in traject  # whom: on the traject page, for the coordinator
    shared = page.get(SHARE.format(ident)).text
    assert why in shared and name in shared  # the record itself, on the share page
