"""Small builders for the measurement unit tests (the clock is pinned: every moment is given)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hvol_fhir.measurements import Measurement, questionnaire
from hvol_fhir.programme.clock import AMSTERDAM
from hvol_fhir.programme.model import PhasePeriod, Traject


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=AMSTERDAM)


def traject(*phases: tuple[str, datetime, datetime | None], status: str = "active") -> Traject:
    periods = tuple(
        PhasePeriod(phase=p, start=s, end=e, status="completed" if e else "in-progress") for p, s, e in phases
    )
    return Traject(
        id="tr-1",
        identifier="7d1c0c52-55b5-4a6e-9c52-1f0c2a8e0b11",
        patient="Patient/y-1",
        created=phases[0][1] if phases else at(2026, 1, 1),
        status=status,
        phases=periods,
    )


def measurement(when: datetime, ident: str = "m-1", **scores: int) -> Measurement:
    q = questionnaire()
    values = {i.link_id: 6 for i in q.items}
    values.update({k.replace("_", "-"): v for k, v in scores.items()})
    return Measurement(
        identifier=ident,
        traject="CarePlan/tr-1",
        patient="Patient/y-1",
        authored=when,
        questionnaire=q.canonical,
        answers=tuple((k, v) for k, v in values.items()),
        author="Practitioner/b-1",
    )


def scores(**levels: Any) -> dict[str, int]:
    return {k.replace("_", "-"): v for k, v in levels.items()}
