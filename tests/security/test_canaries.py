"""Canaries (issue 8.1): unique markers planted through the app's forms in a buddy's journal entry, a coaching
journal entry, a danger override and a disclosure text never appear anywhere a non-reader can reach:
every page,
fragment, SVG, JSON answer, CSV export, transfer preview and error page of the app, FHIR answers to a regular
staff token, or AuditEvents. Readers see them only on the journal pages. (Logs: test_zz_logs.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest_proof import Proof
from tests.integration.app_support import MARKER_PREFIX

from .conftest import CANARY, YOUTH, Canaries, SecApp
from .support import NON_READERS, ROLES, Role, crawl

pytestmark = [pytest.mark.integration, pytest.mark.proof]
JOURNAL_PAGES = ("/journaal", "/delen", "/gevaar")  # where a reader may see journal text


def _hits(text: str, canaries: Canaries) -> list[str]:
    return [c.split("-")[1] for c in canaries.all if c in text]


@pytest.mark.parametrize("role", NON_READERS, ids=lambda r: r.name)
def test_no_canary_on_any_page_a_non_reader_reaches(
    sec_app: SecApp, ident: str, canaries: Canaries, proof: Proof, role: Role
) -> None:
    page = sec_app.as_user(role.user)
    extra = ("/overdracht/", "/metingen/rapport.csv", f"/t/{ident}/journaal?soort=coaching-journal")
    pages = crawl(page, ident, sec_app.running.app, extra)
    writing_help = page.post("/schrijfhulp", {"text": "vaak"}, csrf_from="/")
    pages["POST /schrijfhulp"] = writing_help
    found = []
    for path, resp in pages.items():
        proof.add("canary_places")
        if CANARY in resp.text or MARKER_PREFIX in resp.text:
            found.append(path)
            proof.found("canary_hits", f"{role.name}: app {path.split('?')[0]}")
        assert resp.status_code < 500, (path, resp.status_code)
    proof.add("leak_cells")
    if found:
        proof.found("leaks", f"{role.name} × app pages: {found}")
    assert not found
    assert len(pages) >= 15  # the crawl reached the app's pages, not only error pages


@pytest.mark.parametrize("role", [r for r in ROLES if r.reader], ids=lambda r: r.name)
def test_readers_see_canaries_only_on_journal_pages(
    sec_app: SecApp, ident: str, canaries: Canaries, proof: Proof, role: Role
) -> None:
    page = sec_app.as_user(role.user)
    pages = crawl(page, ident, sec_app.running.app, ("/overdracht/", "/metingen/rapport.csv"))
    outside = [
        p for p, r in pages.items() if _hits(r.text, canaries) and not any(j in p for j in JOURNAL_PAGES)
    ]
    proof.add("canary_places", len(pages))
    for path in outside:
        proof.found("canary_hits", f"{role.name}: outside the journal on {path.split('?')[0]}")
    assert not outside
    journal = page.get(f"/t/{ident}/journaal").text
    assert (
        canaries.buddy_entry in journal and canaries.coaching_entry in journal and canaries.danger in journal
    )


def _pages(token: str, path: str, base: str, limit: int = 40) -> Iterator[requests.Response]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    url: str | None = f"{base}/{path}"
    for _ in range(limit):
        if not url:
            return
        resp = requests.get(url, headers=headers, timeout=120)
        yield resp
        body: Any = resp.json() if resp.headers.get("Content-Type", "").find("json") >= 0 else {}
        url = next((lk["url"] for lk in body.get("link", []) if lk.get("relation") == "next"), None)


STAFF_QUERIES = (
    f"Communication?subject=Patient/{YOUTH}",
    "Communication?_sort=-_lastUpdated&_count=50",
    f"Communication?subject=Patient/{YOUTH}&_content={CANARY}",
    f"Communication?subject=Patient/{YOUTH}&_text={CANARY}",
    f"Patient/{YOUTH}/$everything?_count=200",
    f"Patient?_id={YOUTH}&_revinclude=*",
    "Communication/_history?_count=100",
    "_history?_count=200",
    f"AuditEvent?patient=Patient/{YOUTH}",
    "AuditEvent?_count=100",
    f"Consent?patient=Patient/{YOUTH}",
    "Consent/_history",
    "Encounter?_count=100&_revinclude=*",
    f"CarePlan?subject=Patient/{YOUTH}&_revinclude=*&_include=*",
    "Task?_count=100&_include=*",
)


@pytest.mark.parametrize("user", ["hv-staff-1", "hv-mentor-2", "hv-buddy-3"])
def test_no_canary_in_fhir_answers_to_non_readers(
    org: Any, canaries: Canaries, proof: Proof, user: str
) -> None:
    token = org.token_for(user, YOUTH)
    for query in STAFF_QUERIES:
        for resp in _pages(token, query, org.fhir_base):
            proof.add("canary_places")
            if CANARY in resp.text:
                proof.found("canary_hits", f"{user}: FHIR {query.split('?')[0]}")
            assert CANARY not in resp.text, query


def test_audit_events_carry_no_journal_text(org: Any, canaries: Canaries, proof: Proof) -> None:
    """Even the loader's token finds no journal text in any AuditEvent: they hold references, not content."""
    seen = 0
    for resp in _pages(org.admin_token(), "AuditEvent?_count=200", org.fhir_base, limit=200):
        assert resp.status_code == 200
        seen += len(resp.json().get("entry", []))
        proof.add("canary_places")
        if CANARY in resp.text:
            proof.found("canary_hits", "AuditEvent holds journal text")
        assert CANARY not in resp.text
    assert seen > 0


@pytest.mark.parametrize("delivery", ["plain", "sealed"])
def test_no_canary_in_the_transfer_bundle(
    sec_app: SecApp, ident: str, canaries: Canaries, proof: Proof, delivery: str
) -> None:
    """The Bundle a transfer of hv-youth-06's traject would send (and the offline export file), built by the
    real planner from the real server with the app's own Backend Services client, reading through the
    organisation's ring as the app does (issue 12), in both ways confidential content can go: as plaintext
    to a target without the app, sealed to the published key of a target running it. No journal text unless
    the coordinator ticks entries the youth agreed to share with that organisation (none here), and nothing
    under the organisation's own keys."""
    import json

    from hvol_fhir.sealing.envelope import peek_kid

    org = sec_app.org
    own = {kid for purpose in ("seal", "sign", "wrap") for kid in org.key_ring().kids(purpose)}
    for name, document in transfer_documents(sec_app, ident, delivery):
        proof.add("canary_places")
        hits = _hits(json.dumps(document, ensure_ascii=False), canaries)
        if hits:
            proof.found("canary_hits", f"{name} ({delivery}): {hits}")
        assert not hits, name
        kids = {peek_kid(t) for t in _tokens(document)}
        assert not kids & own, name  # never ciphertext only the sender opens
        assert all(kid and kid.startswith("wrap-") for kid in kids), name
        if delivery == "sealed":
            assert kids, name  # the traject's confidential parts did go, sealed


def _tokens(bundle: dict[str, Any]) -> list[str]:
    from hvol_fhir.sealing.codec import envelopes

    return [t for e in bundle["entry"] for t in envelopes(e["resource"]).values()]


def transfer_documents(
    sec_app: SecApp, ident: str, delivery: str = "sealed"
) -> list[tuple[str, dict[str, Any]]]:
    """The transfer Bundle of hv-youth-06's traject (no entries ticked) and its offline export file, read
    through the organisation's ring (issue 12). ``delivery`` "sealed": to a target that runs the app (a ring
    made here stands in for its published keys: nothing of it but its public wrap key is used); "plain": to a
    target without the app, where confidential parts other than the journal go as plaintext by design."""
    import json

    from hvol_fhir.ehr import FhirClient
    from hvol_fhir.sealing import keys
    from hvol_fhir.smart.backend import BackendServicesClient
    from hvol_fhir.smart.keys import load_signing_key
    from hvol_fhir.smart.registration import ClientRegistration
    from hvol_fhir.smart.token import PrivateKeyJwt
    from hvol_fhir.transfer import TransferService
    from hvol_fhir.transfer.delivery import PLAINTEXT, SEALED, Delivery, wrap_key
    from hvol_fhir.transfer.offline import export_bundle
    from tests.integration.transfer_support import source_codec

    org = sec_app.org
    key = load_signing_key(json.loads((sec_app.workdir / "app-key.json").read_text(encoding="utf-8")))
    registration = ClientRegistration(
        org.fhir_base, "hvol-transfer", "urn:ietf:wg:oauth:2.0:oob", PrivateKeyJwt("hvol-transfer", key)
    )
    auth = BackendServicesClient(registration, ["system/*.*"], http=requests.Session(), sandbox=True)
    receiver = keys.generate("Het Anker (demo B)")
    service = TransferService(
        source=FhirClient(org.fhir_base, auth, on_unauthorized=auth.invalidate, codec=source_codec(org)),
        target=FhirClient("http://127.0.0.1:9/fhir", "niet-gebruikt"),  # a preview never contacts B
        source_name="Jeugdzorg De Horizon (demo)",
        target_name="Jeugdzorg Het Anker (demo B)",
        delivery=(
            Delivery(SEALED, wrap_key(receiver.public_jwks()), org.key_ring())
            if delivery == "sealed"
            else PLAINTEXT
        ),
    )
    found = service.source.search("CarePlan", {"subject": f"Patient/{YOUTH}", "identifier": ident})
    careplan = f"CarePlan/{found['entry'][0]['resource']['id']}"
    plan = service.preview(service.request_for(careplan, "Practitioner/hv-coordinator", "Verhuizing"))
    sent = {e["resource"]["resourceType"] for e in plan.bundle["entry"]}
    assert {"Patient", "CarePlan", "Encounter"} <= sent  # a real traject with its contacts
    assert plan.delivery == delivery
    return [("transfer Bundle", plan.bundle), ("export file", export_bundle(plan, "2026-11-30"))]
