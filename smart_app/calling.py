"""The library's services called from a page: the launch's client, user, role and youth, the app's clock,
and the store's lock (one lock per client-generated identifier, shared by the app's threads and, with Redis,
its instances)."""

from __future__ import annotations

from hvol_fhir.services import Caller

from .context import Ctx, now
from .state import state


def caller(c_: Ctx) -> Caller:
    return Caller(
        client=c_.client,
        user=c_.user,
        role=c_.role,
        patient=c_.patient,
        clock=now,
        lock=state().store.refresh_lock,
    )
