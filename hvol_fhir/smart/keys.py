"""The app's own signing keys and the public JWK Set it publishes (client-confidential-asymmetric.html).

The app signs client assertions with RS384 (RSA keys) or ES384 (P-384 keys) (R308, R309, R320); the key type
decides the algorithm, as in cumulus-fhir-support. The public half is served as a JWK Set at the URL
registered with each EHR (R299-R303): ``kty``, ``kid`` and the bare public parameters only (R313-R315).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from joserfc.jwk import ECKey, KeyParameters, RSAKey

from .errors import ConfigurationError

SigningKey = RSAKey | ECKey
# Sent with the published JWK Set: EHRs may cache it for a while, but must see a rotation within the hour.
JWKS_CACHE_CONTROL = "public, max-age=3600"
_PUBLIC_MEMBERS = {
    "RSA": ("kty", "kid", "n", "e", "alg", "use"),
    "EC": ("kty", "kid", "crv", "x", "y", "alg", "use"),
}


def algorithm_for(key: SigningKey) -> str:
    """RS384 for RSA keys, ES384 for P-384 keys; anything else is a configuration error."""
    if isinstance(key, RSAKey):
        return "RS384"
    if isinstance(key, ECKey) and key.curve_name == "P-384":
        return "ES384"
    raise ConfigurationError("signing key must be RSA or EC P-384")


def load_signing_key(data: str | bytes | dict[str, Any], kid: str | None = None) -> SigningKey:
    """Import a private key from PEM or a JWK dict; it must have a ``kid`` (R313, R322)."""
    params: KeyParameters | None = {"kid": kid} if kid else None
    key: SigningKey
    try:
        if isinstance(data, dict):
            key = (
                ECKey.import_key(data, params) if data.get("kty") == "EC" else RSAKey.import_key(data, params)
            )
        else:
            raw = data.encode() if isinstance(data, str) else data
            key = ECKey.import_key(raw, params) if _is_ec_pem(raw) else RSAKey.import_key(raw, params)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot import signing key: {type(exc).__name__}") from exc
    if not key.is_private:
        raise ConfigurationError("signing key has no private part")
    if not key.kid:
        raise ConfigurationError("signing key needs a kid")
    algorithm_for(key)
    return key


def _is_ec_pem(raw: bytes) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return isinstance(load_pem_private_key(raw, password=None), ec.EllipticCurvePrivateKey)
    except (ValueError, TypeError):
        return False


def public_jwk(key: SigningKey) -> dict[str, Any]:
    """The public JWK of ``key`` with ``alg`` and ``use`` filled in; never a private member."""
    full = key.as_dict(private=False)
    full.setdefault("alg", algorithm_for(key))
    full.setdefault("use", "sig")
    kty = str(full["kty"])
    return {name: full[name] for name in _PUBLIC_MEMBERS[kty] if name in full}


def public_jwks(keys: Iterable[SigningKey]) -> dict[str, Any]:
    """The JWK Set to publish; ``kid`` values must be unique (R322)."""
    jwks = [public_jwk(k) for k in keys]
    kids = [k["kid"] for k in jwks]
    if len(set(kids)) != len(kids):
        raise ConfigurationError("duplicate kid in the published JWK Set")
    return {"keys": jwks}


def public_jwks_json(keys: Iterable[SigningKey]) -> tuple[str, dict[str, str]]:
    """Body and headers for the JWKS endpoint: a web adapter returns these as they are (R301-R303)."""
    body = json.dumps(public_jwks(keys), separators=(",", ":"), sort_keys=True)
    return body, {"Content-Type": "application/json", "Cache-Control": JWKS_CACHE_CONTROL}
