"""Issue 15: every page of every role, as the people who use them meet them.

For each role the test launches the app from the sandbox's EHR launcher and walks every page it can reach
from its landing page (same-origin GET links under the launch, bounded; `pagewalk.py`), plus the form pages
that no link leads to yet. On each page:

- axe-core (npm, vendored) runs the WCAG 2.0/2.1 A and AA rules: any violation fails;
- no rule id (P-…) and no record id (hv-buddy-1, Practitioner/…) in the visible text;
- no error page behind a link the role was shown.

The main pages are photographed at the EHR frame's width (1000 px) and a phone's (375 px) into
test-artifacts/screenshots/look-<role>-<page>[-telefoon].png. The counts go into the proof table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest_proof import Proof
from tests.integration.app_support import org_or_external
from tests.integration.launch_support import serve_app

from .conftest import chromium, launch_from_ehr
from .pagewalk import Visited, axe_violations, broken_links, shape, visible_ids, walk

pytestmark = [pytest.mark.integration, pytest.mark.browser]
LANDING = '[data-testid="programme-links"]'
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = (1000, 900)  # an EHR's app frame
PHONE = (375, 667)
# role -> (user, youth, form pages no link reaches (launch-relative; {traject}: her first traject),
#          the least pages the walk must find: fewer means the walk broke, not that the app is fine).
# Her own traject comes first, so the walk reaches its form pages; the coordinator's start page and overview
# also link other youths' trajects, which open under a launch id of their own (issue 15). "buddy-caseload":
# a launch without a youth, her girls from the start page (issue 15).
ROLES: dict[str, tuple[str, str, tuple[str, ...], int]] = {
    "buddy": ("hv-buddy-3", "hv-youth-08", ("t/{traject}/metingen", "t/{traject}/metingen/invullen"), 8),
    "coach": ("hv-coach-2", "hv-youth-08", ("t/{traject}/",), 4),
    "coordinator": ("hv-coordinator", "hv-youth-08", ("t/{traject}/", "metingen/rapport"), 8),
    "behavioural-scientist": ("hv-behavioural-scientist", "hv-youth-03", ("t/{traject}/",), 3),
    "mentor": ("hv-mentor-2", "hv-youth-08", (), 2),
    "staff": ("hv-staff-1", "hv-youth-08", (), 2),
    "buddy-caseload": ("hv-buddy-1", "", (), 3),
}
# Page shapes worth a screenshot (the rest are variants: another filter, another entry to amend).
MAIN = re.compile(
    r"/l/\{id\}/(|vandaag|programma|kaart|overzicht"
    r"|t/\{id\}/(|contact|journaal|inclusie|metingen|escalaties|toestemming|bereikbaarheid))$"
)


@pytest.fixture(scope="module")
def running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    org = org_or_external(request)
    with serve_app(org, tmp_path_factory.mktemp("app-look")) as app:
        yield org, app


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chromium(f"{DESKTOP[0]},{DESKTOP[1]}", lang="nl-NL") as drv:
        yield drv


def set_width(driver: Any, size: tuple[int, int]) -> None:
    """The viewport itself (not the window) at `size`, as a phone's browser or the EHR's frame gives it."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size[0] < 500},
    )


def launch_prefix(driver: Any) -> str:
    base, rest = driver.current_url.split("/l/", 1)
    return f"{base}/l/{rest.split('/', 1)[0]}/"


def first_traject(driver: Any, prefix: str) -> str:
    driver.get(prefix + "programma")
    found = re.findall(r"/t/([0-9a-f-]{36})/", driver.page_source)
    return found[0] if found else ""


def page_name(url: str) -> str:
    tail = shape(url).split("/l/{id}/", 1)[-1].replace("t/{id}", "traject")
    return re.sub(r"[^a-z0-9]+", "-", tail.replace("{id}", "").lower()).strip("-") or "start"


def photograph(driver: Any, role: str, url: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, suffix in ((DESKTOP, ""), (PHONE, "-telefoon")):
        set_width(driver, size)
        driver.get(url)
        driver.save_screenshot(str(SHOTS / f"look-{role}-{page_name(url)}{suffix}.png"))
    set_width(driver, DESKTOP)


def visit_all(driver: Any, org: Any, role: str) -> list[Visited]:
    user, youth, extra, _ = ROLES[role]
    set_width(driver, DESKTOP)
    launch_from_ehr(driver, org, user, youth, wait_for=LANDING)
    landing = driver.current_url
    prefix = launch_prefix(driver)
    traject = first_traject(driver, prefix) if any("{traject}" in p for p in extra) else ""
    extras = tuple(prefix + p.format(traject=traject) for p in extra if traject or "{traject}" not in p)
    driver.get(landing)
    out: list[Visited] = []
    checked: set[str] = set()
    for url in walk(driver, prefix, extra=extras, limit=40):
        text = driver.find_element("tag name", "body").text
        page = Visited(url, driver.title, text)
        page.violations = axe_violations(driver)
        page.ids_on_screen = visible_ids(text)
        page.broken_links = broken_links(driver, prefix, checked)
        out.append(page)
    for page in out:
        if MAIN.search(shape(page.url)):
            photograph(driver, role, page.url)
    return out


@pytest.fixture(scope="module")
def walked(running: Any, driver: Any) -> dict[str, list[Visited]]:
    org, _app = running
    return {role: visit_all(driver, org, role) for role in ROLES}


def _report(pages: list[Visited], attr: str) -> str:
    return "\n".join(f"{p.url}: {getattr(p, attr)}" for p in pages if getattr(p, attr))


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_passes_axe(walked: dict[str, list[Visited]], role: str, proof: Proof) -> None:
    pages = walked[role]
    proof.add("axe_pages", len(pages))
    for p in pages:
        for v in p.violations:
            proof.found("axe_violations", f"{role} {shape(p.url)}: {v['id']}")
    assert len(pages) >= ROLES[role][3], [p.url for p in pages]
    assert not any(p.violations for p in pages), _report(pages, "violations")


@pytest.mark.parametrize("role", list(ROLES))
def test_no_rule_or_record_id_on_any_page(walked: dict[str, list[Visited]], role: str, proof: Proof) -> None:
    pages = walked[role]
    proof.add("id_pages", len(pages))
    for p in pages:
        if p.ids_on_screen:
            n = len(p.ids_on_screen)
            proof.found("ids_on_screen", f"{role} {shape(p.url)}: {n}", n)
    assert pages and all(p.text.strip() for p in pages)
    assert not any(p.ids_on_screen for p in pages), _report(pages, "ids_on_screen")


@pytest.mark.parametrize("role", [r for r in ROLES if r != "coordinator"])
def test_no_link_a_role_is_shown_leads_to_an_error(walked: dict[str, list[Visited]], role: str) -> None:
    """Every distinct link on every page (not one per shape), fetched with the role's own cookie."""
    pages = walked[role]
    assert not any(p.broken_links for p in pages), _report(pages, "broken_links")


def test_no_link_the_coordinator_is_shown_leads_to_an_error(walked: dict[str, list[Visited]]) -> None:
    """Issue 15: her start page and overview link other youths' trajects; each opens from her launch."""
    pages = walked["coordinator"]
    assert any("/open/" in p.url for p in pages), "the walk opened no traject from a list"
    assert not any(p.broken_links for p in pages), _report(pages, "broken_links")


def test_the_buddys_caseload_links_open_her_girls(walked: dict[str, list[Visited]]) -> None:
    """Issue 15: a launch without a youth; the start page lists her girls and each link opens a traject."""
    pages = walked["buddy-caseload"]
    opened = [p for p in pages if "/open/" in p.url]
    assert opened and all("geen toegang" not in p.text for p in opened), [p.url for p in pages]
    assert not any(p.broken_links for p in pages), _report(pages, "broken_links")


def test_the_id_check_would_see_an_id() -> None:
    """The check itself: what the pages must never show is found when it is there."""
    assert visible_ids("Let op (P-COACH-AFTER): maatje hv-buddy-1, Practitioner/hv-coach-2") == [
        "P-COACH-AFTER",
        "Practitioner/hv-coach-2",
        "hv-buddy-1",
    ]
    assert visible_ids("Contactperiode sinds 15 april 2026, 2 uur per week, P-waarde") == []


A4_PRINTABLE_PX = 688  # 210 mm less two 14 mm margins (app.css @page), at 96 px per inch


def open_buddy_traject(driver: Any, org: Any, query: str = "") -> None:
    set_width(driver, DESKTOP)
    launch_from_ehr(driver, org, "hv-buddy-3", "hv-youth-08", wait_for=LANDING)
    prefix = launch_prefix(driver)
    driver.get(f"{prefix}t/{first_traject(driver, prefix)}/{query}")


@pytest.mark.parametrize("range_key", ["3m", "alles"])
def test_the_timeline_and_its_table_hold_the_same_contacts_and_weeks(
    running: Any, driver: Any, range_key: str
) -> None:
    org, _app = running
    open_buddy_traject(driver, org, f"?bereik={range_key}")
    svg = driver.find_element("css selector", 'svg[data-testid="timeline"]')
    table_id = svg.get_attribute("aria-describedby")
    table = driver.find_element("id", table_id)  # the SVG names its text alternative, and it is there
    keys = (
        "return Array.from(arguments[0].querySelectorAll(arguments[1]))"
        ".map(e => e.getAttribute(arguments[2]))"
    )
    svg_contacts = driver.execute_script(keys, svg, "[data-start]", "data-start")
    table_contacts = driver.execute_script(keys, table, "li[data-start]", "data-start")
    svg_weeks = driver.execute_script(keys, svg, "rect.hours", "data-week")
    table_weeks = driver.execute_script(keys, table, "tr[data-assessed=ja]", "data-week")
    assert svg_contacts and sorted(svg_contacts) == sorted(table_contacts)
    assert svg_weeks and sorted(svg_weeks) == sorted(table_weeks)
    current = driver.find_element("css selector", '[data-testid="range-switch"] [aria-current="true"]')
    assert current.get_attribute("data-range") == range_key


def test_the_traject_page_prints_on_a4(running: Any, driver: Any) -> None:
    """Printed: no navigation or forms, the timeline scaled to the paper's width, nothing cut off."""
    import base64

    org, _app = running
    open_buddy_traject(driver, org)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        set_width(driver, (A4_PRINTABLE_PX, 1040))
        shown = "return getComputedStyle(document.querySelector(arguments[0])).display"
        assert driver.execute_script(shown, '[data-testid="nav"]') == "none"
        assert driver.execute_script(shown, '[data-testid="plan-form"]') == "none"
        width = driver.execute_script(
            "return document.querySelector('svg[data-testid=timeline]').getBoundingClientRect().width"
        )
        assert A4_PRINTABLE_PX * 0.8 < width <= A4_PRINTABLE_PX
        assert driver.execute_script("return document.documentElement.scrollWidth") <= A4_PRINTABLE_PX + 1
        pdf = driver.execute_cdp_cmd(
            "Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True}
        )
        assert base64.b64decode(pdf["data"]).startswith(b"%PDF")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        set_width(driver, DESKTOP)
