"""SMART Backend Services client (backend-services.html, smart-launch.md §1.15).

``client_credentials`` with a fresh signed assertion per token request (R233, R236-R238) and ``system/``
scopes (R239). There is no refresh token: the access token is cached until shortly before it expires and then
a new one is requested with a new ``jti`` (R263). Used for transfers and scheduled checks; also usable as a
``requests`` auth strategy (``session.auth = client``) like cumulus-fhir-support's ``Auth``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

import requests

from . import token as tokens
from .discovery import Discovery
from .errors import ConfigurationError
from .registration import ClientRegistration
from .token import PrivateKeyJwt

RENEW_MARGIN = 60.0


class BackendServicesClient(requests.auth.AuthBase):
    """Gets and caches a ``system/`` access token for one FHIR server. Thread-safe."""

    def __init__(
        self,
        registration: ClientRegistration,
        scopes: Iterable[str],
        *,
        http: requests.Session,
        discovery: Discovery | None = None,
        sandbox: bool = False,
        clock: Callable[[], float] = time.time,
        renew_margin: float = RENEW_MARGIN,
    ) -> None:
        if not isinstance(registration.auth, PrivateKeyJwt):
            raise ConfigurationError("Backend Services needs private_key_jwt (R225, R343)")
        self.registration = registration
        self.scope = " ".join(scopes)
        if not self.scope:
            raise ConfigurationError("Backend Services needs at least one scope (R235)")
        self._http = http
        self._discovery = discovery or Discovery(http, sandbox=sandbox, clock=clock)
        self._sandbox = sandbox
        self._clock = clock
        self._margin = renew_margin
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.granted_scope: str | None = None

    def __repr__(self) -> str:  # never show the token
        return f"BackendServicesClient(issuer={self.registration.issuer!r}, scope={self.scope!r})"

    def access_token(self) -> str:
        """The cached token, or a new one when it expires within ``renew_margin`` seconds."""
        with self._lock:
            if self._token is None or self._expires_at - self._margin <= self._clock():
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, rejected_token: str | None = None) -> None:
        """Drop the cached token (after a 401); a no-op if another thread already replaced it."""
        with self._lock:
            if rejected_token is None or rejected_token == self._token:
                self._token = None

    def sign_headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {**headers, "Authorization": f"Bearer {self.access_token()}"}

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.access_token()}"
        return r

    def _fetch(self) -> None:
        config = self._discovery.get(self.registration.issuer)  # R226
        result = tokens.token_request(
            self._http,
            config.token_endpoint,
            {"grant_type": "client_credentials", "scope": self.scope},
            self.registration.auth,
            allow_loopback_http=self._sandbox,
            clock=self._clock,
        )
        self._token = result.access_token
        self._expires_at = result.expires_at
        self.granted_scope = result.scope if result.scope is not None else self.scope
