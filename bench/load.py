"""Load: 20 concurrent buddies saving 50 contacts (+ journal entry) each against the sandbox, through the
library's own save path (``hvol_fhir.repository.writes.save_contact_with_entry``: one conditional
transaction per submission), next to bare FHIR transactions of the same content in the same run.

    python -m bench.load [--buddies 20] [--contacts 50]

Needs a sandbox organisation with the demo data: ``HVOL_EXTERNAL_ORG=org.json`` uses a running one; without it
one is started here (and stopped after). Prints figures; asserts only the record counts (exactly one entry and
one contact per submission), never time. ``run`` is also called by tests/security/test_load.py, smaller.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from hvol_fhir.ehr import FhirClient
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Contact, JournalEntry
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectReader

FHIR = "application/fhir+json"


@dataclass(frozen=True)
class Seat:
    """One simulated buddy: a demo traject she saves contacts for, and her own token."""

    youth: str
    traject: str
    buddy: str
    token: str


def seats(org: Any, buddies: int) -> list[Seat]:
    def buddy_of(story: Any) -> str | None:
        return next((m.member for m in story.care_team.members if m.role == c.ROLE_BUDDY), None)

    stories = [s for s in org.scenario.stories if buddy_of(s) and s.traject.status == "active"]
    out = []
    for n in range(buddies):
        story = stories[n % len(stories)]
        who = buddy_of(story) or ""
        token = org.issuer.mint(
            sub=f"load-buddy-{n}", scope="user/*.cruds", journal=[story.youth.id], fhir_user=who
        )
        out.append(Seat(story.youth.id, story.traject.identifier, who, token))
    return out


def _pair(seat: Seat, record: Any, n: int, k: int) -> tuple[Contact, JournalEntry]:
    start = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n * 60 + k, hours=n % 20)
    contact = Contact(
        identifier=str(uuid.uuid4()),
        traject=record.reference,
        patient=f"Patient/{seat.youth}",
        buddy=seat.buddy,
        start=start,
        end=start + timedelta(minutes=30),
        contact_type=c.CONTACT_FACE_TO_FACE,
    )
    entry = JournalEntry(
        identifier=str(uuid.uuid4()),
        traject=record.reference,
        patient=f"Patient/{seat.youth}",
        author=seat.buddy,
        kind=c.JOURNAL_BUDDY,
        written_at=start + timedelta(hours=1),
        text=f"Belastingtest {n}-{k}: samen gewandeld.",
        contact=f"urn:uuid:{contact.identifier}",
    )
    return contact, entry


def _count(org: Any, youth: str) -> int:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": FHIR}
    url: str | None = f"{org.fhir_base}/Communication?subject=Patient/{youth}&_elements=id&_count=1000"
    total = 0
    while url:
        body = requests.get(url, headers=headers, timeout=300).json()
        total += len(body.get("entry", []))
        url = next((lk["url"] for lk in body.get("link", []) if lk["relation"] == "next"), None)
    return total


def run(org: Any, *, buddies: int = 20, contacts: int = 50) -> dict[str, Any]:
    group = seats(org, buddies)
    youths = sorted({s.youth for s in group})
    before = {y: _count(org, y) for y in youths}
    records = {
        s.traject: TrajectReader(FhirClient(org.fhir_base, s.token), f"Patient/{s.youth}").load(
            s.traject, datetime.now(UTC), with_tasks=False
        )
        for s in group
    }

    def buddy(n: int) -> tuple[int, int]:
        seat = group[n]
        client = FhirClient(org.fhir_base, seat.token)
        record = records[seat.traject]
        created = 0
        for k in range(contacts):
            contact, entry = _pair(seat, record, n, k)
            saved = writes.save_contact_with_entry(
                client, contact, entry, traject_identifier=seat.traject, care_team=record.traject.care_team
            )
            created += int(saved.created)
        return n, created

    started = time.perf_counter()
    with ThreadPoolExecutor(buddies) as pool:
        results = list(pool.map(buddy, range(buddies)))
    app_seconds = time.perf_counter() - started
    saved = sum(r[1] for r in results)
    after = {y: _count(org, y) for y in youths}
    stored = sum(after[y] - before[y] for y in youths)

    # Bare: the same number of plain transactions (one Encounter + one Communication), no library, no checks.
    template = _bare_template(group[0])

    def bare(_: int) -> int:
        http = requests.Session()
        headers = {
            "Authorization": f"Bearer {org.admin_token()}",
            "Content-Type": FHIR,
            "Accept": FHIR,
            "Prefer": "return=minimal",
        }
        ok = 0
        for _ in range(contacts):
            body = template.replace("{enc}", str(uuid.uuid4())).replace("{com}", str(uuid.uuid4()))
            ok += int(http.post(org.fhir_base, data=body, headers=headers, timeout=300).status_code == 200)
        return ok

    started = time.perf_counter()
    with ThreadPoolExecutor(buddies) as pool:
        bare_ok = sum(pool.map(bare, range(buddies)))
    bare_seconds = time.perf_counter() - started
    submissions = buddies * contacts
    return {
        "buddies": buddies,
        "submissions": submissions,
        "saved": saved,
        "stored_entries": stored,
        "app_seconds": app_seconds,
        "app_per_second": submissions / app_seconds,
        "bare_ok": bare_ok,
        "bare_seconds": bare_seconds,
        "bare_per_second": submissions / bare_seconds,
    }


def _bare_template(seat: Seat) -> str:
    youth = f"Patient/{seat.youth}"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:{enc}",
                "request": {"method": "POST", "url": "Encounter"},
                "resource": {
                    "resourceType": "Encounter",
                    "status": "finished",
                    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "FLD"},
                    "subject": {"reference": youth},
                },
            },
            {
                "fullUrl": "urn:uuid:{com}",
                "request": {"method": "POST", "url": "Communication"},
                "resource": {
                    "resourceType": "Communication",
                    "status": "completed",
                    "subject": {"reference": youth},
                    "encounter": {"reference": "urn:uuid:{enc}"},
                    "payload": [{"contentString": "Kale transactie."}],
                },
            },
        ],
    }
    return json.dumps(bundle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buddies", type=int, default=20)
    parser.add_argument("--contacts", type=int, default=50)
    args = parser.parse_args()
    from bench.__main__ import _org  # noqa: PLC0415 - reuse the benches' org start/stop

    org, stop = _org()
    try:
        if getattr(org, "scenario", None) is None:
            from sandbox.demo_data import load_demo_data

            org.scenario = load_demo_data(org)
        figures = run(org, buddies=args.buddies, contacts=args.contacts)
    finally:
        stop()
    print(f"{figures['buddies']} buddies × {args.contacts} contacts = {figures['submissions']} submissions")
    print(f"  saved (created) {figures['saved']}, journal entries stored {figures['stored_entries']}")
    print(f"  app save path : {figures['app_seconds']:.1f} s, {figures['app_per_second']:.1f} saves/s")
    print(
        f"  bare FHIR tx  : {figures['bare_seconds']:.1f} s, {figures['bare_per_second']:.1f} tx/s "
        f"({figures['bare_ok']} ok)"
    )
    print(f"  ratio app/bare: {figures['bare_per_second'] / figures['app_per_second']:.2f}× slower")
    if figures["saved"] != figures["submissions"] or figures["stored_entries"] != figures["submissions"]:
        raise SystemExit("FOUT: niet precies één verslag per inzending")


if __name__ == "__main__":
    main()
