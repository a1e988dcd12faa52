"""Server-side storage of pending launches and launch sessions (R8, R9, R90).

:class:`LaunchStore` is the interface; the app layer adds persistent (sqlite/filesystem) and Redis
implementations with the same semantics:

- ``pop_pending`` is atomic: a ``state`` can be taken once (single use, §1.6), and an expired one is gone;
- ``refresh_lock`` serialises refreshes of one launch across threads (and, in shared stores, across
  processes and machines) so a rotating refresh token is used once (§1.12).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from .models import LaunchSession, PendingLaunch

PENDING_TTL = 600.0  # ten minutes from redirect to callback
SESSION_TTL = 12 * 3600.0  # a working day; tokens themselves expire much sooner


class LaunchStore(Protocol):
    def put_pending(self, pending: PendingLaunch, ttl: float) -> None: ...

    def pop_pending(self, state: str) -> PendingLaunch | None:
        """Remove and return the pending launch for ``state``; ``None`` if unknown, used or expired."""
        ...

    def put_session(self, session: LaunchSession, ttl: float) -> None: ...

    def get_session(self, launch_id: str) -> LaunchSession | None: ...

    def delete_session(self, launch_id: str) -> None: ...

    def refresh_lock(self, launch_id: str) -> AbstractContextManager[None]: ...


class MemoryLaunchStore:
    """In-process store for one worker (tests, development). Thread-safe; expiry on read."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._pending: dict[str, tuple[PendingLaunch, float]] = {}
        self._sessions: dict[str, tuple[LaunchSession, float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._mutex = threading.Lock()

    def put_pending(self, pending: PendingLaunch, ttl: float = PENDING_TTL) -> None:
        with self._mutex:
            self._purge()
            self._pending[pending.state] = (pending, self._clock() + ttl)

    def pop_pending(self, state: str) -> PendingLaunch | None:
        with self._mutex:
            item = self._pending.pop(state, None)
        if item is None or item[1] <= self._clock():
            return None
        return item[0]

    def put_session(self, session: LaunchSession, ttl: float = SESSION_TTL) -> None:
        with self._mutex:
            self._sessions[session.launch_id] = (session, self._clock() + ttl)

    def get_session(self, launch_id: str) -> LaunchSession | None:
        with self._mutex:
            item = self._sessions.get(launch_id)
            if item is not None and item[1] <= self._clock():
                del self._sessions[launch_id]
                item = None
        return item[0] if item else None

    def delete_session(self, launch_id: str) -> None:
        with self._mutex:
            self._sessions.pop(launch_id, None)
            self._locks.pop(launch_id, None)

    def refresh_lock(self, launch_id: str) -> AbstractContextManager[None]:
        with self._mutex:
            lock = self._locks.setdefault(launch_id, threading.Lock())
        return _holding(lock)

    def _purge(self) -> None:
        now = self._clock()
        for state in [s for s, (_, exp) in self._pending.items() if exp <= now]:
            del self._pending[state]


@contextmanager
def _holding(lock: threading.Lock) -> Iterator[None]:
    with lock:
        yield
