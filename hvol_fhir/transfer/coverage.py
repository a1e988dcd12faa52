"""Which journal entries a recorded disclosure Consent lets go along (P-SHARE-CONSENT).

A disclosure grant (pattern B of reference/security-labels.md §4; profile hvol-disclosure-consent) covers an
entry when the Consent is ``active``, its nested ``permit`` has the action ``disclose``, its period holds
``now``, and its ``data`` (meaning ``instance``) points at the entry. Anything else, a withdrawn grant
(``inactive``), an expired one, a participation Consent, does not cover it. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import Json

from .. import fhirjson as f
from ..errors import HvolError


def is_disclosure(consent: Mapping[str, Any]) -> bool:
    return any(
        f.has_coding(cc, t.LOINC, t.LOINC_RELEASE_OF_INFORMATION) for cc in consent.get("category") or []
    )


def is_participation(consent: Mapping[str, Any]) -> bool:
    return any(f.has_coding(cc, t.LOINC, t.LOINC_PRIVACY_CONSENT) for cc in consent.get("category") or [])


def _permits(consent: Mapping[str, Any]) -> list[Json]:
    nested = (consent.get("provision") or {}).get("provision") or []
    return [p for p in nested if isinstance(p, dict) and p.get("type") == "permit"]


def _in_period(period: Mapping[str, Any] | None, now: datetime) -> bool:
    if not period:
        return True
    try:
        start = f.opt_instant(period.get("start"), "period.start")
        end = f.opt_instant(period.get("end"), "period.end")
    except HvolError:  # a date without zone: not a period we can trust
        return False
    return (start is None or start <= now) and (end is None or now <= end)


def _discloses(permit: Mapping[str, Any]) -> bool:
    return any(f.has_coding(a, t.CONSENT_ACTION, t.ACTION_DISCLOSE) for a in permit.get("action") or [])


def covered_entries(consent: Mapping[str, Any], now: datetime) -> frozenset[str]:
    """``Communication/<id>`` references this Consent lets be disclosed now (empty when it lets none)."""
    if consent.get("status") != "active" or not is_disclosure(consent):
        return frozenset()
    out: set[str] = set()
    for permit in _permits(consent):
        if not _discloses(permit) or not _in_period(permit.get("period"), now):
            continue
        for data in permit.get("data") or []:
            ref = (data.get("reference") or {}).get("reference") if isinstance(data, dict) else None
            if (
                data.get("meaning") == "instance"
                and isinstance(ref, str)
                and ref.startswith("Communication/")
            ):
                out.add(ref.split("/_history/")[0])
    return frozenset(out)


def coverage(consents: Iterable[tuple[str, Mapping[str, Any]]], now: datetime) -> dict[str, list[str]]:
    """``{entry reference: [Consent references covering it]}``."""
    out: dict[str, list[str]] = {}
    for key, consent in consents:
        for entry in covered_entries(consent, now):
            out.setdefault(entry, []).append(key)
    return out


def participation_recipients(consent: Mapping[str, Any]) -> frozenset[str]:
    """The IRCP actors of a participation Consent (the CareTeam it lets collect and use the journal)."""
    if not is_participation(consent):
        return frozenset()
    out = set()
    for permit in _permits(consent):
        for actor in permit.get("actor") or []:
            ref = (actor.get("reference") or {}).get("reference")
            if isinstance(ref, str) and f.has_coding(actor.get("role"), t.V3_PARTICIPATION_TYPE, "IRCP"):
                out.add(ref)
    return frozenset(out)
