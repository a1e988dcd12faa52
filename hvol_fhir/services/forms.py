"""Pure helpers that turn what a person typed into the values of a command, with a plain Dutch message
naming the field when it is not a date or a time. Used by any front end (the Flask views, a CLI)."""

from __future__ import annotations

from datetime import date, datetime, time

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme.clock import AMSTERDAM, end_of_day, local_date


def moment(day: str, hhmm: str, field: str) -> datetime:
    """A date (jjjj-mm-dd) and a time (uu:mm) on the wall clock in the Netherlands."""
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=AMSTERDAM)
    except ValueError:
        raise InvalidInput(
            "Vul een geldige datum en tijd in (dd-mm-jjjj, uu:mm).", field=field, code="not-a-datetime"
        ) from None


def moment_or_now(day: str, hhmm: str, now: datetime, field: str = "date") -> datetime:
    """A moment that happened: today and the current hour when she left them blank."""
    local = now.astimezone(AMSTERDAM)
    return moment(day or local_date(now).isoformat(), hhmm or f"{local.hour:02d}:00", field)


def until(value: str, field: str = "until") -> datetime | None:
    """The last day of a grant (a date field) as the instant it ends: 00:00 Amsterdam time after that day,
    summer and winter time alike. Blank: no end."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "Vul een geldige datum in bij 'Geldig tot'.", field=field, code="not-a-date"
        ) from None
    return end_of_day(day)


def reference(value: str, default_type: str = "Practitioner") -> str | None:
    """A typed reference (``RelatedPerson/7``, ``Organization/x``) as given; a bare id is a Practitioner's."""
    value = value.strip()
    if not value:
        return None
    return value if "/" in value else f"{default_type}/{value}"
