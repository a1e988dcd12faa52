"""Session fixtures shared by integration, browser and security tests.

``org`` is one real sandbox organisation, started once per test run: the SMART authorization server, the HAPI
FHIR server (conformance resources of mappings/ loaded before any data) and the demo data, with the app
registered as client ``hvol-app`` on ``org.app_port``. Everything it starts is stopped at the end; its logs
stay in ``.sandbox/test-run/A/`` for review (and for the leak checks of the proof suite).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.demo_app import app_clients
from sandbox.hapi import free_port
from sandbox.org import Organisation, start_organisation

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".sandbox" / "test-run"
TEST_CONFORMANCE = ROOT / "tests" / "data" / "hapi"
pytest_plugins = ["tests.conftest_proof"]  # the proof suite's counters and summary table (issue 8)


def _test_conformance() -> list[dict[str, object]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(TEST_CONFORMANCE.glob("*.json"))]


@pytest.fixture(scope="session")
def org() -> Iterator[Organisation]:
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    app_port = free_port()
    organisation = start_organisation(
        "A",
        RUN_DIR,
        clients=app_clients(app_port),
        demo_data=True,
        extra_conformance=_test_conformance(),
        app_port=app_port,
    )
    try:
        yield organisation
    finally:
        organisation.stop()
