"""Small helpers shared by the rule modules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from hvol_fhir.programme.checks import require_aware
from hvol_fhir.programme.model import Contact

# Encounter statuses that count as a held contact; planned or cancelled ones do not.
COUNTED_STATUSES: Final = frozenset({"finished", "in-progress"})


def held(contacts: Iterable[Contact]) -> list[Contact]:
    """Held contacts with her: planned, missed and contacts with her network (issue 14) count for no norm."""
    return [contact for contact in contacts if contact.status in COUNTED_STATUSES and contact.network is None]


def check_now(now: datetime) -> None:
    """Rules need an aware `now`: the day and week depend on it."""
    require_aware(now, "now")
