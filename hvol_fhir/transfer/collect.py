"""Read a traject and everything around it at A, in few round trips (I/O edge).

1. ``GET CarePlan/<id>``;
2. one batch of searches (R4 http.html#transaction, batch GETs): the youth, the traject's EpisodeOfCare,
   its contacts (chained on the traject identifier), journal entries, Consents, assessments, measurements,
   tasks and audit events, each followed through its pages;
3. one batch of reads for what those point at and were not found yet (practitioners, the coordinator, an
   earlier traject), so the planner can name everything by identifier.

Only standard R4 search parameters (design.md); no ``_include``, ``_revinclude`` or ``$everything``. The
journal is read only as far as the caller's token is cleared for it; what the server hides stays unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import Json

from ..ehr import FhirClient, paging
from ..ehr import bundle as bundles
from ..errors import InvalidInput
from .model import Snapshot
from .rewrite import references, relative_key

PAGE_SIZE = 500
MAX_PAGES = 50


def _key(reference: str) -> str:
    return reference if "/" in reference else f"CarePlan/{reference}"


def _search(url: str) -> Json:
    return bundles.read_entry(url)


def _add(found: dict[str, Json], resource: Any) -> None:
    if isinstance(resource, dict) and resource.get("resourceType") and resource.get("id"):
        if resource["resourceType"] != "OperationOutcome":
            found[f"{resource['resourceType']}/{resource['id']}"] = resource


def read_traject(
    client: FhirClient,
    careplan: str,
    *,
    source_name: str,
    coordinator: str | None = None,
    source_identifier: Json | None = None,
) -> Snapshot:
    """The Snapshot the planner needs; EhrError subclasses (EhrNotFound, EhrDown, ...) pass through."""
    key = _key(careplan)
    plan = client.read("CarePlan", key.split("/", 1)[1])
    base = client.base_url
    found: dict[str, Json] = {key: plan}
    patient = relative_key(((plan.get("subject") or {}).get("reference")) or "", base)
    traject = next(
        (i for i in plan.get("identifier") or [] if i.get("system") == t.sid("traject") and i.get("value")),
        None,
    )
    if not patient or not traject:
        raise InvalidInput("Dit traject mist de jongere of het trajectkenmerk.", field="CarePlan")
    token = bundles.identifier_condition(traject["system"], traject["value"]).removeprefix("identifier=")
    count = f"_count={PAGE_SIZE}"
    searches = [
        patient,
        f"EpisodeOfCare?identifier={token}&{count}",
        f"Encounter?episode-of-care.identifier={token}&{count}",
        f"Communication?based-on={key}&{count}",
        f"Consent?patient={patient}&{count}",
        f"Observation?based-on={key}&{count}",
        f"QuestionnaireResponse?based-on={key}&{count}",
        f"Task?focus={key}&{count}",
        f"AuditEvent?patient={patient}&{count}",
    ]
    searches += [r for r in (relative_key(x, base) for x in references(plan.get("careTeam"))) if r]
    request = bundles.batch(_search(s) for s in searches)
    answer = client.batch(request)
    for result in bundles.results(answer, request):
        body = result.resource
        if not result.ok or body is None:
            continue
        if body.get("resourceType") == "Bundle":
            page: Mapping[str, Any] | None = body
            pages = 0
            while page is not None:
                for res in paging.matches(page):
                    _add(found, res)
                pages += 1
                page = client.next_page(page) if pages < MAX_PAGES else None
        else:
            _add(found, body)
    wanted = {relative_key(r, base) for res in list(found.values()) for r in references(res)}
    if coordinator:
        wanted.add(coordinator)
    missing = sorted(k for k in wanted if k and k not in found and not k.startswith("Organization/"))
    if missing:
        request = bundles.batch(_search(k) for k in missing)
        for result in bundles.results(client.batch(request), request):
            if result.ok:
                _add(found, result.resource)
    return Snapshot(
        source_base=base,
        source_name=source_name,
        careplan=key,
        resources=found,
        source_identifier=source_identifier,
    )
