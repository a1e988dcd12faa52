"""Trends: change since last time, the timeline lanes and the chart on a fixed 0-10 axis (issue 7)."""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree

from hvol_fhir.measurements import questionnaire
from hvol_fhir.measurements.trend import TREND_DOMAINS, changes, chart_svg, delta_nl, lanes_for, series
from hvol_fhir.programme import codes as c
from hvol_fhir.timeline import Row, render

from .builders import at, measurement, traject

T = traject(
    (c.PHASE_INTRODUCTION, at(2026, 1, 5), at(2026, 1, 26)), (c.PHASE_CONTACT_PERIOD, at(2026, 1, 26), None)
)
MS = [
    measurement(
        at(2026, 2, 9), "m1", wellbeing_overall=5, wellbeing_friends=5, wellbeing_parents=5, autonomy=4
    ),
    measurement(
        at(2026, 2, 23), "m2", wellbeing_overall=7, wellbeing_friends=7, wellbeing_parents=7, autonomy=4
    ),
]


def test_changes_since_last_time() -> None:
    found = {ch.link_id: ch for ch in changes(list(reversed(MS)), questionnaire())}
    assert (
        found["wellbeing-overall"].last,
        found["wellbeing-overall"].previous,
        found["wellbeing-overall"].delta,
    ) == (7, 5, 2)
    assert found["autonomy"].delta == 0
    assert changes(MS[:1], questionnaire())[0].delta is None


def test_delta_text() -> None:
    assert [delta_nl(x) for x in (2, -1.5, 0.0, None)] == ["+2", "−1,5", "=", ""]


def test_series_and_lanes_for_the_timeline_hook() -> None:
    assert [v for _m, v in series(MS, ("wellbeing-overall", "wellbeing-friends"))] == [5.0, 7.0]
    lanes = lanes_for(MS)
    assert [lane.label.rsplit(" ", 2)[0] for lane in lanes] == [d for d, _ in TREND_DOMAINS]
    assert lanes[0].label == "Welzijn 7,0 (+2)"
    svg = render([Row(label="Noa", traject=T, lanes=lanes)], at(2026, 3, 1))
    ElementTree.fromstring(svg)
    assert svg.count('class="score"') >= len(lanes)


def test_chart_has_a_fixed_axis_phase_bands_and_the_last_change() -> None:
    svg = chart_svg(T, MS, at(2026, 3, 1))
    root = ElementTree.fromstring(svg)
    assert root.get("data-testid") == "trend"
    panels = re.findall(r'<g class="panel" data-domain="([^"]+)"', svg)
    assert panels == [d for d, _ in TREND_DOMAINS]
    assert svg.count('class="tick" text-anchor="end">10<') == len(panels)  # every panel: 0, 5, 10
    assert 'data-phase="contact-period"' in svg and 'data-phase="introduction"' in svg
    assert "7,0 (+2)</text>" in svg
    # the same score sits at the same height in every chart: nothing is rescaled
    low = chart_svg(
        T,
        [measurement(at(2026, 2, 9), "x", wellbeing_overall=2, wellbeing_friends=2, wellbeing_parents=2)],
        at(2026, 3, 1),
    )

    def y_of(text: str) -> str:
        found = re.search(r'data-domain="Welzijn">.*?<circle cx="[\d.]+" cy="([\d.]+)"', text, re.S)
        assert found
        return found.group(1)

    assert float(y_of(low)) > float(y_of(svg))


def test_chart_without_measurements() -> None:
    svg = chart_svg(T, [], at(2026, 3, 1) + timedelta(days=1))
    assert svg.count("nog geen metingen") == len(TREND_DOMAINS)
