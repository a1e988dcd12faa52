"""Transaction and batch Bundles: pure helpers (https://hl7.org/fhir/R4/http.html#transaction).

Building::

    contact = bundle.full_url()                       # urn:uuid:..., referenced before the server names it
    tx = bundle.transaction([
        bundle.create_entry(encounter, full_url=contact,
                            if_none_exist=bundle.identifier_condition(CONTACT_SID, contact_uuid)),
        bundle.create_entry(communication_referring_to(contact), if_none_exist=...),
    ])

Reading back: :func:`results` pairs each response entry with its request entry (the response keeps the
request's order, R4 3.1.0.11.2), :func:`resolved` maps each ``urn:uuid`` to the server's ``Type/id``.

A Bundle is *repeatable* (:func:`is_repeatable`) when sending it twice leaves the same data as sending it
once: every POST carries ``ifNoneExist``, every PUT and PATCH an ``ifMatch``. Only those are retried.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

BundleType = Literal["transaction", "batch"]
_ETAG = re.compile(r'^(?:W/)?"?([^"]*)"?$')
_REFERENCE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?$")


def full_url() -> str:
    """A fresh ``urn:uuid:`` for an entry's ``fullUrl`` (R4 bundle.html#references)."""
    return f"urn:uuid:{uuid.uuid4()}"


def identifier_condition(system: str, value: str) -> str:
    """The search ``identifier=system|value`` for ``ifNoneExist``/``If-None-Exist``, value-escaped."""
    return "identifier=" + quote(f"{system}|{value}", safe=":/|")


def etag(version: str | int) -> str:
    """The weak ETag for a version id: ``W/"3"`` (R4 http.html#versioning)."""
    text = str(version)
    return text if text.startswith('W/"') else f'W/"{version_id(text)}"'


def version_id(etag_value: str) -> str:
    """``W/"3"`` -> ``3``; a bare ``3`` stays ``3``."""
    match = _ETAG.match(etag_value.strip())
    return match.group(1) if match else etag_value


def create_entry(
    resource: Mapping[str, Any], *, full_url: str | None = None, if_none_exist: str | None = None
) -> dict[str, Any]:
    request: dict[str, Any] = {"method": "POST", "url": str(resource["resourceType"])}
    if if_none_exist:
        request["ifNoneExist"] = if_none_exist
    entry: dict[str, Any] = {"resource": dict(resource), "request": request}
    if full_url:
        entry["fullUrl"] = full_url
    return entry


def update_entry(resource: Mapping[str, Any], *, if_match: str | int | None = None) -> dict[str, Any]:
    """PUT ``Type/id``; pass ``if_match`` (a version id or ETag) so a concurrent change fails the whole tx."""
    request: dict[str, Any] = {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
    if if_match is not None:
        request["ifMatch"] = etag(if_match)
    return {"resource": dict(resource), "request": request}


def read_entry(url: str) -> dict[str, Any]:
    return {"request": {"method": "GET", "url": url}}


def transaction(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": [dict(e) for e in entries]}


def batch(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "batch", "entry": [dict(e) for e in entries]}


def entry_is_repeatable(entry: Mapping[str, Any]) -> bool:
    request = entry.get("request") or {}
    method = str(request.get("method") or "").upper()
    if method in ("GET", "HEAD", "DELETE"):
        return True
    if method == "POST":
        return bool(request.get("ifNoneExist"))
    if method in ("PUT", "PATCH"):
        # A conditional update (``Type?identifier=…``) finds on a resend what the first send wrote and writes
        # the same content again: no duplicate. A plain PUT is safe only with If-Match.
        return bool(request.get("ifMatch")) or (method == "PUT" and "?" in str(request.get("url") or ""))
    return False


def is_repeatable(bundle: Mapping[str, Any]) -> bool:
    """True when a resend after a lost answer cannot create duplicates or overwrite someone else's change."""
    entries = bundle.get("entry") or []
    return all(isinstance(e, Mapping) and entry_is_repeatable(e) for e in entries)


def parse_reference(location: str) -> tuple[str, str, str | None] | None:
    """``[base/]Type/id[/_history/v]`` -> (type, id, version); None when it is none of that."""
    path = urlsplit(location).path if "://" in location else location
    parts = path.strip("/").split("/")
    for start in range(len(parts)):
        match = _REFERENCE.match("/".join(parts[start:]))
        if match:
            return match.group(1), match.group(2), match.group(3)
    return None


@dataclass(frozen=True)
class EntryResult:
    """One transaction/batch response entry, read back."""

    status: int
    location: str | None  # relative: Type/id/_history/v
    etag: str | None
    resource: dict[str, Any] | None  # when the server returned it (Prefer: return=representation)
    full_url: str | None  # the request entry's fullUrl (urn:uuid:...), when paired
    method: str | None  # the request entry's method, when paired
    outcome: dict[str, Any] | None  # batch: the entry's own OperationOutcome on failure

    @property
    def reference(self) -> str | None:
        """``Type/id`` of the written or matched resource."""
        parsed = parse_reference(self.location) if self.location else None
        if parsed:
            return f"{parsed[0]}/{parsed[1]}"
        if self.resource and self.resource.get("id"):
            return f"{self.resource['resourceType']}/{self.resource['id']}"
        return None

    @property
    def created(self) -> bool:
        return self.status == 201

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _status(text: Any) -> int:
    match = re.match(r"^\s*(\d{3})", str(text or ""))
    return int(match.group(1)) if match else 0


def results(response: Mapping[str, Any], request: Mapping[str, Any] | None = None) -> list[EntryResult]:
    """The response entries in order, paired with ``request``'s entries when given."""
    sent: Sequence[Any] = (request or {}).get("entry") or []
    out: list[EntryResult] = []
    for index, raw in enumerate(response.get("entry") or ()):
        entry = raw if isinstance(raw, Mapping) else {}
        answer = entry.get("response") or {}
        location = answer.get("location")
        parsed = parse_reference(location) if isinstance(location, str) else None
        mate = sent[index] if index < len(sent) and isinstance(sent[index], Mapping) else {}
        resource = entry.get("resource")
        outcome = answer.get("outcome")
        out.append(
            EntryResult(
                status=_status(answer.get("status")),
                location=(
                    f"{parsed[0]}/{parsed[1]}" + (f"/_history/{parsed[2]}" if parsed[2] else "")
                    if parsed
                    else None
                ),
                etag=answer.get("etag") if isinstance(answer.get("etag"), str) else None,
                resource=resource if isinstance(resource, dict) else None,
                full_url=mate.get("fullUrl"),
                method=(mate.get("request") or {}).get("method"),
                outcome=outcome if isinstance(outcome, dict) else None,
            )
        )
    return out


def resolved(response: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, str]:
    """``{urn:uuid:... : Type/id}`` for every request entry that had a fullUrl."""
    return {r.full_url: r.reference for r in results(response, request) if r.full_url and r.reference}
