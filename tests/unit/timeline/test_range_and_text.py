"""Issue 15's timeline: the range switch, signals per week above the contacts, the week grid, Dutch month
labels, and the text alternative holding the same contacts and weeks as the SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest

from hvol_fhir.programme.clock import IsoWeek, local_date
from hvol_fhir.programme.rules import traject_alerts
from hvol_fhir.timeline import Row, drawing, parse_range, range_start, render
from sandbox.demo_scenario import build

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def long_row() -> Row:
    """The demo's running traject with the most contacts (months of contact period, with signals)."""
    scenario = build(date(2026, 11, 30))
    rows = [
        Row(
            s.youth.given,
            s.traject,
            tuple(s.contacts),
            tuple(traject_alerts(s.traject, s.contacts, NOW, coach_contacts=[])),
        )
        for s in scenario.stories
        if any(x.start > NOW - timedelta(days=30) for x in s.contacts)
    ]
    return max((r for r in rows if r.alerts), key=lambda r: len(r.contacts))


class _Table(HTMLParser):
    """The keys of a text alternative: its weeks (assessed or not) and its contacts."""

    def __init__(self) -> None:
        super().__init__()
        self.weeks: dict[str, str] = {}
        self.contacts: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("data-week"):
            self.weeks[str(a["data-week"])] = str(a.get("data-assessed"))
        if tag == "li" and a.get("data-start"):
            self.contacts.add(str(a["data-start"]))


def svg_keys(svg: str) -> tuple[set[str], set[str]]:
    root = ET.fromstring(svg)
    contacts = {str(e.get("data-start")) for e in root.iter() if e.get("data-start")}
    weeks = {str(e.get("data-week")) for e in root.iter() if (e.get("class") or "").startswith("hours")}
    return contacts, weeks


@pytest.mark.parametrize("range_key", ["3m", "12m", "alles"])
def test_the_table_holds_the_same_contacts_and_weeks_as_the_svg(range_key: str) -> None:
    row = long_row()
    d = drawing([row], NOW, range_key)
    contacts, weeks = svg_keys(d.svg)
    table = _Table()
    table.feed(d.table)
    assert contacts and weeks  # a traject with contacts in every range
    assert table.contacts == contacts
    assert {w for w, assessed in table.weeks.items() if assessed == "ja"} == weeks
    assert 'aria-describedby="tijdlijn-tabel"' in d.svg and 'id="tijdlijn-tabel"' in d.table


def test_a_range_leaves_out_what_lies_before_it() -> None:
    row = long_row()
    everything, _ = svg_keys(render([row], NOW))
    last3, weeks3 = svg_keys(drawing([row], NOW, "3m").svg)
    start = range_start("3m", NOW)
    assert start is not None and start.weekday() == 0 and start.hour == 0
    assert local_date(start) == IsoWeek.of(NOW).monday - timedelta(weeks=12)
    assert last3 < everything  # fewer, not piled up at the left edge
    assert all(datetime.fromisoformat(s) >= start for s in last3)
    assert len(weeks3) <= 13


def test_an_unknown_range_shows_everything() -> None:
    assert parse_range("drie jaar") == "alles" and parse_range(None) == "alles"
    assert range_start("alles", NOW) is None


def _top_bottom(el: ET.Element) -> tuple[float, float]:
    if el.tag == f"{SVG}circle":
        cy, r = float(el.get("cy", 0)), float(el.get("r", 0))
        return cy - r, cy + r
    if el.tag == f"{SVG}rect":
        y = float(el.get("y", 0))
        return y, y + float(el.get("height", 0))
    ys = [float(v) for v in re.findall(r"[-\d.]+,([-\d.]+)", el.get("d", ""))]
    return min(ys), max(ys)


def test_signals_are_one_mark_per_week_in_a_lane_of_their_own() -> None:
    row = long_row()
    svg = render([row], NOW)
    root = ET.fromstring(svg)
    marks = [g for g in root.iter(f"{SVG}g") if "signal" in (g.get("class") or "")]
    weeks = [g.get("data-week") for g in marks]
    assert marks and len(weeks) == len(set(weeks))  # one mark per week
    assert sum(int(g.get("data-count", 0)) for g in marks) == len(row.alerts)
    assert not any(re.search(r"P-[A-Z0-9]", g.findtext(f"{SVG}title") or "") for g in marks)
    lowest_signal = max(_top_bottom(g.find(f"{SVG}rect"))[1] for g in marks)  # type: ignore[arg-type]
    contacts = [e for e in root.iter() if e.get("data-start")]
    highest_contact = min(_top_bottom(e)[0] for e in contacts)
    assert lowest_signal < highest_contact - 2  # the signals never cover a contact


def test_week_grid_and_dutch_month_labels() -> None:
    svg = drawing([long_row()], NOW, "12m").svg
    root = ET.fromstring(svg)
    assert len([e for e in root.iter(f"{SVG}line") if e.get("class") == "wk"]) >= 40
    ticks = [e.text or "" for e in root.iter(f"{SVG}text") if e.get("class") == "tick"]
    month = re.compile(r"(jan|feb|mrt|apr|mei|jun|jul|aug|sep|okt|nov|dec) \d{4}")
    assert ticks and all(month.fullmatch(t) for t in ticks)
    assert not re.search(r">\d\d-\d{4}<", svg)


def test_an_svg_with_links_is_no_image() -> None:
    """Screen readers skip what is inside an image: the stacked view's links must stay reachable."""
    row = long_row()
    assert 'role="img"' in render([row], NOW)
    linked = Row(row.label, row.traject, row.contacts, href="/l/x/t/y/")
    svg = render([linked], NOW, compact=True)
    assert 'role="group"' in svg and 'role="img"' not in svg and "<a href=" in svg
