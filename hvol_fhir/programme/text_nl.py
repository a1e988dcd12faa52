"""Dutch formatting of dates and durations for alert messages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

_MONTHS: Final = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def date_nl(day: date) -> str:
    """1 maart 2026."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def duration_nl(span: timedelta) -> str:
    """1 uur 30 minuten; 45 minuten; 2 uur. Seconds are dropped (rounded down)."""
    minutes = max(0, int(span.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} uur {minutes} minuten"
    if hours:
        return f"{hours} uur"
    return f"{minutes} minuten" if minutes != 1 else "1 minuut"
