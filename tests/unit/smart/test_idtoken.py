"""id_token validation (OIDC Core §3.1.3.7; R201, R218; smart-launch.md §4.3 scenario 8)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
import requests
import responses
from joserfc.jwk import ECKey, RSAKey

from hvol_fhir.smart import IdTokenInvalid, IdTokenValidator
from hvol_fhir.smart.idtoken import IdTokenExpectations

from .conftest import AUTH, CLIENT_ID, JWKS, FakeClock, FakeEhr

NONCE = "n-0S6_WzA2Mj"


@pytest.fixture
def validator(clock: FakeClock) -> IdTokenValidator:
    return IdTokenValidator(requests.Session(), clock=clock)


@pytest.fixture
def expect() -> IdTokenExpectations:
    return IdTokenExpectations(issuer=AUTH, client_id=CLIENT_ID, nonce=NONCE, jwks_uri=JWKS)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, object], claims: dict[str, object], sign: bytes | None = None) -> str:
    """A token built by hand, as an attacker would: no library would produce these."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = b64(hmac.new(sign, signing_input.encode(), hashlib.sha256).digest()) if sign else ""
    return f"{signing_input}.{signature}"


def good_claims(ehr: FakeEhr) -> dict[str, object]:
    now = int(ehr.clock())
    return {"iss": AUTH, "sub": "u", "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": NONCE}


def test_valid_token(validator: IdTokenValidator, expect: IdTokenExpectations, ehr: FakeEhr) -> None:
    claims = validator.validate(ehr.id_token(nonce=NONCE), expect)
    assert claims["fhirUser"] == "Practitioner/pr-1"


def test_es384_and_rs384_accepted(
    validator: IdTokenValidator, expect: IdTokenExpectations, ehr: FakeEhr, rsps: responses.RequestsMock
) -> None:
    ec = ECKey.generate_key("P-384", parameters={"kid": "iss-ec"})
    rsa = RSAKey.generate_key(2048, parameters={"kid": "iss-rs384"})
    rsps.replace(
        responses.GET, JWKS, json={"keys": [k.as_dict(private=False) for k in (ehr.issuer_key, ec, rsa)]}
    )
    validator.validate(ehr.id_token(key=ec, alg="ES384", nonce=NONCE), expect)
    validator.validate(ehr.id_token(key=rsa, alg="RS384", nonce=NONCE), expect)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_rejected(
    validator: IdTokenValidator,
    expect: IdTokenExpectations,
    ehr: FakeEhr,
    rsps: responses.RequestsMock,
    alg: str,
) -> None:
    token = hand_made({"alg": alg, "typ": "JWT"}, good_claims(ehr))
    with pytest.raises(IdTokenInvalid, match="algorithm"):
        validator.validate(token, expect)
    assert len(rsps.calls) == 0


def test_unsigned_token_rejected(
    validator: IdTokenValidator, expect: IdTokenExpectations, ehr: FakeEhr
) -> None:
    # A proper RS256 header with the signature cut off.
    head, body, _ = ehr.id_token(nonce=NONCE).split(".")
    with pytest.raises(IdTokenInvalid):
        validator.validate(f"{head}.{body}.", expect)


def test_forged_with_another_key(
    validator: IdTokenValidator, expect: IdTokenExpectations, ehr: FakeEhr
) -> None:
    attacker = RSAKey.generate_key(2048, parameters={"kid": ehr.issuer_key.kid})  # same kid, other key
    with pytest.raises(IdTokenInvalid, match="signature"):
        validator.validate(ehr.id_token(key=attacker, nonce=NONCE), expect)


def test_tampered_payload(validator: IdTokenValidator, expect: IdTokenExpectations, ehr: FakeEhr) -> None:
    head, _, sig = ehr.id_token(nonce=NONCE).split(".")
    body = b64(json.dumps({**good_claims(ehr), "fhirUser": "Practitioner/admin"}).encode())
    with pytest.raises(IdTokenInvalid):
        validator.validate(f"{head}.{body}.{sig}", expect)


def test_hs256_keyed_with_the_public_key(
    validator: IdTokenValidator, expect: IdTokenExpectations, ehr: FakeEhr, rsps: responses.RequestsMock
) -> None:
    # The classic key-confusion attack: HMAC with the issuer's public key as the secret.
    pem = ehr.issuer_key.as_pem(private=False)
    token = hand_made({"alg": "HS256", "kid": ehr.issuer_key.kid}, good_claims(ehr), sign=pem)
    with pytest.raises(IdTokenInvalid, match="algorithm"):
        validator.validate(token, expect)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"aud": "someone-else"}, "aud"),
        ({"aud": ["someone-else", CLIENT_ID]}, "azp"),
        ({"nonce": "replayed"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"exp": -1}, "expired"),
        ({"iat": None}, "iat"),
    ],
)
def test_claim_checks(
    validator: IdTokenValidator,
    expect: IdTokenExpectations,
    ehr: FakeEhr,
    override: dict[str, object],
    match: str,
) -> None:
    claims = {"nonce": NONCE, **override}
    if claims.get("exp") == -1:
        claims["exp"] = int(ehr.clock()) - 120  # beyond the 60 s leeway
    with pytest.raises(IdTokenInvalid, match=match):
        validator.validate(ehr.id_token(**claims), expect)


def test_multiple_audiences_with_azp(
    validator: IdTokenValidator, expect: IdTokenExpectations, ehr: FakeEhr
) -> None:
    validator.validate(ehr.id_token(nonce=NONCE, aud=["other", CLIENT_ID], azp=CLIENT_ID), expect)


def test_foreign_issuer_rejected_before_any_fetch(
    validator: IdTokenValidator, ehr: FakeEhr, rsps: responses.RequestsMock
) -> None:
    expect = IdTokenExpectations(issuer=AUTH, client_id=CLIENT_ID, nonce=NONCE)  # no jwks_uri: would discover
    token = ehr.id_token(nonce=NONCE, iss="https://evil.example.com")
    with pytest.raises(IdTokenInvalid, match="iss"):
        validator.validate(token, expect)
    assert len(rsps.calls) == 0


def test_unknown_kid_refetches_jwks_once(
    validator: IdTokenValidator, expect: IdTokenExpectations, ehr: FakeEhr, rsps: responses.RequestsMock
) -> None:
    validator.validate(ehr.id_token(nonce=NONCE), expect)
    ehr.issuer_key = RSAKey.generate_key(2048, parameters={"kid": "iss-2"})  # the EHR rotates its key
    validator.validate(ehr.id_token(nonce=NONCE), expect)
    assert [c.request.url for c in rsps.calls] == [JWKS, JWKS]
    stranger = RSAKey.generate_key(2048, parameters={"kid": "nobody"})
    with pytest.raises(IdTokenInvalid):
        validator.validate(ehr.id_token(key=stranger, nonce=NONCE), expect)
    assert len(rsps.calls) == 3  # exactly one refetch for the unknown kid


def test_jwks_via_openid_configuration(
    validator: IdTokenValidator, ehr: FakeEhr, rsps: responses.RequestsMock
) -> None:
    rsps.add(
        responses.GET, f"{AUTH}/.well-known/openid-configuration", json={"issuer": AUTH, "jwks_uri": JWKS}
    )
    expect = IdTokenExpectations(issuer=AUTH, client_id=CLIENT_ID, nonce=NONCE)
    validator.validate(ehr.id_token(nonce=NONCE), expect)
    assert [c.request.url for c in rsps.calls] == [f"{AUTH}/.well-known/openid-configuration", JWKS]


def test_symmetric_key_in_issuer_jwks_is_ignored(
    validator: IdTokenValidator, expect: IdTokenExpectations, ehr: FakeEhr, rsps: responses.RequestsMock
) -> None:
    secret = b"shared-secret-of-32-bytes-length!"
    rsps.replace(responses.GET, JWKS, json={"keys": [{"kty": "oct", "kid": "k", "k": b64(secret)}]})
    token = hand_made({"alg": "HS256", "kid": "k"}, good_claims(ehr), sign=secret)
    with pytest.raises(IdTokenInvalid):
        validator.validate(token, expect)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d.e", "!!.??.**"])
def test_garbage(validator: IdTokenValidator, expect: IdTokenExpectations, token: str) -> None:
    with pytest.raises(IdTokenInvalid):
        validator.validate(token, expect)
