"""The project's FHIR R4 REST client (https://hl7.org/fhir/R4/http.html).

::

    client = FhirClient(session.fhir_base, session.access_token,
                        on_unauthorized=lambda rejected: launcher.refresh_after_unauthorized(
                            launch_id, browser_id, rejected or "").access_token)
    patient = client.read("Patient", pid)
    for plan in client.search_all("CarePlan", {"subject": f"Patient/{pid}", "category": cat}):
        ...
    saved, created, location = client.create(resource, if_none_exist=identifier_condition(sid, uid))
    client.update(plan)                              # If-Match from plan.meta.versionId
    answer = client.transaction(bundle.transaction([...]))

Every failure is an :class:`~hvol_fhir.ehr.errors.EhrError` (see there); retries live in :mod:`.http`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple, Protocol, Unpack

from ..errors import InvalidInput
from ..smart.transport import check_transport
from . import bundle as bundles
from . import paging
from .errors import BadResponse, EhrDown, EhrError, PageLimitReached, VersionConflict, error_for
from .http import Auth, FhirResponse, Params, Transport, TransportOptions
from .outcome import parse_outcome

_TYPE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_OPERATION = re.compile(r"^\$[a-z][a-z0-9\-]{0,63}$")
DEFAULT_MAX_PAGES = 100


class CreateResult(NamedTuple):
    resource: dict[str, Any] | None  # None when the server sent no resource back
    created: bool  # False: a conditional create found the resource already there
    location: str | None  # Type/id/_history/v

    @property
    def reference(self) -> str | None:
        """``Type/id`` of the created or matched resource."""
        parsed = bundles.parse_reference(self.location) if self.location else None
        if parsed:
            return f"{parsed[0]}/{parsed[1]}"
        if self.resource and self.resource.get("id"):
            return f"{self.resource['resourceType']}/{self.resource['id']}"
        return None


def _checked(value: Any, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInput(f"Ongeldige {what} voor het dossier.", field=what, code="ehr-bad-argument")
    return value


def _same_content(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal apart from ``meta`` and ``text``, which the server may set itself."""
    skip = {"meta", "text"}
    return {k: v for k, v in a.items() if k not in skip} == {k: v for k, v in b.items() if k not in skip}


class Codec(Protocol):
    """Turns resources on their way to the server (``encode``) and back (``decode``, also whole Bundles)."""

    def encode(self, resource: Mapping[str, Any]) -> dict[str, Any]: ...

    def encode_bundle(self, bundle: Mapping[str, Any]) -> dict[str, Any]: ...

    def decode(self, resource: Mapping[str, Any]) -> dict[str, Any]: ...


class FhirClient:
    """One FHIR server, one identity. Safe to share between threads when ``auth`` and ``session`` are."""

    def __init__(
        self,
        base_url: str,
        auth: Auth = None,
        *,
        codec: Codec | None = None,
        **transport: Unpack[TransportOptions],
    ) -> None:
        check_transport(base_url, allow_loopback_http=True)  # a token never goes out over plain http
        self.base_url = base_url.rstrip("/")
        # Sealing (hvol_fhir.sealing.codec): every resource sent is sealed, every one received is opened for
        # the kinds the caller's role may read. None: the resources go and come as they are.
        self.codec = codec
        self.transport = Transport(auth, **transport)  # retries, timeouts, counting: see Transport

    def __repr__(self) -> str:
        return f"FhirClient({self.base_url!r})"

    # --- reading -----------------------------------------------------------------------------------------

    def capabilities(self) -> dict[str, Any]:
        """The CapabilityStatement (``GET [base]/metadata``)."""
        return self._expect(self._get("metadata", ""), "CapabilityStatement")

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        path = f"{_checked(resource_type, _TYPE, 'type')}/{_checked(resource_id, _ID, 'id')}"
        return self._expect(self._get(path, resource_type), resource_type)

    def vread(self, resource_type: str, resource_id: str, version: str | int) -> dict[str, Any]:
        path = (
            f"{_checked(resource_type, _TYPE, 'type')}/{_checked(resource_id, _ID, 'id')}"
            f"/_history/{_checked(bundles.version_id(str(version)), _ID, 'versie')}"
        )
        return self._expect(self._get(path, resource_type), resource_type)

    def search(self, resource_type: str, params: Params | None = None) -> dict[str, Any]:
        """The first page of a search, as a searchset Bundle (``GET [base]/Type?params``)."""
        resp = self._get(_checked(resource_type, _TYPE, "type"), resource_type, params)
        return self._expect(resp, "Bundle")

    def next_page(self, page: Mapping[str, Any], resource_type: str = "") -> dict[str, Any] | None:
        """The page after ``page``, or None. A ``next`` link outside the FHIR base raises UntrustedLink."""
        link = paging.next_link(page)
        if link is None:
            return None
        url = paging.resolve_link(link, self.base_url)
        resp = self.transport.send("GET", url, resource_type=resource_type, repeatable=True)
        return self._expect(self._raise_for_status(resp), "Bundle")

    def pages(
        self, resource_type: str, params: Params | None = None, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> Iterator[dict[str, Any]]:
        """Every page of a search; :class:`PageLimitReached` rather than silently stopping at max_pages."""
        page: dict[str, Any] | None = self.search(resource_type, params)
        count = 0
        while page is not None:
            count += 1
            yield page
            if paging.next_link(page) is None:
                return
            if count >= max_pages:
                raise PageLimitReached()
            page = self.next_page(page, resource_type)

    def search_all(
        self, resource_type: str, params: Params | None = None, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> Iterator[dict[str, Any]]:
        """The matched resources of every page (``_include``d ones are left out; use :meth:`pages`)."""
        for page in self.pages(resource_type, params, max_pages=max_pages):
            yield from paging.matches(page)

    # --- writing -----------------------------------------------------------------------------------------

    def create(self, resource: Mapping[str, Any], *, if_none_exist: str | None = None) -> CreateResult:
        """POST; with ``if_none_exist`` (e.g. :func:`bundle.identifier_condition`) a conditional create.

        Only a conditional create is retried after a lost answer; a plain one raises OutcomeUnknown then.
        """
        resource_type = _checked(resource.get("resourceType"), _TYPE, "type")
        sent = self._encoded(resource)
        headers = {"Prefer": "return=representation"}
        if if_none_exist:
            headers["If-None-Exist"] = if_none_exist
        resp = self.transport.send(
            "POST",
            self._url(resource_type),
            resource_type=resource_type,
            repeatable=bool(if_none_exist),
            body=sent,
            headers=headers,
        )
        self._raise_for_status(resp, conditional_create=bool(if_none_exist))
        body = (
            self._decoded(resp.body) if resp.body and resp.body.get("resourceType") == resource_type else None
        )
        location = resp.location
        parsed = bundles.parse_reference(location) if location else None
        relative = (
            f"{parsed[0]}/{parsed[1]}" + (f"/_history/{parsed[2]}" if parsed[2] else "") if parsed else None
        )
        return CreateResult(body, resp.status == 201, relative)

    def update(
        self, resource: Mapping[str, Any], *, if_match: str | int | None = None, blind: bool = False
    ) -> dict[str, Any]:
        """PUT ``Type/id`` with ``If-Match`` (``if_match``, else ``meta.versionId``; ``blind=True``: none).

        A 409/412 raises :class:`VersionConflict` with the server's current version in ``.current``. When an
        earlier send of this same call may have landed (answer lost, then retried), and the server now holds
        exactly what was sent, that is this call's own write and it is returned instead.
        """
        resource_type = _checked(resource.get("resourceType"), _TYPE, "type")
        resource_id = _checked(resource.get("id"), _ID, "id")
        version = if_match
        if version is None and not blind:
            version = (resource.get("meta") or {}).get("versionId")
        headers = {"Prefer": "return=representation"}
        if version is not None and not blind:
            headers["If-Match"] = bundles.etag(version)
        resp = self.transport.send(
            "PUT",
            self._url(f"{resource_type}/{resource_id}"),
            resource_type=resource_type,
            repeatable="If-Match" in headers,
            body=self._encoded(resource),
            headers=headers,
        )
        if resp.status in (409, 412):
            error = self._error(resp, versioned_update="If-Match" in headers)
            if isinstance(error, VersionConflict):
                error.current = self._read_quietly(resource_type, resource_id)
                if resp.retried and error.current and _same_content(error.current, resource):
                    return error.current
            raise error
        self._raise_for_status(resp)
        if resp.body and resp.body.get("resourceType") == resource_type:
            return self._decoded(resp.body)
        return self.read(resource_type, resource_id)  # the server sent no representation back

    def delete(self, resource_type: str, resource_id: str) -> None:
        """DELETE ``Type/id``; deleting twice is harmless, so it is retried."""
        path = f"{_checked(resource_type, _TYPE, 'type')}/{_checked(resource_id, _ID, 'id')}"
        resp = self.transport.send("DELETE", self._url(path), resource_type=resource_type, repeatable=True)
        self._raise_for_status(resp)

    def transaction(self, bundle: Mapping[str, Any]) -> dict[str, Any]:
        """POST a transaction Bundle: all entries are written, or none (R4 http.html#transaction).

        Retried only when :func:`bundle.is_repeatable`. A refusal raises the EhrError for its status with
        the OperationOutcome read into plain Dutch; nothing was written then.
        """
        return self._bundle(bundle, "transaction")

    def batch(self, bundle: Mapping[str, Any]) -> dict[str, Any]:
        """POST a batch Bundle: each entry stands alone; read outcomes with :func:`bundle.results`."""
        return self._bundle(bundle, "batch")

    def operation(
        self,
        name: str,
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
        body: Mapping[str, Any] | None = None,
        params: Params | None = None,
        repeatable: bool | None = None,
    ) -> dict[str, Any] | None:
        """``[base][/Type[/id]]/$name``: GET without ``body``, POST with it (e.g. a Parameters resource).

        A POST is retried only with ``repeatable=True`` (for operations that change nothing, e.g. $validate).
        """
        parts = [_checked(resource_type, _TYPE, "type")] if resource_type else []
        if resource_id:
            parts.append(_checked(resource_id, _ID, "id"))
        parts.append(_checked(name if name.startswith("$") else f"${name}", _OPERATION, "operatie"))
        method = "GET" if body is None else "POST"
        resp = self.transport.send(
            method,
            self._url("/".join(parts)),
            resource_type=resource_type or "",
            repeatable=repeatable if repeatable is not None else method == "GET",
            params=params,
            body=body,
        )
        return self._raise_for_status(resp).body

    # --- helpers -----------------------------------------------------------------------------------------

    def _bundle(self, bundle: Mapping[str, Any], kind: str) -> dict[str, Any]:
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") != kind:
            raise InvalidInput(f"Verwacht een Bundle van type {kind}.", field="Bundle.type")
        entries = [e for e in bundle.get("entry") or () if isinstance(e, Mapping)]
        requests_ = [e.get("request") or {} for e in entries]
        resp = self.transport.send(
            "POST",
            self.base_url,
            resource_type="",
            repeatable=bundles.is_repeatable(bundle),
            body=self.codec.encode_bundle(bundle) if self.codec is not None else bundle,
            headers={"Prefer": "return=representation"},
        )
        self._raise_for_status(
            resp,
            conditional_create=any(r.get("ifNoneExist") for r in requests_),
            versioned_update=any(r.get("ifMatch") for r in requests_),
        )
        answer = self._expect(resp, "Bundle")
        if answer.get("type") != f"{kind}-response" or len(answer.get("entry") or ()) != len(entries):
            raise BadResponse(ehr_status=resp.status)
        return answer

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}" if path else self.base_url

    def _get(self, path: str, resource_type: str, params: Params | None = None) -> FhirResponse:
        resp = self.transport.send(
            "GET", self._url(path), resource_type=resource_type, repeatable=True, params=params
        )
        return self._raise_for_status(resp)

    def _read_quietly(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        try:
            return self.read(resource_type, resource_id)
        except EhrError:
            return None

    def _error(self, resp: FhirResponse, **context: bool) -> EhrError:
        error = error_for(resp.status, parse_outcome(resp.body), **context)
        if isinstance(error, EhrDown) and resp.retried:
            error.maybe_sent = True  # an earlier send of this call may have been stored before this answer
        return error

    def _raise_for_status(self, resp: FhirResponse, **context: bool) -> FhirResponse:
        if resp.status >= 300:  # redirects are not followed: a FHIR server has no reason to send one
            raise self._error(resp, **context)
        return resp

    def _expect(self, resp: FhirResponse, resource_type: str) -> dict[str, Any]:
        if resp.body is None or resp.body.get("resourceType") != resource_type:
            raise BadResponse(ehr_status=resp.status)
        return self._decoded(resp.body)

    def _decoded(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.codec.decode(body) if self.codec is not None else body

    def _encoded(self, resource: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.codec.encode(resource) if self.codec is not None else resource
