"""Session fixtures shared by integration, browser and security tests.

``org`` is one real sandbox organisation, started once per test run: the SMART authorization server, the HAPI
FHIR server (conformance resources of mappings/ loaded before any data) and the demo data, with the app
registered as client ``hvol-app`` on ``org.app_port``. Everything it starts is stopped at the end; its logs
stay in ``.sandbox/test-runs/<pid>/A/`` for review (and for the leak checks of the proof suite).

``open_org`` is organisation "C", the same but an EHR that enforces no labels (issue 12): its HAPI checks
tokens and scopes and hides nothing. Only tests that ask for it start it (once per run).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sandbox.demo_app import app_clients
from sandbox.hapi import free_port
from sandbox.org import Organisation, start_organisation

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / ".sandbox" / "test-runs"
RUN_DIR = RUNS / str(os.getpid())  # one folder per test run, so two runs side by side never collide
TEST_CONFORMANCE = ROOT / "tests" / "data" / "hapi"
pytest_plugins = ["tests.conftest_proof"]  # the proof suite's counters and summary table (issue 8)


def _test_conformance() -> list[dict[str, object]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(TEST_CONFORMANCE.glob("*.json"))]


def _remove_finished_runs() -> None:
    """Logs of earlier runs whose process has ended (the last run's logs stay until the next run)."""
    for old in RUNS.glob("*") if RUNS.is_dir() else ():
        if old.name.isdigit() and not Path(f"/proc/{old.name}").exists():
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _organisation(name: str, *, enforce_journal: bool) -> Iterator[Organisation]:
    """A sandbox organisation with the demo data and the app registered, stopped after the session."""
    app_port = free_port()
    organisation = start_organisation(
        name,
        RUN_DIR,
        clients=app_clients(app_port),
        demo_data=True,
        extra_conformance=_test_conformance(),
        app_port=app_port,
        enforce_journal=enforce_journal,
        dev_token=True,  # tests ask /dev/token for the demo users' tokens
    )
    try:
        yield organisation
    finally:
        organisation.stop()


@pytest.fixture(scope="session")
def org() -> Iterator[Organisation]:
    _remove_finished_runs()
    with _organisation("A", enforce_journal=True) as organisation:
        yield organisation


@pytest.fixture(scope="session")
def open_org() -> Iterator[Organisation]:
    """An EHR that enforces no labels, with the demo data and the app registered (issue 12)."""
    with _organisation("C", enforce_journal=False) as organisation:
        yield organisation
