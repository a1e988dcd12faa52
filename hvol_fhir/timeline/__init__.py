"""The CarePlan timeline, drawn as SVG on the server (pure: domain objects in, an SVG string out), with its
range switch and its text alternative (issue 15)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hvol_fhir.timeline.facts import Lane, Row, axis_for
from hvol_fhir.timeline.ranges import RANGE_PARAM, parse_range, range_options, range_start
from hvol_fhir.timeline.svg import render, render_on
from hvol_fhir.timeline.table import text_alternative

__all__ = [
    "RANGE_PARAM",
    "Drawing",
    "Lane",
    "Row",
    "drawing",
    "parse_range",
    "range_options",
    "range_start",
    "render",
]


@dataclass(frozen=True)
class Drawing:
    svg: str
    table: str  # the text alternative (HTML), the SVG's aria-describedby points at its first table
    range_key: str
    ranges: list[tuple[str, str, bool]]  # (key, Dutch label, current) for the switch


def drawing(
    rows: Sequence[Row],
    now: datetime,
    range_value: str | None,
    *,
    compact: bool = False,
    title: str = "Tijdlijn van het traject",
    table_id: str = "tijdlijn-tabel",
) -> Drawing:
    """The SVG and its table over one axis, for the range asked (`?bereik=3m|12m|alles`)."""
    key = parse_range(range_value)
    axis = axis_for(rows, now, start=range_start(key, now))
    return Drawing(
        svg=render_on(rows, now, axis, compact, title, table_id),
        table=text_alternative(rows, now, axis, table_id=table_id),
        range_key=key,
        ranges=range_options(key),
    )
