"""A person's name and age as the pages show them, from a FHIR R4 Patient or Practitioner (plain JSON).

``HumanName`` (https://hl7.org/fhir/R4/datatypes.html#HumanName) and ``Patient.birthDate``; the age itself is
the programme's one ``age_on`` (:mod:`hvol_fhir.programme.clock`: 29 February, Amsterdam calendar).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from hvol_fhir.programme.clock import age_on


def display_name(resource: Mapping[str, Any] | None) -> str | None:
    """``name.text`` of the official (else first) name, or given + family; None without a usable name."""
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


def age_from_birth_date(birth_date: str | None, today: dt.date) -> int | None:
    """Age in whole years on ``today`` from a FHIR ``birthDate``; only a full date gives an age."""
    if not birth_date or len(birth_date) != 10:
        return None
    try:
        born = dt.date.fromisoformat(birth_date)
    except ValueError:
        return None
    return age_on(born, today)
