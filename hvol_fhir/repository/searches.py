"""Searches as batch entries, and reading many pages in few round trips.

HAPI caps a page at 50 entries whatever ``_count`` asks. Following ``next`` links would cost one round trip
per page (six for a two-year traject's contacts), so the remaining pages are asked for in *one* batch with
``_offset`` (supported by HAPI JPA and most servers; a server that refuses it falls back to ``next`` links).
Every search of patient data names the patient (SMART patient-level tokens confine searches to it), and no
search here uses ``_include``/``_revinclude``/``_history`` on journal types (privacy layer 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl, urlencode

from hvol_fhir.ehr import EhrDown, FhirClient, bundle, paging
from hvol_fhir.ehr.errors import EhrError, EhrRejected, error_for
from hvol_fhir.ehr.outcome import parse_outcome
from hvol_fhir.fhirjson import Json

MAX_OFFSET_PAGES = 40  # one batch never asks for more than 40 pages (2000 entries at 50 a page)


def get(resource_type: str, params: Mapping[str, str]) -> Json:
    """A GET batch entry for ``resource_type?params``."""
    return bundle.read_entry(f"{resource_type}?{urlencode(dict(params))}")


def _one_by_one(client: FhirClient, searches: Sequence[Json]) -> list[Json]:
    out = []
    for entry in searches:
        path, _, query = entry["request"]["url"].partition("?")
        out.append(client.search(path, parse_qsl(query, keep_blank_values=True)))
    return out


def batch_searches(client: FhirClient, searches: Sequence[Json]) -> list[Json]:
    """Run GET searches in one batch round trip; every answer must be a searchset Bundle.

    A server error on the batch as a whole (HAPI 8.8 processes batch entries in parallel, and its
    AuthorizationInterceptor's compartment rules are not thread-safe then) falls back to one search per entry.
    """
    if not searches:
        return []
    if len(searches) == 1:
        return _one_by_one(client, searches)
    try:
        answer = client.batch(bundle.batch(searches))
    except EhrDown as exc:
        if exc.ehr_status is None or exc.ehr_status < 500:
            raise
        return _one_by_one(client, searches)
    out: list[Json] = []
    for result in bundle.results(answer):
        if result.status >= 500:
            return _one_by_one(client, searches)
        if not result.ok or not result.resource or result.resource.get("resourceType") != "Bundle":
            raise error_for(result.status or 502, parse_outcome(result.outcome))
        out.append(result.resource)
    return out


def page_size(page: Json) -> int:
    return sum(1 for _ in paging.matches(page)) or 1


def remaining_pages(
    client: FhirClient,
    resource_type: str,
    params: Mapping[str, str],
    first: Json,
    *,
    expected: int,
    first_offset: int = 0,
) -> list[Json]:
    """The pages after ``first`` (which asked ``params`` with ``_count``), in as few batches as possible.

    ``expected`` is a guess of the total number of matches; more batches follow while the last page is full.
    """
    if paging.next_link(first) is None:
        return []
    size = page_size(first)
    pages: list[Json] = []
    offset = first_offset + size
    try:
        while True:
            want = max(1, min(MAX_OFFSET_PAGES, -(-(max(expected, offset + 1) - offset) // size)))
            offsets = [offset + i * size for i in range(want)]
            searches = [
                get(resource_type, {**params, "_count": str(size), "_offset": str(o)}) for o in offsets
            ]
            got = batch_searches(client, searches)
            pages.extend(got)
            last = got[-1]
            if page_size(last) < size or not any(True for _ in paging.matches(last)):
                return pages
            offset = offsets[-1] + size
            expected = offset + size * 4
    except EhrRejected:
        # The server does not know _offset: follow the next links instead, one round trip per page.
        pages = []
        page: Json | None = first
        while page is not None and paging.next_link(page) is not None:
            page = client.next_page(page, resource_type)
            if page is not None:
                pages.append(page)
        return pages


def pages_from_zero(
    client: FhirClient, resource_type: str, params: Mapping[str, str], *, expected: int, size: int = 50
) -> list[Json]:
    """Every page of a search whose size is roughly known, the first ones together in one batch."""
    want = max(1, min(MAX_OFFSET_PAGES, -(-max(expected, 1) // size)))
    searches = [
        get(resource_type, {**params, "_count": str(size), "_offset": str(i * size)}) for i in range(want)
    ]
    try:
        pages = batch_searches(client, searches)
    except EhrRejected:
        first = client.search(resource_type, {**params, "_count": str(size)})
        return [first, *remaining_pages(client, resource_type, params, first, expected=expected)]
    last = pages[-1]
    if paging.next_link(last) is not None and page_size(last) >= size:
        pages += remaining_pages(
            client, resource_type, params, last, expected=expected + size * 4, first_offset=(want - 1) * size
        )
    return pages


def all_matches(pages: Sequence[Json]) -> list[Json]:
    seen: set[str] = set()
    out: list[Json] = []
    for page in pages:
        for res in paging.matches(page):
            key = f"{res.get('resourceType')}/{res.get('id')}"
            if key not in seen:  # offset pages can overlap when data changes between them
                seen.add(key)
                out.append(res)
    return out


def included(pages: Sequence[Json], resource_type: str) -> list[Json]:
    return [r for p in pages for r in paging.included(p) if r.get("resourceType") == resource_type]


__all__ = ["EhrError", "all_matches", "batch_searches", "get", "included", "remaining_pages"]
