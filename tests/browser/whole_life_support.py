"""The stage for tests/browser/test_whole_life.py: a clock the story moves forward, synthetic girls in the
sandbox EHR, and the few things every step does in Chromium (launch as a role, open a page of the traject,
fill a form as a user would, read the refusal on screen, take the step's screenshot).

The app's clock (``HVOL_CLOCK``) starts months in the past and moves forward step by step, so a traject of
months runs in one test; it never passes the real today, because the authorization server derives journal
clearance from CareTeam periods against the real date. During a launch itself the clock is the real one:
the authorization server signs the id token with the real time, and the app rightly refuses one issued
months "in the future".
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import time as real_time
from typing import Any
from zoneinfo import ZoneInfo

from .conftest import launch_from_ehr

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "whole-life"
LANDING = '[data-testid="programme-links"]'


def page_gone(element: Any) -> bool:
    """Whether ``element``'s page has been replaced. Chromium sometimes answers a check on a node of a page
    that is just going away with an inspector error instead of a stale reference: that means gone too."""
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException is one of these
        return True
    return False


@dataclass
class StoryClock:
    """``HVOL_CLOCK`` for the app: seconds since the epoch at the story's current day and hour."""

    now: datetime
    live: bool = False  # True while a launch runs (the real time, see above)

    def __call__(self) -> float:
        return real_time() if self.live else self.now.timestamp()

    def on(self, day: date, hour: int = 10) -> None:
        moment = datetime.combine(day, time(hour), tzinfo=AMSTERDAM)
        assert moment >= self.now, f"the story runs forward only: {moment} after {self.now}"
        assert moment.date() <= date.today(), "the story stays before the real today (clearance)"
        self.now = moment


def years_before(day: date, years: int) -> date:
    return (
        day.replace(year=day.year - years)
        if (day.month, day.day) != (2, 29)
        else day - timedelta(days=365 * years)
    )


def synthetic_girl(admin: Any, given: str, family: str, birth: date) -> str:
    """A new Patient with an invented name and no BSN; her id is fresh per run (the launcher lists her)."""
    pid = f"wl-{given.lower()}-{uuid.uuid4().hex[:10]}"
    body = {
        "resourceType": "Patient",
        "id": pid,
        "active": True,
        "identifier": [{"system": "https://hvol-fhir.org/fhir/sid/youth", "value": pid}],
        "name": [{"use": "official", "family": family, "given": [given], "text": f"{given} {family}"}],
        "gender": "female",
        "birthDate": birth.isoformat(),
    }
    resp = admin.put(f"Patient/{pid}", body)
    assert resp.status_code in (200, 201), resp.text
    return pid


@dataclass
class Stage:
    """One Chromium, one app, one story: who is logged in, which girl, which traject."""

    driver: Any
    org: Any
    admin: Any
    clock: StoryClock
    name: str
    prefix: str = ""
    ident: str = ""
    steps: list[str] = field(default_factory=list)

    # --- moving around ---

    def as_(self, user: str, patient: str) -> None:
        """A fresh EHR launch: the user opens the app from the girl's record."""
        self.driver.delete_all_cookies()
        self.clock.live = True
        try:
            launch_from_ehr(self.driver, self.org, user, patient, wait_for=LANDING)
        finally:
            self.clock.live = False
        found = re.match(r"(.*/l/[^/]+/)", self.driver.current_url)
        assert found, self.driver.current_url
        self.prefix = found.group(1)

    def open_traject(self) -> None:
        """As a user does: her trajects, then this one."""
        self.css('[data-testid="trajects-link"]').click()
        self.css(f'[data-testid="open-traject"][href*="/t/{self.ident}/"]').click()

    def go(self, page: str = "") -> None:
        """A page of the current traject (``""`` is the traject page itself)."""
        self.driver.get(f"{self.prefix}t/{self.ident}/{page}")

    def css(self, selector: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, selector))

    def text(self) -> str:
        return str(self.css("body").text)

    # --- forms ---

    def fill(self, form: str, **values: str | bool) -> None:
        """Type into and pick in `form` what a user would: text, dates and times, selects, checkboxes and
        radios (True ticks, False leaves it clear; a radio or a checkbox among several is named by value)."""
        from selenium.webdriver.support.ui import Select

        root = self.css(form)
        for name, value in values.items():
            fields = root.find_elements("css selector", f'[name="{name}"]')
            assert fields, f"{form} has no field {name}"
            first = fields[0]
            kind = (first.get_attribute("type") or "").lower()
            if kind in ("checkbox", "radio"):
                for f in fields:
                    wanted = value is True if len(fields) == 1 else f.get_attribute("value") == value
                    if f.is_selected() != wanted:
                        f.click()
            elif first.tag_name == "select":
                Select(first).select_by_value(str(value))
            elif kind in ("date", "time"):
                # a date field's parts follow the browser's locale; set it as its own picker would
                self.driver.execute_script(
                    "arguments[0].value = arguments[1];"
                    "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                    first,
                    str(value),
                )
            else:
                first.clear()
                first.send_keys(str(value))

    def submit(self, form: str) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.css("body")
        root = self.css(form)
        buttons = root.find_elements("css selector", 'button[type="submit"], button:not([type])')
        if buttons:
            buttons[0].click()
        else:
            root.submit()
        WebDriverWait(self.driver, 60).until(lambda _d: page_gone(old))

    def refusal(self) -> str:
        """The refusal on screen: the form's error box, or the error page's message."""
        boxes = self.all('[data-testid="errors"]') + self.all('[data-testid="error-message"]')
        assert boxes, f"no refusal on screen: {self.text()[:500]}"
        return " ".join(str(b.text) for b in boxes)

    def phase(self, action: str, day: date, **choices: str) -> None:
        """The coordinator's phase form on the traject page."""
        self.go()
        self.fill('[data-testid="phase-form"]', action=action, date=day.isoformat(), **choices)
        self.submit('[data-testid="phase-form"]')

    def add_member(self, member: str, role: str, **extra: str) -> None:
        self.go()
        self.fill('[data-testid="team-form"]', member=member, role=role, **extra)
        self.submit('[data-testid="team-form"]')
        assert self.all('[data-testid="saved"]'), self.text()[:800]

    # --- evidence ---

    def shot(self, step: str) -> None:
        """The step's screenshot: whole-life/<girl>-<nn>-<step>.png, numbered in story order."""
        self.steps.append(step)
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{self.name}-{len(self.steps):02d}-{step}.png"))

    def search(self, query: str) -> list[dict[str, Any]]:
        """Every resource of a search at the server, read with the sandbox's admin token (all pages)."""
        out: list[dict[str, Any]] = []
        url: str | None = query
        while url:
            resp = self.admin.get(url)
            assert resp.status_code == 200, resp.text
            bundle = resp.json()
            out += [
                e["resource"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") != "include"
            ]
            url = next((lk["url"] for lk in bundle.get("link", []) if lk["relation"] == "next"), None)
        return out
