"""Dutch formatting of dates, months and durations for pages, alerts and the timeline."""

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

# The short month names of Dutch dates ("mrt 2026"), as Dutch style guides abbreviate them.
_MONTHS_SHORT: Final = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def date_nl(day: date) -> str:
    """1 maart 2026."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def month_nl(day: date) -> str:
    """mrt 2026 (a month label of the timeline)."""
    return f"{_MONTHS_SHORT[day.month - 1]} {day.year}"


def short_date_nl(day: date) -> str:
    """3 mrt 2026 (tables and the timeline's text alternative, where a full month name is too wide)."""
    return f"{day.day} {_MONTHS_SHORT[day.month - 1]} {day.year}"


def duration_nl(span: timedelta) -> str:
    """1 uur 30 minuten; 45 minuten; 2 uur. Seconds are dropped (rounded down)."""
    minutes = max(0, int(span.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} uur {minutes} minuten"
    if hours:
        return f"{hours} uur"
    return f"{minutes} minuten" if minutes != 1 else "1 minuut"
