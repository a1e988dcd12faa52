"""A person's name for display, from FHIR ``HumanName`` (https://hl7.org/fhir/R4/datatypes.html#HumanName).

The library's pages (overview, start pages) name people, never show their ids; the app's own
``smart_app.roles.display_name`` follows the same rule and can move here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def display_name(resource: Mapping[str, Any] | None) -> str | None:
    """``name.text`` of the official (else first) name, or given + family; None without a name."""
    names = (resource or {}).get("name") or []
    if not isinstance(names, list) or not names:
        return None
    name = next((n for n in names if isinstance(n, dict) and n.get("use") == "official"), names[0])
    if not isinstance(name, dict):
        return None
    if name.get("text"):
        return str(name["text"])
    parts = [*(name.get("given") or []), name.get("family") or ""]
    return " ".join(str(p) for p in parts if p) or None
