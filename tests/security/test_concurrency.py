"""Concurrency (issue 8.6): two coordinators editing one CarePlan (one wins, the other is told), and the same
contact form submitted twice at once (exactly one contact and one entry)."""

from __future__ import annotations

import re
import threading

import pytest

from tests.conftest_proof import Proof
from tests.integration import transfer_support as ts
from tests.integration.app_support import traject_ident
from tests.sealing_support import opened

from .conftest import YOUTH, SecApp, canary, visible_text
from .support import contact_form

pytestmark = [pytest.mark.integration, pytest.mark.proof]


def test_two_coordinators_editing_one_careplan(sec_app: SecApp, proof: Proof) -> None:
    youth = "hv-youth-09"
    first, second = sec_app.as_user("hv-coordinator", youth), sec_app.as_user("hv-coordinator", youth)
    ident = traject_ident(first)
    show = f"/t/{ident}/"
    version = first.hidden(show, "version")
    assert second.hidden(show, "version") == version  # both started from the same version
    form = {"action": "close", "reason": "youth-no-longer-needed", "version": version}
    wins = first.post(f"/t/{ident}/fase", form, csrf_from=show)
    loses = second.post(f"/t/{ident}/fase", {**form, "reason": "buddy-no-click"}, csrf_from=show)
    proof.add("concurrent_saves", 2)
    assert wins.status_code == 303, visible_text(wins.text)[-300:]
    assert loses.status_code in (409, 412, 422), loses.status_code
    text = visible_text(loses.text)
    assert "Er ging iets mis in de app" not in text and re.search(r"(?i)gewijzigd|intussen|opnieuw", text), (
        text[-400:]
    )
    plan = ts.admin_get(sec_app.org, f"CarePlan?subject=Patient/{youth}&identifier=" + ident)["entry"][0][
        "resource"
    ]
    if int(plan["meta"]["versionId"]) != int(version) + 1:
        proof.found(
            "concurrency_errors", f"CarePlan went from version {version} to {plan['meta']['versionId']}"
        )
    assert int(plan["meta"]["versionId"]) == int(version) + 1
    assert "buddy-no-click" not in str(opened(sec_app.org, plan))


def test_the_same_contact_submitted_twice_at_once(sec_app: SecApp, ident: str, proof: Proof) -> None:
    buddy = sec_app.as_user("hv-buddy-1")
    marker = canary("dubbel")
    form = contact_form(buddy, ident, f"Dubbelklik {marker}")
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(buddy.post(f"/t/{ident}/contact", form).status_code))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    proof.add("concurrent_saves", 2)
    assert all(a in (303, 422) for a in answers) and 303 in answers, answers
    found = ts.admin_get(sec_app.org, f"Communication?subject=Patient/{YOUTH}&_sort=-_lastUpdated&_count=100")
    n = sum(marker in str(opened(sec_app.org, e["resource"])) for e in found.get("entry", []))
    encounters = ts.admin_get(sec_app.org, "Encounter?identifier=" + form["contact_uuid"])
    if n != 1 or len(encounters.get("entry", [])) != 1:
        proof.found(
            "concurrency_errors", f"double submit: {n} entries, {len(encounters.get('entry', []))} contacts"
        )
    assert n == 1 and len(encounters.get("entry", [])) == 1
