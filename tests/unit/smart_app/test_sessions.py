"""Session stores: sqlite (embedded default) and Redis, and a launch spread over two app instances."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from hvol_fhir.smart import LaunchContext, LaunchSession, PendingLaunch
from smart_app.sealing import Sealer
from smart_app.sessions import AppLaunchStore, RedisLaunchStore, SqliteLaunchStore

from .conftest import AuthServer, FakeClock, FakeFhir, authorize, make_app, path_of, to_authorize


def _pending(state: str = "s" * 43) -> PendingLaunch:
    return PendingLaunch(
        state=state,
        session_id="sid",
        kind="ehr",
        iss="https://e/fhir",
        aud="https://e/fhir",
        launch="l",
        redirect_uri="https://a/cb",
        code_verifier="v" * 43,
        nonce="n",
        scope="launch",
        features=("youth",),
        scope_syntax="v2",
        created_at=1.0,
    )


def _session(launch_id: str = "L1") -> LaunchSession:
    return LaunchSession(
        launch_id=launch_id,
        session_id="sid",
        kind="ehr",
        fhir_base="https://e/fhir",
        client_id="c",
        token_endpoint="https://e/token",
        access_token="at",
        expires_at=9e9,
        refresh_token="rt",
        requested_scope="launch",
        granted_scope="launch",
        scope_syntax="v2",
        features=("youth",),
        enabled_features=("youth",),
        disabled_features=(),
        context=LaunchContext(patient="p1"),
        fhir_user=None,
        id_token_sub=None,
        created_at=1.0,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A throw-away redis-server on a free port, no persistence; stopped afterwards."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


SEALER = Sealer(b"k" * 32)


@pytest.fixture(params=["sqlite", "sqlite-sealed", "redis", "redis-sealed"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> AppLaunchStore:
    sealer = SEALER if request.param.endswith("-sealed") else None
    if request.param.startswith("sqlite"):
        return SqliteLaunchStore(tmp_path / "s.db", sealer=sealer)
    url = request.getfixturevalue("redis_url")
    return RedisLaunchStore(url, prefix=f"t{time.monotonic_ns()}:", sealer=sealer)


SECRET_TOKEN, SECRET_REFRESH, SECRET_VERIFIER = (
    "geheim-toegang-7Qx",
    "geheim-verversen-9Zk",
    "geheim-pkce-" + "v" * 31,
)


def _secret_records(store: AppLaunchStore) -> None:
    session = dataclasses.replace(_session(), access_token=SECRET_TOKEN, refresh_token=SECRET_REFRESH)
    store.put_session(session, 60)
    store.put_pending(dataclasses.replace(_pending(), code_verifier=SECRET_VERIFIER), 60)


def test_sealed_sqlite_file_holds_no_token_or_verifier(tmp_path: Path) -> None:
    store = SqliteLaunchStore(tmp_path / "s.db", sealer=SEALER)
    _secret_records(store)
    assert store.get_session("L1").access_token == SECRET_TOKEN  # type: ignore[union-attr]
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("s.db"))
    assert SECRET_TOKEN.encode() not in on_disk and SECRET_REFRESH.encode() not in on_disk
    assert SECRET_VERIFIER.encode() not in on_disk
    plain = SqliteLaunchStore(tmp_path / "p.db")  # the same without a sealer does hold them: the check bites
    _secret_records(plain)
    assert SECRET_TOKEN.encode() in b"".join(
        p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("p.db")
    )


def test_sealed_redis_values_hold_no_token(redis_url: str) -> None:
    prefix = f"t{time.monotonic_ns()}:"
    store = RedisLaunchStore(redis_url, prefix=prefix, sealer=SEALER)
    _secret_records(store)
    raw = b"".join(store.redis.get(k) or b"" for k in store.redis.keys(prefix + "*"))
    assert raw and SECRET_TOKEN.encode() not in raw and SECRET_VERIFIER.encode() not in raw
    assert store.get_session("L1").refresh_token == SECRET_REFRESH  # type: ignore[union-attr]


def test_a_sealed_record_opens_only_in_its_own_place_and_with_its_key(tmp_path: Path) -> None:
    import sqlite3

    store = SqliteLaunchStore(tmp_path / "s.db", sealer=SEALER)
    store.put_session(_session("L1"), 60)
    with sqlite3.connect(tmp_path / "s.db") as db:  # an attacker copies L1's record to another launch id
        db.execute("INSERT INTO launch SELECT 'L2', data, expires FROM launch WHERE id = 'L1'")
    assert store.get_session("L2") is None
    assert SqliteLaunchStore(tmp_path / "s.db", sealer=Sealer(b"x" * 32)).get_session("L1") is None
    assert store.get_session("L1") == _session("L1")


def test_pending_is_single_use_and_peekable(store: AppLaunchStore) -> None:
    store.put_pending(_pending(), 60)
    assert store.peek_pending("s" * 43) == _pending()
    assert store.pop_pending("s" * 43) == _pending()
    assert store.pop_pending("s" * 43) is None
    assert store.peek_pending("s" * 43) is None


def test_concurrent_pops_hand_out_one_record(store: AppLaunchStore) -> None:
    store.put_pending(_pending(), 60)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(store.pop_pending("s" * 43))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1


def test_sessions_and_views_round_trip(store: AppLaunchStore) -> None:
    store.put_session(_session(), 60)
    store.put_view("L1", {"role": "buddy"}, 60)
    assert store.get_session("L1") == _session()
    assert store.get_view("L1") == {"role": "buddy"}
    store.delete_session("L1")
    assert store.get_session("L1") is None and store.get_view("L1") is None


def test_refresh_lock_serialises(store: AppLaunchStore) -> None:
    inside: list[int] = []
    overlap: list[bool] = []

    def work() -> None:
        with store.refresh_lock("L1"):
            inside.append(1)
            overlap.append(len(inside) > 1)
            time.sleep(0.01)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [False] * 4


def test_a_lock_taken_inside_another_keys_lock_does_not_wait(store: AppLaunchStore) -> None:
    """A save holds its entry's lock while a token refresh inside it takes the launch's lock."""
    done: list[bool] = []

    def save() -> None:
        with store.refresh_lock("save:entry-1"), store.refresh_lock("L1"):
            done.append(True)

    worker = threading.Thread(target=save, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert done == [True], "the inner lock waited for the outer one"


def test_sqlite_locks_hold_across_processes(tmp_path: Path) -> None:
    """Another worker process waits for a key this process holds, and not for another key."""
    import multiprocessing

    store = SqliteLaunchStore(tmp_path / "s.db")
    ctx = multiprocessing.get_context("fork")
    with store.refresh_lock("L1"):
        same = ctx.Process(target=_lock_once, args=(tmp_path / "s.db", "L1"))
        other = ctx.Process(target=_lock_once, args=(tmp_path / "s.db", "L2"))
        same.start()
        other.start()
        other.join(timeout=10)
        same.join(timeout=1)
        assert other.exitcode == 0  # another key: not held up
        assert same.exitcode is None  # the same key: still waiting for this process
    same.join(timeout=10)
    assert same.exitcode == 0


def _lock_once(path: Path, key: str) -> None:
    with SqliteLaunchStore(path).refresh_lock(key):
        pass


def test_sqlite_expiry_by_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SqliteLaunchStore(tmp_path / "s.db", clock)
    store.put_pending(_pending(), 10)
    store.put_session(_session(), 10)
    clock.advance(11)
    assert store.pop_pending("s" * 43) is None and store.get_session("L1") is None


def test_launch_and_page_load_across_two_instances_with_redis(
    redis_url: str, key: Any, tmp_path: Path, clock: FakeClock, auth: AuthServer, fhir: FakeFhir
) -> None:
    """Behind a load balancer: /launch on instance 1, the callback on 2, pages on both (issue 4)."""
    overrides = {"HVOL_STORE": None, "HVOL_SESSION_STORE": redis_url, "HVOL_JOURNAL_IDLE_MINUTES": 600}
    one = make_app(key, tmp_path, clock, **overrides).test_client()
    two = make_app(key, tmp_path, clock, **overrides).test_client()
    callback = authorize(to_authorize(one, auth.launch_url("buddy-y1", "y1")))
    _share_cookie(one, two)
    landing = two.get(path_of(callback))
    assert landing.status_code == 303, landing.get_data(as_text=True)
    _share_cookie(two, one)  # the callback rotated the browser-session id
    page = landing.headers["Location"]
    for instance in (one, two):
        html = instance.get(page).get_data(as_text=True)
        assert 'data-role="buddy"' in html and "Sanne Testmeisje" in html
    clock.advance(2 * 3600)  # expired: instance 2 refreshes under the Redis lock, instance 1 sees the result
    assert two.get(page).status_code == 200
    assert one.get(page).status_code == 200


def _share_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("hvol_sid")
    assert cookie is not None
    target.set_cookie("hvol_sid", cookie.value)
