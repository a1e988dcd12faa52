"""SMART configuration discovery (conformance.html#using-well-known, smart-launch.md §1.4).

``GET {base}/.well-known/smart-configuration`` (R29, R226), appended even when the base has a path. Only after
a 404 does the client fall back to the deprecated ``oauth-uris`` extension of ``{base}/metadata``. Results are
cached per issuer with a TTL. Parsing is pure; :class:`Discovery` does the I/O and caching.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin

import requests

from .errors import DiscoveryError, InsecureTransport
from .transport import FetchError, check_transport, get_json

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
DEFAULT_TTL = 3600.0
# Older servers advertise the passthrough names; treat them as the current ones (§1.4).
_CAPABILITY_ALIASES = {
    "context-passthrough-banner": "context-banner",
    "context-passthrough-style": "context-style",
}


@dataclass(frozen=True)
class SmartConfiguration:
    """The parts of a server's SMART configuration the client uses; endpoints are absolute URLs."""

    fhir_base: str
    authorization_endpoint: str
    token_endpoint: str
    capabilities: frozenset[str] = frozenset()
    code_challenge_methods_supported: tuple[str, ...] = ()
    token_endpoint_auth_methods_supported: tuple[str, ...] = ()
    scopes_supported: tuple[str, ...] = ()
    issuer: str | None = None
    jwks_uri: str | None = None
    source: Literal["well-known", "metadata"] = "well-known"

    def supports(self, capability: str) -> bool:
        return capability in self.capabilities


def _absolute(base: str, url: Any, name: str, *, required: bool) -> str | None:
    if url is None or url == "":
        if required:
            raise DiscoveryError(f"SMART configuration lacks {name}")
        return None
    if not isinstance(url, str):
        raise DiscoveryError(f"SMART configuration member {name} is not a string")
    # Relative endpoints are resolved against the FHIR base (R379).
    return urljoin(base.rstrip("/") + "/", url)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def parse_smart_configuration(doc: Any, fhir_base: str) -> SmartConfiguration:
    """Tolerant parse: only missing endpoints are fatal (§1.4)."""
    if not isinstance(doc, dict):
        raise DiscoveryError("smart-configuration is not a JSON object")
    authorize = _absolute(
        fhir_base, doc.get("authorization_endpoint"), "authorization_endpoint", required=True
    )
    token = _absolute(fhir_base, doc.get("token_endpoint"), "token_endpoint", required=True)
    assert authorize is not None and token is not None
    capabilities = frozenset(_CAPABILITY_ALIASES.get(c, c) for c in _strings(doc.get("capabilities")))
    issuer = doc.get("issuer")
    return SmartConfiguration(
        fhir_base=fhir_base,
        authorization_endpoint=authorize,
        token_endpoint=token,
        capabilities=capabilities,
        code_challenge_methods_supported=_strings(doc.get("code_challenge_methods_supported")),
        token_endpoint_auth_methods_supported=_strings(doc.get("token_endpoint_auth_methods_supported")),
        scopes_supported=_strings(doc.get("scopes_supported")),
        issuer=issuer if isinstance(issuer, str) and issuer else None,
        jwks_uri=_absolute(fhir_base, doc.get("jwks_uri"), "jwks_uri", required=False),
        source="well-known",
    )


def parse_capability_statement(doc: Any, fhir_base: str) -> SmartConfiguration:
    """Legacy: ``rest[0].security.extension[oauth-uris]`` with ``authorize`` and ``token`` sub-extensions."""
    if not isinstance(doc, dict) or doc.get("resourceType") != "CapabilityStatement":
        raise DiscoveryError("metadata is not a CapabilityStatement")
    rest = doc.get("rest")
    security = (
        rest[0].get("security") if isinstance(rest, list) and rest and isinstance(rest[0], dict) else None
    )
    extensions = security.get("extension") if isinstance(security, dict) else None
    uris: dict[str, Any] = {}
    for ext in extensions if isinstance(extensions, list) else []:
        if isinstance(ext, dict) and ext.get("url") == OAUTH_URIS:
            for sub in ext.get("extension") or []:
                if isinstance(sub, dict) and isinstance(sub.get("url"), str):
                    uris[sub["url"]] = sub.get("valueUri")
    if not uris:
        raise DiscoveryError("CapabilityStatement has no oauth-uris extension")
    authorize = _absolute(fhir_base, uris.get("authorize"), "authorize", required=True)
    token = _absolute(fhir_base, uris.get("token"), "token", required=True)
    assert authorize is not None and token is not None
    return SmartConfiguration(fhir_base, authorize, token, source="metadata")


@dataclass(frozen=True)
class _Entry:
    config: SmartConfiguration
    fetched_at: float


class Discovery:
    """Fetches and caches :class:`SmartConfiguration` per FHIR base. Thread-safe; one instance per app."""

    def __init__(
        self,
        http: requests.Session,
        *,
        sandbox: bool = False,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._sandbox = sandbox
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, fhir_base: str) -> SmartConfiguration:
        """The configuration of ``fhir_base`` (an allowlisted issuer: the caller checks that first)."""
        with self._lock:
            entry = self._cache.get(fhir_base)
        if entry and self._clock() - entry.fetched_at < self._ttl:
            return entry.config
        config = self._fetch(fhir_base)
        with self._lock:
            self._cache[fhir_base] = _Entry(config, self._clock())
        return config

    def forget(self, fhir_base: str) -> None:
        with self._lock:
            self._cache.pop(fhir_base, None)

    def cached(self) -> Mapping[str, SmartConfiguration]:
        with self._lock:
            return {k: e.config for k, e in self._cache.items()}

    def _fetch(self, fhir_base: str) -> SmartConfiguration:
        base = fhir_base.rstrip("/")
        resp = self._get(f"{base}/.well-known/smart-configuration")
        if resp.status == 404:
            meta = self._get(f"{base}/metadata")
            if meta.status != 200:
                raise DiscoveryError(f"no smart-configuration (404) and metadata answered {meta.status}")
            config = parse_capability_statement(meta.body, fhir_base)
        elif resp.status == 200:
            if resp.body is None:
                raise DiscoveryError("smart-configuration is not JSON")
            config = parse_smart_configuration(resp.body, fhir_base)
        else:
            raise DiscoveryError(f"smart-configuration answered HTTP {resp.status}")
        # Codes and tokens go only to https endpoints (R1): refuse a configuration that points elsewhere.
        for url in (config.authorization_endpoint, config.token_endpoint, config.jwks_uri):
            if url:
                check_transport(url, allow_loopback_http=self._sandbox)
        return config

    def _get(self, url: str) -> Any:
        try:
            return get_json(self._http, url, allow_loopback_http=self._sandbox)
        except InsecureTransport:
            raise
        except FetchError as exc:
            raise DiscoveryError(str(exc)) from exc
