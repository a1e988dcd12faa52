"""``python -m bench.startpages``: the start pages per role (issue 15), FHIR round trips and the app's own
time against the bare fetch of the same requests, measured in the same run (design.md "Tests and figures").
Prints figures; asserts nothing.

Data: the demo organisation plus 40 synthetic trajects of 8 to 30 weeks (two contacts a week); one buddy
("bench-buddy") has four of them, the coach ("bench-coach") all forty (ten buddies), the coordinator sees the
whole programme. The service runs with the loader's token, so the figures are the library's and the EHR's,
without the role narrowing of a launch. The bare fetch replays exactly the HTTP requests the service sent
(same URLs, same batch bodies) with plain ``requests`` and JSON decoding only.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from bench import data
from bench.__main__ import _org
from hvol_fhir.ehr import FhirClient, RoundTripCounter
from hvol_fhir.programme import codes as c
from hvol_fhir.services.startpage import StartPage, start_page

RUNS = 5
TRAJECTS = range(501, 541)


class Recording:
    """A session that times the HTTP layer and keeps every request, to replay it bare."""

    def __init__(self) -> None:
        self.http = 0.0
        self.sent: list[tuple[str, str, Any, Any]] = []
        self.session = requests.Session()
        original = self.session.request

        def request(method: str, url: str, **kw: Any) -> Any:
            self.sent.append((method, url, kw.get("params"), kw.get("data") or kw.get("json")))
            t0 = time.perf_counter()
            try:
                return original(method, url, **kw)
            finally:
                self.http += time.perf_counter() - t0

        self.session.request = request  # type: ignore[method-assign]


def _load(org: Any, now: datetime) -> None:
    resources: list[dict[str, Any]] = [
        *data.people(),
        *(
            {"resourceType": "Practitioner", "id": f"bench-buddy-{k}", "name": [{"text": f"Maatje {k}"}]}
            for k in range(10)
        ),
    ]
    for n in TRAJECTS:
        for r in data.traject_resources(n, now, weeks=8 + n % 23, per_week=2, journal=False, measurements=0):
            if r["resourceType"] == "CareTeam" and n > TRAJECTS.start + 3:  # four girls for bench-buddy
                for p in r.get("participant") or []:
                    if p["member"]["reference"] == "Practitioner/bench-buddy":
                        p["member"]["reference"] = f"Practitioner/bench-buddy-{n % 10}"
            resources.append(r)
    data.load(org.fhir_base, org.admin_token(), resources)


def _bare(sent: list[tuple[str, str, Any, Any]], token: str) -> float:
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/fhir+json",
        "Content-Type": "application/fhir+json",
    }
    bare = requests.Session()
    t0 = time.perf_counter()
    for method, url, params, body in sent:
        bare.request(method, url, params=params, data=body, headers=headers, timeout=120).json()
    return time.perf_counter() - t0


def _measure(
    org: Any,
    name: str,
    call: Callable[[FhirClient], StartPage],
    describe: Callable[[StartPage], str],
    token: str | None = None,
) -> None:
    token = token or org.admin_token()
    own, bare, trips = [], [], []
    found: StartPage | None = None
    for _ in range(RUNS):
        counter, rec = RoundTripCounter(), Recording()
        client = FhirClient(org.fhir_base, token, session=rec.session, counter=counter)
        t0 = time.perf_counter()
        found = call(client)
        own.append(time.perf_counter() - t0 - rec.http)
        trips.append(counter.total)
        bare.append(_bare(rec.sent, token))
    assert found is not None
    own_ms, bare_ms = statistics.median(own) * 1000, statistics.median(bare) * 1000
    print(f"{name}: {describe(found)}")
    print(f"  FHIR round trips: {max(trips)} (target <= 5, as for the cohort overview)")
    print(
        f"  bare fetch of the same requests {bare_ms:.0f} ms; app's own time (parse, rules, open items) "
        f"{own_ms:.0f} ms = {own_ms / bare_ms * 100:.0f}% of the bare fetch (median of {RUNS})"
    )


def main() -> int:
    org, stop = _org()
    now = datetime.now(UTC)
    try:
        _load(org, now)
        for user, role in (
            ("Practitioner/bench-buddy", c.ROLE_BUDDY),
            ("Practitioner/bench-coach", c.ROLE_COACH),
        ):
            _measure(
                org,
                f"start page {role}",
                lambda client, user=user, role=role: start_page(client, user=user, role=role, now=now),
                lambda page: f"{len(page.cards)} girls, {sum(len(x.items) for x in page.cards)} items due",
            )
        _measure(
            org,
            "start page coordinator",
            lambda client: start_page(
                client, user="Practitioner/hv-coordinator", role=c.ROLE_COORDINATOR, now=now
            ),
            lambda page: f"{len(page.counts)} kinds of open items, {sum(x.n for x in page.counts)} in all",
        )
        # Issue 15: the caseload start page as a launch without a patient gets it: the user's own user-level
        # token, which the server confines to her girls (claim hvol_caseload; demo users, signed teams).
        for user, role in (("hv-buddy-1", c.ROLE_BUDDY), ("hv-coach-1", c.ROLE_COACH)):
            _measure(
                org,
                f"caseload start page {role} ({user}, her own caseload token)",
                lambda client, user=user, role=role: start_page(
                    client, user=f"Practitioner/{user}", role=role, now=now
                ),
                lambda page: f"{len(page.cards)} girls, {sum(len(x.items) for x in page.cards)} items due",
                token=org.token_for(user),
            )
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
