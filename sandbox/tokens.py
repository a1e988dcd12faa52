"""Signing keys and access tokens of one sandbox organisation.

The sandbox authorization server mints every access token with a :class:`TokenIssuer`; tests use the same
class to mint tokens directly (including deliberately bad ones). HAPI verifies them against the JWKS that
:meth:`TokenIssuer.jwks` returns (served by the authorization server at ``/jwks``).

Claims (see docs/sandbox-contract.md): ``iss``, ``aud`` (the FHIR base), ``sub``, ``exp``, ``iat``, ``jti``,
``scope`` (space separated), optional ``patient``, ``fhirUser``, ``hvol_journal`` (list of Patient ids whose
journal the holder may read, or ``["*"]``) and ``hvol_admin`` (sandbox loader only: bypasses label checks).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

JOURNAL_CLAIM = "hvol_journal"
# Issue 14: per cleared youth, the buddy's or coach's membership periods; journal entries outside are hidden.
JOURNAL_PERIODS_CLAIM = "hvol_journal_periods"
# Issue 15: a buddy's or coach's girls; HAPI confines her user/ requests to their compartments.
CASELOAD_CLAIM = "hvol_caseload"
PROGRAMME_CLAIM = "hvol_programme"  # youths whose measurement scores (R + compartment) the holder may read
ADMIN_CLAIM = "hvol_admin"


def _new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class TokenIssuer:
    """An RSA key pair plus the issuer and audience it signs for."""

    issuer: str
    audience: str
    key: RSAKey = field(default_factory=lambda: _new_key("sandbox-" + secrets.token_hex(4)))

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def mint(
        self,
        *,
        sub: str,
        scope: str | Iterable[str],
        lifetime: int = 3600,
        patient: str | None = None,
        fhir_user: str | None = None,
        journal: Iterable[str] = (),
        admin: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(16),
            "scope": scope if isinstance(scope, str) else " ".join(scope),
        }
        if patient:
            claims["patient"] = patient
        if fhir_user:
            claims["fhirUser"] = fhir_user
        journal = list(journal)
        if journal:
            claims[JOURNAL_CLAIM] = journal
        if admin:
            claims[ADMIN_CLAIM] = True
        claims.update(extra or {})
        return self.sign(claims)

    def sign(self, claims: Mapping[str, Any], header: Mapping[str, Any] | None = None) -> str:
        return jwt.encode(
            {"alg": "RS256", "kid": self.kid, "typ": "JWT", **(header or {})}, dict(claims), self.key
        )

    def decode(self, token: str) -> dict[str, Any]:
        """Verify the signature and expiry; returns the claims."""
        decoded = jwt.decode(token, KeySet([self.key]))
        jwt.JWTClaimsRegistry(
            exp={"essential": True}, iss={"essential": True, "value": self.issuer}
        ).validate(decoded.claims)
        return dict(decoded.claims)

    def admin_token(self, lifetime: int = 3600) -> str:
        """The sandbox's own loader token: full system access, sees everything."""
        return self.mint(
            sub="sandbox-loader", scope="system/*.*", journal=["*"], admin=True, lifetime=lifetime
        )
