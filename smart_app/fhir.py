"""A few FHIR reads with the launch's access token, for role discovery and the landing page.

The token goes only to the launch's own FHIR base (R97, R98): URLs are built from it, never taken from data.
The full FHIR client (retries, paging, transactions) is ``hvol_fhir.ehr`` (a later issue).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from hvol_fhir.errors import EhrUnavailable, NotAllowed

FHIR_JSON = "application/fhir+json"


class TokenRejected(Exception):
    """401 from the FHIR server: the access token expired or was revoked; refresh once and retry."""


class FhirReader:
    def __init__(self, http: requests.Session, base: str, access_token: str, timeout: float = 10.0) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self._token = access_token
        self.timeout = timeout

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> requests.Response:
        try:
            resp = self.http.get(
                f"{self.base}/{path}",
                params=params,
                headers={"Accept": FHIR_JSON, "Authorization": f"Bearer {self._token}"},
                timeout=self.timeout,
                allow_redirects=False,  # a redirect would carry the token elsewhere
            )
        except requests.RequestException as exc:
            raise EhrUnavailable(
                "Het dossiersysteem is nu niet bereikbaar. Probeer het over enkele minuten opnieuw."
            ) from exc
        if resp.status_code == 401:
            raise TokenRejected(path.split("/", 1)[0])
        if resp.status_code == 403:
            raise NotAllowed("De app heeft geen toegang tot deze gegevens.", field=path.split("/", 1)[0])
        if resp.status_code >= 500 or resp.status_code == 429:
            raise EhrUnavailable(
                "Het dossiersysteem gaf een storing. Probeer het over enkele minuten opnieuw."
            )
        return resp

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        resp = self._get(f"{resource_type}/{quote(resource_id, safe='')}")
        if resp.status_code in (404, 410):
            return None
        body = resp.json()
        return body if isinstance(body, dict) and body.get("resourceType") == resource_type else None

    def search(self, resource_type: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """First page only (the role lookups need a handful of resources)."""
        resp = self._get(resource_type, {**params, "_count": "100"})
        if resp.status_code != 200:
            return []
        bundle = resp.json()
        return [
            e["resource"]
            for e in (bundle.get("entry") or [])
            if isinstance(e.get("resource"), dict) and e["resource"].get("resourceType") == resource_type
        ]
