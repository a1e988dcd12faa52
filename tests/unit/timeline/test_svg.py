"""The timeline SVG: phases against their limits, contacts by type, hours against the norm, legend,
escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from hvol_fhir.programme.rules import traject_alerts
from hvol_fhir.timeline import Lane, Row, render
from sandbox.demo_scenario import build

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def rows() -> list[Row]:
    scenario = build(date(2026, 11, 30))
    out = []
    for story in scenario.stories:
        alerts = traject_alerts(story.traject, story.contacts, NOW, coach_contacts=[])
        out.append(
            Row(
                label=story.youth.given,
                traject=story.traject,
                contacts=tuple(story.contacts),
                alerts=tuple(alerts),
            )
        )
    return out


def test_one_traject_has_every_part() -> None:
    row = rows()[7]  # a contact period of 30 weeks
    svg = render([row], NOW)
    root = ET.fromstring(svg)
    classes = [el.get("class") or "" for el in root.iter()]
    assert any("phase" in c for c in classes)
    assert any("contact" in c for c in classes)
    assert any(c.startswith("hours") for c in classes)
    assert any("norm" in c for c in classes)
    assert any(el.get("data-limit") == "6w" for el in root.iter())
    assert root.find(f".//{SVG}g[@class='legend']") is not None
    assert len([e for e in root.iter() if "contact" in (e.get("class") or "")]) == len(row.contacts)


def test_weeks_without_face_to_face_are_marked() -> None:
    svg = render(rows()[5:9], NOW)
    assert 'class="nof2f"' in svg


def test_stacked_view_has_one_row_per_traject_and_escapes_labels() -> None:
    rs = rows()
    rs[0] = Row(label="<script>x</script>", traject=rs[0].traject)
    svg = render(rs, NOW, compact=True)
    root = ET.fromstring(svg)
    assert len(root.findall(f".//{SVG}g[@class='row']")) == len(rs)
    assert "<script>x" not in svg


def test_measurement_lane_hook() -> None:
    row = rows()[7]
    lane = Lane("alliantie", ((NOW.replace(month=10), 7.0), (NOW, 8.0)))
    svg = render([Row(row.label, row.traject, row.contacts, lanes=(lane,))], NOW)
    assert "alliantie" in svg and "polyline" in svg
