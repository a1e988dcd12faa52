"""Only memberships the programme app signed count for journal clearance (issue 12).

The authorization server derives ``hvol_journal`` from CareTeam and PractitionerRole, which ordinary EHR
users can write. Before the derivation these pure filters keep only what the organisation's signing key
covers (:mod:`hvol_fhir.sealing.membership`): a participant written in by hand, a widened role, a signature
copied to another team or youth, all fall away. The keys are the public half of the app's ring; a real
authorization server would fetch them from the app's ``/.well-known/hvol-keys.json``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from joserfc.jwk import KeySet

from hvol_fhir.fhirjson import Json
from hvol_fhir.sealing import membership
from hvol_fhir.sealing.keys import FileKeyStore, KeysUnavailable


def signed_careteam(careteam: Mapping[str, Any], keys: KeySet | None) -> Json:
    """The CareTeam with only the signed (member, role, period) participations; none without keys."""
    out = copy.deepcopy(dict(careteam))
    verified = set(membership.verified_members(careteam, keys)) if keys is not None else set()
    kept = []
    for p in careteam.get("participant") or []:
        member = str((p.get("member") or {}).get("reference") or "")
        period = p.get("period") or {}
        start, end = str(period.get("start") or ""), str(period.get("end") or "")
        codes = [
            cc
            for concept in p.get("role") or []
            for cc in concept.get("coding") or []
            if membership.Member(member, str(cc.get("code")), start, end) in verified
        ]
        if codes:
            kept.append({**p, "role": [{"coding": codes}]})
    out["participant"] = kept
    return out


def signed_role(role: Mapping[str, Any], keys: KeySet | None) -> Json | None:
    """The PractitionerRole with only its signed programme codes, or None when none is signed."""
    codes = membership.verified_role_codes(role, keys) if keys is not None else []
    if not codes:
        return None
    out = copy.deepcopy(dict(role))
    system = membership.role_system()
    out["code"] = [{"coding": [{"system": system, "code": code}]} for code in codes]
    return out


def filter_directory(
    careteams: Sequence[Mapping[str, Any]], roles: Sequence[Mapping[str, Any]], keys: KeySet | None
) -> tuple[list[Json], list[Json]]:
    teams = [signed_careteam(ct, keys) for ct in careteams]
    kept = [r for r in (signed_role(role, keys) for role in roles) if r is not None]
    return teams, kept


def keys_from_vault(path: Path) -> Callable[[], KeySet | None]:
    """Reads the public signing keys of the app's ring at each call (a rotation shows at once)."""

    def load() -> KeySet | None:
        try:
            ring = FileKeyStore(path).load()
        except KeysUnavailable:
            return None
        return membership.verification_keys(ring.public_jwks())

    return load
