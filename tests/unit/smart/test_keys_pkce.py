"""The app's JWK Set (R291-R315) and PKCE (R13, R44, R45; §4.3 scenario 6)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from hvol_fhir.smart import ConfigurationError, load_signing_key, public_jwks, public_jwks_json
from hvol_fhir.smart.pkce import VERIFIER_PATTERN, challenge, new_verifier
from hvol_fhir.smart.token import PrivateKeyJwt

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def test_public_jwks_has_no_private_members(rsa_key: RSAKey, ec_key: ECKey) -> None:
    jwks = public_jwks([rsa_key, ec_key])
    rsa, ec = jwks["keys"]
    assert set(rsa) == {"kty", "kid", "n", "e", "alg", "use"} and rsa["alg"] == "RS384"  # R313, R314
    assert set(ec) == {"kty", "kid", "crv", "x", "y", "alg", "use"} and ec["alg"] == "ES384"  # R315
    assert not PRIVATE_MEMBERS & (set(rsa) | set(ec))


def test_published_jwks_verifies_our_assertions(rsa_key: RSAKey, ec_key: ECKey) -> None:
    body, headers = public_jwks_json([rsa_key, ec_key])
    assert headers["Content-Type"] == "application/json" and "max-age" in headers["Cache-Control"]  # R303
    published = KeySet.import_key_set(json.loads(body))
    for key, alg in ((rsa_key, "RS384"), (ec_key, "ES384")):
        data: dict[str, str] = {}
        PrivateKeyJwt("c", key).apply(data, {}, "https://auth/token")
        jwt.decode(data["client_assertion"], published, algorithms=[alg])


def test_duplicate_kid_refused(rsa_key: RSAKey) -> None:
    with pytest.raises(ConfigurationError):
        public_jwks([rsa_key, RSAKey.generate_key(2048, parameters={"kid": rsa_key.kid})])


def test_load_signing_key_from_pem_and_jwk(rsa_key: RSAKey, ec_key: ECKey) -> None:
    assert isinstance(load_signing_key(rsa_key.as_pem(private=True).decode(), kid="k1"), RSAKey)
    loaded_ec = load_signing_key(ec_key.as_pem(private=True), kid="k2")
    assert isinstance(loaded_ec, ECKey) and loaded_ec.kid == "k2"
    assert load_signing_key(rsa_key.as_dict(private=True)).kid == rsa_key.kid


@pytest.mark.parametrize(
    "bad",
    ["not a key", "PUBLIC"],
)
def test_load_signing_key_refuses(bad: str, rsa_key: RSAKey) -> None:
    data = rsa_key.as_pem(private=False) if bad == "PUBLIC" else bad
    with pytest.raises(ConfigurationError):
        load_signing_key(data, kid="k")


def test_key_without_kid_refused(rsa_key: RSAKey) -> None:
    with pytest.raises(ConfigurationError):
        load_signing_key(rsa_key.as_pem(private=True))


def test_verifier_and_challenge() -> None:
    verifiers = {new_verifier() for _ in range(100)}
    assert len(verifiers) == 100
    for v in verifiers:
        assert VERIFIER_PATTERN.match(v) and 43 <= len(v) <= 128
        digest = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).rstrip(b"=").decode()
        assert challenge(v) == digest and "=" not in challenge(v)


@pytest.mark.parametrize("bad", ["short", "x" * 129, "has space" + "x" * 40, "ümlaut" + "x" * 40])
def test_bad_verifier_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        challenge(bad)
