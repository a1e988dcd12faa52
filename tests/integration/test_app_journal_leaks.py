"""Per role: a unique marker planted in a journal entry never appears in any page, fragment, error or log line
that the role can reach, except the journal pages of the three readers (P-JOURNAL-READERS, P-MENTOR)."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.app_support import MARKER_PREFIX, Page, launch, org_or_external, traject_ident
from tests.integration.launch_support import RunningApp, serve_app

pytestmark = pytest.mark.integration
YOUTH = "hv-youth-08"
TRAJECT = "4c16ec38-23c7-5c31-9fb0-1dd5f9e65b9d"  # fallback; read from the page below


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-leaks")) as app:
        yield app


@pytest.fixture(scope="module")
def planted(running: RunningApp, prog_org: Any) -> tuple[str, str]:
    """A buddy writes an entry holding the marker through the app's own form."""
    marker = f"{MARKER_PREFIX}{uuid.uuid4().hex}"
    page = launch(running, prog_org, "hv-buddy-3", YOUTH)
    ident = traject_ident(page)
    path = f"/t/{ident}/contact"
    rnd = uuid.uuid4().int
    form = {
        "contact_uuid": page.hidden(path, "contact_uuid"),
        "entry_uuid": page.hidden(path, "entry_uuid"),
        "date": f"2026-09-{1 + rnd % 28:02d}",
        "start": f"05:{rnd // 28 % 11 * 5:02d}",
        "end": f"05:{rnd // 28 % 11 * 5 + 3:02d}",
        "type": "phone",
        "text": f"Ze vertelde iets vertrouwelijks: {marker}",
    }
    assert page.post(path, form).status_code == 303
    assert marker in page.get(f"/t/{ident}/journaal").text  # the reader sees it
    return marker, ident


def reachable(page: Page, ident: str) -> list[str]:
    """Every page and fragment of the app for this launch, whatever the role (refusals included)."""
    paths = [
        "/",
        "/programma",
        "/kaart",
        "/overzicht",
        "/overzicht/tijdlijn.svg",
        "/vandaag",
        f"/t/{ident}/",
        f"/t/{ident}/tijdlijn.svg",
        f"/t/{ident}/contact",
        f"/t/{ident}/inclusie",
        f"/t/{ident}/journaal",
        f"/t/{ident}/delen",
        f"/t/{ident}/gevaar",
        f"/t/{ident}/journaal/onbekend/wijzig",
        "/bestaat-niet",
    ]
    bodies = [page.get(p).text for p in paths]
    bodies.append(page.post("/schrijfhulp", {"text": "vaak"}, csrf_from="/").text)
    return bodies


@pytest.mark.parametrize("user", ["hv-mentor-2", "hv-staff-1", "hv-behavioural-scientist"])
def test_non_readers_never_see_the_journal(
    running: RunningApp, prog_org: Any, planted: tuple[str, str], user: str, caplog: pytest.LogCaptureFixture
) -> None:
    marker, ident = planted
    caplog.set_level(logging.DEBUG)
    page = launch(running, prog_org, user, YOUTH)
    bodies = reachable(page, ident)
    assert all(marker not in b for b in bodies)
    assert all(MARKER_PREFIX not in b for b in bodies)
    assert not re.search(r"journaalverslagen?: \d+|\d+ verslagen", " ".join(bodies))  # no counts either
    assert marker not in caplog.text


@pytest.mark.parametrize("user", ["hv-buddy-3", "hv-coach-2", "hv-coordinator"])
def test_readers_see_it_only_on_journal_pages_and_never_in_logs(
    running: RunningApp, prog_org: Any, planted: tuple[str, str], user: str, caplog: pytest.LogCaptureFixture
) -> None:
    marker, ident = planted
    caplog.set_level(logging.DEBUG)
    page = launch(running, prog_org, user, YOUTH)
    for path in [
        "/",
        "/programma",
        f"/t/{ident}/",
        f"/t/{ident}/tijdlijn.svg",
        "/kaart",
        "/overzicht",
        "/vandaag",
        "/bestaat-niet",
    ]:
        assert marker not in page.get(path).text, path
    assert marker in page.get(f"/t/{ident}/journaal").text
    assert marker not in caplog.text
