"""Fixtures of the proof suite (issue 8): the app served on the session organisation's registered port, with
every FHIR request going through a fault-injecting proxy, and every log record of the run kept for the
canary search. Counters and the summary table: tests/conftest_proof.py (``proof`` fixture)."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.app_support import Page, launch, traject_ident
from tests.integration.launch_support import RunningApp, serve_app

from .faultproxy import FaultProxy, rerouted_session
from .support import contact_form

YOUTH = "hv-youth-06"  # buddy hv-buddy-1, coach hv-coach-1, mentor hv-mentor-2 (group De Wilg)
FHIR_TIMEOUT = 3.0  # seconds; the proxy's "delay" fault holds answers longer than this


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The tests' own probes (e.g. a staff token searching FHIR for `_content=<canary>`) run in the main
        # thread and urllib3 logs their URLs; they are the attacker's requests, not the app's log. The app
        # serves from other threads, so its records (its own outgoing FHIR URLs included) are all kept.
        if record.threadName == "MainThread" and record.name.startswith("urllib3"):
            return
        try:
            line = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is still searched by its template
            line = str(record.msg)
        if record.exc_info:
            line += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {record.levelname} {line}")


@pytest.fixture(scope="package")
def app_logs() -> Iterator[_Keep]:
    """Every log record (any logger, DEBUG and up) written while the proof suite runs."""
    keep = _Keep()
    root = logging.getLogger()
    old = root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    try:
        yield keep
    finally:
        root.removeHandler(keep)
        root.setLevel(old)


@pytest.fixture(scope="package")
def proxy(org: Any) -> Iterator[FaultProxy]:
    with proxy_to(org) as running:
        yield running


@contextmanager
def proxy_to(org: Any) -> Iterator[FaultProxy]:
    parts = urlsplit(org.fhir_base)
    with FaultProxy(f"{parts.scheme}://{parts.netloc}") as running:
        yield running


@dataclass
class SecApp:
    running: RunningApp
    org: Any
    proxy: FaultProxy
    workdir: Path

    @property
    def url(self) -> str:
        return self.running.url

    def as_user(self, user: str, patient: str = YOUTH) -> Page:
        return launch(self.running, self.org, user, patient)


@pytest.fixture(scope="package")
def sec_app(
    org: Any, proxy: FaultProxy, app_logs: _Keep, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecApp]:
    with secured_app(org, proxy, tmp_path_factory.mktemp("proof-app")) as app:
        yield app


@contextmanager
def secured_app(org: Any, proxy: FaultProxy, workdir: Path) -> Iterator[SecApp]:
    """The app on ``org``'s registered port, every FHIR request through ``proxy``."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(org.fhir_base))
    with serve_app(
        org, workdir, HVOL_HTTP=rerouted_session(origin, proxy), HVOL_FHIR_TIMEOUT=FHIR_TIMEOUT
    ) as running:
        yield SecApp(running, org, proxy, workdir)


@pytest.fixture(scope="package")
def ident(sec_app: SecApp) -> str:
    """The identifier of hv-youth-06's traject (as the app shows it)."""
    return traject_ident(sec_app.as_user("hv-coordinator"))


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


CANARY = "KANARIE-"  # every marker the proof suite plants starts with this; logs may hold none of them


def canary(kind: str) -> str:
    return f"{CANARY}{kind}-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Canaries:
    buddy_entry: str  # a buddy's journal entry (contact form)
    coaching_entry: str  # the coach's coaching journal
    disclosure: str  # the youth's words in a disclosure grant (Consent)
    danger: str  # a danger override (journal entry written by the buddy)

    @property
    def all(self) -> tuple[str, ...]:
        return (self.buddy_entry, self.coaching_entry, self.disclosure, self.danger)


@pytest.fixture(scope="package")
def canaries(sec_app: SecApp, ident: str) -> Canaries:
    return plant_canaries(sec_app, ident)


def plant_canaries(sec_app: SecApp, ident: str) -> Canaries:
    """Planted through the app's own forms, by the roles that write them."""
    planted = Canaries(canary("maatje"), canary("coach"), canary("delen"), canary("gevaar"))
    buddy = sec_app.as_user("hv-buddy-1")
    form = contact_form(buddy, ident, f"We liepen naar de markt. Ze vertelde: {planted.buddy_entry}")
    assert buddy.post(f"/t/{ident}/contact", form).status_code == 303
    danger = {
        "entry_uuid": buddy.hidden(f"/t/{ident}/gevaar", "entry_uuid"),
        "reason": "danger-self",
        "what": f"Wat ze over thuis vertelde: {planted.danger}",
        "whom": "Veilig Thuis",
        "why": "Direct gevaar",
        "told": "ja",
    }
    assert buddy.post(f"/t/{ident}/gevaar", danger).status_code == 303
    coach = sec_app.as_user("hv-coach-1")
    resp = coach.post(
        f"/t/{ident}/coachjournaal",
        {"entry_uuid": str(uuid.uuid4()), "text": f"Coachgesprek: {planted.coaching_entry}"},
        csrf_from=f"/t/{ident}/journaal",
    )
    assert resp.status_code == 303, "\n".join(map(str, sec_app.proxy.trail[-8:]))
    coordinator = sec_app.as_user("hv-coordinator")
    share = f"/t/{ident}/delen"
    entries = re.findall(r'name="entries" value="([^"]+)"', coordinator.get(share).text)
    assert entries
    resp = coordinator.post(
        share,
        {
            "consent_uuid": coordinator.hidden(share, "consent_uuid"),
            "entries": entries[0],
            "purpose": "SUPNWK",
            "recipient": "Practitioner/hv-mentor-2",
            "until": (date.today() + timedelta(days=30)).isoformat(),
            "why": f"Ze wil dat haar mentor dit weet: {planted.disclosure}",
            "consent_given": "ja",
        },
    )
    assert resp.status_code == 303, visible_text(resp.text)[-1200:]
    return planted


@pytest.fixture(scope="package")
def open_app(open_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecApp]:
    """The app on C, the organisation whose EHR enforces no labels (issue 12)."""
    with (
        proxy_to(open_org) as proxy,
        secured_app(open_org, proxy, tmp_path_factory.mktemp("open-app")) as app,
    ):
        yield app


@pytest.fixture(scope="package")
def open_ident(open_app: SecApp) -> str:
    """The identifier of hv-youth-06's traject at C (as the app shows it)."""
    return traject_ident(open_app.as_user("hv-coordinator"))
