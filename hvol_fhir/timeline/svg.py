"""The traject timeline as SVG: phases against their limits, contacts by type, weekly hours against the norm,
weeks without face-to-face contact, coach follow-ups, alerts, a legend; one row per traject on one time axis.

Pure: `render(rows, now)` takes domain objects and returns an SVG document. Nothing from the journal goes in:
a row holds contacts (date, time, type), coach-contact moments and alerts. Shapes differ per contact type and
the norm lines are dashed, so the chart reads in black and white on paper. Measurement scores are extra lanes
(`Row.lanes`: points of 0-10 drawn as a line; the page kit fills them for the roles that may see scores).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from hvol_fhir import terminology as t
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert
from hvol_fhir.programme.clock import local, local_date, utc
from hvol_fhir.programme.model import Contact, Traject
from hvol_fhir.programme.rules.inclusion import INCLUSION_DAYS
from hvol_fhir.programme.rules.introduction import INTRO_DAYS
from hvol_fhir.programme.rules.weekly import assessed_weeks, face_to_face_weeks, weekly_contact_time
from hvol_fhir.programme.text_nl import date_nl, duration_nl

WIDTH: Final = 1100
LEFT: Final = 170  # room for the row labels
RIGHT: Final = 20
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


@dataclass(frozen=True)
class Lane:
    """An extra lane of 0-10 values over time (issue 7: measurement scores)."""

    label: str
    points: tuple[tuple[datetime, float], ...]


@dataclass(frozen=True)
class Row:
    label: str
    traject: Traject
    contacts: tuple[Contact, ...] = ()
    alerts: tuple[Alert, ...] = ()
    coach_contacts: tuple[datetime, ...] = ()
    lanes: tuple[Lane, ...] = field(default_factory=tuple)
    href: str | None = None  # the row label links here (coordinator's stacked view)


@dataclass(frozen=True)
class Axis:
    start: datetime
    end: datetime

    def x(self, moment: datetime) -> float:
        span = (utc(self.end) - utc(self.start)).total_seconds() or 1.0
        share = (utc(moment) - utc(self.start)).total_seconds() / span
        return LEFT + max(0.0, min(1.0, share)) * (WIDTH - LEFT - RIGHT)

    def xd(self, day: date) -> float:
        return self.x(datetime.combine(day, datetime.min.time(), tzinfo=local(self.start).tzinfo))


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


def _type_nl(kind: str) -> str:
    try:
        return t.display(c.CONTACT_TYPE, kind)
    except Exception:  # noqa: BLE001 - a label, never a reason to fail the page
        return kind


def _phase_nl(phase: str) -> str:
    try:
        return t.display(c.TRAJECT_PHASE, phase)
    except Exception:  # noqa: BLE001
        return phase


def axis_for(
    rows: Sequence[Row], now: datetime, *, start: datetime | None = None, end: datetime | None = None
) -> Axis:
    starts = [r.traject.phases[0].start if r.traject.phases else r.traject.created for r in rows]
    first = start or (min(starts, key=utc) if starts else now - timedelta(weeks=12))
    last = end or max([now, *(x.end for r in rows for x in r.contacts)], key=utc)
    first = local(first) - timedelta(days=3)
    return Axis(first, local(last) + timedelta(days=7))


def _grid(axis: Axis, top: float, bottom: float) -> list[str]:
    """Month ticks along the axis."""
    out: list[str] = []
    day = local_date(axis.start).replace(day=1)
    span_days = (utc(axis.end) - utc(axis.start)).days
    step = 1 if span_days < 400 else 3
    while True:
        month = day.month - 1 + step
        day = date(day.year + month // 12, month % 12 + 1, 1)
        x = axis.xd(day)
        if x >= WIDTH - RIGHT:
            break
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        out.append(f'<text x="{x + 2:.1f}" y="{top - 4}" class="tick">{day:%m-%Y}</text>')
    return out


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
    for week in assessed_weeks(row.traject, now):
        total = totals.get(week, timedelta(0))
        hours = total.total_seconds() / 3600
        x1, x2 = axis.x(week.start), axis.x(week.end)
        bar = height * min(hours, MAX_HOURS) / MAX_HOURS
        past = utc(now) >= utc(week.end)
        short = hours < NORM_HOURS and past
        cls = "hours short" if short else "hours"
        tip = f"Week {week}: {duration_nl(total)} contact (norm 2 uur)"
        out.append(
            f'<rect x="{x1 + 0.5:.1f}" y="{y + height - bar:.1f}" width="{max(1.0, x2 - x1 - 1):.1f}" '
            f'height="{bar:.1f}" '
            f'class="{cls}" data-week="{week}"><title>{_t(tip)}</title></rect>'
        )
        if week not in f2f and past:
            out.append(
                f'<text x="{(x1 + x2) / 2:.1f}" y="{y + height + 10:.1f}" class="nof2f" text-anchor="middle" '
                f'data-week="{week}">×<title>{_t(f"Week {week}: geen face-to-face contact")}</title></text>'
            )
    return out


def _contacts(row: Row, axis: Axis, y: float, alerts: Sequence[Alert]) -> list[str]:
    no_coach = {s for a in alerts if a.rule_id == "P-COACH-AFTER" for s in a.subjects}
    out: list[str] = []
    for x in sorted(row.contacts, key=lambda k: utc(k.start)):
        at = local(x.start)
        tip = (
            f"{date_nl(at.date())} {at:%H:%M}–{local(x.end):%H:%M}, {_type_nl(x.contact_type)} "
            f"({duration_nl(x.duration)})"
        )
        cx = axis.x(x.start)
        # Issue 14: planned, not taken place (no contact time) and network contacts each look their own way.
        state = "missed" if x.missed else "planned" if x.status == "planned" else ""
        tip += {"missed": " (niet doorgegaan)", "planned": " (gepland)"}.get(state, "")
        tip += " (met het netwerk)" if x.network else ""
        out.append(_shape(x.contact_type, cx, y, tip, f"contact {state}".strip()))
        if x.id and f"Encounter/{x.id}" in no_coach:
            out.append(
                f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="8" class="nocoach">'
                f"<title>{_t('Nog geen contact met de coach na dit contact')}</title></circle>"
            )
    for moment in row.coach_contacts:
        cx = axis.x(moment)
        out.append(
            f'<line x1="{cx:.1f}" y1="{y + 8}" x2="{cx:.1f}" y2="{y + 14}" class="coach">'
            f"<title>{_t('Contact met de coach op ' + date_nl(local_date(moment)))}</title></line>"
        )
    return out


def _alerts(row: Row, axis: Axis, y: float, now: datetime) -> list[str]:
    out: list[str] = []
    for a in row.alerts:
        day = a.due or local_date(now)
        x = axis.xd(day)
        fill = SEVERITY_FILL[a.severity]
        out.append(
            f'<path d="M{x:.1f},{y - 5} L{x + 5:.1f},{y + 4} L{x - 5:.1f},{y + 4} Z" fill="{fill}" '
            f'class="alert {a.severity}" '
            f"data-rule={_a(a.rule_id)}><title>{_t(a.rule_id + ': ' + a.message_nl)}</title></path>"
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
        ('<path d="M{xc},{y0} L{x10},{y4} L{x},{y4} Z" fill="#b36b00"/>', "signaal"),
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
@media print{.grid{stroke:#bbb}}
"""


def render(
    rows: Sequence[Row],
    now: datetime,
    *,
    compact: bool = False,
    title: str = "Tijdlijn van het traject",
    start: datetime | None = None,
    end: datetime | None = None,
) -> str:
    """One SVG; `compact` (the coordinator's stacked view) leaves out the hours lane."""
    axis = axis_for(rows, now, start=start, end=end)
    body: list[str] = []
    y = 70.0
    row_height = 44.0 if compact else 118.0
    top = y
    for row in rows:
        lanes_height = 26.0 * len(row.lanes)
        label = _t(row.label)
        if row.href:
            label = f"<a href={_a(row.href)}>{label}</a>"
        body.append(f'<g class="row" data-traject={_a(row.traject.identifier)}>')
        body.append(f'<text x="{LEFT - 6}" y="{y + 12}" class="label" text-anchor="end">{label}</text>')
        body += _phases(row, axis, y, now)
        body += _alerts(row, axis, y - 6 if compact else y + 26, now)
        body += _contacts(row, axis, y + (26 if compact else 44), row.alerts)
        if not compact:
            body.append(f'<text x="{LEFT - 6}" y="{y + 48}" class="small" text-anchor="end">contacten</text>')
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
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" '
        f'height="{height:.0f}" role="img" aria-label={_a(title)} data-testid="timeline">',
        f"<title>{_t(title)}</title><style>{_STYLE}</style>",
        '<rect x="0" y="0" width="100%" height="100%" fill="#fff"/>',
        *_legend(16),
        *_grid(axis, top - 8, y - 6),
        *body,
        "</svg>",
    ]
    return "\n".join(parts)
