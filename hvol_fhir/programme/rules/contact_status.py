"""A planned contact becomes held or missed (issue 14), as pure functions of the contact and ``now``.

- Held: the buddy confirms the planned contact with its actual times and type and writes its journal entry
  at once; it is the same contact (same identifier), so it never overlaps with itself.
- Missed: it did not take place: the youth did not come (no-show), someone called it off (cancelled: who is
  recorded), or she was away with or without leave. Only calling off can be done beforehand; the others are
  known once the planned start has passed. A missed contact takes no time and counts toward no norm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Final

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import utc
from hvol_fhir.programme.model import Contact
from hvol_fhir.programme.rules.common import check_now
from hvol_fhir.programme.rules.contacts import check_held
from hvol_fhir.programme.validate import CLOCK_SKEW

PLANNED: Final = "planned"
HELD: Final = "finished"
MISSED: Final = "cancelled"


def _require_planned(contact: Contact) -> None:
    if contact.status != PLANNED:
        raise InvalidInput(
            "Dit contact is niet meer gepland: het is al vastgelegd als gehouden of niet doorgegaan.",
            field="contact",
            code="not-planned",
        )


def held_from_planned(
    planned: Contact,
    *,
    start: datetime,
    end: datetime,
    contact_type: str,
    present: tuple[str, ...] = (),
    location: str | None = None,
    now: datetime,
) -> Contact:
    """The planned contact as it took place (times and type as she enters them)."""
    check_now(now)
    _require_planned(planned)
    held = replace(
        planned,
        status=HELD,
        start=start,
        end=end,
        contact_type=contact_type,
        present=present,
        location=location,
    )
    check_held(held, now)
    return held


def missed_from_planned(planned: Contact, *, reason: str, cancelled_by: str | None, now: datetime) -> Contact:
    """The planned contact as not taken place, with why and (when called off) who called it off."""
    check_now(now)
    _require_planned(planned)
    if reason == c.MISSED_CANCELLED and not cancelled_by:
        raise InvalidInput("Geef aan wie het contact afzegde.", field="cancelled_by", code="missing-value")
    if reason != c.MISSED_CANCELLED and utc(planned.start) > utc(now) + CLOCK_SKEW:
        raise InvalidInput(
            "Dit contact moet nog beginnen. Vooraf kan alleen 'afgezegd'; niet verschenen of afwezig leg je "
            "vast als het moment voorbij is.",
            field="reason",
            code="not-yet",
        )
    return replace(
        planned,
        status=MISSED,
        missed_reason=reason,
        cancelled_by=cancelled_by if reason == c.MISSED_CANCELLED else None,
    )


def missed(contacts: Iterable[Contact]) -> list[Contact]:
    """The contacts that did not take place, in time order (timeline, the mentor's card)."""
    return sorted((x for x in contacts if x.missed_reason), key=lambda x: utc(x.start))
