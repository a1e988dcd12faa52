"""Fault injection (issue 8.4): the buddy saves a contact with its journal entry (one FHIR transaction) while
the proxy between app and HAPI drops, delays, refuses or truncates. Whatever happens: the first answer either
says it was saved or shows the form again with her text and a plain Dutch message; saving the same form again
(same hidden identifiers) then succeeds; and in the end there is exactly one entry and one contact, never zero
(lost) and never two (duplicated)."""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest_proof import Proof

from .conftest import YOUTH, SecApp, canary, visible_text
from .faultproxy import FaultProxy
from .support import contact_form

pytestmark = [pytest.mark.integration, pytest.mark.proof, pytest.mark.slow]

FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("drop-before", {}),
    ("drop-after", {}),
    ("delay", {"seconds": 4.5}),
    ("status", {"status": 500}),
    ("status", {"status": 502}),
    ("status", {"status": 503, "times": 3}),
    ("429", {}),
    ("truncate", {}),
    ("status", {"status": 409}),
    ("status", {"status": 412}),
    ("drop-after", {"times": 3}),
]


@pytest.fixture(autouse=True)
def clean_proxy(proxy: FaultProxy) -> Iterator[None]:
    proxy.clear()
    yield
    proxy.clear()


def _matches(org: Any, kind: str, marker: str) -> int:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    params = {"subject": f"Patient/{YOUTH}", "_count": "200", "_sort": "-_lastUpdated"}
    body = requests.get(f"{org.fhir_base}/{kind}", params=params, headers=headers, timeout=120).json()
    return sum(marker in str(e["resource"]) for e in body.get("entry", []))


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
    assert faults >= 1
    assert first.status_code in (303, 409, 422, 502, 503), first.status_code
    if first.status_code != 303:  # not saved (or not sure): the form is back, with her text and a message
        page = html.unescape(first.text)
        assert marker in page and location in page, visible_text(first.text)[-400:]
        assert "Er ging iets mis in de app" not in page
        assert 'class="errors"' in first.text or 'role="alert"' in first.text or "fout" in page.lower()
        again = buddy.post(f"/t/{ident}/contact", form)
        assert again.status_code == 303, visible_text(again.text)[-400:]
    proof.add("fault_saves")
    entries, contacts = (
        _matches(sec_app.org, "Communication", marker),
        _matches(sec_app.org, "Encounter", location),
    )
    if entries == 0 or contacts == 0:
        proof.found("lost", f"{kind} {options}: entries={entries} contacts={contacts}")
    if entries > 1 or contacts > 1:
        proof.found("duplicates", f"{kind} {options}: entries={entries} contacts={contacts}")
    assert (entries, contacts) == (1, 1)
    # A later submit of the same form (a double click, the back button) changes nothing.
    assert buddy.post(f"/t/{ident}/contact", form).status_code in (303, 422)
    assert (_matches(sec_app.org, "Communication", marker), _matches(sec_app.org, "Encounter", location)) == (
        1,
        1,
    )


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
    n = _matches(sec_app.org, "Communication", marker)
    if n != 1:
        proof.found("lost" if n == 0 else "duplicates", f"coaching entry: {n}")
    assert n == 1
