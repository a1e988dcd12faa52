"""The timeline's grid: a light line at every week, a stronger one with a Dutch label at every month.

Pure. Week lines only while a week is wide enough to see (a year or less on the axis); month labels read
"mrt 2026", every third month on a longer axis so they never overlap.
"""

from __future__ import annotations

from datetime import date, timedelta

from hvol_fhir.programme.clock import utc
from hvol_fhir.programme.text_nl import month_nl
from hvol_fhir.timeline.facts import RIGHT, WIDTH, Axis, first_monday

WEEK_GRID_MAX_DAYS = 400


def week_grid(axis: Axis, top: float, bottom: float) -> list[str]:
    if (utc(axis.end) - utc(axis.start)).days > WEEK_GRID_MAX_DAYS:
        return []
    out: list[str] = ['<g class="weekgrid" aria-hidden="true">']
    day = first_monday(axis) + timedelta(days=7)
    while (x := axis.xd(day)) < WIDTH - RIGHT:
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" class="wk"/>')
        day += timedelta(days=7)
    out.append("</g>")
    return out


def month_grid(axis: Axis, top: float, bottom: float) -> list[str]:
    out: list[str] = []
    day = axis.start.date().replace(day=1)
    step = 1 if (utc(axis.end) - utc(axis.start)).days < WEEK_GRID_MAX_DAYS else 3
    while True:
        month = day.month - 1 + step
        day = date(day.year + month // 12, month % 12 + 1, 1)
        x = axis.xd(day)
        if x >= WIDTH - RIGHT:
            break
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        out.append(f'<text x="{x + 2:.1f}" y="{top - 4}" class="tick">{month_nl(day)}</text>')
    return out
