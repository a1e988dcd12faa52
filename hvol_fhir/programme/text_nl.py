"""Dutch formatting of dates, months and durations for pages, alerts and the timeline."""

from __future__ import annotations

from collections.abc import Iterable
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


# What a signal is about, in the words of the guide, for a count per kind ("3× week onder 2 uur contact").
# Never the rule id itself: that is for the code and the guide's readers, not for the screen.
SIGNAL_KIND_NL: Final = {
    "P-2H-WEEK": "week onder 2 uur contact",
    "P-F2F-WEEK": "week zonder face-to-face contact",
    "P-COACH-AFTER": "contact nog zonder coachcontact",
    "P-INTRO": "kennismaking duurt langer dan 3 weken",
    "P-INTRO-OUTCOME": "beslissing na de kennismaking ontbreekt",
    "P-INCL-6W": "inclusie duurt langer dan 6 weken",
    "P-18": "wordt binnenkort 18",
    "P-ALIGN": "afstemmingsoverleg",
    "P-PRESENT-3M": "presentatie op de groep",
    "P-CLOSE-REASON": "reden van afronding ontbreekt",
    "P-ASSESS": "inclusiebeoordeling",
    "P-AGE": "leeftijd",
    "P-CONTRA": "contra-indicatie",
    "P-RESP": "verantwoordelijke professional ontbreekt",
    "P-PHASE": "fase",
    "P-RESTART": "nieuw traject",
}


def signal_counts_nl(rule_ids: Iterable[str]) -> list[str]:
    """'3× week onder 2 uur contact', one line per kind, most frequent first."""
    counts: dict[str, int] = {}
    for rule in rule_ids:
        kind = SIGNAL_KIND_NL.get(rule, "signaal")
        counts[kind] = counts.get(kind, 0) + 1
    return [f"{n}× {kind}" for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
