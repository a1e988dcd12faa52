"""Load: 20 concurrent buddies saving 50 contacts (+ journal entry) each against the sandbox, through the
app's save path (``hvol_fhir.services.contacts.record_contact``: the rules, then one conditional transaction
of contact, entry and the entry's AuditEvent per submission), next to two bare baselines in the same run:

- *conditional bare*: the very same transactions (conditional creates on the client identifiers, the
  conditional EpisodeOfCare reference, the AuditEvent), built beforehand and POSTed with the buddy's token
  by plain ``requests``: app / conditional bare is the app's own overhead (target ≤ 1.15);
- *plain bare*: an Encounter and a Communication without conditions, labels or audit (the loader's token):
  conditional bare / plain bare is what idempotency (and the audit in the transaction) costs at the server.

The three run in alternating rounds, so a server that slows as it fills slows them alike.

    python -m bench.load [--buddies 20] [--contacts 50] [--rounds 2]

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

from hvol_fhir.ehr import FhirClient, RoundTripCounter
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Contact, JournalEntry
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectReader, TrajectRecord
from hvol_fhir.services import Caller
from hvol_fhir.services import contacts as service

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


def _slot(n: int, k: int) -> datetime:
    """Seat n's k-th contact: in 2020, before any demo contact, never overlapping another of hers."""
    return datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n * 60 + k, hours=n % 20)


def _pair(seat: Seat, record: TrajectRecord, n: int, k: int) -> tuple[Contact, JournalEntry]:
    """What the conditional bare baseline sends for seat n's k-th contact, built as the service builds it."""
    start = _slot(n, k)
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
        written_at=datetime.now(UTC),
        text=f"Belastingtest {n}-{k}: samen gewandeld.",
        contact=f"urn:uuid:{contact.identifier}",
    )
    return contact, entry


def _command(record: TrajectRecord, n: int, k: int) -> service.RecordContact:
    start = _slot(n, k)
    return service.RecordContact(
        record=record,
        contact_identifier=str(uuid.uuid4()),
        start=start,
        end=start + timedelta(minutes=30),
        contact_type=c.CONTACT_FACE_TO_FACE,
        entry_identifier=str(uuid.uuid4()),
        text=f"Belastingtest {n}-{k}: samen gewandeld.",
    )


def _count(org: Any, youth: str) -> int:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": FHIR}
    url: str | None = f"{org.fhir_base}/Communication?subject=Patient/{youth}&_elements=id&_count=1000"
    total = 0
    while url:
        body = requests.get(url, headers=headers, timeout=300).json()
        total += len(body.get("entry", []))
        url = next((lk["url"] for lk in body.get("link", []) if lk["relation"] == "next"), None)
    return total


def _timed(buddies: int, work: Any) -> tuple[float, int]:
    started = time.perf_counter()
    with ThreadPoolExecutor(buddies) as pool:
        done = sum(pool.map(work, range(buddies)))
    return time.perf_counter() - started, done


def _post_all(org: Any, token: str, bodies: list[str]) -> int:
    http = requests.Session()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": FHIR,
        "Accept": FHIR,
        "Prefer": "return=minimal",
    }
    return sum(
        http.post(org.fhir_base, data=b, headers=headers, timeout=300).status_code == 200 for b in bodies
    )


def _round(
    org: Any, group: list[Seat], records: dict[str, TrajectRecord], counter: RoundTripCounter, ks: range
) -> dict[str, tuple[float, int]]:
    """One round: contacts ``ks`` of every seat through the app, then conditional bare, then plain bare."""

    def app(n: int) -> int:
        seat = group[n]
        # As long as the bare posts wait: a shorter timeout would resend what the server still works on.
        client = FhirClient(org.fhir_base, seat.token, counter=counter, timeout=300)
        caller = Caller(client, seat.buddy, c.ROLE_BUDDY, f"Patient/{seat.youth}")
        record = records[seat.traject]
        return sum(service.record_contact(caller, _command(record, n, k)).created for k in ks)

    bodies = {}  # built before the clock starts: the bare baseline does no work of its own
    for n, seat in enumerate(group):
        record = records[seat.traject]
        pairs = [_pair(seat, record, n + len(group), k) for k in ks]  # other slots than the app's
        bodies[n] = [
            json.dumps(
                writes.contact_with_entry(
                    contact,
                    entry,
                    traject_identifier=seat.traject,
                    care_team=record.traject.care_team,
                    audit=service.audit_of(entry),
                )
            )
            for contact, entry in pairs
        ]
    template = _bare_template(group[0])
    plain = [template.replace("{enc}", str(uuid.uuid4())).replace("{com}", str(uuid.uuid4())) for _ in ks]
    return {
        "app": _timed(len(group), app),
        "conditional": _timed(len(group), lambda n: _post_all(org, group[n].token, bodies[n])),
        "plain": _timed(len(group), lambda _n: _post_all(org, org.admin_token(), plain)),
    }


def run(org: Any, *, buddies: int = 20, contacts: int = 50, rounds: int = 2) -> dict[str, Any]:
    group = seats(org, buddies)
    youths = sorted({s.youth for s in group})
    before = {y: _count(org, y) for y in youths}
    records = {
        s.traject: TrajectReader(FhirClient(org.fhir_base, s.token), f"Patient/{s.youth}").load(
            s.traject, datetime.now(UTC), with_tasks=False
        )
        for s in group
    }
    counter = RoundTripCounter()
    seconds = {"app": 0.0, "conditional": 0.0, "plain": 0.0}
    done = {"app": 0, "conditional": 0, "plain": 0}
    for r in range(rounds):
        ks = range(r * contacts // rounds, (r + 1) * contacts // rounds)
        for name, (took, ok) in _round(org, group, records, counter, ks).items():
            seconds[name] += took
            done[name] += ok
    after = {y: _count(org, y) for y in youths}
    stored = sum(after[y] - before[y] for y in youths) - done["conditional"] - done["plain"]
    submissions = buddies * contacts
    return {
        "buddies": buddies,
        "submissions": submissions,
        "saved": done["app"],
        "stored_entries": stored,
        "app_seconds": seconds["app"],
        "app_per_second": submissions / seconds["app"],
        "app_round_trips": counter.total,
        "app_retries": counter.retries,
        "conditional_ok": done["conditional"],
        "conditional_seconds": seconds["conditional"],
        "conditional_per_second": submissions / seconds["conditional"],
        "bare_ok": done["plain"],
        "bare_seconds": seconds["plain"],
        "bare_per_second": submissions / seconds["plain"],
        "app_overhead": seconds["app"] / seconds["conditional"],
        "idempotency_cost": seconds["conditional"] / seconds["plain"],
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
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from bench.__main__ import _org  # noqa: PLC0415 - reuse the benches' org start/stop

    org, stop = _org()
    try:
        if getattr(org, "scenario", None) is None:
            from sandbox.demo_data import load_demo_data

            org.scenario = load_demo_data(org)
        f = run(org, buddies=args.buddies, contacts=args.contacts, rounds=args.rounds)
    finally:
        stop()
    n = f["submissions"]
    print(
        f"{f['buddies']} buddies × {args.contacts} contacts = {n} submissions each way, {args.rounds} rounds"
    )
    print(f"  saved (created) {f['saved']}, journal entries stored {f['stored_entries']}")
    print(
        f"  app save path    : {f['app_seconds']:.1f} s, {f['app_per_second']:.1f} saves/s, "
        f"{f['app_round_trips']} FHIR round trips ({f['app_round_trips'] / n:.2f} per save, "
        f"{f['app_retries']} resent)"
    )
    print(
        f"  conditional bare : {f['conditional_seconds']:.1f} s, {f['conditional_per_second']:.1f} tx/s "
        f"({f['conditional_ok']} ok; 1 round trip each)"
    )
    print(
        f"  plain bare       : {f['bare_seconds']:.1f} s, {f['bare_per_second']:.1f} tx/s ({f['bare_ok']} ok)"
    )
    print(f"  app overhead     : {f['app_overhead']:.2f}× the conditional bare transaction (target ≤ 1.15)")
    print(f"  idempotency cost : {f['idempotency_cost']:.2f}× (conditional bare / plain bare)")
    if f["saved"] != n or f["stored_entries"] != n:
        raise SystemExit("FOUT: niet precies één verslag per inzending")


if __name__ == "__main__":
    main()
