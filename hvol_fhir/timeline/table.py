"""The timeline's text alternative: the same facts as the SVG, as an HTML table per traject.

Pure. One row per week inside the axis (the weeks of the hours lane, and any other week with a contact or a
signal): the contacts with date, time and type, the contact time against the two-hour norm, face-to-face yes
or no, and the signals in plain Dutch. Attributes `data-week` and `data-start` carry the same keys as the
SVG's, so a test can compare the two. Nothing from the journal: the SVG holds none either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from hvol_fhir.programme.clock import local
from hvol_fhir.programme.text_nl import duration_nl, short_date_nl
from hvol_fhir.timeline.facts import Axis, Row, WeekFacts, week_facts
from hvol_fhir.timeline.labels import type_nl, week_label


def _contacts(facts: WeekFacts) -> str:
    if not facts.contacts:
        return "–"
    items = []
    for x in facts.contacts:
        at = local(x.start)
        # The same words as the SVG's tooltip (issue 14: missed and network contacts).
        planned = " (niet doorgegaan)" if x.missed_reason else " (gepland)" if x.status == "planned" else ""
        planned += " (met het netwerk)" if x.network else ""
        when = f"{short_date_nl(at.date())} {at:%H:%M}–{local(x.end):%H:%M}"
        text = f"{when}, {type_nl(x.contact_type)}{planned}"
        items.append(f"<li data-start={quoteattr(at.isoformat())}>{escape(text)}</li>")
    return f'<ul class="plain">{"".join(items)}</ul>'


def _signals(facts: WeekFacts) -> str:
    if not facts.signals:
        return "–"
    items = "".join(f"<li>{escape(a.message_nl)}</li>" for a in facts.signals)
    return f'<ul class="plain">{items}</ul>'


def _row(facts: WeekFacts) -> str:
    hours = duration_nl(facts.contact_time) if facts.assessed else "–"
    f2f = ("ja" if facts.face_to_face else "nee") if facts.assessed else "–"
    assessed = quoteattr("ja" if facts.assessed else "nee")
    return (
        f"<tr data-week={quoteattr(str(facts.week))} data-assessed={assessed}>"
        f'<th scope="row">{escape(week_label(facts.week))}</th><td>{_contacts(facts)}</td>'
        f"<td>{escape(hours)}</td><td>{f2f}</td><td>{_signals(facts)}</td></tr>"
    )


def text_alternative(rows: Sequence[Row], now: datetime, axis: Axis, *, table_id: str) -> str:
    """One table per traject (the first gets `table_id`, the SVG points at it)."""
    out: list[str] = []
    for i, row in enumerate(rows):
        ident = table_id if i == 0 else f"{table_id}-{i + 1}"
        caption = f"Tijdlijn van {row.label} per week" if row.label else "Tijdlijn per week"
        body = "".join(_row(f) for f in week_facts(row, axis, now))
        if not body:
            body = '<tr><td colspan="5">Geen contacten of weken in deze periode.</td></tr>'
        out.append(
            f'<table id={quoteattr(ident)} class="timeline-table" data-testid="timeline-table" '
            f"data-traject={quoteattr(row.traject.identifier)}><caption>{escape(caption)}</caption>"
            '<thead><tr><th scope="col">Week</th><th scope="col">Contacten</th>'
            '<th scope="col">Contacttijd (norm 2 uur)</th><th scope="col">Face-to-face</th>'
            f'<th scope="col">Signalen</th></tr></thead><tbody>{body}</tbody></table>'
        )
    return "\n".join(out)
