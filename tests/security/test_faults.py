"""Fault injection (issue 8.4): the buddy saves a contact with its journal entry (one FHIR transaction) while
the proxy between app and HAPI drops, delays, refuses or truncates. Whatever happens: the first answer either
says it was saved or shows the form again with her text and a plain Dutch message; saving the same form again
(same hidden identifiers) then succeeds; and in the end there is exactly one entry and one contact, never zero
(lost) and never two (duplicated)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest_proof import Proof
from tests.integration import transfer_support as ts
from tests.integration.app_support import traject_ident
from tests.sealing_support import opened

from .conftest import YOUTH, SecApp, canary, visible_text
from .faultproxy import STANDARD_FAULTS, FaultProxy
from .support import contact_form, count_marked

pytestmark = [pytest.mark.integration, pytest.mark.proof, pytest.mark.slow]

FAULTS = list(STANDARD_FAULTS)
NOTHING_SAVED = "Er is niets opgeslagen"  # what the page may say only when it is true


@pytest.fixture(autouse=True)
def clean_proxy(proxy: FaultProxy) -> Iterator[None]:
    proxy.clear()
    yield
    proxy.clear()


@pytest.mark.parametrize(("kind", "options"), FAULTS, ids=[f"{k}-{o}" for k, o in FAULTS])
def test_journal_save_under_fault_loses_and_duplicates_nothing(
    sec_app: SecApp, ident: str, proxy: FaultProxy, proof: Proof, kind: str, options: dict[str, Any]
) -> None:
    buddy = sec_app.as_user("hv-buddy-1")
    marker = canary("fout")
    location = f"plek-{marker}"  # the Encounter carries the location, the Communication the text
    form = contact_form(buddy, ident, f"Samen gefietst. {marker}", location=location)
    injected_before = len(proxy.injected)
    proxy.inject(kind, method="POST", path="/fhir", exact=True, body="ifNoneExist", **options)  # the save
    first = buddy.post(f"/t/{ident}/contact", form)
    proxy.clear()
    faults = len(proxy.injected) - injected_before
    proof.add("faults", faults)
    assert faults >= 1, (first.status_code, visible_text(first.text)[-300:])
    assert first.status_code in (303, 409, 422, 502, 503), first.status_code
    if first.status_code != 303:  # not saved (or not sure): the form is back, with her text and a message
        page = html.unescape(first.text)
        assert marker in page and location in page, visible_text(first.text)[-400:]
        assert "Er ging iets mis in de app" not in page
        assert 'class="errors"' in first.text or 'role="alert"' in first.text or "fout" in page.lower()
        if count_marked(sec_app.org, "Communication", marker, YOUTH):  # it landed: the page may not deny it
            assert NOTHING_SAVED not in page and "niet zeker" in page, visible_text(first.text)[-400:]
        again = buddy.post(f"/t/{ident}/contact", form)
        assert again.status_code == 303, visible_text(again.text)[-400:]
    proof.add("fault_saves")
    entries, contacts = (
        count_marked(sec_app.org, "Communication", marker, YOUTH),
        count_marked(sec_app.org, "Encounter", location, YOUTH),
    )
    if entries == 0 or contacts == 0:
        proof.found("lost", f"{kind} {options}: entries={entries} contacts={contacts}")
    if entries > 1 or contacts > 1:
        proof.found("duplicates", f"{kind} {options}: entries={entries} contacts={contacts}")
    assert (entries, contacts) == (1, 1)
    # A later submit of the same form (a double click, the back button) changes nothing.
    assert buddy.post(f"/t/{ident}/contact", form).status_code in (303, 422)
    again = (
        count_marked(sec_app.org, "Communication", marker, YOUTH),
        count_marked(sec_app.org, "Encounter", location, YOUTH),
    )
    assert again == (1, 1)


def test_coaching_entry_under_dropped_answer_is_saved_once(
    sec_app: SecApp, ident: str, proxy: FaultProxy, proof: Proof
) -> None:
    coach = sec_app.as_user("hv-coach-1")
    marker = canary("coachfout")
    form = {"entry_uuid": str(uuid.uuid4()), "text": f"Coachgesprek {marker}"}
    proxy.inject("drop-after", method="POST", body="Coachgesprek")
    first = coach.post(f"/t/{ident}/coachjournaal", form, csrf_from=f"/t/{ident}/journaal")
    proxy.clear()
    proof.add("faults")
    if first.status_code != 303:
        assert marker in html.unescape(first.text)
        assert (
            coach.post(f"/t/{ident}/coachjournaal", form, csrf_from=f"/t/{ident}/journaal").status_code == 303
        )
    proof.add("fault_saves")
    n = count_marked(sec_app.org, "Communication", marker, YOUTH)
    if n != 1:
        proof.found("lost" if n == 0 else "duplicates", f"coaching entry: {n}")
    assert n == 1


# --- CarePlan updates (a coordinator closes a traject) ------------------------------------------------------

CAREPLAN_FAULTS = [f for f in FAULTS if f[1].get("status") != 412]  # 412 is asserted above; 409 stays


@pytest.mark.parametrize(
    ("n", "kind", "options"),
    [(80 + i, k, o) for i, (k, o) in enumerate(CAREPLAN_FAULTS)],
    ids=[f"{k}-{o}" for k, o in CAREPLAN_FAULTS],
)
def test_careplan_update_under_fault_is_applied_exactly_once(
    sec_app: SecApp, proxy: FaultProxy, proof: Proof, n: int, kind: str, options: dict[str, Any]
) -> None:
    youth = ts.synthetic_traject(sec_app.org, n, weeks=8, consent_entries=0)
    careplan_id = youth.careplan.split("/")[1]
    coordinator = sec_app.as_user("hv-coordinator", youth.patient.split("/")[1])
    ident = traject_ident(coordinator)
    show = f"/t/{ident}/"
    version = coordinator.hidden(show, "version")
    form = {
        "action": "close",
        "reason": "youth-no-longer-needed",
        "date": "",
        "version": version,
        "shown_at": coordinator.hidden(show, "shown_at"),  # as the page's form sends it
    }
    injected_before = len(proxy.injected)
    proxy.inject(kind, method="POST", path="/fhir", exact=True, body="ifMatch", **options)  # the CarePlan PUT
    first = coordinator.post(f"/t/{ident}/fase", form, csrf_from=show)
    proxy.clear()
    faults = len(proxy.injected) - injected_before
    proof.add("faults", faults)
    proof.add("careplan_faults", faults)
    assert faults >= 1, (first.status_code, visible_text(first.text)[-300:])
    assert first.status_code in (303, 409, 422, 502, 503), first.status_code
    if first.status_code != 303:  # the choice is on screen with a plain message, and can be sent again as is
        page = html.unescape(first.text)
        assert "Er ging iets mis in de app" not in page
        assert 'role="alert"' in first.text or 'class="errors"' in first.text, visible_text(page)[-300:]
        assert 'name="reason" value="youth-no-longer-needed"' in first.text, visible_text(page)[-300:]
        if ts.admin_get(sec_app.org, f"CarePlan/{careplan_id}")["meta"]["versionId"] != version:  # it landed
            assert NOTHING_SAVED not in page and "niet zeker" in page, visible_text(page)[-400:]
        resend = re.search(
            r'<form method="post" action="([^"]+)" data-testid="resend-form">(.*?)</form>', first.text, re.S
        )
        assert resend, visible_text(page)[-300:]
        if "Opnieuw versturen" in resend.group(2):  # the page's own button sends exactly what she chose
            fields = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', resend.group(2))
            )
            assert {k: fields[k] for k in form} == form and fields["csrf_token"]
            again = coordinator.browser.http.post(
                sec_app.url + html.unescape(resend.group(1)),
                data={k: html.unescape(v) for k, v in fields.items()},
                headers={"Cookie": "; ".join(f"{k}={v}" for k, v in coordinator.browser.cookies.items())},
                allow_redirects=False,
                timeout=60,
            )
        else:  # someone else's change (here: the proxy's 409): she opens the traject again and chooses again
            again = coordinator.post(f"/t/{ident}/fase", form, csrf_from=show)
        assert again.status_code == 303, visible_text(again.text)[-400:]
    proof.add("fault_saves")
    raw_plan = ts.admin_get(sec_app.org, f"CarePlan/{careplan_id}")
    assert "youth-no-longer-needed" not in str(raw_plan)  # the closure reason is sealed (issue 12)
    plan = opened(sec_app.org, raw_plan)
    history = ts.admin_get(sec_app.org, f"CarePlan/{careplan_id}/_history", _count="50")
    changes = int(plan["meta"]["versionId"]) - int(version)
    closed = plan["status"] == "completed" and "youth-no-longer-needed" in str(plan)
    if not closed or changes == 0:
        proof.found("lost", f"CarePlan {kind} {options}: closed={closed} changes={changes}")
    if changes > 1 or str(plan).count("youth-no-longer-needed") != 1:
        proof.found("duplicates", f"CarePlan {kind} {options}: {changes} versions")
    assert closed and changes == 1, (plan["status"], changes, history.get("total"))
    episodes = ts.admin_get(sec_app.org, "EpisodeOfCare", patient=youth.patient)
    assert [e["resource"]["status"] for e in episodes.get("entry", [])] == ["finished"]
    # The same form again (the back button, a second click) changes nothing.
    assert coordinator.post(f"/t/{ident}/fase", form, csrf_from=show).status_code in (303, 409, 422)
    assert (
        ts.admin_get(sec_app.org, f"CarePlan/{careplan_id}")["meta"]["versionId"] == plan["meta"]["versionId"]
    )
