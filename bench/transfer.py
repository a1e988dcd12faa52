"""Benchmark: transfer of a traject of about 1,000 resources between two sandbox organisations.

    python -m bench.transfer [--weeks 250] [--consented 400]

Starts organisations A and B (two HAPI JVMs, stopped at the end), writes two identical synthetic trajects at A
and measures, in the same run:

- *bare POST*: the planned transaction Bundle of the second traject, POSTed once to B with ``requests``
  (no checks, no retries, no reading at A, no record at A): what the transfer cannot do faster;
- *transfer*: the first traject through :class:`hvol_fhir.transfer.TransferService` (read at A, plan, check
  at B, send, record at A), with its FHIR round trips;
- *repeat*: the same transfer again (everything matches at B; nothing is written).

Prints figures only; nothing is asserted (design.md: tests assert behaviour, never time).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from hvol_fhir.ehr import RoundTripCounter
from tests.integration import transfer_support as ts

COORDINATOR = "Practitioner/hv-coordinator"


def _bare_post(org: Any, bundle: dict[str, Any], token: str) -> float:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/fhir+json",
        "Accept": "application/fhir+json",
        "Prefer": "return=minimal",
    }
    body = json.dumps(bundle)
    started = time.perf_counter()
    resp = requests.post(org.fhir_base, data=body, headers=headers, timeout=900)
    elapsed = time.perf_counter() - started
    if resp.status_code != 200:
        raise RuntimeError(f"bare POST refused: {resp.status_code}")
    return elapsed


def run(a: Any, b: Any, key: Any, *, weeks: int, consented: int) -> dict[str, Any]:
    # Warm-up: a small transfer, so neither measurement pays for the JVMs' first validation.
    warm = ts.synthetic_traject(a, 90, weeks=6, consent_entries=1)
    ts.service(a, b, key).run(ts.service(a, b, key).request_for(warm.careplan, COORDINATOR, "Warm-up"))

    first = ts.synthetic_traject(a, 91, weeks=weeks, consent_entries=consented)
    second = ts.synthetic_traject(a, 92, weeks=weeks, consent_entries=consented)

    bare_service = ts.service(a, b, key)
    bare_plan = bare_service.preview(
        bare_service.request_for(second.careplan, COORDINATOR, "Benchmark (bare)", journal=second.consented)
    )
    bare = _bare_post(b, bare_plan.bundle, ts.backend(b.fhir_base, key).access_token())

    counter = RoundTripCounter()
    service = ts.service(a, b, key, counter)
    request = service.request_for(first.careplan, COORDINATOR, "Benchmark", journal=first.consented)
    started = time.perf_counter()
    with counter.span() as read_span:
        plan = service.preview(request)
    planned = time.perf_counter()
    with counter.span() as send_span:
        result = service.send(plan)
    done = time.perf_counter()

    repeat_counter = RoundTripCounter()
    repeat_service = ts.service(a, b, key, repeat_counter)
    again_started = time.perf_counter()
    again = repeat_service.run(request)
    again_done = time.perf_counter()
    return {
        "traject_resources_at_a": first.resources,
        "bundle_entries": len(plan.bundle["entry"]),
        "sent_by_type": dict(Counter(i.resource_type for i in plan.sent)),
        "staying": len(plan.staying),
        "bare_post_s": bare,
        "transfer_s": done - started,
        "read_and_plan_s": planned - started,
        "check_send_record_s": done - planned,
        "created": result.created,
        "round_trips": counter.total,
        "round_trips_read": read_span.count,
        "round_trips_send": send_span.count,
        "round_trips_by_method": dict(counter.by_method),
        "repeat_s": again_done - again_started,
        "repeat_created": again.created,
        "repeat_round_trips": repeat_counter.total,
    }


def report(figures: dict[str, Any]) -> str:
    ratio = figures["transfer_s"] / figures["bare_post_s"] if figures["bare_post_s"] else float("nan")
    return "\n".join(
        [
            "Transfer of one traject (bench/transfer.py)",
            f"  resources of the traject at A      {figures['traject_resources_at_a']}",
            f"  entries in the Bundle for B        {figures['bundle_entries']} ({figures['sent_by_type']})",
            f"  resources staying at A             {figures['staying']}",
            f"  bare POST of the same Bundle       {figures['bare_post_s']:.2f} s (1 round trip)",
            f"  transfer                           {figures['transfer_s']:.2f} s "
            f"= read+plan {figures['read_and_plan_s']:.2f} s + check/send/record "
            f"{figures['check_send_record_s']:.2f} s",
            f"  transfer / bare POST               {ratio:.2f}",
            f"  FHIR round trips                   {figures['round_trips']} "
            f"(read {figures['round_trips_read']}, check+send+record {figures['round_trips_send']}; "
            f"{figures['round_trips_by_method']})",
            f"  created at B                       {figures['created']}",
            f"  repeat (everything matches)        {figures['repeat_s']:.2f} s, "
            f"{figures['repeat_round_trips']} "
            f"round trips, {figures['repeat_created']} created",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.transfer", description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=250, help="length of the contact period (size)")
    parser.add_argument("--consented", type=int, default=400, help="journal entries the youth lets go along")
    args = parser.parse_args(argv)
    key = ts.new_key()
    with tempfile.TemporaryDirectory(prefix="hvol-bench-transfer-") as tmp:
        for a, b in ts.start_two(Path(tmp), key):
            print(report(run(a, b, key, weeks=args.weeks, consented=args.consented)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
