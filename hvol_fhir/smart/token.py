"""Token endpoint: client authentication, code exchange and refresh (app-launch.html#request-5, #step-7).

Client authentication is a strategy object (as cumulus-fhir-support's ``Auth``): it adds its part to the form
and headers of each token request. ``private_key_jwt`` builds a *new* assertion for every request, refresh
included (R319), with ``exp`` at most five minutes ahead (R330, R331) and a fresh ``jti`` (R332); authlib's
``PrivateKeyJWT`` is not used because it defaults to an hour and can freeze ``jti`` (smart-launch.md §2).
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import quote

import requests
from joserfc import jwt

from .errors import InvalidGrant, InvalidTokenResponse, TokenRequestFailed
from .keys import SigningKey, algorithm_for
from .logsafe import escaped
from .transport import FetchError, post_form

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 300  # R331
DEFAULT_EXPIRES_IN = 300  # expires_in may be missing: assume a short lifetime (§1.11)
Clock = Callable[[], float]
log = logging.getLogger(__name__)


class ClientAuth(Protocol):
    """Adds client authentication to one token request."""

    client_id: str

    def apply(self, data: dict[str, str], headers: dict[str, str], token_endpoint: str) -> None: ...


@dataclass(frozen=True)
class PublicClient:
    """No secret: ``client_id`` in the body (R71). For development only; the app is confidential (R11)."""

    client_id: str

    def apply(self, data: dict[str, str], headers: dict[str, str], token_endpoint: str) -> None:
        data["client_id"] = self.client_id


BasicEncoding = Literal["form", "plain"]


@dataclass(frozen=True)
class ClientSecretBasic:
    """Symmetric fallback: HTTP Basic, and no ``client_id`` in the body (R345, R72).

    ``encoding="form"`` (default) follows RFC 6749 §2.3.1: both parts are form-urlencoded (Appendix B) before
    they are joined and Base64-encoded. Some servers do not decode that and compare the raw secret; for
    them an issuer's registration sets ``"basic_encoding": "plain"`` (RFC 7617 as is). Only secrets with
    characters outside ``[A-Za-z0-9._~-]`` tell the two apart.
    """

    client_id: str
    client_secret: str = field(repr=False)
    encoding: BasicEncoding = "form"

    def __post_init__(self) -> None:
        if self.encoding not in ("form", "plain"):
            raise ValueError(f"unknown client_secret_basic encoding {self.encoding!r}")

    def apply(self, data: dict[str, str], headers: dict[str, str], token_endpoint: str) -> None:
        if self.encoding == "plain":
            raw = f"{self.client_id}:{self.client_secret}"
        else:
            # Every octet but the unreserved ones escaped; a space as %20, which form decoders read as well.
            raw = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(raw.encode()).decode("ascii")
        data.pop("client_id", None)


@dataclass(frozen=True)
class PrivateKeyJwt:
    """Asymmetric client authentication with a signed assertion (client-confidential-asymmetric.html)."""

    client_id: str
    key: SigningKey = field(repr=False)
    lifetime: int = 299  # strictly below the 300 s limit, as cumulus-fhir-support does
    jku: str | None = None  # if set, must equal the registered JWKS URL (R324, R325)
    clock: Clock = time.time

    def __post_init__(self) -> None:
        if not 0 < self.lifetime <= MAX_ASSERTION_LIFETIME:
            raise ValueError("assertion lifetime must be between 1 and 300 seconds (R331)")
        algorithm_for(self.key)  # RS384 or ES384 only

    @property
    def algorithm(self) -> str:
        return algorithm_for(self.key)

    def assertion(self, token_endpoint: str) -> str:
        """A fresh JWT: iss = sub = client_id, aud = token endpoint, unique jti (R327-R332)."""
        now = int(self.clock())
        header: dict[str, Any] = {"alg": self.algorithm, "kid": self.key.kid, "typ": "JWT"}
        if self.jku:
            header["jku"] = self.jku
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": token_endpoint,
            "iat": now,
            "exp": now + self.lifetime,
            "jti": secrets.token_urlsafe(24),
        }
        return jwt.encode(header, claims, self.key, algorithms=[self.algorithm])

    def apply(self, data: dict[str, str], headers: dict[str, str], token_endpoint: str) -> None:
        data.pop("client_id", None)  # R72
        data["client_assertion_type"] = ASSERTION_TYPE  # R333
        data["client_assertion"] = self.assertion(token_endpoint)  # R334


@dataclass(frozen=True)
class TokenResponse:
    """A successful token response. ``raw`` keeps every other member (launch context, extensions)."""

    access_token: str = field(repr=False)
    expires_at: float
    scope: str | None  # None when the server did not say; the caller decides what that means
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


def parse_token_response(body: Any, *, now: float) -> TokenResponse:
    """Validate a 200 answer: ``access_token``, ``token_type`` Bearer (any case), tolerant ``expires_in``."""
    if not isinstance(body, dict):
        raise InvalidTokenResponse("token response is not a JSON object")
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise InvalidTokenResponse("token response without access_token")
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise InvalidTokenResponse(f"unsupported token_type {str(token_type)[:40]!r}")
    scope = body.get("scope")
    refresh = body.get("refresh_token")
    id_token = body.get("id_token")
    return TokenResponse(
        access_token=access_token,
        expires_at=now + _expires_in(body.get("expires_in")),
        scope=scope if isinstance(scope, str) else None,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        id_token=id_token if isinstance(id_token, str) and id_token else None,
        raw=body,
    )


def _expires_in(value: Any) -> int:
    # Servers send an int, a string (client-py #181) or nothing at all.
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return DEFAULT_EXPIRES_IN
    return seconds if seconds > 0 else DEFAULT_EXPIRES_IN


def token_request(
    http: requests.Session,
    token_endpoint: str,
    data: dict[str, str],
    auth: ClientAuth,
    *,
    allow_loopback_http: bool,
    clock: Clock = time.time,
) -> TokenResponse:
    """POST one token request with client authentication; errors branch on the JSON ``error`` (§1.8)."""
    form = dict(data)
    headers: dict[str, str] = {}
    auth.apply(form, headers, token_endpoint)
    try:
        resp = post_form(http, token_endpoint, form, headers, allow_loopback_http=allow_loopback_http)
    except FetchError as exc:
        log.warning(
            "token endpoint unreachable grant=%s endpoint=%s reason=%s",
            escaped(data.get("grant_type"), 40),
            escaped(token_endpoint, 200),
            escaped(exc, 200),
        )
        raise TokenRequestFailed("temporarily_unavailable", str(exc)) from exc
    if resp.status == 200:
        return parse_token_response(resp.body, now=clock())
    body = resp.body if isinstance(resp.body, dict) else {}
    error = str(body.get("error") or "server_error")[:64]
    description = str(body.get("error_description") or "")[:300]
    # The server's own words, escaped: a wrong key, a wrong secret and a refused client must not look alike
    # in the log (cause 14). The request's form (assertion, code, refresh token) is never logged.
    log.warning(
        "token endpoint refused grant=%s status=%s error=%s error_description=%s auth=%s",
        escaped(data.get("grant_type"), 40),
        resp.status,
        escaped(body.get("error") or "-", 64),
        escaped(body.get("error_description") or "", 300),
        type(auth).__name__,
    )
    cls = InvalidGrant if error == "invalid_grant" else TokenRequestFailed
    raise cls(error, description, server_status=resp.status)


def exchange_code(
    http: requests.Session,
    token_endpoint: str,
    auth: ClientAuth,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    allow_loopback_http: bool,
    clock: Clock = time.time,
) -> TokenResponse:
    """``authorization_code`` grant (R67-R70) with the PKCE verifier."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    return token_request(
        http, token_endpoint, data, auth, allow_loopback_http=allow_loopback_http, clock=clock
    )


def refresh(
    http: requests.Session,
    token_endpoint: str,
    auth: ClientAuth,
    *,
    refresh_token: str,
    scope: str | None = None,
    allow_loopback_http: bool,
    clock: Clock = time.time,
) -> TokenResponse:
    """``refresh_token`` grant (R105, R106); ``scope`` only to narrow (R107, R108); no PKCE verifier."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope:
        data["scope"] = scope
    return token_request(
        http, token_endpoint, data, auth, allow_loopback_http=allow_loopback_http, clock=clock
    )
