"""P-SHARE-CONSENT, the rules of sharing (pure): with whom, for how long, and whether a grant still allows it.

The guide (§4.7) names who may need to know something from the buddy traject: a parent or guardian, another
youth-care worker or professional, the municipality, the next placement. The youth is always the one who
consents. A recipient is one of three things:

- a RelatedPerson of the youth (a parent, a guardian), picked by name;
- a Practitioner (another professional), picked by name;
- an organisation known by name only (the municipality, the next placement), which the EHR need not hold.

Picking someone to share with gives her nothing in the EHR: the grant is of the chosen entries, never of the
journal (clearance still comes from the CareTeam alone).

A grant runs from its first day 00:00 to the end of its last day, Amsterdam time (``clock.end_of_day``, so
a last day on a DST change is 23 or 25 hours long); expired or withdrawn, it no longer allows sharing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme.clock import end_of_day, local_date, start_of_day, utc
from hvol_fhir.programme.model import MAX_SHORT_TEXT_CHARS, ConsentGrant

RELATED_PERSON: Final = "RelatedPerson"
PRACTITIONER: Final = "Practitioner"
ORGANIZATION: Final = "Organization"
RECIPIENT_TYPES: Final = (RELATED_PERSON, PRACTITIONER, ORGANIZATION)
KIND_NL: Final = {
    RELATED_PERSON: "naaste van de jongere",
    PRACTITIONER: "professional",
    ORGANIZATION: "organisatie",
}

STATE_ACTIVE: Final = "geldig"
STATE_NOT_YET: Final = "nog niet geldig"
STATE_EXPIRED: Final = "verlopen"
STATE_WITHDRAWN: Final = "ingetrokken"

NO_RECIPIENT: Final = "Kies met wie er gedeeld wordt: een naaste, een professional of een organisatie."
NOT_FOUND: Final = (
    "Deze ontvanger staat niet (meer) in het dossier van de jongere. Kies iemand uit de lijst, "
    "of typ de naam van een organisatie."
)
NO_CONSENT: Final = (
    "Zonder toestemming van de jongere wordt er niets gedeeld. Bespreek met haar wat, waarom en met wie, "
    "en vink daarna aan dat zij toestemming geeft."
)
END_BEFORE_START: Final = "De einddatum ligt vóór de begindatum. Kies een einddatum op of na de begindatum."
EXPIRED: Final = (
    "Deze einddatum is al voorbij: de toestemming zou meteen verlopen zijn. Kies een datum vanaf vandaag."
)
GRANT_EXPIRED: Final = "Deze toestemming is verlopen. Vraag de jongere opnieuw om toestemming."
GRANT_WITHDRAWN: Final = "De jongere heeft deze toestemming ingetrokken. Er wordt niets meer op gedeeld."
GRANT_NOT_YET: Final = "Deze toestemming gaat pas later in."


@dataclass(frozen=True)
class Recipient:
    """Someone to share with: ``reference`` to an existing RelatedPerson or Practitioner, or None for an
    organisation known by ``name`` only."""

    name: str
    reference: str | None = None
    detail: str | None = None  # shown beside the name: the relationship of a naaste ("moeder")

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput(NO_RECIPIENT, field="recipient", code="missing-value")
        if len(self.name) > MAX_SHORT_TEXT_CHARS:
            raise InvalidInput(
                "De naam is te lang. Maak hem korter.", field="recipient", code="text-too-long"
            )
        if self.reference is not None and self.kind not in (RELATED_PERSON, PRACTITIONER):
            raise InvalidInput(NOT_FOUND, field="recipient", code="recipient-not-found")

    @property
    def kind(self) -> str:
        return self.reference.split("/", 1)[0] if self.reference else ORGANIZATION


def organisation(name: str) -> Recipient:
    """An organisation by the name she typed (spaces around it dropped)."""
    return Recipient(name=" ".join(name.split()))


def pick(candidates: Sequence[Recipient], chosen: str) -> Recipient:
    """The candidate the form names by reference: only someone the page offered (the youth's own
    RelatedPersons, the EHR's Practitioners); anything else is 'not found', never a guess."""
    if not chosen.strip():
        raise InvalidInput(NO_RECIPIENT, field="recipient", code="missing-value")
    for candidate in candidates:
        if candidate.reference == chosen.strip():
            return candidate
    raise InvalidInput(NOT_FOUND, field="recipient", code="recipient-not-found")


@dataclass(frozen=True)
class Terms:
    """How long a grant runs: ``start`` and the exclusive ``end`` (None: until withdrawn)."""

    start: datetime
    end: datetime | None


def terms(now: datetime, first_day: date | None, last_day: date | None, *, consented: bool) -> Terms:
    """The youth's consent, checked: she said yes, the last day is not before the first, nor already past.
    The first day defaults to today (Amsterdam)."""
    if not consented:
        raise InvalidInput(NO_CONSENT, field="consent_given", code="no-consent")
    first = first_day or local_date(now)
    end = end_of_day(last_day) if last_day is not None else None
    # A last day already past is "expired" whatever the first day: that is what she has to change.
    if end is not None and utc(end) <= utc(now):
        raise InvalidInput(EXPIRED, field="until", code="expired")
    if last_day is not None and last_day < first:
        raise InvalidInput(END_BEFORE_START, field="until", code="end-before-start")
    return Terms(start=start_of_day(first), end=end)


def state(grant: ConsentGrant, now: datetime) -> str:
    """Where a grant stands at ``now``: geldig, nog niet geldig, verlopen or ingetrokken."""
    if grant.status != "active":
        return STATE_WITHDRAWN
    if grant.start is not None and utc(now) < utc(grant.start):
        return STATE_NOT_YET
    if grant.end is not None and utc(grant.end) <= utc(now):
        return STATE_EXPIRED
    return STATE_ACTIVE


def require_in_force(grant: ConsentGrant, now: datetime) -> None:
    """Sharing under a grant that expired, was withdrawn or has not started is refused, in plain Dutch."""
    message = {
        STATE_WITHDRAWN: GRANT_WITHDRAWN,
        STATE_EXPIRED: GRANT_EXPIRED,
        STATE_NOT_YET: GRANT_NOT_YET,
    }.get(state(grant, now))
    if message is not None:
        raise InvalidInput(message, field="consent", code="consent-not-in-force")
