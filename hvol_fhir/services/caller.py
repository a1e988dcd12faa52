"""Who calls a service, with what: the FHIR client with her token, her reference and role, the youth of
the launch, the clock and a lock.

The lock serialises saves of one client-generated identifier within one app (a double click waits, then
finds the first save); across instances the conditional creates keep it to one. Outside an app nothing
needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hvol_fhir.ehr import FhirClient
from hvol_fhir.errors import NotAllowed

Lock = Callable[[str], AbstractContextManager[Any]]
NOT_YOUR_ROLE = "Dit kan niet met uw rol in het programma."


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _no_lock(_key: str) -> AbstractContextManager[Any]:
    return nullcontext()


@dataclass(frozen=True)
class Caller:
    client: FhirClient
    user: str | None  # Practitioner/<id>; None when the EHR did not name her
    role: str
    patient: str | None  # Patient/<id> of the launch
    clock: Callable[[], datetime] = _utc_now
    lock: Lock = field(default=_no_lock)

    def now(self) -> datetime:
        return self.clock()

    def require(self, condition: bool, message: str = NOT_YOUR_ROLE) -> None:
        if not condition:
            raise NotAllowed(message)

    def youth(self) -> str:
        if not self.patient:
            raise NotAllowed("Open de app vanuit het dossier van een jongere.")
        return self.patient

    def author(self) -> str:
        """Her reference, for what she writes: an unnamed user writes nothing in the journal."""
        if not self.user:
            raise NotAllowed("De app weet niet wie u bent. Start de app opnieuw vanuit het dossier.")
        return self.user
