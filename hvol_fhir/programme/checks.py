"""Field checks shared by the domain dataclasses.

Each check raises a typed error naming the field (``Class.attribute``) with a Dutch message. The offending
value itself is never put in the message: it may be journal text or a typo containing personal data.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir.errors import InvalidInput, UnknownCode
from hvol_fhir.programme.clock import utc
from hvol_fhir.programme.codes import current_codes

MAX_REF_LENGTH: Final = 512

# Dutch names of the CodeSystems, for messages.
_SYSTEM_NL: Final = {
    "careteam-role": "rol in het team",
    "traject-phase": "fase",
    "contact-type": "soort contact",
    "journal-kind": "soort journaal",
    "victim-category": "slachtoffercategorie",
    "contra-indication": "contra-indicatie",
    "introduction-outcome": "uitkomst van de kennismaking",
    "closure-reason": "reden van afronding",
    "task-kind": "soort taak",
    "availability-channel": "kanaal van bereikbaarheid",
}


def require_aware(value: datetime, field: str) -> None:
    # A naive time is ambiguous around DST changes; the week norms need absolute time.
    if not isinstance(value, datetime):
        raise InvalidInput("Dit is geen geldig tijdstip.", field=field, code="not-a-datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            "Het tijdstip heeft geen tijdzone. Geef datum en tijd met tijdzone op.",
            field=field,
            code="naive-datetime",
        )


def require_date(value: date, field: str) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput("Dit is geen geldige datum.", field=field, code="not-a-date")


def require_order(start: datetime, end: datetime | None, field: str) -> None:
    if end is not None and utc(end) < utc(start):
        raise InvalidInput(
            "Het einde ligt vóór het begin. Controleer de begin- en eindtijd.",
            field=field,
            code="end-before-start",
        )


def require_max_duration(start: datetime, end: datetime, limit: timedelta, field: str) -> None:
    if utc(end) - utc(start) > limit:
        hours = int(limit.total_seconds() // 3600)
        raise InvalidInput(
            f"Dit duurt langer dan een werkdag (meer dan {hours} uur). Controleer de begin- en eindtijd.",
            field=field,
            code="too-long",
        )


def require_code(system: str, code: str, field: str) -> None:
    if not isinstance(code, str) or not current_codes().contains(system, code):
        name = _SYSTEM_NL.get(system, system)
        raise UnknownCode(f"Onbekende code voor {name}. Kies een waarde uit de lijst.", field=field)


def require_in(allowed: frozenset[str], value: str, field: str) -> None:
    if value not in allowed:
        raise UnknownCode("Onbekende status of soort. Kies een waarde uit de lijst.", field=field)


def require_ref(value: str, field: str) -> None:
    """A FHIR reference ("Patient/123", an absolute URL or "urn:uuid:...")."""
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_REF_LENGTH
        or any(ch.isspace() for ch in value)
    ):
        raise InvalidInput("De verwijzing ontbreekt of is ongeldig.", field=field, code="invalid-reference")


def require_text(value: str, field: str, *, max_chars: int, what_nl: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what_nl} is leeg. Schrijf eerst een tekst.", field=field, code="empty-text")
    if len(value) > max_chars:
        limit_nl = f"{max_chars:_}".replace("_", ".")  # Dutch thousands separator
        raise InvalidInput(
            f"{what_nl} is te lang (meer dan {limit_nl} tekens). Maak de tekst korter.",
            field=field,
            code="text-too-long",
        )


def require_contact_outcome(
    status: str, missed_reason: str | None, cancelled_by: str | None, network: str | None
) -> None:
    """Issue 14: a contact that did not take place is "cancelled" with a known reason (and who called it off);
    a contact with her network has a known kind."""
    for system, value, name in (
        ("missed-reason", missed_reason, "missed_reason"),
        ("contact-party", cancelled_by, "cancelled_by"),
        ("network-contact", network, "network"),
    ):
        if value is not None:
            require_code(system, value, f"Contact.{name}")
    if missed_reason is not None and status != "cancelled":
        msg = "Een contact dat niet doorging heeft de status geannuleerd."
        raise InvalidInput(msg, field="Contact.status", code="missed-not-cancelled")
