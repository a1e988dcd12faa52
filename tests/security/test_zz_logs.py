"""Runs last in the proof suite (issue 8.1): every log line written during the run (the app's records at
every level, the authorization server's and HAPI's logs) holds no canary, no journal marker, no access token
and no BSN of a demo youth."""

from __future__ import annotations

import re
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
