"""Dutch labels of codes on the timeline, from the terminology (mappings/)."""

from __future__ import annotations

from hvol_fhir import terminology as t
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import IsoWeek
from hvol_fhir.programme.text_nl import short_date_nl


def type_nl(kind: str) -> str:
    try:
        return t.display(c.CONTACT_TYPE, kind)
    except Exception:  # noqa: BLE001 - a label, never a reason to fail the page
        return kind


def phase_nl(phase: str) -> str:
    try:
        return t.display(c.TRAJECT_PHASE, phase)
    except Exception:  # noqa: BLE001
        return phase


def week_label(week: IsoWeek) -> str:
    """week 17 (20 apr 2026 – 26 apr 2026): the week number for who plans by it, the days for who does not."""
    return f"week {week.week} ({short_date_nl(week.monday)} – {short_date_nl(week.sunday)})"
