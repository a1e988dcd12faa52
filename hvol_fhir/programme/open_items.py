"""Signals as open items, not a log (issue 15): what needs doing now, and the history summed up per norm.

The rules report every week and every contact that missed a norm, which on a long traject is a wall of
thirty lines nobody can act on. Here they are sorted into:

- **open items**: what someone can still do something about: the running week's norms, a contact with no
  coach contact since, the introduction, the 18th-birthday talk, a missing responsible professional or
  closure reason. An item disappears when the rule no longer fires (the fact is recorded), or when a
  coordinator acknowledged it (then it is listed apart, with her note);
- **history per norm**: weeks that are over cannot be repaired, so they are counted ("12 van de 24 weken
  minder dan 2 uur contact") with the weeks listed behind a link; a coach contact that came late is counted
  the same way.

Plain Dutch only: the rule ids (P-…) stay internal; each kind carries its Dutch label and the guide's section
for those who want to read it. Pure: no I/O, `now` is an argument.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from hvol_fhir.programme.alerts import WARNING, Alert, Severity, most_severe_first
from hvol_fhir.programme.clock import IsoWeek, local_date, utc
from hvol_fhir.programme.model import Contact, Task, Traject
from hvol_fhir.programme.rules.coaching import coach_contacts_of, without_coach_contact
from hvol_fhir.programme.rules.common import held
from hvol_fhir.programme.rules.weekly import assessed_weeks
from hvol_fhir.programme.text_nl import date_nl


@dataclass(frozen=True, slots=True)
class Kind:
    slug: str  # stable, id-free name for pages and tests (never the rule id)
    label_nl: str
    section: str  # the guide's section ("§4.4")


KINDS: Final[Mapping[str, Kind]] = {
    "P-2H-WEEK": Kind("uren-per-week", "Minder dan 2 uur contact in een week", "§4.4"),
    "P-F2F-WEEK": Kind("face-to-face", "Geen face-to-face contact in een week", "§4.4"),
    "P-COACH-AFTER": Kind("coachcontact", "Coachcontact na een contactmoment", "§2.3"),
    "P-INTRO": Kind("kennismaking", "Drie contactmomenten in de kennismaking", "§4.3"),
    "P-INCL-6W": Kind("inclusieperiode", "Inclusieperiode van hoogstens zes weken", "§4.2"),
    "P-18": Kind("achttien", "Gesprek over 18 worden", "§4.5"),
    "P-RESP": Kind("verantwoordelijke", "Verantwoordelijke professional met SKJ-registratie", "§2.3"),
    "P-CLOSE-REASON": Kind("reden-afronding", "Reden van afronding", "§4.5"),
    "P-ALIGN": Kind("afstemmingsoverleg", "Afstemmingsoverleg (elke 4 tot 8 weken)", "§3"),
    "P-PRESENT-3M": Kind("presentatie", "Presentatie op de groep (elke 3 maanden)", "§4.1"),
    "P-ESCALATION": Kind("escalatie", "Melding wacht op afhandeling", "§3"),
    "P-JOURNAL": Kind("contactjournaal", "Contactmoment zonder verslag", "§4.9"),
    "P-COACH-JOURNAL": Kind("coachjournaal", "Coachcontact zonder verslag in het coachjournaal", "§2.3"),
}
OTHER: Final = Kind("overig", "Overig signaal", "")
WEEKLY: Final = frozenset({"P-2H-WEEK", "P-F2F-WEEK"})
_HISTORY_TEXT: Final[Mapping[str, str]] = {
    "P-2H-WEEK": "{n} van de {of} weken minder dan 2 uur contact",
    "P-F2F-WEEK": "{n} van de {of} weken zonder face-to-face contact",
    "P-COACH-AFTER": "{n} van de {of} contactmomenten zonder coachcontact binnen 7 dagen",
}


def kind_of(rule_id: str) -> Kind:
    return KINDS.get(rule_id, OTHER)


@dataclass(frozen=True, slots=True)
class OpenItem:
    kind: Kind
    message_nl: str
    severity: Severity
    due: date | None
    subjects: tuple[str, ...]
    key: str  # what an acknowledgement names: kind, subject and due date, no content

    @property
    def urgent(self) -> bool:
        return self.severity != "info"


@dataclass(frozen=True, slots=True)
class NormHistory:
    kind: Kind
    missed: tuple[date, ...]  # per week: its Sunday; per contact: the day of the contact's deadline
    assessed: int
    text_nl: str


@dataclass(frozen=True, slots=True)
class Acknowledged:
    item: OpenItem
    note: str


@dataclass(frozen=True, slots=True)
class Signals:
    open: tuple[OpenItem, ...]
    history: tuple[NormHistory, ...]
    acknowledged: tuple[Acknowledged, ...] = ()

    def counts(self) -> dict[str, int]:
        """Open items per kind label (for the overview: counts per kind, names never ids)."""
        out: dict[str, int] = {}
        for item in self.open:
            out[item.kind.label_nl] = out.get(item.kind.label_nl, 0) + 1
        return out

    @property
    def urgent(self) -> int:
        return sum(1 for x in self.open if x.urgent)


def item_key(alert: Alert) -> str:
    subject = alert.subjects[0] if alert.subjects else ""
    return f"{kind_of(alert.rule_id).slug}|{subject}|{alert.due.isoformat() if alert.due else ''}"


def _item(alert: Alert) -> OpenItem:
    return OpenItem(
        kind=kind_of(alert.rule_id),
        message_nl=alert.message_nl,
        severity=alert.severity,
        due=alert.due,
        subjects=alert.subjects,
        key=item_key(alert),
    )


def _is_history(alert: Alert, now: datetime, unanswered: Collection[str] | None) -> bool:
    if alert.rule_id in WEEKLY:
        # A week that is over cannot be repaired any more: counted, not listed.
        return alert.severity == WARNING and alert.due is not None and alert.due < IsoWeek.of(now).monday
    if alert.rule_id == "P-COACH-AFTER" and unanswered is not None:
        return not any(s in unanswered for s in alert.subjects)  # spoken with the coach since, if late
    return False


def signals(
    alerts: Iterable[Alert],
    now: datetime,
    *,
    assessed: Mapping[str, int] | None = None,
    unanswered: Collection[str] | None = None,
    acknowledged: Mapping[str, str] | None = None,
) -> Signals:
    """Sort `alerts` (one traject's, from `rules.traject_alerts`) into open items and history.

    `assessed`: per rule id, how many weeks (or contacts) the norm was assessed over (the "of 24").
    `unanswered`: subjects (``Encounter/<id>``) of contacts with no coach contact at all since they ended
    (`rules.coaching.without_coach_contact`); None when unknown: then every coach alert stays open.
    `acknowledged`: item key → the coordinator's note (already opened for a role that may read it).
    """
    acknowledged = acknowledged or {}
    assessed = assessed or {}
    open_items: list[OpenItem] = []
    still: list[OpenItem] = []
    done: list[Acknowledged] = []
    missed: dict[str, list[date]] = {}
    for alert in most_severe_first(alerts):
        if _is_history(alert, now, unanswered):
            missed.setdefault(alert.rule_id, []).append(alert.due or local_date(now))
            continue
        open_items.append(_item(alert))
    for item in _grouped(open_items):
        if item.key in acknowledged:
            done.append(Acknowledged(item, acknowledged[item.key]))
        else:
            still.append(item)
    history = tuple(
        NormHistory(
            kind=kind_of(rule),
            missed=tuple(sorted(days)),
            assessed=max(assessed.get(rule, len(days)), len(days)),
            text_nl=_HISTORY_TEXT.get(rule, "{n} keer: {label}").format(
                n=len(days), of=max(assessed.get(rule, len(days)), len(days)), label=kind_of(rule).label_nl
            ),
        )
        for rule, days in sorted(missed.items())
    )
    return Signals(tuple(still), history, tuple(done))


# Kinds of which several items say one thing: one line each, with how many (the wall of warnings of issue 15).
_GROUPS: Final[Mapping[str, str]] = {
    "P-COACH-AFTER": "{n} contactmomenten wachten nog op een contact met de coach",
    "P-JOURNAL": "{n} contactmomenten hebben nog geen verslag in het contactjournaal",
    "P-COACH-JOURNAL": "{n} coachcontacten hebben nog geen verslag in het coachjournaal",
}
_GROUP_DEADLINE: Final[Mapping[str, str]] = {
    "P-COACH-AFTER": "; het oudste had vóór {due} besproken moeten zijn.",
}


def _grouped(items: list[OpenItem]) -> list[OpenItem]:
    """Contacts waiting for a coach contact are one item: a single coach contact answers them all, so seven
    lines would say one thing seven times. The same for contacts and coach contacts without an entry. The
    group's key is its newest item's: an acknowledgement covers the items open then, and a later one opens
    it again."""
    for rule, text in _GROUPS.items():
        items = _group(items, KINDS[rule], text, _GROUP_DEADLINE.get(rule, "."))
    return items


def _group(items: list[OpenItem], kind: Kind, text: str, deadline: str) -> list[OpenItem]:
    same = [x for x in items if x.kind.slug == kind.slug]
    if len(same) < 2:
        return items
    first = min(same, key=lambda x: x.due or date.max)
    newest = max(same, key=lambda x: x.due or date.min)
    worst = max(same, key=lambda x: x.urgent)
    tail = deadline.format(due=date_nl(first.due)) if first.due and "{due}" in deadline else "."
    merged = OpenItem(
        kind=first.kind,
        message_nl=text.format(n=len(same)) + tail,
        severity=worst.severity,
        due=first.due,
        subjects=tuple(s for x in same for s in x.subjects),
        key=newest.key,
    )
    out = [x for x in items if x not in same]
    out.insert(items.index(first) if first in items else 0, merged)
    return most_severe_items(out)


def most_severe_items(items: list[OpenItem]) -> list[OpenItem]:
    rank = {"block": 0, "warning": 1, "info": 2}
    return sorted(items, key=lambda x: (rank[x.severity], x.due or date.max))


def traject_signals(
    traject: Traject,
    contacts: Sequence[Contact],
    alerts: Iterable[Alert],
    now: datetime,
    *,
    tasks: Sequence[Task] | None,
    acknowledged: Mapping[str, str] | None = None,
) -> Signals:
    """`signals` for one traject, with what it needs worked out from the traject's own facts: how many weeks
    and contacts each norm was assessed over, and which contacts still wait for a coach contact."""
    this_week = IsoWeek.of(now)
    weeks_over = sum(1 for w in assessed_weeks(traject, now) if w != this_week)
    ended = [x for x in held(contacts) if utc(x.end) <= utc(now)]
    unanswered: set[str] | None = None
    if tasks is not None:
        waiting = without_coach_contact(contacts, coach_contacts_of(tasks), now)
        unanswered = {f"Encounter/{x.id}" if x.id else x.traject for x in waiting}
    return signals(
        alerts,
        now,
        assessed={"P-2H-WEEK": weeks_over, "P-F2F-WEEK": weeks_over, "P-COACH-AFTER": len(ended)},
        unanswered=unanswered,
        acknowledged=acknowledged,
    )
