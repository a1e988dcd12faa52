"""Rules for recording a contact (P-JOURNAL, P-PLAN) as pure functions of the data and ``now``.

- A held contact is recorded after it took place: its end may not lie after ``now`` (plus the clock skew a
  phone and a server may differ by). A contact still ahead is *planned* instead.
- A buddy's contacts do not overlap: she cannot be in two places at once, so an overlap is a typo in a time.
  Cancelled contacts and ones entered in error do not count; neither does the contact itself (a resend).
- A moment that is recorded (she spoke with her coach) does not lie in the future either.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme.clock import utc
from hvol_fhir.programme.model import Contact
from hvol_fhir.programme.validate import CLOCK_SKEW, check_not_future

# Statuses of a contact that never took place and so block no time slot.
NOT_TAKING_TIME: Final = frozenset({"cancelled", "entered-in-error"})


def overlapping(contact: Contact, others: Iterable[Contact]) -> tuple[Contact, ...]:
    """The buddy's other contacts whose time overlaps ``contact`` (half-open: back to back is fine)."""
    return tuple(
        o
        for o in others
        if o.buddy == contact.buddy
        and o.identifier != contact.identifier
        and o.status not in NOT_TAKING_TIME
        and utc(o.start) < utc(contact.end)
        and utc(contact.start) < utc(o.end)
    )


def check_no_overlap(contact: Contact, others: Iterable[Contact]) -> None:
    if overlapping(contact, others):
        raise InvalidInput(
            "Dit contact overlapt met een ander contact van u. Controleer de tijden.",
            field="start",
            code="overlap",
        )


def check_held(contact: Contact, now: datetime) -> None:
    """A contact recorded as held has ended by ``now``; and no date lies beyond the planning horizon."""
    if utc(contact.end) > utc(now) + CLOCK_SKEW:
        raise InvalidInput(
            "Dit contact ligt in de toekomst. Leg een contact vast nadat het is geweest, "
            "of plan het hieronder.",
            field="start",
            code="in-future",
        )
    check_not_future(contact, now)


def check_planned(contact: Contact, now: datetime) -> None:
    """A planned contact may lie ahead, but not beyond the planning horizon (a typo in the year)."""
    check_not_future(contact, now)


COACH_CONTACT_SKEW: Final = timedelta(minutes=5)


def check_moment_passed(at: datetime, now: datetime, *, field: str = "date") -> None:
    """A moment recorded as having happened (the talk with her coach) is not in the future."""
    if utc(at) > utc(now) + COACH_CONTACT_SKEW:
        raise InvalidInput("Dit tijdstip ligt in de toekomst.", field=field, code="in-future")
