"""Attack cases on the running app (issue 8.3): CSRF on every state-changing route of the url_map,
session fixation, open redirects, markup in every text field (stored and reflected), path traversal,
oversized input, and a user editing someone else's journal entry by changing an id. Every case counts as one
attack; one that is not refused counts as accepted and fails the run. (The SMART launch cases live in
tests/unit/smart_app/test_launch_attacks.py and tests/unit/smart/test_idtoken.py, counted from there.)"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests

from tests.conftest_proof import Proof
from tests.integration.launch_support import Browser, ehr_launch
from tests.sealing_support import opened

from .conftest import YOUTH, SecApp
from .support import contact_form, fill, routes

pytestmark = [pytest.mark.integration, pytest.mark.proof]
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
EVIL = "https://evil.example/steal"
COUNTED_TYPES = (
    "Communication",
    "Encounter",
    "Consent",
    "CarePlan",
    "CareTeam",
    "Task",
    "AuditEvent",
    "Observation",
    "QuestionnaireResponse",
    "EpisodeOfCare",
)


def _count(org: Any, kind: str) -> int:
    """Every stored resource of a type (the loader's token; paging, since counts vary by server setting)."""
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    url: str | None = f"{org.fhir_base}/{kind}?_elements=id&_count=1000"
    n = 0
    while url:
        body = requests.get(url, headers=headers, timeout=120).json()
        assert body.get("resourceType") == "Bundle", body
        n += len(body.get("entry", []))
        url = next((lk["url"] for lk in body.get("link", []) if lk["relation"] == "next"), None)
    return n


def _refused(proof: Proof, ok: bool, what: str) -> None:
    proof.add("attacks")
    if not ok:
        proof.found("attacks_accepted", what)


def _entry_id(sec_app: SecApp, ident: str) -> str:
    page = sec_app.as_user("hv-buddy-1").get(f"/t/{ident}/journaal").text
    found = re.findall(r"/journaal/([^/\"]+)/wijzig", page)
    assert found
    return found[0]


def test_every_post_route_refuses_a_missing_or_foreign_csrf_token(
    sec_app: SecApp, ident: str, proof: Proof
) -> None:
    app = sec_app.running.app
    post_routes = routes(app, "POST")
    assert len(post_routes) >= 15  # the url_map was read, not an empty list
    entry = _entry_id(sec_app, ident)
    foreign = sec_app.as_user("hv-coordinator")  # a valid token, but for another launch and browser
    foreign_token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', foreign.get(f"/t/{ident}/").text)
    assert foreign_token
    before = {k: _count(sec_app.org, k) for k in COUNTED_TYPES}
    accepted = []
    for user in ("hv-coordinator", "hv-buddy-1", "hv-coach-1", "hv-behavioural-scientist"):
        page = sec_app.as_user(user)
        cookies = "; ".join(f"{k}={v}" for k, v in page.browser.cookies.items())
        for rule in post_routes:
            path = fill(rule, ident, entry)
            form = {
                "text": "CSRF",
                "action": "close",
                "reason": "youth-no-longer-needed",
                "member": "hv-staff-1",
                "role": "mentor",
                "entry_uuid": str(uuid.uuid4()),
                "contact_uuid": str(uuid.uuid4()),
            }
            for token in ("", foreign_token.group(1), "0" * 64):
                resp = page.browser.http.post(
                    page.url(path),
                    data={**form, **({"csrf_token": token} if token else {})},
                    headers={"Cookie": cookies},
                    allow_redirects=False,
                    timeout=60,
                )
                ok = resp.status_code in (400, 403, 404) and resp.status_code < 500
                _refused(proof, ok, f"CSRF {user} {rule} -> {resp.status_code}")
                if not ok:
                    accepted.append((user, rule, resp.status_code))
    after = {k: _count(sec_app.org, k) for k in COUNTED_TYPES}
    assert not accepted
    assert before == after  # nothing written, not even an AuditEvent in the victim's name


def test_session_fixation_a_planted_session_id_is_replaced(sec_app: SecApp, proof: Proof) -> None:
    browser = Browser(sec_app.url)
    browser.cookies["hvol_sid"] = "aanvaller-gekozen-sessie"
    landing = ehr_launch(browser, sec_app.org, "hv-buddy-1", YOUTH)
    _refused(proof, browser.cookies.get("hvol_sid") != "aanvaller-gekozen-sessie", "session fixation")
    assert browser.cookies.get("hvol_sid") != "aanvaller-gekozen-sessie"
    # The attacker's browser, with the launch URL but not the victim's cookie, gets nothing.
    attacker = Browser(sec_app.url)
    attacker.cookies["hvol_sid"] = "aanvaller-gekozen-sessie"
    for path in ("", "programma", "kaart"):
        resp = attacker.get(landing.rstrip("/") + "/" + path)
        refused = resp.status_code in (400, 401, 403, 404) or (
            resp.status_code in (302, 303) and "/l/" not in resp.headers.get("Location", "")
        )
        _refused(
            proof, refused and "Eva" not in resp.text, f"stolen launch url /{path} -> {resp.status_code}"
        )
        assert refused


REDIRECT_PARAMS = (
    "next",
    "redirect",
    "redirect_uri",
    "return",
    "return_to",
    "url",
    "target",
    "goto",
    "opgeslagen",
    "soort",
    "iss",
    "launch",
)


def test_no_open_redirect_through_any_parameter(sec_app: SecApp, ident: str, proof: Proof) -> None:
    page = sec_app.as_user("hv-coordinator")
    paths = [fill(r, ident) for r in routes(sec_app.running.app, "GET")]
    query = "&".join(f"{p}={requests.utils.quote(EVIL)}" for p in REDIRECT_PARAMS)
    bad = []
    for path in paths:
        resp = page.browser.get(page.url(path) + "?" + query)
        _refused(proof, EVIL not in resp.headers.get("Location", ""), f"open redirect {path}")
        if EVIL in resp.headers.get("Location", ""):
            bad.append(path)
    for extra in (
        f"/launch?iss={EVIL}&launch=x",
        f"/launch/callback?state=x&code=y&redirect_uri={EVIL}",
        f"/launch/callback?error=access_denied&error_description={SCRIPT}&state=x",
        f"/launch/standalone?iss={EVIL}&next={EVIL}",
        f"//evil.example/%2e%2e?next={EVIL}",
    ):
        resp = requests.get(sec_app.url + extra, allow_redirects=False, timeout=60)
        location = resp.headers.get("Location", "")
        ok = "evil.example" not in location and resp.status_code < 500 and "<script>" not in resp.text
        _refused(proof, ok, f"launch redirect/reflection {extra[:30]}")
        if not ok:
            bad.append(extra)
    assert not bad


def _escaped(html: str) -> bool:
    return "<script>alert" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")


def test_markup_in_every_text_field_is_shown_as_text(sec_app: SecApp, ident: str, proof: Proof) -> None:
    buddy = sec_app.as_user("hv-buddy-1")
    stored = f"STORED-{uuid.uuid4().hex[:8]} {SCRIPT}"
    form = contact_form(buddy, ident, stored, location=SCRIPT)
    assert buddy.post(f"/t/{ident}/contact", form).status_code == 303
    coach = sec_app.as_user("hv-coach-1")
    assert (
        coach.post(
            f"/t/{ident}/coachjournaal",
            {"entry_uuid": str(uuid.uuid4()), "text": stored},
            csrf_from=f"/t/{ident}/journaal",
        ).status_code
        == 303
    )
    pages = {p: buddy.get(p) for p in (f"/t/{ident}/journaal", f"/t/{ident}/", "/programma")}
    pages |= {f"coach {p}": coach.get(p) for p in (f"/t/{ident}/journaal",)}
    assert "STORED-" in pages[f"/t/{ident}/journaal"].text
    for name, resp in pages.items():
        _refused(proof, _escaped(resp.text), f"stored markup on {name}")
        assert _escaped(resp.text), name
    # Reflected: a refused form is re-rendered with what was typed; query strings are echoed nowhere raw.
    reflected = {
        "contact": buddy.post(
            f"/t/{ident}/contact",
            {**contact_form(buddy, ident, SCRIPT), "date": SCRIPT, "location": SCRIPT, "type": SCRIPT},
        ),
        "coaching": coach.post(f"/t/{ident}/coachjournaal", {"text": ""}, csrf_from=f"/t/{ident}/journaal"),
        "danger": buddy.post(
            f"/t/{ident}/gevaar",
            {"reason": SCRIPT, "what": SCRIPT, "whom": SCRIPT, "why": SCRIPT, "told": SCRIPT},
        ),
        "writing help": buddy.post("/schrijfhulp", {"text": SCRIPT}, csrf_from="/"),
        "query": buddy.get(f"/t/{ident}/journaal?soort={requests.utils.quote(SCRIPT)}&opgeslagen={SCRIPT}"),
    }
    coordinator = sec_app.as_user("hv-coordinator")
    reflected |= {
        "share": coordinator.post(f"/t/{ident}/delen", {"why": SCRIPT, "until": SCRIPT, "recipient": SCRIPT}),
        "team": coordinator.post(
            f"/t/{ident}/team",
            {"member": SCRIPT, "role": SCRIPT, "skj": SCRIPT, "responsible": SCRIPT},
            csrf_from=f"/t/{ident}/",
        ),
        "phase": coordinator.post(
            f"/t/{ident}/fase", {"action": SCRIPT, "date": SCRIPT, "reason": SCRIPT}, csrf_from=f"/t/{ident}/"
        ),
    }
    for name, resp in reflected.items():
        ok = resp.status_code < 500 and _escaped(resp.text)
        _refused(proof, ok, f"reflected markup {name} -> {resp.status_code}")
        assert ok, (name, resp.status_code)


def test_path_traversal_and_oversized_input_are_refused_plainly(
    sec_app: SecApp, ident: str, proof: Proof
) -> None:
    buddy = sec_app.as_user("hv-buddy-1")
    for path in (
        "/t/..%2F..%2F..%2Fetc%2Fpasswd/",
        "/t/../../../../etc/passwd",
        f"/t/{ident}/journaal/..%2F..%2Fx/wijzig",
        "/t/%2e%2e%2f%2e%2e%2fpyproject.toml/tijdlijn.svg",
        "/../../pyproject.toml",
    ):
        resp = buddy.get(path)
        ok = (
            resp.status_code in (400, 403, 404, 422)
            and "root:" not in resp.text
            and "[build-system]" not in resp.text
        )
        _refused(proof, ok, f"traversal {path} -> {resp.status_code}")
        assert ok, (path, resp.status_code)
    for path in (
        "/static/../pyproject.toml",
        "/static/..%2F..%2Fpyproject.toml",
        "/static/%2e%2e/__init__.py",
    ):
        resp = requests.get(sec_app.url + path, timeout=30)
        ok = (
            resp.status_code == 404
            and "[build-system]" not in resp.text
            and "from __future__" not in resp.text
        )
        _refused(proof, ok, f"static traversal {path} -> {resp.status_code}")
        assert ok
    before = _count(sec_app.org, "Communication")
    for size in (25_000, 2_000_000):
        resp = buddy.post(f"/t/{ident}/contact", contact_form(buddy, ident, "lang " * (size // 5)))
        ok = resp.status_code in (413, 422) and ("Er ging iets mis in de app" not in resp.text)
        _refused(proof, ok, f"oversized text {size} -> {resp.status_code}")
        assert ok, (size, resp.status_code)
    assert _count(sec_app.org, "Communication") == before


def test_nobody_edits_someone_elses_entry_by_changing_an_id(
    sec_app: SecApp, ident: str, proof: Proof
) -> None:
    entry = _entry_id(sec_app, ident)
    path = f"/t/{ident}/journaal/{entry}/wijzig"
    before = requests.get(
        f"{sec_app.org.fhir_base}/Communication/{entry}",
        timeout=30,
        headers={"Authorization": f"Bearer {sec_app.org.admin_token()}", "Accept": "application/fhir+json"},
    ).json()
    attempts = {
        "coach of this buddy": sec_app.as_user("hv-coach-1"),
        "another buddy, own youth": sec_app.as_user("hv-buddy-3", "hv-youth-08"),
        "another buddy, this youth": sec_app.as_user("hv-buddy-3"),
        "coordinator": sec_app.as_user("hv-coordinator"),
    }
    own = sec_app.as_user("hv-buddy-1")
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', own.get(path).text)
    assert csrf  # the author may edit
    for who, page in attempts.items():
        page_csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.get("/").text)
        resp = page.browser.http.post(
            page.url(path),
            data={
                "csrf_token": page_csrf.group(1) if page_csrf else "",
                "text": "OVERGENOMEN",
                "version": before["meta"]["versionId"],
            },
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in page.browser.cookies.items())},
            allow_redirects=False,
            timeout=60,
        )
        ok = resp.status_code in (400, 403, 404, 422)
        _refused(proof, ok, f"edit another's entry as {who} -> {resp.status_code}")
        assert ok, (who, resp.status_code)
    after = requests.get(
        f"{sec_app.org.fhir_base}/Communication/{entry}",
        timeout=30,
        headers={"Authorization": f"Bearer {sec_app.org.admin_token()}", "Accept": "application/fhir+json"},
    ).json()
    assert after["meta"]["versionId"] == before["meta"]["versionId"]
    assert "OVERGENOMEN" not in str(opened(sec_app.org, after))
