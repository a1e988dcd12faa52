"""Helpers of the proof suite: the roles, a crawler over every page of the app a launch can reach, and the
app's routes as the Flask url_map lists them (so a new route is covered without editing the suite)."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import requests
from flask import Flask

from tests.integration.app_support import Page
from tests.sealing_support import opened


@dataclass(frozen=True)
class Role:
    name: str
    user: str
    reader: bool  # may read hv-youth-06's journal (P-JOURNAL-READERS)


ROLES = (
    Role("coordinator", "hv-coordinator", True),
    Role("buddy of this youth", "hv-buddy-1", True),
    Role("buddy of another youth", "hv-buddy-3", False),
    Role("coach of this buddy", "hv-coach-1", True),
    Role("another coach", "hv-coach-2", False),
    Role("behavioural scientist", "hv-behavioural-scientist", False),
    Role("mentor", "hv-mentor-2", False),
    Role("other regular staff", "hv-staff-1", False),
)
NON_READERS = tuple(r for r in ROLES if not r.reader)

_PLACEHOLDER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def routes(app: Flask, method: str) -> list[str]:
    """Every launch-scoped route accepting ``method``, as a rule string (``/l/<launch_id>/…``)."""
    return sorted(
        r.rule for r in app.url_map.iter_rules() if method in (r.methods or ()) and r.rule.startswith("/l/")
    )


def fill(rule: str, ident: str, entry_id: str = "onbekend") -> str:
    """A route's path after ``/l/<launch_id>`` with its placeholders filled in."""
    values = {"ident": ident, "entry_id": entry_id}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), "x"), rule.split("<launch_id>", 1)[1])


def crawl(
    page: Page, ident: str, app: Flask, extra: tuple[str, ...] = (), limit: int = 80
) -> dict[str, requests.Response]:
    """Every GET route of the launch, plus every same-launch link and image found on those pages, plus
    error pages. Returns path -> response."""
    todo = [fill(r, ident) for r in routes(app, "GET")]
    todo += ["/bestaat-niet", f"/t/{ident}/journaal/onbekend/wijzig", f"/t/{uuid.uuid4()}/", *extra]
    seen: dict[str, requests.Response] = {}
    prefix = f"/l/{page.launch_id}"
    while todo and len(seen) < limit:
        path = todo.pop(0)
        if path in seen:
            continue
        resp = page.get(path)
        seen[path] = resp
        if "html" in resp.headers.get("Content-Type", ""):
            for link in re.findall(r'(?:href|src|action)="([^"]+)"', resp.text):
                link = link.replace("&amp;", "&")
                if link.startswith(prefix) and link[len(prefix) :] not in seen:
                    todo.append(link[len(prefix) :])
    return seen


def past_slot(rng: random.Random | None = None) -> dict[str, str]:
    """A random 3-minute slot on a past day (contacts may not lie in the future or overlap)."""
    rng = rng or random.Random(uuid.uuid4().int)
    day = date.today() - timedelta(days=rng.randint(2, 700))
    minute = rng.randrange(0, 11) * 5
    hour = rng.randrange(0, 6)
    return {
        "date": day.isoformat(),
        "start": f"{hour:02d}:{minute:02d}",
        "end": f"{hour:02d}:{minute + 3:02d}",
    }


def contact_form(page: Page, ident: str, text: str, **extra: Any) -> dict[str, Any]:
    path = f"/t/{ident}/contact"
    return {
        "contact_uuid": page.hidden(path, "contact_uuid"),
        "entry_uuid": page.hidden(path, "entry_uuid"),
        "type": "phone",
        "text": text,
        **past_slot(),
        **extra,
    }


def count_marked(org: Any, kind: str, marker: str, patient: str) -> int:
    """How many of the youth's latest ``kind`` resources hold ``marker`` (loader's token: sees everything)."""
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    params = {"subject": f"Patient/{patient}", "_count": "200", "_sort": "-_lastUpdated"}
    body = requests.get(f"{org.fhir_base}/{kind}", params=params, headers=headers, timeout=120).json()
    # Opened with the organisation's keys: the server holds sealed content (issue 12).
    return sum(marker in str(opened(org, e["resource"])) for e in body.get("entry", []))
