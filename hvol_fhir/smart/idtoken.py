"""``id_token`` validation (OIDC Core §3.1.3.7; SMART R201, R218; smart-launch.md §1.13).

Order matters: the algorithm and ``iss`` are checked from the *unverified* token before anything is fetched,
so a token naming a foreign issuer causes no request. Then the issuer's JWKS (``jwks_uri`` from the SMART
configuration, else ``{issuer}/.well-known/openid-configuration``) verifies the signature; an unknown ``kid``
refetches the JWKS once (key rotation). Only RS256, RS384 and ES384 are accepted: never ``none`` or HS*.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, DecodeError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from .errors import IdTokenInvalid
from .transport import FetchError, check_transport, get_json

ALLOWED_ALGS = ("RS256", "RS384", "ES384")
LEEWAY = 60  # seconds of clock skew accepted on exp and iat
JWKS_TTL = 3600.0


@dataclass(frozen=True)
class IdTokenExpectations:
    issuer: str
    client_id: str
    nonce: str
    jwks_uri: str | None = None


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        obj = jws.extract_compact(token.encode("ascii"))
        header = dict(obj.protected)
        claims = json.loads(obj.payload)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise IdTokenInvalid("id_token is not a compact JWS") from exc
    if not isinstance(claims, dict):
        raise IdTokenInvalid("id_token payload is not a JSON object")
    return header, claims


def check_claims(claims: Mapping[str, Any], expect: IdTokenExpectations, *, now: float) -> None:
    """The claim checks of OIDC Core §3.1.3.7 that do not need a key (pure; used after the signature)."""
    if claims.get("iss") != expect.issuer:
        raise IdTokenInvalid("id_token iss is not the expected issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if expect.client_id not in audiences:
        raise IdTokenInvalid("id_token aud does not contain our client_id")
    if len(audiences) > 1 and claims.get("azp") != expect.client_id:
        raise IdTokenInvalid("id_token with several audiences lacks azp = our client_id")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp + LEEWAY < now:
        raise IdTokenInvalid("id_token expired or without exp")
    if not isinstance(iat, int | float) or isinstance(iat, bool) or iat - LEEWAY > now:
        raise IdTokenInvalid("id_token iat missing or in the future")
    if claims.get("nonce") != expect.nonce:
        raise IdTokenInvalid("id_token nonce does not match the launch")


class IdTokenValidator:
    """Validates id_tokens; caches each issuer's JWKS. One instance per app, thread-safe."""

    def __init__(
        self,
        http: requests.Session,
        *,
        sandbox: bool = False,
        clock: Callable[[], float] = time.time,
        jwks_ttl: float = JWKS_TTL,
    ) -> None:
        self._http = http
        self._sandbox = sandbox
        self._clock = clock
        self._ttl = jwks_ttl
        self._jwks: dict[str, tuple[KeySet, float]] = {}
        self._lock = threading.Lock()

    def validate(self, token: str, expect: IdTokenExpectations) -> dict[str, Any]:
        """Return the verified claims or raise :class:`IdTokenInvalid`."""
        header, unverified = _unverified(token)
        alg = header.get("alg")
        if alg not in ALLOWED_ALGS:
            raise IdTokenInvalid(f"id_token algorithm {str(alg)[:16]!r} not allowed")
        if unverified.get("iss") != expect.issuer:
            raise IdTokenInvalid("id_token iss is not the expected issuer")  # before any fetch
        jwks_uri = expect.jwks_uri or self._discover_jwks_uri(expect.issuer)
        keys = self._keyset(jwks_uri, refresh=False)
        try:
            claims = self._verify(token, keys, str(alg))
        except InvalidKeyIdError:
            try:  # key rotation: one fresh look at the issuer's JWKS, no more
                claims = self._verify(token, self._keyset(jwks_uri, refresh=True), str(alg))
            except InvalidKeyIdError as exc:
                raise IdTokenInvalid("id_token signed with a key the issuer does not publish") from exc
        check_claims(claims, expect, now=self._clock())
        return claims

    @staticmethod
    def _verify(token: str, keys: KeySet, alg: str) -> dict[str, Any]:
        try:
            return dict(jwt.decode(token, keys, algorithms=[alg]).claims)
        except InvalidKeyIdError:
            raise
        except (BadSignatureError, DecodeError) as exc:
            raise IdTokenInvalid("id_token signature does not verify") from exc
        except (JoseError, ValueError) as exc:
            raise IdTokenInvalid(f"id_token rejected: {type(exc).__name__}") from exc

    def _discover_jwks_uri(self, issuer: str) -> str:
        doc = self._get(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if (
            not isinstance(doc, dict)
            or doc.get("issuer") != issuer
            or not isinstance(doc.get("jwks_uri"), str)
        ):
            raise IdTokenInvalid("openid-configuration unusable for the id_token issuer")
        return str(doc["jwks_uri"])

    def _keyset(self, jwks_uri: str, *, refresh: bool) -> KeySet:
        now = self._clock()
        with self._lock:
            cached = self._jwks.get(jwks_uri)
        if cached and not refresh and now - cached[1] < self._ttl:
            return cached[0]
        doc = self._get(jwks_uri)
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise IdTokenInvalid("issuer JWKS is not a JWK Set")
        # Asymmetric public keys only: an "oct" key in an issuer's JWKS would let HS* in by the back door.
        public = [
            k for k in doc["keys"] if isinstance(k, dict) and k.get("kty") in ("RSA", "EC") and "d" not in k
        ]
        try:
            keys = KeySet.import_key_set({"keys": public})
        except (JoseError, ValueError) as exc:
            raise IdTokenInvalid("issuer JWKS holds an unusable key") from exc
        with self._lock:
            self._jwks[jwks_uri] = (keys, now)
        return keys

    def _get(self, url: str) -> Any:
        check_transport(url, allow_loopback_http=self._sandbox)
        try:
            resp = get_json(self._http, url, allow_loopback_http=self._sandbox)
        except FetchError as exc:
            raise IdTokenInvalid(f"cannot fetch {url}: {exc}") from exc
        if resp.status != 200:
            raise IdTokenInvalid(f"{url} answered HTTP {resp.status}")
        return resp.body
