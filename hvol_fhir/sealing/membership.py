"""Signed programme membership: who is buddy, coach or coordinator of whom (issue 12, JWS RFC 7515, ES256).

Roles are read from CareTeam and PractitionerRole, which ordinary users can write in most EHRs. So the app
signs a membership when a coordinator makes or changes it, and only a signed membership grants anything, in
the app and at the sandbox's authorization server (which verifies with the published key,
:meth:`KeyRing.public_jwks`). The signature sits on the resource as the extension :data:`EXT_SIGNATURE`
(``valueSignature``, ``sigFormat`` ``application/jose``) and covers a canonical list of what it grants
(sorted keys, no whitespace, strings only: ../shared/reference/sealing.md):

- CareTeam: its identifier, the youth, and every ``(member, role, start, end)`` with a programme role;
- PractitionerRole: the practitioner, the programme role code, its period.

:func:`verified_members` returns only the participations that the signature covers exactly: a participant
added or changed by hand, or a copied signature, grants nothing.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import Json
from hvol_fhir.programme import codes as c

from .keys import KeyRing

EXT_SIGNATURE: Final = f"{t.BASE}/StructureDefinition/membership-signature"
SIGNATURE_TYPE: Final = {"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.5"}
ALGORITHMS: Final = ["ES256"]


class Member(NamedTuple):
    member: str  # Practitioner/<id>
    role: str  # careteam-role code
    start: str
    end: str


def role_system() -> str:
    return t.cs_url(c.CARETEAM_ROLE)


def _codes(concepts: Any) -> list[str]:
    system = role_system()
    if isinstance(concepts, dict):
        concepts = [concepts]
    return [
        str(cc.get("code"))
        for concept in concepts or []
        if isinstance(concept, dict)
        for cc in concept.get("coding") or []
        if isinstance(cc, dict) and cc.get("system") == system and cc.get("code")
    ]


def _ref(node: Any) -> str:
    return str((node or {}).get("reference") or "") if isinstance(node, dict) else ""


def _period(node: Any) -> tuple[str, str]:
    node = node if isinstance(node, dict) else {}
    return str(node.get("start") or ""), str(node.get("end") or "")


def careteam_members(careteam: Mapping[str, Any]) -> list[Member]:
    """Every programme participation the CareTeam states in the clear, sorted."""
    out = []
    for p in careteam.get("participant") or []:
        if not isinstance(p, dict):
            continue
        for code in _codes(p.get("role")):
            out.append(Member(_ref(p.get("member")), code, *_period(p.get("period"))))
    return sorted(set(out))


def _identifier(resource: Mapping[str, Any]) -> str:
    for ident in resource.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") == t.sid("careteam"):
            return f"{ident['system']}|{ident.get('value')}"
    return ""


def careteam_statement(careteam: Mapping[str, Any]) -> Json:
    return {
        "v": "1",
        "type": "CareTeam",
        "identifier": _identifier(careteam),
        "patient": _ref(careteam.get("subject")),
        "members": [list(m) for m in careteam_members(careteam)],
    }


def role_statement(role: Mapping[str, Any]) -> Json:
    start, end = _period(role.get("period"))
    return {
        "v": "1",
        "type": "PractitionerRole",
        "practitioner": _ref(role.get("practitioner")),
        "codes": sorted(set(_codes(role.get("code")))),
        "start": start,
        "end": end,
    }


def canonical(statement: Json) -> bytes:
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _signature(ring: KeyRing, statement: Json, signer: str, now: datetime) -> Json:
    key = ring.current("sign")
    token = jws.serialize_compact({"alg": "ES256", "kid": key.kid}, canonical(statement), key, ALGORITHMS)
    return {
        "url": EXT_SIGNATURE,
        "valueSignature": {
            "type": [SIGNATURE_TYPE],
            "when": now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "who": {"reference": signer},
            "sigFormat": "application/jose",
            "data": base64.b64encode(token.encode("ascii")).decode("ascii"),
        },
    }


def _with_signature(resource: Mapping[str, Any], ext: Json) -> Json:
    out = copy.deepcopy(dict(resource))
    others = [e for e in out.get("extension") or [] if e.get("url") != EXT_SIGNATURE]
    out["extension"] = [*others, ext]
    return out


def sign_careteam(
    ring: KeyRing, careteam: Mapping[str, Any], signer: str, now: datetime | None = None
) -> Json:
    """The CareTeam with a fresh signature over its programme participations (``signer``: the coordinator)."""
    moment = now or datetime.now(UTC)
    return _with_signature(careteam, _signature(ring, careteam_statement(careteam), signer, moment))


def sign_role(ring: KeyRing, role: Mapping[str, Any], signer: str, now: datetime | None = None) -> Json:
    moment = now or datetime.now(UTC)
    return _with_signature(role, _signature(ring, role_statement(role), signer, moment))


def _signed_statement(resource: Mapping[str, Any], keys: KeySet) -> Json | None:
    for ext in resource.get("extension") or []:
        if not isinstance(ext, dict) or ext.get("url") != EXT_SIGNATURE:
            continue
        sig = ext.get("valueSignature") or {}
        try:
            token = base64.b64decode(str(sig.get("data") or ""), validate=True).decode("ascii")
            obj = jws.deserialize_compact(token, keys, algorithms=ALGORITHMS)
            statement = json.loads(obj.payload)
        except (JoseError, ValueError, binascii.Error, UnicodeDecodeError, TypeError):
            return None
        return statement if isinstance(statement, dict) else None
    return None


def verification_keys(ring_or_jwks: KeyRing | Mapping[str, Any]) -> KeySet:
    """The public signing keys (current and old) as a KeySet, from a ring or a published JWKS."""
    jwks = ring_or_jwks.public_jwks() if isinstance(ring_or_jwks, KeyRing) else ring_or_jwks
    keys = [ECKey.import_key(dict(k)) for k in jwks.get("keys") or [] if k.get("use", "sig") == "sig"]
    return KeySet(keys)  # type: ignore[arg-type]


def verified_members(careteam: Mapping[str, Any], keys: KeySet) -> list[Member]:
    """The participations a valid signature covers exactly, for this CareTeam's own identifier and youth."""
    statement = _signed_statement(careteam, keys)
    if statement is None:
        return []
    if statement.get("type") != "CareTeam" or statement.get("identifier") != _identifier(careteam):
        return []
    if statement.get("patient") != _ref(careteam.get("subject")) or not statement.get("identifier"):
        return []
    signed = {Member(*m) for m in statement.get("members") or [] if isinstance(m, list) and len(m) == 4}
    return [m for m in careteam_members(careteam) if m in signed]


def verified_role_codes(role: Mapping[str, Any], keys: KeySet) -> list[str]:
    """The programme codes of a PractitionerRole that a valid signature covers (same practitioner, period)."""
    statement = _signed_statement(role, keys)
    if statement is None or statement.get("type") != "PractitionerRole":
        return []
    clear = role_statement(role)
    if any(statement.get(k) != clear[k] for k in ("practitioner", "start", "end")):
        return []
    return [code for code in clear["codes"] if code in (statement.get("codes") or [])]


def is_signed(resource: Mapping[str, Any]) -> bool:
    return any(isinstance(e, dict) and e.get("url") == EXT_SIGNATURE for e in resource.get("extension") or [])


def without_unsigned(careteam: Mapping[str, Any], keys: KeySet) -> Json:
    """A signed CareTeam as the app works with it: programme participations its signature does not cover
    are left out, so a coordinator who saves the team never signs what someone added by hand. A team that
    was never signed (before the migration) is returned as it is; it grants nothing either way."""
    if not is_signed(careteam):
        return dict(careteam)
    verified = set(verified_members(careteam, keys))
    out = copy.deepcopy(dict(careteam))
    kept = []
    for p in careteam.get("participant") or []:
        member = _ref(p.get("member"))
        start, end = _period(p.get("period"))
        codes = _codes(p.get("role"))
        if all(Member(member, code, start, end) in verified for code in codes):
            kept.append(p)
    out["participant"] = kept
    return out
