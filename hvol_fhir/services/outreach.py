"""Presentations and information letters against the EHR (guide §4.1): record one, list them all.

One item is one Task of the organisation (no youth): a conditional create on the client-generated identifier,
so a resend of the same form writes nothing twice. Read with the coordinator's user-level Task scope.
"""

from __future__ import annotations

import logging

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient, bundle
from hvol_fhir.errors import HvolError
from hvol_fhir.mapping import outreach as mapping
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.outreach import KINDS, OutreachItem
from hvol_fhir.repository import searches as s

log = logging.getLogger(__name__)


def record(client: FhirClient, item: OutreachItem) -> tuple[bool, str]:
    """(created, Task/<id>): False when this identifier was saved before."""
    condition = bundle.identifier_condition(t.sid("task"), item.identifier)
    result = client.create(mapping.to_json(item), if_none_exist=condition)
    return result.created, result.reference or ""


def all_items(client: FhirClient) -> list[OutreachItem]:
    """Every presentation and letter, newest first (one search, the three kinds OR-ed)."""
    system = t.cs_url(c.TASK_KIND)
    params = {"code": ",".join(f"{system}|{kind}" for kind in KINDS), "_count": "500"}
    out: list[OutreachItem] = []
    for raw in s.all_matches([client.search("Task", params)]):
        try:
            out.append(mapping.from_json(raw))
        except (HvolError, KeyError, ValueError, TypeError) as exc:
            # An older group presentation without an audience (recorded before issue 14) or one of another
            # system: left out of the per-group list, named in the log by its kind of fault only.
            log.info("outreach task unreadable: %s", type(exc).__name__)
    return sorted(out, key=lambda i: i.day, reverse=True)
