"""P-AVAIL (guide §4.6): what the buddy agrees with the youth about being reachable outside the contacts:
on which days and between which times, for which matters (any question, none, crisis), and through which
channels (phone, WhatsApp, e-mail).

One window (start-end, local Amsterdam wall-clock time) holds for all chosen days: that is how the guide
phrases an agreement, and it is what R4 ``Timing.repeat`` (dayOfWeek + timeOfDay + duration) states exactly.
The codes equal the CodeSystems in mappings/ (checked by tests/unit/programme/test_availability.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Final

from hvol_fhir.errors import InvalidInput

AVAILABILITY_MATTER: Final = "availability-matter"
AVAILABILITY_CHANNEL: Final = "availability-channel"
CAREPLAN_ACTIVITY: Final = "careplan-activity"
ACTIVITY_AVAILABILITY: Final = "availability"

# FHIR R4 days-of-week codes, in week order (also the order shown and stored).
DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES_NL: Final = {
    "mon": "maandag",
    "tue": "dinsdag",
    "wed": "woensdag",
    "thu": "donderdag",
    "fri": "vrijdag",
    "sat": "zaterdag",
    "sun": "zondag",
}
CHANNELS: Final = ("phone", "whatsapp", "email")
MATTER_ANY: Final = "any-question"
MATTER_NONE: Final = "none"
MATTER_CRISIS: Final = "crisis"
MATTERS: Final = (MATTER_ANY, MATTER_NONE, MATTER_CRISIS)
NOTE_MAX: Final = 500
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _ordered(
    values: tuple[str, ...] | frozenset[str] | list[str], allowed: tuple[str, ...]
) -> tuple[str, ...]:
    chosen = set(values)
    return tuple(v for v in allowed if v in chosen)


def parse_hhmm(value: str, field: str) -> time:
    """A time of day as typed in an ``<input type=time>`` (uu:mm); seconds are not part of an agreement."""
    match = _HHMM.match(value.strip())
    if not match:
        raise InvalidInput("Vul een geldige tijd in (uu:mm).", field=field, code="not-a-time")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class AvailabilityAgreement:
    """Validated on construction; days, channels and matters are kept in their canonical order."""

    days: tuple[str, ...]
    start: time
    end: time
    channels: tuple[str, ...]
    matters: tuple[str, ...]
    note: str | None = None
    buddy: str | None = None  # Practitioner/<id>: the one who is reachable

    def __post_init__(self) -> None:
        if not self.days:
            raise InvalidInput("Kies minstens één dag.", field="days", code="no-days")
        if set(self.days) - set(DAYS):
            raise InvalidInput("Onbekende dag. Kies een dag uit de lijst.", field="days", code="unknown-day")
        if not self.channels:
            raise InvalidInput(
                "Kies minstens één manier waarop de jongere u kan bereiken.",
                field="channels",
                code="no-channel",
            )
        if set(self.channels) - set(CHANNELS):
            raise InvalidInput(
                "Onbekend kanaal. Kies uit de lijst.", field="channels", code="unknown-channel"
            )
        if not self.matters:
            raise InvalidInput("Kies waarvoor de jongere u kan bereiken.", field="matters", code="no-matter")
        if set(self.matters) - set(MATTERS):
            raise InvalidInput("Onbekende keuze. Kies uit de lijst.", field="matters", code="unknown-matter")
        if MATTER_ANY in self.matters and MATTER_NONE in self.matters:
            raise InvalidInput(
                "'Alle soorten vragen' en 'geen vragen' gaan niet samen. Kies er één.",
                field="matters",
                code="contradictory-matters",
            )
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None or value.second or value.microsecond:
                raise InvalidInput("Vul een geldige tijd in (uu:mm).", field=name, code="not-a-time")
        if self.end <= self.start:
            raise InvalidInput(
                "De eindtijd moet na de begintijd liggen (een afspraak loopt niet over middernacht).",
                field="end",
                code="end-before-start",
            )
        note = (self.note or "").strip() or None
        if note is not None and len(note) > NOTE_MAX:
            raise InvalidInput(
                f"De toelichting is te lang (hoogstens {NOTE_MAX} tekens).", field="note", code="too-long"
            )
        if note is not None and any(ord(ch) < 32 and ch not in "\r\n\t" or ord(ch) == 127 for ch in note):
            raise InvalidInput(
                "De toelichting bevat onzichtbare stuurtekens. Typ de tekst opnieuw.",
                field="note",
                code="control-characters",
            )
        object.__setattr__(self, "days", _ordered(self.days, DAYS))
        object.__setattr__(self, "channels", _ordered(self.channels, CHANNELS))
        object.__setattr__(self, "matters", _ordered(self.matters, MATTERS))
        object.__setattr__(self, "note", note)

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    @property
    def days_nl(self) -> str:
        """'maandag, woensdag' for the pages."""
        return ", ".join(DAY_NAMES_NL[d] for d in self.days)

    @property
    def window(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


# --- per matter (issue 14): "for questions Monday and Thursday afternoon by WhatsApp, for a crisis every day
# until ten by phone" is two agreements, one per matter, each with its own days, times and channels.
MATTER_NAMES_NL: Final = {MATTER_ANY: "vragen", MATTER_NONE: "geen vragen", MATTER_CRISIS: "crisis"}


def check_per_matter(agreements: tuple[AvailabilityAgreement, ...]) -> tuple[AvailabilityAgreement, ...]:
    """The agreements of one traject, validated together: every matter in at most one agreement, and "no
    questions" never beside an agreement for questions. Returned in matter order (questions, crisis)."""
    if not agreements:
        raise InvalidInput(
            "Vul minstens één afspraak in: voor vragen, bij crisis, of allebei.",
            field="matters",
            code="no-matter",
        )
    seen: set[str] = set()
    for agreement in agreements:
        double = seen & set(agreement.matters)
        if double:
            name = MATTER_NAMES_NL[sorted(double)[0]]
            raise InvalidInput(
                f"Voor {name} staan twee afspraken. Maak per onderwerp één afspraak.",
                field="matters",
                code="matter-twice",
            )
        seen |= set(agreement.matters)
    if MATTER_ANY in seen and MATTER_NONE in seen:
        raise InvalidInput(
            "'Alle soorten vragen' en 'geen vragen' gaan niet samen. Kies er één.",
            field="matters",
            code="contradictory-matters",
        )
    return tuple(sorted(agreements, key=lambda ag: min(MATTERS.index(m) for m in ag.matters)))


def reach(agreements: tuple[AvailabilityAgreement, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(days, channels) over all agreements: what the mentor's card shows (P-MENTOR: how, not what for)."""
    days = _ordered([d for ag in agreements for d in ag.days], DAYS)
    channels = _ordered([ch for ag in agreements for ch in ag.channels], CHANNELS)
    return days, channels


def days_nl(days: tuple[str, ...]) -> str:
    return ", ".join(DAY_NAMES_NL[d] for d in days)
