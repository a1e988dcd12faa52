"""Trends of the scores: change since last time, lanes for the traject timeline, and a chart of their own.

Pure. `changes` compares each item's last score with the one before. `lanes_for` feeds the traject
timeline's hook (`hvol_fhir.timeline.Row.lanes`, 0-10 lanes). `chart_svg` draws one panel per domain on a
fixed
0-10 axis (never rescaled, so a 6 always looks like a 6), with the traject's phases as bands behind the line
and the last score with its change at the right. Shapes and labels carry the meaning, not colour alone, so the
chart reads on paper. Nothing but dates and scores goes in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from hvol_fhir.measurements.model import Measurement
from hvol_fhir.measurements.questionnaire import QuestionnaireDef
from hvol_fhir.measurements.report import BASIC_NEEDS, BUDDY_ITEMS, MOTIVATION, SOCIAL, WELLBEING
from hvol_fhir.programme.clock import local, utc
from hvol_fhir.programme.model import Traject
from hvol_fhir.programme.text_nl import date_nl
from hvol_fhir.timeline.svg import PHASE_FILL, Lane

# Panels of the chart and lanes of the timeline: (label, items averaged per measurement).
TREND_DOMAINS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("Welzijn", WELLBEING),
    ("School, werk, dagbesteding", SOCIAL),
    ("Basisbehoeften", BASIC_NEEDS),
    ("Ervaringsmaatje", ("alliance", *BUDDY_ITEMS)),
    ("Motivatie therapie", MOTIVATION),
)
WIDTH: Final = 760
LEFT: Final = 185
RIGHT: Final = 90
PANEL: Final = 70  # height of the 0-10 band of one panel
GAP: Final = 26


@dataclass(frozen=True, slots=True)
class Change:
    link_id: str
    label: str
    last: int | None
    previous: int | None

    @property
    def delta(self) -> int | None:
        return None if self.last is None or self.previous is None else self.last - self.previous


def counting(measurements: Sequence[Measurement]) -> list[Measurement]:
    return sorted((m for m in measurements if m.counts), key=lambda m: utc(m.authored))


def changes(measurements: Sequence[Measurement], q: QuestionnaireDef) -> list[Change]:
    """Per item: the last score and the one of the measurement before it (None where not answered)."""
    ms = counting(measurements)
    last = ms[-1] if ms else None
    prev = ms[-2] if len(ms) > 1 else None
    return [
        Change(
            i.link_id,
            i.label,
            last.score(i.link_id) if last else None,
            prev.score(i.link_id) if prev else None,
        )
        for i in q.items
    ]


def delta_nl(delta: float | None) -> str:
    """'+2', '−1', '=' (no change) or '' (nothing to compare with)."""
    if delta is None:
        return ""
    if abs(delta) < 0.05:
        return "="
    text = f"{abs(delta):.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return ("+" if delta > 0 else "−") + text


def series(measurements: Sequence[Measurement], items: Sequence[str]) -> list[tuple[datetime, float]]:
    """The domain's mean score per measurement (skipped items left out), oldest first."""
    out = []
    for m in counting(measurements):
        found = [s for i in items if (s := m.score(i)) is not None]
        if found:
            out.append((m.authored, fmean(found)))
    return out


def lanes_for(measurements: Sequence[Measurement]) -> tuple[Lane, ...]:
    """Lanes for `hvol_fhir.timeline.Row(lanes=...)`: one per domain, the label carrying last score and
    change."""
    lanes = []
    for label, items in TREND_DOMAINS:
        points = series(measurements, items)
        if not points:
            continue
        last = points[-1][1]
        delta = delta_nl(last - points[-2][1]) if len(points) > 1 else ""
        text = f"{label} {last:.1f}".replace(".", ",") + (f" ({delta})" if delta else "")
        lanes.append(Lane(text, tuple(points)))
    return tuple(lanes)


def _t(text: str) -> str:
    return escape(text)


def chart_svg(
    traject: Traject,
    measurements: Sequence[Measurement],
    now: datetime,
    *,
    title: str = "Verloop van de metingen",
) -> str:
    ms = counting(measurements)
    starts = [p.start for p in traject.phases] or [traject.created]
    first = min([*starts[-2:], *(m.authored for m in ms[:1])], key=utc)
    last = max([now, *(m.authored for m in ms[-1:])], key=utc)
    x0, x1 = local(first) - timedelta(days=7), local(last) + timedelta(days=7)
    span = (utc(x1) - utc(x0)).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        share = (utc(moment) - utc(x0)).total_seconds() / span
        return LEFT + max(0.0, min(1.0, share)) * (WIDTH - LEFT - RIGHT)

    body: list[str] = []
    top = 40.0
    for label, items in TREND_DOMAINS:
        body += _panel(traject, series(ms, items), label, top, x, now)
        top += PANEL + GAP
    height = top + 10
    ticks = _month_ticks(x0, x1, x, height - GAP - 4)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" '
            f'height="{height:.0f}" role="img" aria-label={quoteattr(title)} data-testid="trend">',
            f"<title>{_t(title)}</title><style>{_STYLE}</style>",
            '<rect x="0" y="0" width="100%" height="100%" fill="#fff"/>',
            f'<text x="10" y="20" class="label">{_t(title)} (schaal 0 tot en met 10; rechts de laatste '
            "score en het verschil met de vorige)</text>",
            *body,
            *ticks,
            "</svg>",
        ]
    )


def _panel(
    traject: Traject,
    points: list[tuple[datetime, float]],
    label: str,
    top: float,
    xf: Callable[[datetime], float],
    now: datetime,
) -> list[str]:
    def y(v: float) -> float:
        return top + PANEL - PANEL * max(0.0, min(10.0, v)) / 10

    out = [f'<g class="panel" data-domain={quoteattr(label)}>']
    for phase in traject.phases:  # bands behind everything else
        a, b = xf(phase.start), xf(phase.end or now)
        if b > a:
            fill = PHASE_FILL.get(phase.phase, "#eee")
            out.append(
                f'<rect x="{a:.1f}" y="{top:.1f}" width="{b - a:.1f}" height="{PANEL}" fill="{fill}" '
                f'opacity="0.25" class="phase" data-phase="{phase.phase}"/>'
            )
    for v in (0, 5, 10):
        yv = y(v)
        out.append(f'<line x1="{LEFT}" y1="{yv:.1f}" x2="{WIDTH - RIGHT}" y2="{yv:.1f}" class="grid"/>')
        out.append(f'<text x="{LEFT - 4}" y="{yv + 3:.1f}" class="tick" text-anchor="end">{v}</text>')
    mid = top + PANEL / 2 + 4
    out.append(f'<text x="{LEFT - 22}" y="{mid:.1f}" class="small" text-anchor="end">{_t(label)}</text>')
    if points:
        coords = " ".join(f"{xf(m):.1f},{y(v):.1f}" for m, v in points)
        out.append(f'<polyline points="{coords}" class="score"/>')
        for m, score in points:
            tip = f"{date_nl(local(m).date())}: {score:.1f}".replace(".", ",")
            out.append(
                f'<circle cx="{xf(m):.1f}" cy="{y(score):.1f}" r="3.5" class="point">'
                f"<title>{_t(tip)}</title></circle>"
            )
        lastv = points[-1][1]
        delta = delta_nl(lastv - points[-2][1]) if len(points) > 1 else ""
        text = f"{lastv:.1f}".replace(".", ",") + (f" ({delta})" if delta else "")
        out.append(
            f'<text x="{WIDTH - RIGHT + 6}" y="{y(lastv) + 4:.1f}" class="small last" '
            f'data-delta="{_t(delta)}">{_t(text)}</text>'
        )
    else:
        out.append(f'<text x="{LEFT + 8}" y="{top + PANEL / 2:.1f}" class="small">nog geen metingen</text>')
    out.append("</g>")
    return out


def _month_ticks(x0: datetime, x1: datetime, x: Callable[[datetime], float], y: float) -> list[str]:
    out = []
    day = local(x0).date().replace(day=1)
    while day <= local(x1).date():
        moment = datetime.combine(day, datetime.min.time(), tzinfo=local(x0).tzinfo)
        month = date_nl(day).split(" ", 1)[1]
        if utc(moment) >= utc(x0):
            out.append(
                f'<text x="{x(moment):.1f}" y="{y:.1f}" class="tick" text-anchor="middle">{_t(month)}</text>'
            )
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


_STYLE: Final = """
text{font-family:system-ui,sans-serif;fill:#1d1b20}.small{font-size:11px}.tick{font-size:9px;fill:#555}
.label{font-size:12px;font-weight:600}.grid{stroke:#ccc;stroke-width:0.5}
.score{fill:none;stroke:#1f6fb2;stroke-width:2}.point{fill:#1f6fb2}.last{font-weight:600}
"""
