"""Helpers for tests of the authorization server and of its clients (unit and integration).

A small synthetic directory that covers every clearance case, settings around it, PKCE pairs and client
assertions (including deliberately bad ones).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped, unused-ignore]
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from sandbox.tokens import TokenIssuer

from .directory import BEHAVIOURAL_SCIENTIST, BUDDY, COACH, MENTOR, InMemoryDirectory, Membership, User, Youth
from .settings import AuthSettings, ClientRegistration

ISSUER = "http://127.0.0.1:8801"
FHIR_BASE = "http://127.0.0.1:8802/fhir"
APP_REDIRECT = "http://127.0.0.1:5000/callback"
APP_LAUNCH = "http://127.0.0.1:5000/launch"
USER_SCOPES = (
    "launch",
    "launch/patient",
    "openid",
    "fhirUser",
    "online_access",
    "offline_access",
    "patient/*.rs",
    "user/*.cruds",
    "patient/Communication.cruds",
)


def demo_directory() -> InMemoryDirectory:
    """Youths y1..y3; one user per clearance case (ids name the case)."""
    youths = [
        Youth("y1", "Sanne Testmeisje", dt.date(2010, 3, 14)),
        Youth("y2", "Noor Voorbeeld", dt.date(2009, 11, 2)),
        Youth("y3", "Lotte <b>Fictief</b>", None),
    ]
    users = [
        User("coordinator", "Carla Coördinator", coordinator=True),
        User("buddy-y1", "Bo Maatje", memberships=(Membership("y1", BUDDY),)),
        User("buddy-y2", "Fleur Maatje", memberships=(Membership("y2", BUDDY),)),
        User("coach", "Kees Coach", memberships=(Membership("y1", COACH), Membership("y2", COACH))),
        User(
            "scientist", "Gerda Gedragswetenschapper", memberships=(Membership("y1", BEHAVIOURAL_SCIENTIST),)
        ),
        User("mentor", "Mehmet Mentor", memberships=(Membership("y1", MENTOR),)),
        User("staff", "Pieter Personeel"),
        User("former-buddy", "Anouk Oud-maatje", memberships=(Membership("y3", BUDDY, active=False),)),
    ]
    return InMemoryDirectory(users, youths)


def app_client(**overrides: Any) -> ClientRegistration:
    values: dict[str, Any] = {
        "client_id": "hvol-app",
        "name": "Handen vol ervaring",
        "redirect_uris": (APP_REDIRECT,),
        "launch_url": APP_LAUNCH,
        "scope": USER_SCOPES,
        "auth_method": "client_secret_basic",
        "client_secret": "geheim-" + "x" * 20,
    }
    return ClientRegistration(**{**values, **overrides})


def make_settings(clients: Sequence[ClientRegistration] = (), **overrides: Any) -> AuthSettings:
    issuer = TokenIssuer(issuer=ISSUER, audience=FHIR_BASE)
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "fhir_base": FHIR_BASE,
        "token_issuer": issuer,
        "directory": demo_directory(),
        "clients": list(clients) or [app_client()],
    }
    return AuthSettings(**{**values, **overrides})


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def rsa_client_key(kid: str = "client-rsa") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid})


def ec_client_key(kid: str = "client-ec") -> ECKey:
    return ECKey.generate_key("P-384", parameters={"kid": kid})


def public_jwks(*keys: RSAKey | ECKey) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


def client_assertion(
    key: RSAKey | ECKey,
    client_id: str,
    audience: str = ISSUER + "/token",
    *,
    alg: str | None = None,
    expires_in: int = 240,
    jti: str | None = None,
    claims: Mapping[str, Any] | None = None,
    header: Mapping[str, Any] | None = None,
) -> str:
    """A client assertion as SMART Backend Services describes it; every part can be spoiled for tests."""
    alg = alg or ("ES384" if isinstance(key, ECKey) else "RS384")
    now = int(time.time())
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "exp": now + expires_in,
        "iat": now,
        "jti": jti or secrets.token_urlsafe(16),
        **(claims or {}),
    }
    return jwt.encode(
        {"alg": alg, "kid": key.kid, "typ": "JWT", **(header or {})}, body, key, algorithms=[alg]
    )


def authorize_params(challenge: str, **overrides: str | None) -> dict[str, str]:
    """A valid authorization request of the demo app; ``None`` in ``overrides`` drops a parameter."""
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "hvol-app",
        "redirect_uri": APP_REDIRECT,
        "scope": "launch openid fhirUser offline_access patient/*.rs",
        "state": secrets.token_urlsafe(32),
        "aud": FHIR_BASE,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return {k: v for k, v in params.items() if v is not None}
