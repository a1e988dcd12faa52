"""Builders for the programme tests. The clock is always pinned: rules take `now` as an argument."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Contact, PhasePeriod, Traject

AMS = ZoneInfo("Europe/Amsterdam")
TRAJECT_REF = "CarePlan/t1"
PATIENT_REF = "Patient/youth-1"
BUDDY_REF = "Practitioner/buddy-1"


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, *, fold: int = 0) -> datetime:
    """A local Amsterdam time."""
    return datetime(y, m, d, hh, mm, tzinfo=AMS, fold=fold)


def contact(
    start: datetime,
    minutes: int = 60,
    *,
    kind: str = c.CONTACT_FACE_TO_FACE,
    end: datetime | None = None,
    status: str = "finished",
    ident: str | None = None,
) -> Contact:
    return Contact(
        identifier=ident or f"contact-{start.isoformat()}",
        traject=TRAJECT_REF,
        patient=PATIENT_REF,
        buddy=BUDDY_REF,
        start=start,
        end=end if end is not None else _after(start, minutes),
        contact_type=kind,
        status=status,
    )


def _after(start: datetime, minutes: int) -> datetime:
    """``minutes`` of elapsed time (aware arithmetic in one zone is wall-clock time: across the autumn DST
    change, start + 9 h of wall clock is 10 h of contact)."""
    return (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(start.tzinfo)


def traject(phases: Sequence[tuple[str, datetime, datetime | None]], **kwargs: object) -> Traject:
    """A traject with the given (phase, start, end) periods; only the last may be open."""
    periods = tuple(
        PhasePeriod(phase=p, start=s, end=e, status="completed" if e else "in-progress") for p, s, e in phases
    )
    first = phases[0][1] if phases else at(2025, 1, 1)
    return Traject(
        identifier="traject-1",
        patient=PATIENT_REF,
        created=first,
        phases=periods,
        **kwargs,  # type: ignore[arg-type]
    )


def d(y: int, m: int, day: int) -> date:
    return date(y, m, day)
