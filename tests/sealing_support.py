"""Test oracles for sealed content (issue 12): open what the EHR holds with the organisation's key ring, as
the app does for a coordinator. Tests that check what the server stored use this; tests that check what a
user or the server can see use the raw resources."""

from __future__ import annotations

from typing import Any

from hvol_fhir.sealing import fields
from hvol_fhir.sealing.codec import SealingCodec


def opener(org: Any) -> SealingCodec:
    return SealingCodec(org.key_ring(), frozenset(fields.KINDS))


def opened(org: Any, resource: dict[str, Any]) -> dict[str, Any]:
    return opener(org).decode(resource)


def journal_text(org: Any, communication: dict[str, Any]) -> str:
    """The text of a journal Communication ('' when it has none or does not open)."""
    payload = opened(org, communication).get("payload") or [{}]
    return str(payload[0].get("contentString", ""))
