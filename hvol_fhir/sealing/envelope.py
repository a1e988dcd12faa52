"""Seal and open one piece of confidential JSON: a compact JWE (RFC 7516), ``dir`` + ``A256GCM``.

The protected header is the GCM's associated data, so everything in it is authenticated: the key id and the
:class:`Binding` (the youth, the resource's kind and identifier, and for a journal entry its author and
time). After opening, the binding is compared with the resource the ciphertext sits in, so a ciphertext
copied into another youth's record or another entry does not open, and an entry whose author or time was
changed in the clear no longer verifies. Only the app holds the key, so an envelope that opens was written by
the app: this is the entry's authorship seal, at 34 µs an entry instead of a public-key signature
(../shared/reference/sealing.md). The header is readable (base64url): it holds only references and
identifiers the resource already carries in the clear, never names or text.

An envelope that another organisation sealed to our published ``wrap`` key (a transfer) uses
``ECDH-ES+A256KW`` instead; :func:`open_json` accepts both and picks the key by ``kid``. Anyone can seal to a
published key, so such an envelope proves nothing about its origin by itself: :func:`seal_transfer` puts a JWS
(ES256, the sender's ``sign`` key) over the binding and the value inside it, and :func:`open_json` opens a
``wrap`` envelope only when that signature verifies against the keys of an organisation we accept transfers
from (``senders``) and signs the very binding in the protected header. Without it: "kan niet worden geopend".
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.registry import HeaderParameter

from hvol_fhir.errors import HvolError

from .keys import KeyRing

SIGN_ALGORITHMS: Final = ["ES256"]

MEDIA_TYPE: Final = "application/jose"
ALG_DIR: Final = "dir"
ALG_WRAP: Final = "ECDH-ES+A256KW"
ENC: Final = "A256GCM"
HEADER: Final = "hvol"
VERSION: Final = 1


@dataclass(frozen=True)
class Binding:
    """Where a sealed value belongs. ``patient``: the youth's reference as the resource holds it;
    ``kind``: the resource type and what part of it (``Communication.payload``); ``identifier``: the
    resource's business identifier (``system|value``); ``author`` and ``time``: for a journal entry."""

    patient: str
    kind: str
    identifier: str
    author: str = ""
    time: str = ""

    def header(self) -> dict[str, Any]:
        return {"v": VERSION, **{k: v for k, v in asdict(self).items() if v}}


class SealBroken(HvolError):
    """A sealed value does not open: tampered, another key, or bound to another youth or entry.

    ``reason`` is a short Dutch phrase for the coordinator; it never holds content."""

    default_code = "seal-broken"
    default_status = 422
    issue_type = "security"

    def __init__(self, reason: str, *, code: str = "seal-broken") -> None:
        super().__init__(f"Kan niet worden geopend: {reason}.", code=code)
        self.reason = reason


def _binding_param(value: Any) -> None:
    if not isinstance(value, dict) or value.get("v") != VERSION:
        raise ValueError("bad hvol binding")
    if not all(isinstance(v, (str, int)) for v in value.values()):
        raise ValueError("bad hvol binding")


_REGISTRY: Final = jwe.JWERegistry(
    header_registry={HEADER: HeaderParameter("hvol-fhir binding", _binding_param, required=True)},
    algorithms=[ALG_DIR, ALG_WRAP, ENC],
)


def seal_json(ring: KeyRing, value: Any, binding: Binding) -> str:
    """``value`` (any JSON) sealed under the ring's current sealing key."""
    key = ring.current("seal")
    header = {"alg": ALG_DIR, "enc": ENC, "kid": key.kid, "cty": "json", HEADER: binding.header()}
    plaintext = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return jwe.encrypt_compact(header, plaintext, key, registry=_REGISTRY)


def seal_to(public_key: Any, value: Any, binding: Binding) -> str:
    """``value`` sealed to another organisation's published ``wrap`` key (a transfer)."""
    header = {"alg": ALG_WRAP, "enc": ENC, "kid": public_key.kid, "cty": "json", HEADER: binding.header()}
    plaintext = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return jwe.encrypt_compact(header, plaintext, public_key, registry=_REGISTRY)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal_transfer(recipient_key: Any, sender: KeyRing, value: Any, binding: Binding) -> str:
    """``value`` for another organisation: signed with the sender's current ``sign`` key (so the receiver
    knows who sealed it and for which binding), then sealed to the receiver's published ``wrap`` key. The
    sender's own keys never leave it; only the receiver can open the result."""
    sign = sender.current("sign")
    signed = jws.serialize_compact(
        {"alg": "ES256", "kid": sign.kid},
        _canonical({"b": binding.header(), "v": value}),
        sign,
        SIGN_ALGORITHMS,
    )
    return seal_to(recipient_key, {"jws": signed}, binding)


def peek_header(token: str) -> dict[str, Any]:
    """The protected header of an envelope, NOT verified (to route it; :func:`open_json` verifies)."""
    try:
        header = json.loads(_b64decode(token.split(".", 1)[0]))
    except (ValueError, IndexError, UnicodeDecodeError, binascii.Error):
        return {}
    return header if isinstance(header, dict) else {}


def peek_kid(token: str) -> str | None:
    """The key id of an envelope (to count what a re-seal still has to move); None if not an envelope."""
    kid = peek_header(token).get("kid")
    return kid if isinstance(kid, str) else None


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def open_json(ring: KeyRing, token: Any, expected: Binding, senders: Any = None) -> Any:
    """The sealed value, or :class:`SealBroken` with the reason (never with content). ``senders``: a joserfc
    KeySet of the public ``sign`` keys of the organisations we accept transfers from (``wrap`` envelopes)."""
    if not isinstance(token, str) or token.count(".") != 4:
        raise SealBroken("dit is geen verzegelde inhoud", code="seal-malformed")
    header = peek_header(token)
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise SealBroken("dit is geen verzegelde inhoud", code="seal-malformed")
    own = ring.find("seal", kid)
    if own is not None and header.get("alg") == ALG_DIR and header.get("enc") == ENC:
        return _open_dir(own, token, header, expected)
    key = own or ring.find("wrap", kid)
    if key is None:
        raise SealBroken("verzegeld met een onbekende sleutel", code="seal-unknown-key")
    try:
        opened = jwe.decrypt_compact(token, key, registry=_REGISTRY)
    except (JoseError, ValueError, TypeError) as exc:
        raise SealBroken("de verzegeling is beschadigd of gewijzigd", code="seal-tampered") from exc
    protected = opened.protected
    if protected.get("alg") == ALG_DIR and not ring.find("seal", kid):
        raise SealBroken("verzegeld met een onbekende sleutel", code="seal-unknown-key")
    _check_binding(protected.get(HEADER) or {}, expected)
    try:
        value = json.loads(opened.plaintext or b"null")
    except ValueError as exc:
        raise SealBroken("de verzegelde inhoud is beschadigd", code="seal-tampered") from exc
    if protected.get("alg") == ALG_WRAP:
        return _signed_transfer(value, protected.get(HEADER) or {}, senders)
    return value


@lru_cache(maxsize=64)
def _aead(secret: bytes) -> AESGCM:
    return AESGCM(secret)


def _open_dir(key: Any, token: str, header: dict[str, Any], expected: Binding) -> Any:
    """The hot path of every journal page (one per entry): RFC 7516 §5.2 for ``dir`` + ``A256GCM`` directly on
    ``cryptography``'s AES-GCM, the header parsed once. joserfc seals and opens everything else; the unit
    tests check that both read the same envelopes and refuse the same tamperings."""
    protected, encrypted_key, iv, ciphertext, tag = token.split(".")
    try:
        if encrypted_key:  # `dir` has an empty encrypted key (RFC 7518 §4.5)
            raise ValueError("dir with an encrypted key")
        _registry_check(header)
        plaintext = _aead(key.raw_value).decrypt(
            _b64decode(iv), _b64decode(ciphertext) + _b64decode(tag), protected.encode("ascii")
        )
    except (InvalidTag, ValueError, binascii.Error, UnicodeEncodeError) as exc:
        raise SealBroken("de verzegeling is beschadigd of gewijzigd", code="seal-tampered") from exc
    _check_binding(header.get(HEADER) or {}, expected)
    try:
        return json.loads(plaintext or b"null")
    except ValueError as exc:
        raise SealBroken("de verzegelde inhoud is beschadigd", code="seal-tampered") from exc


def _registry_check(header: Mapping[str, Any]) -> None:
    """What joserfc's registry checks on our envelopes: only known header parameters, a valid binding."""
    if set(header) - {"alg", "enc", "kid", "cty", HEADER}:
        raise ValueError("unknown header parameter")
    _binding_param(header.get(HEADER))


def _signed_transfer(value: Any, header_binding: Mapping[str, Any], senders: Any) -> Any:
    """The value inside a transfer envelope, when a sender we accept signed it for this very binding."""
    token = value.get("jws") if isinstance(value, dict) else None
    if senders is None or not isinstance(token, str):
        raise SealBroken("overgedragen zonder geldige handtekening van de afzender", code="seal-unsigned")
    try:
        signed = json.loads(jws.deserialize_compact(token, senders, algorithms=SIGN_ALGORITHMS).payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise SealBroken(
            "overgedragen zonder geldige handtekening van de afzender", code="seal-unsigned"
        ) from exc
    if not isinstance(signed, dict) or signed.get("b") != dict(header_binding):
        raise SealBroken("hoort bij een ander verslag of gegeven", code="seal-other-entry")
    return signed.get("v")


def _check_binding(found: Mapping[str, Any], expected: Binding) -> None:
    want = expected.header()
    if found.get("patient") != want.get("patient"):
        raise SealBroken("hoort bij een andere jongere", code="seal-other-youth")
    if found.get("kind") != want.get("kind") or found.get("identifier") != want.get("identifier"):
        raise SealBroken("hoort bij een ander verslag of gegeven", code="seal-other-entry")
    if found.get("author", "") != want.get("author", "") or found.get("time", "") != want.get("time", ""):
        raise SealBroken("schrijver of tijdstip komt niet overeen met wat de app schreef", code="seal-author")
