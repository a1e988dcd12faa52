"""``python -m bench [timeline|cohort|sealing|all]``: FHIR round trips and the app's own time against the
bare FHIR requests, measured in the same run (design.md "Tests and figures"). Prints figures; asserts nothing.

Needs a sandbox organisation: ``HVOL_EXTERNAL_ORG=org.json`` (``fhir_base``, ``auth_url``, ``key_file``) uses
a running one; without it one is started here (and stopped after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench import data
from hvol_fhir.ehr import FhirClient, RoundTripCounter
from hvol_fhir.measurements.store import parse_responses
from hvol_fhir.measurements.trend import lanes_for
from hvol_fhir.privacy import access
from hvol_fhir.programme.rules import traject_alerts
from hvol_fhir.repository.cohort import cohort_page
from hvol_fhir.repository.reads import TrajectReader, traject_token
from hvol_fhir.sealing import fields
from hvol_fhir.sealing.codec import SealingCodec
from hvol_fhir.sealing.keys import generate as generate_ring
from hvol_fhir.timeline import Row, render

RUNS = 5


def _org() -> tuple[Any, Callable[[], None]]:
    path = os.environ.get("HVOL_EXTERNAL_ORG")
    if path:
        from tests.integration.app_support import external_org

        return external_org(), lambda: None
    from sandbox.org import start_organisation

    # Demo data for the people (the coordinator whose token the app uses); the bench adds its own trajects.
    org = start_organisation("bench", Path(tempfile.mkdtemp()), demo_data=True, dev_token=True)
    return org, org.stop


class Timed:
    """Wall time spent inside the HTTP layer (the 'bare fetch' part of an app call)."""

    def __init__(self) -> None:
        self.http = 0.0
        self.session = requests.Session()
        original = self.session.request

        def request(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                self.http += time.perf_counter() - t0

        self.session.request = request  # type: ignore[method-assign]


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _batch(*urls: str) -> dict[str, Any]:
    """A plain batch of GETs (the bare fetch the app's time is compared with)."""
    return {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": url}} for url in urls],
    }


def bench_timeline(org: Any, now: datetime) -> None:
    resources = [
        *data.people(),
        *data.traject_resources(1, now, weeks=104, per_week=3, journal=True, measurements=50),
    ]
    counts = {
        k: sum(r["resourceType"] == k for r in resources)
        for k in ("Encounter", "Communication", "QuestionnaireResponse")
    }
    data.load(org.fhir_base, org.admin_token(), resources)
    token = (
        org.token_for("hv-coordinator", "bench-youth-001") if hasattr(org, "token_for") else org.admin_token()
    )
    ident = data.uid("tr", 1)
    app_times, bare_times, http_times, trips = [], [], [], []
    for _ in range(RUNS):
        counter = RoundTripCounter()
        timed = Timed()
        client = FhirClient(org.fhir_base, token, session=timed.session, counter=counter)
        t0 = time.perf_counter()
        record = TrajectReader(client, "Patient/bench-youth-001").load(ident, now, with_measurements=True)
        alerts = traject_alerts(
            record.traject, record.contacts, now, coach_contacts=record.coach_contacts(), tasks=record.tasks
        )
        scores = parse_responses(record.measurements or ()).measurements
        row = Row("bench", record.traject, record.contacts, tuple(alerts), record.coach_contacts())
        svg = render([replace(row, lanes=lanes_for(scores))], now)
        total = time.perf_counter() - t0
        app_times.append(total - timed.http)
        http_times.append(timed.http)
        trips.append(counter.total)
        # The bare fetch: the same FHIR requests with plain requests, nothing parsed beyond JSON.
        bare = requests.Session()
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/fhir+json",
            "Content-Type": "application/fhir+json",
        }
        t1 = time.perf_counter()
        tok = traject_token(ident)
        youth = "Patient/bench-youth-001"
        encounters = f"Encounter?patient={youth}&episode-of-care.identifier={tok}&_sort=date&_count=50"
        first = _batch(
            f"CarePlan?patient={youth}&identifier={tok}&_include=CarePlan:care-team",
            encounters,
            f"Task?subject={youth}&focus:CarePlan.identifier={tok}&_count=200",
            f"QuestionnaireResponse?patient={youth}&based-on:CarePlan.identifier={tok}&_count=50",
        )
        bare.post(org.fhir_base, data=json.dumps(first), headers=headers, timeout=120).json()
        rest = _batch(*(f"{encounters}&_offset={o}" for o in range(50, counts["Encounter"] + 50, 50)))
        bare.post(org.fhir_base, data=json.dumps(rest), headers=headers, timeout=120).json()
        bare_times.append(time.perf_counter() - t1)
    print("timeline: two-year traject")
    print(
        f"  data: {counts['Encounter']} contacts, {counts['Communication']} journal entries, "
        f"{counts['QuestionnaireResponse']} measurements"
    )
    print(
        f"  contacts read: {len(record.contacts)}; measurements read: {len(record.measurements or ())}; "
        f"svg {len(svg)} bytes"
    )
    print(
        f"  FHIR round trips (timeline, after login): {max(trips)} "
        f"(median of {RUNS} runs: {_median([float(t) for t in trips]):.0f})"
    )
    print(f"  bare FHIR fetch (same requests, plain HTTP): {_median(bare_times) * 1000:.0f} ms")
    print(
        f"  app: time in HTTP {_median(http_times) * 1000:.0f} ms, "
        f"own time (parse, rules, SVG) {_median(app_times) * 1000:.0f} ms"
    )
    share = _median(app_times) / _median(bare_times) * 100
    print(f"  app's own time / bare fetch: {share:.0f}% (target <= 25%)")
    # The journal page on top (cleared roles only): one more round trip for the journal.
    counter = RoundTripCounter()
    client = FhirClient(org.fhir_base, token, counter=counter)
    reader = TrajectReader(client, "Patient/bench-youth-001")
    record = reader.load(ident, now)
    t0 = time.perf_counter()
    entries, _ = reader.journal(record)
    print(
        f"  journal page: {len(entries)} entries, {counter.total} round trips in all (traject + journal), "
        f"journal fetch+check {(time.perf_counter() - t0) * 1000:.0f} ms"
    )


def _journal_page(client: FhirClient, youth: str, ident: str, now: datetime) -> int:
    """What the journal page asks of the library: the traject, then its journal, opened and checked."""
    reader = TrajectReader(client, youth)
    entries, _ = reader.journal(reader.load(ident, now))
    return len(entries)


def bench_sealing(org: Any, now: datetime) -> None:
    """Issue 12: the journal page of a ~295-entry traject, sealed against the same page unsealed, same run."""
    ring = org.key_ring() if hasattr(org, "key_ring") else generate_ring("bench")
    sealer = SealingCodec(ring, frozenset(fields.KINDS))
    plain = data.traject_resources(301, now, weeks=105, per_week=3, journal=True, measurements=0)
    sealed = [
        sealer.encode(r)
        for r in data.traject_resources(302, now, weeks=105, per_week=3, journal=True, measurements=0)
    ]
    data.load(org.fhir_base, org.admin_token(), [*data.people(), *plain, *sealed])
    token = org.admin_token()
    coordinator = SealingCodec(ring, access.sealed_kinds("coordinator"))
    times: dict[str, list[float]] = {"plain": [], "sealed": []}
    counts: dict[str, int] = {}
    trips: dict[str, int] = {}
    for _ in range(RUNS + 2):  # interleaved, so both see the same server and machine load
        for name, n, codec in (("plain", 301, None), ("sealed", 302, coordinator)):
            counter = RoundTripCounter()
            client = FhirClient(org.fhir_base, token, counter=counter, codec=codec)
            t0 = time.perf_counter()
            counts[name] = _journal_page(client, f"Patient/bench-youth-{n:03d}", data.uid("tr", n), now)
            times[name].append(time.perf_counter() - t0)
            trips[name] = counter.total
    # The bare journal fetch (plain HTTP, same searches): how much of the difference is the EHR sending more.
    bare: dict[str, list[float]] = {"plain": [], "sealed": []}
    size: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    for _ in range(RUNS):
        for name, n in (("plain", 301), ("sealed", 302)):
            url: str | None = (
                f"{org.fhir_base}/Communication?patient=Patient/bench-youth-{n:03d}"
                f"&based-on=CarePlan/bench-tr-{n:03d}&_sort=sent&_count=50"
            )
            t0 = time.perf_counter()
            size[name] = 0
            while url:
                resp = requests.get(url, headers=headers, timeout=120)
                size[name] += len(resp.content)
                url = next(
                    (lk["url"] for lk in resp.json().get("link", []) if lk["relation"] == "next"), None
                )
            bare[name].append(time.perf_counter() - t0)
    # The opening alone, without the network: what sealing adds per page on this machine.
    raw = [r for r in sealed if r["resourceType"] == "Communication"]
    t0 = time.perf_counter()
    for _ in range(RUNS):
        for r in raw:
            coordinator.decode(r)
    open_ms = (time.perf_counter() - t0) / RUNS * 1000
    plain_ms, sealed_ms = _median(times["plain"][2:]) * 1000, _median(times["sealed"][2:]) * 1000
    print("sealing (issue 12): journal page of one traject, sealed vs the same page unsealed")
    print(f"  entries: {counts['plain']} unsealed, {counts['sealed']} sealed; round trips {trips}")
    print(f"  median page (library part): unsealed {plain_ms:.0f} ms, sealed {sealed_ms:.0f} ms")
    print(f"  ratio sealed / unsealed: {sealed_ms / plain_ms:.3f} (target <= 1.05)")
    print(
        f"  opening {len(raw)} entries alone (dir + A256GCM, no public-key operation): {open_ms:.1f} ms "
        f"= {open_ms / plain_ms * 100:.1f}% of the unsealed page"
    )
    bare_plain, bare_sealed = _median(bare["plain"]) * 1000, _median(bare["sealed"]) * 1000
    print(
        f"  bare journal fetch (plain HTTP): unsealed {bare_plain:.0f} ms ({size['plain'] // 1024} KiB), "
        f"sealed {bare_sealed:.0f} ms ({size['sealed'] // 1024} KiB): the EHR's part of the difference"
    )


def bench_cohort(org: Any, now: datetime) -> None:
    resources = [*data.people()]
    for n in range(2, 202):
        resources += data.traject_resources(
            n, now, weeks=8 + n % 30, per_week=2, journal=False, measurements=0
        )
    data.load(org.fhir_base, org.admin_token(), resources)
    token = org.token_for("hv-coordinator") if hasattr(org, "token_for") else org.admin_token()
    per_page: list[int] = []
    times: list[float] = []
    offset = 0
    pages = 0
    while pages < 12:
        counter = RoundTripCounter()
        client = FhirClient(org.fhir_base, token, counter=counter)
        t0 = time.perf_counter()
        page = cohort_page(client, now, offset=offset, size=20)
        times.append(time.perf_counter() - t0)
        per_page.append(counter.total)
        pages += 1
        if not page.has_next:
            break
        offset += 20
    print("cohort: 200 trajects (plus whatever the organisation holds), 20 per page")
    print(
        f"  pages read: {pages}; FHIR round trips per page: max {max(per_page)}, "
        f"median {_median([float(x) for x in per_page]):.0f} (target <= 5)"
    )
    print(f"  time per page: median {_median(times) * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("which", nargs="?", default="all", choices=["timeline", "cohort", "sealing", "all"])
    args = parser.parse_args(argv)
    org, stop = _org()
    now = datetime.now(UTC)
    try:
        if args.which in ("timeline", "all"):
            bench_timeline(org, now)
        if args.which in ("cohort", "all"):
            bench_cohort(org, now)
        if args.which in ("sealing", "all"):
            bench_sealing(org, now)
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
