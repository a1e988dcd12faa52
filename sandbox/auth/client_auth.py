"""Client authentication at the token endpoint.

- ``private_key_jwt`` (RFC 7523 §2.2; SMART client-confidential-asymmetric.html and backend-services.html):
  RS384/ES384 (and RS256) assertion signed with a key of the client's registered JWKS (inline or by URL),
  ``iss`` = ``sub`` = client_id, ``aud`` = the token endpoint URL, ``exp`` no more than 5 minutes ahead,
  ``jti`` used once.
- ``client_secret_basic`` / ``client_secret_post`` (RFC 6749 §2.3.1; client-confidential-symmetric.html).
- ``none``: a public client names itself with ``client_id`` in the body.

Every failure is ``invalid_client`` (HTTP 401).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

import requests
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .errors import InvalidClient
from .settings import PRIVATE_KEY_JWT, PUBLIC, SECRET_BASIC, SECRET_POST, AuthSettings, ClientRegistration
from .store import AuthStore

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ("RS384", "ES384", "RS256")
MAX_ASSERTION_LIFETIME = 300
CLOCK_SKEW = 5


def _fetch_jwks(uri: str) -> Mapping[str, Any]:
    response = requests.get(uri, timeout=5, headers={"Accept": "application/json"})
    response.raise_for_status()
    return dict(response.json())


class JwksResolver:
    """Key sets of clients registered with a ``jwks_uri``; cached, refetched once for an unknown ``kid``."""

    def __init__(
        self,
        fetch: Callable[[str], Mapping[str, Any]] = _fetch_jwks,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch, self._ttl, self._clock = fetch, ttl, clock
        self._cache: dict[str, tuple[KeySet, float]] = {}
        self._lock = threading.Lock()

    def key_set(self, uri: str, kid: str | None) -> KeySet:
        with self._lock:
            cached = self._cache.get(uri)
        if (
            cached
            and cached[1] > self._clock()
            and (kid is None or any(k.kid == kid for k in cached[0].keys))
        ):
            return cached[0]
        try:
            key_set = KeySet.import_key_set(dict(self._fetch(uri)))  # type: ignore[arg-type]
        except (requests.RequestException, ValueError, JoseError) as exc:
            raise InvalidClient("JWKS van de client is niet op te halen") from exc
        with self._lock:
            self._cache[uri] = (key_set, self._clock() + self._ttl)
        return key_set


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("onleesbare Basic-authenticatie") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("onleesbare Basic-authenticatie")
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def _require(settings: AuthSettings, client_id: str | None, method: str) -> ClientRegistration:
    client = settings.client(client_id)
    if client is None:
        raise InvalidClient("onbekende client")
    if client.auth_method != method and not ({client.auth_method, method} <= {SECRET_BASIC, SECRET_POST}):
        raise InvalidClient(f"client moet zich aanmelden met {client.auth_method}")
    return client


def _secret_matches(client: ClientRegistration, secret: str) -> bool:
    return hmac.compare_digest((client.client_secret or "").encode(), secret.encode())


def unverified_claims(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before the signature is checked: only to find the client and its key."""
    try:
        compact = jws.extract_compact(assertion.encode("ascii"))
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise InvalidClient("client_assertion is geen JWT") from exc
    if not isinstance(claims, dict):
        raise InvalidClient("client_assertion is geen JWT")
    return dict(compact.headers()), claims


def verify_assertion(
    settings: AuthSettings,
    store: AuthStore,
    resolver: JwksResolver,
    client: ClientRegistration,
    assertion: str,
) -> None:
    header, _ = unverified_claims(assertion)
    if header.get("typ") not in (None, "JWT"):
        raise InvalidClient("client_assertion: typ moet JWT zijn")
    if header.get("jku") and header["jku"] != client.jwks_uri:
        raise InvalidClient("client_assertion: jku is niet de geregistreerde JWKS-URL")
    if client.jwks:
        key_set = KeySet.import_key_set(dict(client.jwks))  # type: ignore[arg-type]
    else:
        key_set = resolver.key_set(str(client.jwks_uri), header.get("kid"))
    try:
        claims = jwt.decode(assertion, key_set, algorithms=list(ASSERTION_ALGORITHMS)).claims
    except (JoseError, ValueError) as exc:
        raise InvalidClient("client_assertion: handtekening ongeldig") from exc
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise InvalidClient("client_assertion: iss en sub moeten de client_id zijn")
    aud = claims.get("aud")
    if settings.token_endpoint not in (aud if isinstance(aud, list) else [aud]):
        raise InvalidClient("client_assertion: aud moet de token-URL zijn")
    now = store.clock()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        raise InvalidClient("client_assertion: verlopen of zonder exp")
    if exp > now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW:
        raise InvalidClient("client_assertion: exp ligt meer dan 5 minuten vooruit")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidClient("client_assertion: jti ontbreekt")
    if not store.remember_assertion(client.client_id, jti, float(exp)):
        raise InvalidClient("client_assertion: jti is al gebruikt")


def authenticate_client(
    settings: AuthSettings,
    store: AuthStore,
    resolver: JwksResolver,
    form: Mapping[str, str],
    authorization: str | None,
) -> ClientRegistration:
    """The registered client that made this token request, authenticated by its own method."""
    body_client_id = form.get("client_id")
    if form.get("client_assertion") or form.get("client_assertion_type"):
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            raise InvalidClient("client_assertion_type moet jwt-bearer zijn")
        assertion = form["client_assertion"]
        _, claims = unverified_claims(assertion)
        if body_client_id and body_client_id != claims.get("iss"):
            raise InvalidClient("client_id en client_assertion verschillen")
        client = _require(settings, str(claims.get("iss", "")), PRIVATE_KEY_JWT)
        verify_assertion(settings, store, resolver, client, assertion)
        return client
    basic = _basic_credentials(authorization)
    if basic:
        client_id, secret = basic
        if body_client_id and body_client_id != client_id:
            raise InvalidClient("client_id en Basic-authenticatie verschillen")
        client = _require(settings, client_id, SECRET_BASIC)
        if not _secret_matches(client, secret):
            raise InvalidClient("onjuist client_secret")
        return client
    if "client_secret" in form:
        client = _require(settings, body_client_id, SECRET_POST)
        if not _secret_matches(client, form["client_secret"]):
            raise InvalidClient("onjuist client_secret")
        return client
    if body_client_id:
        return _require(settings, body_client_id, PUBLIC)
    raise InvalidClient("client-authenticatie ontbreekt")
