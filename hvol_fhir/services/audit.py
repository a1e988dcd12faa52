"""The audit policy of the journal, in one place (NEN 7513: every access to the journal is logged).

- A **write** (new entry, amendment, coaching entry, danger override, disclosure) carries its AuditEvent in
  its own transaction (:func:`for_write`), so both land or neither; the event is a conditional create, so
  a resend after a lost answer ends with one entry and one event.
- A **read** writes its AuditEvent (and, when sealed entries did not open, the event naming them) *before*
  the content is returned (:func:`record_read`). If that fails, the content is not returned:
  :class:`AuditUnavailable`, with a plain Dutch message (fail closed). After a network fault it is sent
  once more, so a read may (rarely) leave two events; never none.
"""

from __future__ import annotations

import logging

from hvol_fhir.ehr import EhrDown, FhirClient, bundle
from hvol_fhir.errors import EhrUnavailable, HvolError
from hvol_fhir.fhirjson import Json
from hvol_fhir.privacy import audit

log = logging.getLogger(__name__)


READ_NOT_RECORDED = (
    "Het journaal wordt nu niet getoond: de app kon niet vastleggen dat u het opent, en zonder die "
    "vastlegging laat de app het journaal niet zien. Probeer het over een paar minuten opnieuw."
)


class AuditUnavailable(EhrUnavailable):
    """The AuditEvent of a journal read could not be written, so the journal is not shown."""

    default_code = "audit-unavailable"


def for_write(event: Json, *, subject: str, patient: str) -> Json:
    """The write's AuditEvent as an entry of the write's own transaction (see :func:`audit.once`)."""
    return audit.once(event, subject=subject, patient=patient)


def record_read(client: FhirClient, events: list[Json]) -> None:
    """Write the read's events (one request), or raise AuditUnavailable: call before returning content.

    A read's event is a plain create (each read is its own access, so nothing may match an earlier one), and
    a plain create is not resent by the client after a lost answer. Here it is sent once more after a
    network fault (a connection the EHR or a proxy closed is the usual cause): a second event of one read
    is harmless, a read without one is not. A refusal is not resent.
    """
    for attempt in (1, 2):
        try:
            _send(client, events)
            return
        except EhrDown as exc:
            log.warning("journal read audit not written attempt=%d error=%s", attempt, type(exc).__name__)
        except HvolError as exc:
            log.warning("journal read audit refused error=%s", type(exc).__name__)
            break
    raise AuditUnavailable(READ_NOT_RECORDED)


def _send(client: FhirClient, events: list[Json]) -> None:
    if len(events) == 1:
        client.create(events[0])
    else:
        client.transaction(
            bundle.transaction(bundle.create_entry(e, full_url=bundle.full_url()) for e in events)
        )
