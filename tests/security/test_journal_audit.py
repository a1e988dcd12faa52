"""Audit that cannot be skipped (issue 16): every journal access through the app leaves its AuditEvent at the
server, and when the audit cannot be written the journal is neither shown nor half-written.

- The count: buddy, coach and coordinator read and write through the app's pages (contacts with entries, a
  double submit, an amendment, a coaching entry, a disclosure, a danger override, journal pages). Every
  journal read the app answered with content, and every entry or grant it wrote, is then looked up among
  the AuditEvents at the server with the loader's token: 100% must be there, each write exactly once.
- The faults, at the real server: the read's AuditEvent refused (500) or not answered in time: the journal
  page says so in plain Dutch and shows no entry. A write whose AuditEvent the server refuses writes nothing
  (contact, entry and audit are one transaction); a write whose answer is lost ends, after the resend, with
  exactly one entry and one AuditEvent.
"""

from __future__ import annotations

import html
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from hvol_fhir.privacy import audit
from hvol_fhir.services import journal as journal_service
from tests.conftest_proof import Proof

from .conftest import YOUTH, SecApp, canary, visible_text
from .faultproxy import FaultProxy
from .support import contact_form

pytestmark = [pytest.mark.integration, pytest.mark.proof]
SID = "https://hvol-fhir.org/fhir/sid/"
NOT_SHOWN = "Het journaal wordt nu niet getoond"


@pytest.fixture(autouse=True)
def clean_proxy(proxy: FaultProxy) -> Iterator[None]:
    proxy.clear()
    yield
    proxy.clear()


def _search(org: Any, kind: str, **params: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    body = requests.get(
        f"{org.fhir_base}/{kind}", params={**params, "_count": "500"}, headers=headers, timeout=120
    ).json()
    return [e["resource"] for e in body.get("entry", [])]


def _by_identifier(org: Any, kind: str, what: str, value: str) -> str:
    (found,) = _search(org, kind, identifier=f"{SID}{what}|{value}")
    return f"{kind}/{found['id']}"


def _audits_since(org: Any, since: str) -> list[dict[str, Any]]:
    return _search(org, "AuditEvent", patient=f"Patient/{YOUTH}", _lastUpdated=f"ge{since}")


def _names(event: dict[str, Any]) -> set[str]:
    return {str((e.get("what") or {}).get("reference")) for e in event.get("entity") or []}


def _subtype(event: dict[str, Any]) -> str:
    return str(event["subtype"][0]["code"])


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The journal reads the app answered with content (the service returned entries to a page)."""
    answered: list[str] = []
    real = journal_service.read_journal

    def counted(caller: Any, *args: Any, **kw: Any) -> Any:
        found = real(caller, *args, **kw)
        answered.append(str(caller.user))
        return found

    monkeypatch.setattr(journal_service, "read_journal", counted)
    return answered


def test_every_journal_access_through_the_app_has_its_audit_event(
    sec_app: SecApp, ident: str, proof: Proof, reads: list[str]
) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=2)).isoformat(timespec="seconds")
    writes: list[tuple[str, str]] = []  # (the resource the event must name, its subtype)
    buddy = sec_app.as_user("hv-buddy-1")
    forms = [contact_form(buddy, ident, f"Samen gewandeld, deel {i}. {canary('audit')}") for i in range(5)]
    for form in forms:
        assert buddy.post(f"/t/{ident}/contact", form).status_code == 303
        entry = _by_identifier(sec_app.org, "Communication", "journal-entry", form["entry_uuid"])
        writes.append((entry, "create"))
    assert buddy.post(f"/t/{ident}/contact", forms[0]).status_code in (303, 422)  # a double submit
    for _ in range(3):
        assert buddy.get(f"/t/{ident}/journaal").status_code == 200
    amend = f"/t/{ident}/journaal/{writes[0][0].split('/')[1]}/wijzig"
    version = buddy.hidden(amend, "version")
    resp = buddy.post(amend, {"text": forms[0]["text"] + " Aangevuld.", "version": version})
    assert resp.status_code == 303, visible_text(resp.text)[-400:]
    writes.append((writes[0][0], "update"))
    danger = {
        "entry_uuid": str(uuid.uuid4()),
        "reason": "danger-others",
        "what": "Wat ze vertelde",
        "whom": "Veilig Thuis",
        "why": "Direct gevaar",
        "told": "ja",
    }
    assert buddy.post(f"/t/{ident}/gevaar", danger).status_code == 303
    writes.append(
        (_by_identifier(sec_app.org, "Communication", "journal-entry", danger["entry_uuid"]), "disclose")
    )
    coach = sec_app.as_user("hv-coach-1")
    coaching = {"entry_uuid": str(uuid.uuid4()), "text": f"Coachgesprek {canary('audit')}"}
    assert (
        coach.post(f"/t/{ident}/coachjournaal", coaching, csrf_from=f"/t/{ident}/journaal").status_code == 303
    )
    writes.append(
        (_by_identifier(sec_app.org, "Communication", "journal-entry", coaching["entry_uuid"]), "create")
    )
    coordinator = sec_app.as_user("hv-coordinator")
    share = f"/t/{ident}/delen"
    chosen = re.findall(r'name="entries" value="([^"]+)"', coordinator.get(share).text)[:2]
    grant = {
        "consent_uuid": str(uuid.uuid4()),
        "entries": chosen,
        "purpose": "SUPNWK",
        "recipient": "Practitioner/hv-mentor-2",
        "why": "Ze wil dat haar mentor dit weet.",
        "consent_given": "ja",
    }
    assert coordinator.post(share, grant).status_code == 303
    writes.append((_by_identifier(sec_app.org, "Consent", "consent", grant["consent_uuid"]), "disclose"))

    events = _audits_since(sec_app.org, since)
    missing = [w for w in writes if sum(w[0] in _names(e) and _subtype(e) == w[1] for e in events) != 1]
    read_events = [e for e in events if _subtype(e) == "search-type" and e["outcome"] == "0"]
    readers = Counter(str(e["agent"][1]["who"]["reference"]) for e in read_events)
    # A read's event is sent once more after a network fault, so a read may have two events, never none.
    unread = sum(max(0, n - readers[user]) for user, n in Counter(reads).items())
    proof.add("journal_accesses", len(writes) + len(reads))
    if missing or unread:
        proof.found("unaudited_journal_accesses", f"writes {missing}, reads {unread}", len(missing) + unread)
    assert len(reads) >= 8  # journal pages, the amendment's and the grant's forms, CSRF fetches
    assert not missing, missing
    assert unread == 0, (readers, Counter(reads))


@pytest.mark.parametrize(("kind", "options"), [("status", {"status": 500}), ("delay", {"seconds": 4.5})])
def test_no_audit_no_journal(
    sec_app: SecApp, ident: str, proxy: FaultProxy, proof: Proof, kind: str, options: dict[str, Any]
) -> None:
    buddy = sec_app.as_user("hv-buddy-1")
    marker = canary("nietgetoond")
    assert (
        buddy.post(f"/t/{ident}/contact", contact_form(buddy, ident, f"Gesprek. {marker}")).status_code == 303
    )
    # twice: the read's event is sent once more after a fault
    proxy.inject(kind, method="POST", path="/fhir/AuditEvent", exact=True, times=2, **options)
    # With entries whose seal did not open (earlier tests forge some), the read's events go as one
    # transaction: the same fault there.
    audit_body = '"resourceType": "AuditEvent"'
    proxy.inject(kind, method="POST", path="/fhir", exact=True, body=audit_body, times=2, **options)
    page = buddy.get(f"/t/{ident}/journaal")
    proxy.clear()
    proof.add("faults")
    text = html.unescape(page.text)
    assert page.status_code == 503, visible_text(page.text)[-300:]
    assert NOT_SHOWN in text and marker not in text and "Gesprek." not in text
    assert buddy.get(f"/t/{ident}/journaal").status_code == 200  # with the audit back, the journal is back


def test_a_write_whose_audit_the_server_refuses_writes_nothing(
    sec_app: SecApp, ident: str, proof: Proof, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = audit.journal_write

    def refused(*args: Any, **kw: Any) -> Any:
        event = real(*args, **kw)
        return {**event, "outcome": "99"}  # not in the R4 value set: the server refuses this entry

    monkeypatch.setattr(audit, "journal_write", refused)
    buddy = sec_app.as_user("hv-buddy-1")
    marker = canary("geenaudit")
    form = contact_form(buddy, ident, f"Gesprek. {marker}", location=f"plek-{marker}")
    resp = buddy.post(f"/t/{ident}/contact", form)
    proof.add("faults")
    assert resp.status_code == 422 and marker in html.unescape(resp.text)  # her text is still in the form
    assert not _search(sec_app.org, "Communication", identifier=f"{SID}journal-entry|{form['entry_uuid']}")
    assert not _search(sec_app.org, "Encounter", identifier=f"{SID}contact|{form['contact_uuid']}")
    monkeypatch.undo()
    assert buddy.post(f"/t/{ident}/contact", form).status_code == 303  # the same form saves, once audited
    entry = _by_identifier(sec_app.org, "Communication", "journal-entry", form["entry_uuid"])
    assert sum(entry in _names(e) for e in _search(sec_app.org, "AuditEvent", entity=entry)) == 1


@pytest.mark.parametrize(("kind", "options"), [("drop-after", {}), ("delay", {"seconds": 4.5})])
def test_a_resend_after_a_lost_answer_ends_with_one_entry_and_one_audit(
    sec_app: SecApp, ident: str, proxy: FaultProxy, proof: Proof, kind: str, options: dict[str, Any]
) -> None:
    buddy = sec_app.as_user("hv-buddy-1")
    form = contact_form(buddy, ident, f"Gesprek. {canary('verloren')}")
    proxy.inject(kind, method="POST", path="/fhir", exact=True, body="ifNoneExist", times=3, **options)
    first = buddy.post(f"/t/{ident}/contact", form)
    proxy.clear()
    proof.add("faults")
    if first.status_code != 303:
        assert "Er is niets opgeslagen" not in html.unescape(first.text)  # it may well have landed
        assert buddy.post(f"/t/{ident}/contact", form).status_code == 303
    proof.add("fault_saves")
    (entry,) = _search(sec_app.org, "Communication", identifier=f"{SID}journal-entry|{form['entry_uuid']}")
    audits = _search(sec_app.org, "AuditEvent", entity=f"Communication/{entry['id']}")
    created = [a for a in audits if _subtype(a) == "create"]
    if len(created) != 1:
        proof.found("duplicates" if created else "lost", f"{kind}: {len(created)} audits of one entry")
    assert len(created) == 1
