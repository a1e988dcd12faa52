"""Runs last in the proof suite (issue 8.1): every log line written during the run (the app's records at
every level, the authorization server's and HAPI's logs) holds no canary, no journal marker, no access token
and no BSN of a demo youth."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest

from tests.conftest_proof import Proof
from tests.integration.app_support import MARKER_PREFIX

from .conftest import CANARY, Canaries

pytestmark = [pytest.mark.integration, pytest.mark.proof]
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def test_no_canary_token_or_bsn_in_any_log_line(
    org: Any, app_logs: Any, canaries: Canaries, proof: Proof
) -> None:
    bsns = [y.bsn for y in org.scenario.youths if y.bsn]
    assert bsns
    sources = {"app": app_logs.lines}
    for path in org.log_paths():
        sources[path.name] = path.read_text(encoding="utf-8", errors="replace").splitlines()
    found = []
    for name, lines in sources.items():
        assert lines, name
        for line in lines:
            proof.add("canary_places")
            hit = (
                (CANARY in line and "canary")
                or (MARKER_PREFIX in line and "journal marker")
                or (JWT.search(line) and "token")
                or next(("BSN" for b in bsns if b in line), None)
            )
            if hit:
                where = line.split(" ", 1)[0] if name == "app" else name  # the logger, never the content
                found.append(f"{name}: {hit} ({where})")
                proof.found("canary_hits", f"{name} log: {hit} from {where}")
    assert not found, found[:10]


def test_the_session_store_on_disk_holds_no_token(sec_app: Any, proof: Proof) -> None:
    """The app's session store after the whole proof suite (dozens of launches, refreshes, expired tokens):
    every record sealed, so the file and its write-ahead log hold no access or refresh token in the clear."""
    files = [p for p in sec_app.workdir.iterdir() if p.name.startswith("sessions.sqlite3")]
    assert files
    with sqlite3.connect(sec_app.workdir / "sessions.sqlite3") as db:
        launches = [row[0] for row in db.execute("SELECT id FROM launch")]
    tokens = [s.access_token for s in map(sec_app.running.store.get_session, launches) if s]
    assert tokens  # the check has something to find
    on_disk = b"".join(p.read_bytes() for p in files)
    for token in tokens:
        proof.add("canary_places")
        if token.encode() in on_disk or token.split(".")[-1].encode() in on_disk:
            proof.found("canary_hits", "session store: an access token in the clear")
    assert not JWT.search(on_disk.decode("latin-1"))
