"""The cards and counts of the start pages (issue 15), from what the caseload batch or the overview read:
pure apart from the mappings (`services.startpage` does the reading).

A buddy's card: planned contacts, the traject's open items (`rules.overview.assemble`, sorted by
`open_items`), a contact without a journal entry (`rules.journal_gaps`), open escalations she raised, a
measurement due and any other open to-do. A coach's card: contacts waiting for a coach contact, her coach
contacts without a coaching-journal entry, and open escalations she was sent. The coordinator's counts come
from the overview of every running traject. An escalation is listed from the Task's parts in the clear
(who, when, open or not): never its kind or message, so a start page opens nothing sealed and records no
read.

To-dos that other parts of the programme add as Tasks (the outflow reminder, …) appear by their task-kind's
Dutch display without code here: anything open that is not shown in its own way (`OWN_KINDS`) counts
(`open_todos`). A pause is a CarePlan ``on-hold``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.errors import HvolError
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import escalation, task
from hvol_fhir.measurements import fhir as mfhir
from hvol_fhir.measurements import schedule
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert
from hvol_fhir.programme.clock import IsoWeek, local, local_date, utc
from hvol_fhir.programme.model import CareTeam, Contact, Task, Traject
from hvol_fhir.programme.open_items import OpenItem, traject_signals
from hvol_fhir.programme.rules.coaching import coach_contacts_of
from hvol_fhir.programme.rules.escalation import EscalationTodo, escalation_alerts, open_for
from hvol_fhir.programme.rules.journal_gaps import coaching_gaps, contacts_without_entry
from hvol_fhir.programme.rules.overview import assemble
from hvol_fhir.repository.reads import contact_from_json
from hvol_fhir.services import overview as ov

WINDOW: Final = timedelta(weeks=10)
OPEN_STATUSES: Final = frozenset(
    {"draft", "requested", "received", "accepted", "ready", "in-progress", "on-hold"}
)
# Task kinds the start pages show in their own way (or the overview does): the 18th-birthday talk and the
# escalations are open items of their own.
OWN_KINDS: Final = frozenset(
    {
        c.TASK_WAITING_LIST,
        c.TASK_ALIGNMENT_MEETING,
        c.TASK_GROUP_PRESENTATION,
        c.TASK_COACH_CONTACT,
        c.TASK_ITEM_ACKNOWLEDGED,
        c.TASK_BIRTHDAY_18,
        c.TASK_ESCALATION,
    }
)
COACH_KINDS: Final = frozenset({"coachcontact", "coachjournaal", "escalatie"})


@dataclass(frozen=True)
class Due:
    """One line on a start page: what, in plain Dutch, and whether it is late."""

    label_nl: str
    detail_nl: str
    urgent: bool = False
    kind: str = ""  # slug for pages and tests, never a rule id


@dataclass(frozen=True)
class Card:
    """One girl (buddy), or one girl of one buddy (coach), with what is due."""

    name: str
    traject: str | None  # the traject's identifier (for its page), None when she has none running
    phase: str | None
    items: tuple[Due, ...]
    paused: bool = False
    buddy: str = ""  # the coach's start page: whose girl


@dataclass(frozen=True)
class Count:
    """The coordinator's start page: one kind of open item across the programme."""

    label_nl: str
    n: int
    detail_nl: str = ""
    names: tuple[tuple[str, str], ...] = ()  # (name, traject identifier) to link to


@dataclass(frozen=True)
class StartPage:
    role: str
    cards: tuple[Card, ...] = ()
    counts: tuple[Count, ...] = ()


# --- the cards of buddy and coach --------------------------------------------------------------------------


def is_programme_task(raw: Json) -> bool:
    system = t.cs_url(c.TASK_KIND)
    return any(cc.get("system") == system for cc in (raw.get("code") or {}).get("coding") or [])


def open_todos(tasks: Iterable[Task]) -> list[Task]:
    """Open programme to-dos other than the ones a start page shows its own way (see module docstring)."""
    return [x for x in tasks if x.status in OPEN_STATUSES and x.kind not in OWN_KINDS]


def planned_this_week(contacts: Iterable[Contact], now: datetime) -> list[Due]:
    today, sunday = local_date(now), IsoWeek.of(now).sunday
    out = []
    for x in sorted(contacts, key=lambda x: utc(x.start)):
        day = local_date(x.start)
        if x.status == "planned" and today <= day <= sunday:
            label = "Gepland contact vandaag" if day == today else "Gepland contact deze week"
            detail = (
                f"{local(x.start):%H:%M}–{local(x.end):%H:%M}, {t.display(c.CONTACT_TYPE, x.contact_type)}"
            )
            out.append(Due(label, detail if day == today else f"{_day_nl(day)} {detail}", kind="gepland"))
    return out


_DAYS: Final = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def _day_nl(day: date) -> str:
    return f"{_DAYS[day.weekday()]} {day.day}-{day.month}"


def _from_item(item: OpenItem) -> Due:
    return Due(item.kind.label_nl, item.message_nl, item.urgent, item.kind.slug)


def measurements_due(raw_tasks: Iterable[Json], traject: Traject, now: datetime) -> list[Due]:
    today = local_date(now)
    mine = [mfhir.task_from_fhir(r) for r in raw_tasks if mfhir.is_measurement_task(r)]
    mine = [m for m in mine if m.traject == f"CarePlan/{traject.id}"]
    return [
        Due("Meting invullen", f"uiterlijk {m.due.day}-{m.due.month}-{m.due.year}", m.due < today, "meting")
        for m in schedule.shown(mine, today)
    ]


LIVE: Final = frozenset({"draft", "active", "on-hold"})


def running(trajects: Sequence[Traject]) -> Traject | None:
    """The girl's traject that is still going (a restart replaces a closed one): newest first."""
    live = [x for x in trajects if x.status in LIVE]
    return max(live, key=lambda x: utc(x.created)) if live else None


@dataclass(frozen=True)
class Girl:
    """What the caseload batch read about one girl."""

    patient: str
    name: str
    trajects: tuple[Traject, ...]
    contacts: tuple[Json, ...]
    tasks: tuple[Json, ...]
    team: CareTeam | None
    birth_date: date | None
    buddy_name: str = ""  # her current buddy, by name (the coach's page)
    entries: tuple[Json, ...] = ()  # journal entries' metadata only: category, contact, author, time


def buddy_card(
    girl: Girl,
    now: datetime,
    *,
    coach_view: bool = False,
    buddy_name: str = "",
    user: str | None = None,
) -> Card:
    """One girl on the buddy's page (`user` her buddy), or on her coach's (`coach_view`, `user` the coach)."""
    tr = running(girl.trajects)
    if tr is None:
        return Card(girl.name, None, None, (), buddy=buddy_name)
    ref = f"CarePlan/{tr.id}"
    contacts = tuple(contact_from_json(e, ref) for e in girl.contacts)  # no pydantic round trip (bench)
    tasks = tuple(task.from_fhir(x) for x in girl.tasks if is_programme_task(x))
    tasks = tuple(x for x in tasks if x.focus in (None, ref))
    since = now - WINDOW
    alerts = assemble(
        tr, contacts, now, tasks=tasks, team=girl.team, birth_date=girl.birth_date, subject=ref, since=since
    )
    role = c.ROLE_COACH if coach_view else c.ROLE_BUDDY
    alerts += day_alerts(girl, ref, contacts, tasks, now, role=role, user=user)
    found = traject_signals(tr, contacts, alerts, now, tasks=tasks)
    if coach_view:
        items = [_from_item(x) for x in found.open if x.kind.slug in COACH_KINDS]
    else:
        items = [
            *planned_this_week(contacts, now),
            *(_from_item(x) for x in found.open if x.kind.slug != "verantwoordelijke"),
            *measurements_due(girl.tasks, tr, now),
            *(
                Due(t.display(c.TASK_KIND, x.kind), _todo_detail(x), _late(x, now), "taak")
                for x in open_todos(tasks)
            ),
        ]
    phase = tr.current_phase.phase if tr.current_phase else None
    return Card(girl.name, tr.identifier, phase, tuple(items), tr.status == "on-hold", buddy_name)


def escalation_todos(raw_tasks: Iterable[Json], traject: str) -> list[EscalationTodo]:
    """The traject's escalations as to-dos, from their parts in the clear; one that does not map is left out
    (it carries nothing a to-do list could act on)."""
    out = []
    for raw in raw_tasks:
        if not escalation.is_escalation(raw):
            continue
        try:
            todo = escalation.todo_from_json(raw)
        except (HvolError, KeyError, ValueError, TypeError):
            continue
        if todo.traject == traject:
            out.append(todo)
    return out


def _entries(raws: Iterable[Json], kind: str) -> list[Json]:
    system = t.cs_url(c.JOURNAL_KIND)
    return [
        r
        for r in raws
        if r.get("resourceType") == "Communication"
        and any(f.has_coding(cc, system, kind) for cc in r.get("category") or [])
    ]


def _sent(raw: Json) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(raw.get("sent") or ""))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def day_alerts(
    girl: Girl,
    traject: str,
    contacts: Sequence[Contact],
    tasks: Sequence[Task],
    now: datetime,
    *,
    role: str,
    user: str | None,
) -> list[Alert]:
    """What a working day adds to the traject's alerts: the open escalations this user sees, and for the
    buddy her contacts without a journal entry, for the coach the coach contacts without a coaching-journal
    entry of hers (from the entries' metadata, `Girl.entries`)."""
    seen = open_for(escalation_todos(girl.tasks, traject), role, user)
    out = escalation_alerts(seen, now)
    if role == c.ROLE_BUDDY:
        written = {
            str((r.get("encounter") or {}).get("reference") or "")
            for r in _entries(girl.entries, c.JOURNAL_BUDDY)
        }
        out += contacts_without_entry(contacts, written, now, buddy=user)
    elif role == c.ROLE_COACH:
        own = [
            r
            for r in _entries(girl.entries, c.JOURNAL_COACHING)
            if (r.get("sender") or {}).get("reference") == user
        ]
        times = [m for m in (_sent(r) for r in own) if m is not None]
        out += coaching_gaps(
            coach_contacts_of(tasks), times, now, subject=traject, since=local_date(now - WINDOW)
        )
    return out


def _todo_detail(x: Task) -> str:
    return f"uiterlijk {x.due.day}-{x.due.month}-{x.due.year}" if x.due else "staat open"


def _late(x: Task, now: datetime) -> bool:
    return x.due is not None and x.due < local_date(now)


# --- the coordinator: open items across the programme ------------------------------------------------------


def _names(rows: Iterable[ov.OverviewRow]) -> tuple[tuple[str, str], ...]:
    """Each girl once, however many of her items the count holds (two to-dos of one girl: one name)."""
    return tuple(dict.fromkeys((r.name, r.row.traject.identifier) for r in rows))


def _with_kind(rows: Sequence[ov.OverviewRow], slug: str) -> list[ov.OverviewRow]:
    return [r for r in rows if any(x.kind.slug == slug for x in r.signals.open)]


def _phase(row: ov.OverviewRow) -> str | None:
    current = row.row.traject.current_phase
    return current.phase if current else None


def _late_escalations(found: Sequence[tuple[ov.OverviewRow, OpenItem]]) -> str:
    late = sum(1 for _r, x in found if x.urgent and x.severity == "warning")
    return f"{late} wachten langer dan twee dagen" if late else ""


def programme_counts(found: ov.CohortOverview, now: datetime) -> tuple[Count, ...]:
    """Pure: the coordinator's start page from the overview of every running traject."""
    today = local_date(now)
    rows = found.rows
    waits = [(today - local_date(x.authored)).days // 7 for x, _p in found.waiting if x.authored]
    inclusion = [r for r in rows if _phase(r) == c.PHASE_INCLUSION]
    late_intro = [r for r in rows if any(x.kind.slug == "kennismaking" and x.urgent for x in r.signals.open)]
    paused = [r for r in rows if r.row.traject.status == "on-hold"]
    todos = [(r, x) for r in rows for x in open_todos(r.row.tasks)]
    escalations = [(r, x) for r in rows for x in r.signals.open if x.kind.slug == "escalatie"]
    kinds = sorted({x.kind for _r, x in todos})
    return (
        Count("Wachtlijst", len(found.waiting), f"langst wachtend: {max(waits)} weken" if waits else ""),
        Count("In de inclusiefase (beoordeling, toestemming)", len(inclusion), "", _names(inclusion)),
        Count("Kennismaking loopt uit", len(late_intro), "", _names(late_intro)),
        Count(
            "Gesprek over 18 worden",
            len(_with_kind(rows, "achttien")),
            "",
            _names(_with_kind(rows, "achttien")),
        ),
        Count("Gepauzeerd", len(paused), "", _names(paused)),
        Count(
            "Meldingen die wachten op afhandeling",
            len(escalations),
            _late_escalations(escalations),
            _names({r.row.traject.identifier: r for r, _x in escalations}.values()),
        ),
        Count(
            "Verantwoordelijke professional ontbreekt",
            len(_with_kind(rows, "verantwoordelijke")),
            "",
            _names(_with_kind(rows, "verantwoordelijke")),
        ),
        *(
            Count(
                t.display(c.TASK_KIND, k),
                sum(1 for _r, x in todos if x.kind == k),
                "",
                _names(r for r, x in todos if x.kind == k),
            )
            for k in kinds
        ),
        *(Count(x.kind.label_nl, 1, x.message_nl) for x in found.org_signals.open),
    )
