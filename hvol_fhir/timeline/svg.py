"""The traject timeline as SVG: phases against their limits, contacts by type, weekly hours against the norm,
weeks without face-to-face contact, coach follow-ups, alerts, a legend; one row per traject on one time axis.

Pure: `render(rows, now)` takes domain objects and returns an SVG document. Nothing from the journal goes in:
a row holds contacts (date, time, type), coach-contact moments and alerts. Shapes differ per contact type and
the norm lines are dashed, so the chart reads in black and white on paper. Measurement scores are extra
lanes (`Row.lanes`: points of 0-10 drawn as a line).

Issue 15: `start` (a range of `ranges.py`) cuts the axis; what lies before it is left out, not piled up at
the edge. Signals are gathered per week into one numbered mark in a lane of their own above the contacts,
so they never cover a contact. A week grid under everything. `described_by` names the element (the text
alternative of `table.py`) that says the same in words. What is drawn comes from `facts.py`, which the
table uses too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert
from hvol_fhir.programme.clock import local, local_date, utc
from hvol_fhir.programme.rules.inclusion import INCLUSION_DAYS
from hvol_fhir.programme.rules.introduction import INTRO_DAYS
from hvol_fhir.programme.rules.weekly import face_to_face_weeks, weekly_contact_time
from hvol_fhir.programme.text_nl import date_nl, duration_nl
from hvol_fhir.timeline.facts import (
    LEFT,
    RIGHT,
    WIDTH,
    Axis,
    Lane,
    Row,
    axis_for,
    shown_contacts,
    shown_weeks,
    signals_by_week,
)
from hvol_fhir.timeline.grid import month_grid, week_grid
from hvol_fhir.timeline.labels import phase_nl as _phase_nl
from hvol_fhir.timeline.labels import type_nl as _type_nl
from hvol_fhir.timeline.labels import week_label

__all__ = ["Axis", "Lane", "Row", "axis_for", "render"]

NORM_HOURS: Final = 2.0
MAX_HOURS: Final = 4.0  # the hours lane is cut off here; the value stays in the tooltip
PHASE_FILL: Final = {
    c.PHASE_PREPARATION: "#e8e2f0",
    c.PHASE_INCLUSION: "#d9c7ea",
    c.PHASE_INTRODUCTION: "#b894d6",
    c.PHASE_CONTACT_PERIOD: "#8d5cb8",
    c.PHASE_CLOSURE: "#4b2c66",
}
PHASE_LIMIT_DAYS: Final = {c.PHASE_INCLUSION: INCLUSION_DAYS, c.PHASE_INTRODUCTION: INTRO_DAYS}
SEVERITY_FILL: Final = {"info": "#1f6fb2", "warning": "#b36b00", "block": "#b3261e"}


def _t(text: str) -> str:
    return escape(text)


def _a(text: str) -> str:
    return quoteattr(text)


def _shape(kind: str, x: float, y: float, title: str, cls: str = "") -> str:
    tip = f"<title>{_t(title)}</title>"
    extra = f' class="{cls}"' if cls else ""
    if kind == c.CONTACT_FACE_TO_FACE:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#1d1b20"{extra}>{tip}</circle>'
    if kind == c.CONTACT_VIDEO:
        return (
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#fff" stroke="#1d1b20" '
            f'stroke-width="1.5"{extra}>{tip}</rect>'
        )
    if kind == c.CONTACT_PHONE:
        return (
            f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 4:.1f} L{x - 5:.1f},{y + 4:.1f} Z" fill="#fff" '
            f'stroke="#1d1b20" stroke-width="1.5"{extra}>{tip}</path>'
        )
    if kind == c.CONTACT_MESSAGING:
        return (
            f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},{y + 5:.1f} '
            f'L{x - 5:.1f},{y:.1f} Z" fill="#777"{extra}>{tip}</path>'
        )
    return (
        f'<path d="M{x - 4:.1f},{y - 4:.1f} L{x + 4:.1f},{y + 4:.1f} M{x + 4:.1f},{y - 4:.1f} '
        f'L{x - 4:.1f},{y + 4:.1f}" stroke="#1d1b20" stroke-width="2"{extra}>{tip}</path>'
    )


def _phases(row: Row, axis: Axis, y: float, now: datetime) -> list[str]:
    out: list[str] = []
    for p in row.traject.phases:
        x1 = axis.x(p.start)
        x2 = axis.x(p.end or now)
        width = max(2.0, x2 - x1)
        name = _phase_nl(p.phase)
        tip = f"{name}: {date_nl(local_date(p.start))} – " + (date_nl(local_date(p.end)) if p.end else "nu")
        out.append(
            f'<rect x="{x1:.1f}" y="{y}" width="{width:.1f}" height="14" fill="{PHASE_FILL[p.phase]}" '
            f'stroke="#4b2c66" stroke-width="0.5" class="phase" data-phase={_a(p.phase)}>'
            f"<title>{_t(tip)}</title></rect>"
        )
        if width > 60:
            fill = "#fff" if p.phase in (c.PHASE_CONTACT_PERIOD, c.PHASE_CLOSURE) else "#1d1b20"
            out.append(f'<text x="{x1 + 3:.1f}" y="{y + 11}" class="small" fill="{fill}">{_t(name)}</text>')
        limit = PHASE_LIMIT_DAYS.get(p.phase)
        if limit:
            due = local_date(p.start) + timedelta(days=limit)
            x = axis.xd(due)
            over = (p.end and local_date(p.end) > due - timedelta(days=1)) or (
                p.end is None and local_date(now) >= due
            )
            weeks = limit // 7
            limit_tip = f"Grens {name}: {weeks} weken (tot {date_nl(due - timedelta(days=1))})"
            out.append(
                f'<line x1="{x:.1f}" y1="{y - 3}" x2="{x:.1f}" y2="{y + 17}" '
                f'class="limit{" over" if over else ""}" '
                f'data-limit="{weeks}w"><title>{_t(limit_tip)}</title></line>'
            )
    return out


def _hours(row: Row, axis: Axis, y: float, height: float, now: datetime) -> list[str]:
    out = [
        f'<line x1="{LEFT}" y1="{y + height:.1f}" x2="{WIDTH - RIGHT}" y2="{y + height:.1f}" class="base"/>'
    ]
    norm_y = y + height - height * NORM_HOURS / MAX_HOURS
    out.append(f'<line x1="{LEFT}" y1="{norm_y:.1f}" x2="{WIDTH - RIGHT}" y2="{norm_y:.1f}" class="norm"/>')
    totals = weekly_contact_time(row.contacts)
    f2f = face_to_face_weeks(row.contacts)
    for week in shown_weeks(row, axis, now):
        total = totals.get(week, timedelta(0))
        hours = total.total_seconds() / 3600
        x1, x2 = axis.x(week.start), axis.x(week.end)
        bar = height * min(hours, MAX_HOURS) / MAX_HOURS
        past = utc(now) >= utc(week.end)
        short = hours < NORM_HOURS and past
        cls = "hours short" if short else "hours"
        tip = f"{week_label(week)}: {duration_nl(total)} contact (norm 2 uur)"
        out.append(
            f'<rect x="{x1 + 0.5:.1f}" y="{y + height - bar:.1f}" width="{max(1.0, x2 - x1 - 1):.1f}" '
            f'height="{bar:.1f}" '
            f'class="{cls}" data-week="{week}"><title>{_t(tip)}</title></rect>'
        )
        if week not in f2f and past:
            out.append(
                f'<text x="{(x1 + x2) / 2:.1f}" y="{y + height + 10:.1f}" class="nof2f" text-anchor="middle" '
                f'data-week="{week}">×<title>{_t(week_label(week))}: geen face-to-face contact</title></text>'
            )
    return out


def _contacts(row: Row, axis: Axis, y: float, alerts: Sequence[Alert]) -> list[str]:
    no_coach = {s for a in alerts if a.rule_id == "P-COACH-AFTER" for s in a.subjects}
    out: list[str] = []
    for x in shown_contacts(row, axis):
        at = local(x.start)
        tip = (
            f"{date_nl(at.date())} {at:%H:%M}–{local(x.end):%H:%M}, {_type_nl(x.contact_type)} "
            f"({duration_nl(x.duration)})"
        )
        cx = axis.x(x.start)
        # Issue 14: planned, not taken place (no contact time) and network contacts each look their own way.
        state = "missed" if x.missed_reason else "planned" if x.status == "planned" else ""
        tip += {"missed": " (niet doorgegaan)", "planned": " (gepland)"}.get(state, "")
        tip += " (met het netwerk)" if x.network else ""
        shape = _shape(x.contact_type, cx, y, tip, f"contact {state}".strip())
        # The same key as the text alternative's row, so a test can hold the two side by side.
        out.append(shape.replace(" class=", f" data-start={_a(at.isoformat())} class=", 1))
        if x.id and f"Encounter/{x.id}" in no_coach:
            out.append(
                f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="8" class="nocoach">'
                f"<title>{_t('Nog geen contact met de coach na dit contact')}</title></circle>"
            )
    for moment in (m for m in row.coach_contacts if axis.holds(m)):
        cx = axis.x(moment)
        out.append(
            f'<line x1="{cx:.1f}" y1="{y + 8}" x2="{cx:.1f}" y2="{y + 14}" class="coach">'
            f"<title>{_t('Contact met de coach op ' + date_nl(local_date(moment)))}</title></line>"
        )
    return out


def _signals(row: Row, axis: Axis, y: float, now: datetime) -> list[str]:
    """One mark per week with the number of signals, coloured by the most severe; the messages in its
    tooltip (never a rule id). The lane is its own, so a busy week never hides a contact."""
    out: list[str] = []
    for week, found in sorted(signals_by_week(row.alerts, now, axis).items()):
        x = (axis.x(week.start) + axis.x(week.end)) / 2
        worst, fill, count = found[0].severity, SEVERITY_FILL[found[0].severity], min(len(found), 99)
        tip = f"{week_label(week)}: " + "; ".join(a.message_nl for a in found)
        out.append(
            f'<g class="signal {worst}" data-week="{week}" data-count="{len(found)}">'
            f'<rect x="{x - 7:.1f}" y="{y - 7:.1f}" width="14" height="13" rx="3" fill="{fill}"/>'
            f'<text x="{x:.1f}" y="{y + 3:.1f}" class="count" text-anchor="middle">{count}</text>'
            f"<title>{_t(tip)}</title></g>"
        )
    return out


def _lanes(row: Row, axis: Axis, y: float) -> list[str]:
    out: list[str] = []
    for i, lane in enumerate(row.lanes):
        top = y + i * 26
        out.append(
            f'<text x="{LEFT - 6}" y="{top + 14}" class="small" text-anchor="end">{_t(lane.label)}</text>'
        )
        pts = " ".join(
            f"{axis.x(m):.1f},{top + 22 - 2 * max(0.0, min(10.0, v)):.1f}"
            for m, v in sorted(lane.points, key=lambda p: utc(p[0]))
            if axis.holds(m)
        )
        if pts:
            out.append(f'<polyline points="{pts}" class="score"/>')
    return out


def _legend(y: float) -> list[str]:
    items = [
        (k, _type_nl(k))
        for k in (
            c.CONTACT_FACE_TO_FACE,
            c.CONTACT_VIDEO,
            c.CONTACT_PHONE,
            c.CONTACT_MESSAGING,
            c.CONTACT_EMAIL,
        )
    ]
    out = ['<g class="legend" data-testid="legend">']
    x = 10.0
    for kind, label in items:
        out.append(_shape(kind, x + 5, y, label))
        out.append(f'<text x="{x + 14}" y="{y + 4}" class="small">{_t(label)}</text>')
        x += 24 + 6.5 * len(label)
    extras = [
        ('<line x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" class="limit"/>', "grens fase (6 / 3 weken)"),
        ('<line x1="{x}" y1="{ym}" x2="{x2}" y2="{ym}" class="norm"/>', "norm 2 uur per week"),
        ('<text x="{x}" y="{y4}" class="nof2f">×</text>', "week zonder face-to-face"),
        ('<circle cx="{xc}" cy="{ym}" r="6" class="nocoach"/>', "nog geen coachcontact"),
        ('<line x1="{xc}" y1="{y0}" x2="{xc}" y2="{y1}" class="coach"/>', "coachcontact"),
        (
            '<rect x="{x}" y="{y0}" width="12" height="12" rx="3" fill="#8a5300"/>'
            '<text x="{xc}" y="{y4}" class="count" text-anchor="middle">2</text>',
            "signalen in die week",
        ),
    ]
    x, y = 10.0, y + 18
    for shape, label in extras:
        out.append(shape.format(x=x, x2=x + 12, x10=x + 10, xc=x + 5, y0=y - 6, y1=y + 6, ym=y, y4=y + 4))
        out.append(f'<text x="{x + 16}" y="{y + 4}" class="small">{_t(label)}</text>')
        x += 26 + 6.2 * len(label)
    out.append("</g>")
    return out


_STYLE: Final = """
text{font-family:system-ui,sans-serif;fill:#1d1b20}.small{font-size:10px}.tick{font-size:9px;fill:#555}
.label{font-size:11px;font-weight:600}.grid{stroke:#ddd;stroke-width:0.5}.base{stroke:#999;stroke-width:0.5}
.norm{stroke:#1d1b20;stroke-width:1;stroke-dasharray:4 3}
.limit{stroke:#1d1b20;stroke-width:1.5;stroke-dasharray:2 2}
.limit.over{stroke:#b3261e;stroke-width:2.5}.hours{fill:#b894d6}.hours.short{fill:#fff;stroke:#b3261e;stroke-width:1}
.nof2f{font-size:11px;fill:#b3261e;font-weight:700}
.nocoach{fill:none;stroke:#b36b00;stroke-width:1.5;stroke-dasharray:2 1}
.coach{stroke:#1f6fb2;stroke-width:2}.score{fill:none;stroke:#1f6fb2;stroke-width:1.5}.planned{opacity:.45}
.missed{opacity:.25;stroke-dasharray:2 2}
.wk{stroke:#e2e2e2;stroke-width:0.6}.count{font-size:9px;font-weight:700;fill:#fff}
@media print{.grid{stroke:#bbb}.wk{stroke:#ddd}}
"""


def render(
    rows: Sequence[Row],
    now: datetime,
    *,
    compact: bool = False,
    title: str = "Tijdlijn van het traject",
    start: datetime | None = None,
    end: datetime | None = None,
    described_by: str | None = None,
) -> str:
    """One SVG; `compact` (the coordinator's stacked view) leaves out the hours lane; `start` and `end` cut
    the axis (a range); `described_by`: the id of its text alternative on the same page."""
    return render_on(rows, now, axis_for(rows, now, start=start, end=end), compact, title, described_by)


def render_on(
    rows: Sequence[Row], now: datetime, axis: Axis, compact: bool, title: str, described_by: str | None
) -> str:
    body: list[str] = []
    y = 70.0
    row_height = 58.0 if compact else 118.0
    top = y
    for row in rows:
        lanes_height = 26.0 * len(row.lanes)
        label = _t(row.label)
        if row.href:
            label = f"<a href={_a(row.href)}>{label}</a>"
        body.append(f'<g class="row" data-traject={_a(row.traject.identifier)}>')
        body.append(f'<text x="{LEFT - 6}" y="{y + 12}" class="label" text-anchor="end">{label}</text>')
        body += _phases(row, axis, y, now)
        body += _signals(row, axis, y + 26, now)
        body += _contacts(row, axis, y + (42 if compact else 46), row.alerts)
        if not compact:
            body.append(f'<text x="{LEFT - 6}" y="{y + 30}" class="small" text-anchor="end">signalen</text>')
            body.append(f'<text x="{LEFT - 6}" y="{y + 50}" class="small" text-anchor="end">contacten</text>')
            body.append(
                f'<text x="{LEFT - 6}" y="{y + 82}" class="small" text-anchor="end">uren per week</text>'
            )
            body += _hours(row, axis, y + 62, 36, now)
            body += _lanes(row, axis, y + row_height - 6)
        body.append("</g>")
        y += row_height + lanes_height
    x_now = axis.x(now)
    body.append(
        f'<line x1="{x_now:.1f}" y1="{top - 8}" x2="{x_now:.1f}" y2="{y - 6}" '
        'stroke="#b3261e" stroke-width="1"/>'
    )
    body.append(f'<text x="{x_now + 2:.1f}" y="{y}" class="small" fill="#b3261e">vandaag</text>')
    height = y + 40
    described = f" aria-describedby={_a(described_by)}" if described_by else ""
    # An image may hold no links (axe: nested-interactive); the stacked view's row labels are links.
    role = "group" if any(r.href for r in rows) else "img"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" '
        f'height="{height:.0f}" role="{role}" aria-label={_a(title)}{described} data-testid="timeline">',
        f"<title>{_t(title)}</title><style>{_STYLE}</style>",
        '<rect x="0" y="0" width="100%" height="100%" fill="#fff"/>',
        *_legend(16),
        *week_grid(axis, top - 8, y - 6),
        *month_grid(axis, top - 8, y - 6),
        *body,
        "</svg>",
    ]
    return "\n".join(parts)
