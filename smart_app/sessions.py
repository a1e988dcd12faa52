"""Server-side launch state (R8, R9, R90): pending launches, launch sessions and the app's view of a launch.

Two stores with the semantics of :class:`hvol_fhir.smart.store.LaunchStore`, plus what the web layer needs:

- :class:`SqliteLaunchStore`, the embedded default for one machine (no server; several worker processes share
  the file; refreshes serialised by a file lock);
- :class:`RedisLaunchStore` (redis-py) for several app instances behind a load balancer: a launch started on
  one instance completes on another.

Both also keep a small per-launch *view* (role, names) and can peek at a pending launch without taking it
(to tell "cookies blocked" from "unknown state" at the callback).

The browser holds only an opaque random id in a cookie (``__Host-hvol_sid`` on https, ``hvol_sid`` in the
http sandbox); the store keeps a *browser record* per id (issued ids only, see :mod:`.browser`). Tokens never
leave the server (R7), and on disk or in Redis every record is sealed with a key derived from the app's own
key (:mod:`.sealing`).
Each launch has its own ``launch_id``, carried in the URL path of every page, so two tabs never mix.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from hvol_fhir.smart import LaunchSession, MemoryLaunchStore, PendingLaunch

from .sealing import Sealer

Clock = Callable[[], float]
BROWSER_TTL = 12 * 3600.0  # a browser record (and its cookie) lives as long as a working day


def browser_key(sid: str) -> str:
    """Where a browser record lives in the store: a hash, so the store holds no value to put in a cookie."""
    return hashlib.sha256(b"hvol-browser:" + sid.encode()).hexdigest()


def new_browser_record(user: str | None = None) -> dict[str, Any]:
    """A browser's server-side record: its user (``None`` before the first launch completes), her launches,
    the CSRF secret of its pages and the ids it had before the last rotation (pending launches only)."""
    return {"user": user, "launches": [], "csrf": secrets.token_hex(32), "previous": []}


class AppLaunchStore(Protocol):
    """The library's LaunchStore plus peeking and the per-launch view."""

    def put_pending(self, pending: PendingLaunch, ttl: float) -> None: ...
    def pop_pending(self, state: str) -> PendingLaunch | None: ...
    def peek_pending(self, state: str) -> PendingLaunch | None: ...
    def put_session(self, session: LaunchSession, ttl: float) -> None: ...
    def get_session(self, launch_id: str) -> LaunchSession | None: ...
    def delete_session(self, launch_id: str) -> None: ...
    def refresh_lock(self, launch_id: str) -> AbstractContextManager[None]: ...
    def put_view(self, launch_id: str, view: dict[str, Any], ttl: float) -> None: ...
    def get_view(self, launch_id: str) -> dict[str, Any] | None: ...
    def put_browser(self, sid: str, record: dict[str, Any], ttl: float) -> None: ...
    def get_browser(self, sid: str) -> dict[str, Any] | None: ...
    def delete_browser(self, sid: str) -> None: ...


class MemoryAppStore(MemoryLaunchStore):
    """In-process store (tests, one worker)."""

    def __init__(self, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self._views: dict[str, tuple[dict[str, Any], float]] = {}
        self._browsers: dict[str, tuple[dict[str, Any], float]] = {}

    def put_browser(self, sid: str, record: dict[str, Any], ttl: float) -> None:
        self._browsers[sid] = (json.loads(json.dumps(record)), self._clock() + ttl)

    def get_browser(self, sid: str) -> dict[str, Any] | None:
        item = self._browsers.get(sid)
        return json.loads(json.dumps(item[0])) if item and item[1] > self._clock() else None

    def delete_browser(self, sid: str) -> None:
        self._browsers.pop(sid, None)

    def peek_pending(self, state: str) -> PendingLaunch | None:
        item = self._pending.get(state)
        return item[0] if item and item[1] > self._clock() else None

    def put_view(self, launch_id: str, view: dict[str, Any], ttl: float) -> None:
        self._views[launch_id] = (dict(view), self._clock() + ttl)

    def get_view(self, launch_id: str) -> dict[str, Any] | None:
        item = self._views.get(launch_id)
        return dict(item[0]) if item and item[1] > self._clock() else None


# --- what both shared stores do the same way: records by kind and key -------------------------------------


class _RecordStore:
    """Typed records over ``_put``/``_get`` of JSON-safe dicts by kind and key (sealed by the subclass's
    ``_encode``)."""

    def _put(self, kind: str, key: str, data: dict[str, Any], ttl: float) -> None:
        raise NotImplementedError

    def _get(self, kind: str, key: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def put_pending(self, pending: PendingLaunch, ttl: float) -> None:
        self._put("pending", pending.state, pending.to_dict(), ttl)

    def peek_pending(self, state: str) -> PendingLaunch | None:
        data = self._get("pending", state)
        return PendingLaunch.from_dict(data) if data else None

    def put_session(self, session: LaunchSession, ttl: float) -> None:
        self._put("launch", session.launch_id, session.to_dict(), ttl)

    def get_session(self, launch_id: str) -> LaunchSession | None:
        data = self._get("launch", launch_id)
        return LaunchSession.from_dict(data) if data else None

    def put_view(self, launch_id: str, view: dict[str, Any], ttl: float) -> None:
        self._put("view", launch_id, view, ttl)

    def get_view(self, launch_id: str) -> dict[str, Any] | None:
        return self._get("view", launch_id)

    def put_browser(self, sid: str, record: dict[str, Any], ttl: float) -> None:
        self._put("browser", sid, record, ttl)

    def get_browser(self, sid: str) -> dict[str, Any] | None:
        return self._get("browser", sid)


# --- sqlite -------------------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (state TEXT PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS launch (id TEXT PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS view (id TEXT PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS browser (id TEXT PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL);
"""


_KEY = {"pending": "state", "launch": "id", "view": "id", "browser": "id"}


class SqliteLaunchStore(_RecordStore):
    """One sqlite file; safe for threads and for worker processes on the same machine."""

    def __init__(self, path: str | Path, clock: Clock = time.time, sealer: Sealer | None = None) -> None:
        self.path = Path(path)
        self._sealer = sealer
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._local = threading.local()
        self._locks: dict[str, threading.Lock] = {}
        self._mutex = threading.Lock()
        self._lock_file: tuple[int, Any] | None = None  # (pid, open file) of this process
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        yield conn

    def _put(self, table: str, key: str, data: dict[str, Any], ttl: float) -> None:
        now = self._clock()
        with self._db() as db:
            db.execute(f"DELETE FROM {table} WHERE expires <= ?", (now,))
            db.execute(
                f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?)",
                (key, _encode(self._sealer, table, key, data), now + ttl),
            )

    def _get(self, table: str, key: str) -> dict[str, Any] | None:
        with self._db() as db:
            row = db.execute(
                f"SELECT data FROM {table} WHERE {_KEY[table]} = ? AND expires > ?",
                (key, self._clock()),
            ).fetchone()
        return _decode(self._sealer, table, key, row[0]) if row else None

    def pop_pending(self, state: str) -> PendingLaunch | None:
        # DELETE ... RETURNING is atomic: of two callbacks with one state, one gets the record (§1.6).
        with self._db() as db:
            row = db.execute(
                "DELETE FROM pending WHERE state = ? RETURNING data, expires", (state,)
            ).fetchone()
        data = _decode(self._sealer, "pending", state, row[0]) if row and row[1] > self._clock() else None
        return PendingLaunch.from_dict(data) if data else None

    def delete_session(self, launch_id: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM launch WHERE id = ?", (launch_id,))
            db.execute("DELETE FROM view WHERE id = ?", (launch_id,))

    def delete_browser(self, sid: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM browser WHERE id = ?", (sid,))

    def refresh_lock(self, launch_id: str) -> AbstractContextManager[None]:
        with self._mutex:
            lock = self._locks.setdefault(launch_id, threading.Lock())
        return self._file_lock(lock, launch_id)

    def _lock_handle(self) -> Any:
        """One open lock file per process, never closed while the store lives: POSIX record locks belong to
        the process and all of them would be released when any descriptor of the file is closed."""
        with self._mutex:
            if self._lock_file is None or self._lock_file[0] != os.getpid():
                self._lock_file = (os.getpid(), open(str(self.path) + ".refresh.lock", "a"))  # noqa: SIM115
            return self._lock_file[1]

    @contextmanager
    def _file_lock(self, lock: threading.Lock, key: str) -> Iterator[None]:
        # Threads wait on their key's lock, processes on the key's byte of the lock file. One byte per key
        # (not one lock for the file): a save holds its key while a token refresh inside it takes the
        # launch's key; a single file-wide lock made that refresh wait for the save forever.
        offset = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
        with lock:
            handle = self._lock_handle()
            fcntl.lockf(handle, fcntl.LOCK_EX, 1, offset)
            try:
                yield
            finally:
                fcntl.lockf(handle, fcntl.LOCK_UN, 1, offset)


# --- Redis --------------------------------------------------------------------------------------------------


class RedisLaunchStore(_RecordStore):
    """Redis (redis-py) for several instances; keys expire by themselves (``EX``)."""

    def __init__(
        self, url: str, prefix: str = "hvol:", lock_timeout: float = 30.0, sealer: Sealer | None = None
    ) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self._sealer = sealer
        self.prefix = prefix
        self.lock_timeout = lock_timeout

    def _key(self, kind: str, key: str) -> str:
        return f"{self.prefix}{kind}:{key}"

    def _put(self, kind: str, key: str, data: dict[str, Any], ttl: float) -> None:
        self.redis.set(self._key(kind, key), _encode(self._sealer, kind, key, data), ex=max(1, int(ttl)))

    def _get(self, kind: str, key: str) -> dict[str, Any] | None:
        raw = self.redis.get(self._key(kind, key))
        return _decode(self._sealer, kind, key, raw) if raw else None  # type: ignore[arg-type]

    def pop_pending(self, state: str) -> PendingLaunch | None:
        raw = self.redis.getdel(self._key("pending", state))  # atomic single use (Redis >= 6.2)
        data = _decode(self._sealer, "pending", state, raw) if raw else None  # type: ignore[arg-type]
        return PendingLaunch.from_dict(data) if data else None

    def delete_session(self, launch_id: str) -> None:
        self.redis.delete(self._key("launch", launch_id), self._key("view", launch_id))

    def delete_browser(self, sid: str) -> None:
        self.redis.delete(self._key("browser", sid))

    def refresh_lock(self, launch_id: str) -> AbstractContextManager[None]:
        # A distributed lock: one refresh per launch across all instances (rotating refresh tokens, §1.12).
        return self.redis.lock(  # type: ignore[no-any-return]
            self._key("refresh", launch_id), timeout=self.lock_timeout, blocking_timeout=self.lock_timeout
        )


def _encode(sealer: Sealer | None, table: str, key: str, data: dict[str, Any]) -> str:
    return sealer.seal(data, f"{table}:{key}") if sealer else json.dumps(data)


def _decode(sealer: Sealer | None, table: str, key: str, stored: str | bytes) -> dict[str, Any] | None:
    if sealer:
        return sealer.open(stored, f"{table}:{key}")
    data = json.loads(stored)
    return data if isinstance(data, dict) else None


def open_store(
    url: str, instance_path: str, clock: Clock = time.time, sealer: Sealer | None = None
) -> AppLaunchStore:
    """``memory``, ``redis://…``/``rediss://…`` or ``sqlite:///path`` (default: a file in the instance).

    With ``sealer`` (the app always passes one) the sqlite and Redis stores keep every record sealed; memory
    never leaves the process."""
    if url == "memory":
        return MemoryAppStore(clock)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisLaunchStore(url, sealer=sealer)
    path = url.removeprefix("sqlite:///") if url else str(Path(instance_path) / "sessions.sqlite3")
    return SqliteLaunchStore(path, clock, sealer)
