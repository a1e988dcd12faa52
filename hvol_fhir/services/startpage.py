"""A start page per role (issue 15): what needs doing today, per girl (buddy), per buddy (coach) or across the
programme (coordinator). Library service: the alerts come from the one assembly (`rules.overview.assemble`)
and are sorted into open items (`open_items`), so the start page, the traject page and the overview agree.

Round trips: the buddy's and coach's caseload in two (her CareTeams with the girls' names, then one batch with
every girl's trajects, recent contacts and tasks); the coordinator's in two (the overview's page of trajects
with one batch). What the caseload holds depends on the token: a launch for one youth has a patient-level
token, which the EHR confines to that girl (`patient`), so only she is on the page; a user-level token sees
every team the user is on.

To-dos that other parts of the programme add as Tasks (escalations, the outflow reminder, …) appear by their
task-kind's Dutch display without code here: anything open that is not a waiting-list entry, a meeting, a
presentation or a coach contact counts (`open_todos`). A pause is a CarePlan ``on-hold``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import careplan, task
from hvol_fhir.mapping.person import display_name
from hvol_fhir.measurements import fhir as mfhir
from hvol_fhir.measurements import schedule
from hvol_fhir.privacy import guard
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import IsoWeek, local, local_date, utc
from hvol_fhir.programme.model import CareTeam, Contact, Task, Traject
from hvol_fhir.programme.open_items import OpenItem, traject_signals
from hvol_fhir.programme.rules.overview import assemble
from hvol_fhir.repository import searches as s
from hvol_fhir.repository.cohort import batch_with_reads, birth_date_of
from hvol_fhir.repository.reads import TASK_PATIENT, contact_from_json
from hvol_fhir.sealing import membership
from hvol_fhir.services import overview as ov

WINDOW: Final = timedelta(weeks=10)
OPEN_STATUSES: Final = frozenset(
    {"draft", "requested", "received", "accepted", "ready", "in-progress", "on-hold"}
)
# Task kinds the start pages show in their own way (or the overview does).
OWN_KINDS: Final = frozenset(
    {c.TASK_WAITING_LIST, c.TASK_ALIGNMENT_MEETING, c.TASK_GROUP_PRESENTATION, c.TASK_COACH_CONTACT}
)


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


# --- pure parts --------------------------------------------------------------------------------------------


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


def buddy_card(girl: Girl, now: datetime, *, coach_view: bool = False, buddy_name: str = "") -> Card:
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
    found = traject_signals(tr, contacts, alerts, now, tasks=tasks)
    if coach_view:
        items = [_from_item(x) for x in found.open if x.kind.slug == "coachcontact"]
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


def _todo_detail(x: Task) -> str:
    return f"uiterlijk {x.due.day}-{x.due.month}-{x.due.year}" if x.due else "staat open"


def _late(x: Task, now: datetime) -> bool:
    return x.due is not None and x.due < local_date(now)


# --- I/O: the caseload of a buddy or coach -----------------------------------------------------------------


@dataclass(frozen=True)
class _Team:
    """What a start page needs of a CareTeam: the girl and who is on it now. Read from the JSON as the
    membership signature reads it (parsing a CareTeam into the domain costs more than fetching it)."""

    patient: str
    members: tuple[membership.Member, ...]

    def current(self, role: str, now: datetime) -> list[str]:
        return [m.member for m in self.members if m.role == role and _current(m.start, m.end, now)]


def _moment(value: str, now: datetime) -> datetime:
    moment = datetime.fromisoformat(value) if len(value) > 10 else datetime.fromisoformat(value + "T00:00:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)


def _current(start: str, end: str, now: datetime) -> bool:
    try:
        return (not start or utc(_moment(start, now)) <= utc(now)) and (
            not end or utc(now) < utc(_moment(end, now))
        )
    except ValueError:
        return False  # a period the app cannot read grants nothing here (as in the role decision)


def _my_teams(
    raw_teams: Iterable[Json],
    user: str,
    role: str,
    now: datetime,
    verified: Callable[[Json], set[str]] | None,
) -> list[_Team]:
    out = []
    for raw in raw_teams:
        if raw.get("resourceType") != "CareTeam" or raw.get("status") not in (None, "active"):
            continue
        team = _Team(
            str((raw.get("subject") or {}).get("reference") or ""), tuple(membership.careteam_members(raw))
        )
        signed = verified(raw) if verified is not None else None
        if team.patient and user in team.current(role, now) and (signed is None or role in signed):
            out.append(team)
    return out


def _running_plan(raws: Iterable[Json]) -> tuple[Traject, ...]:
    """Only the running traject is parsed (the newest one that is draft, active or on hold)."""
    live = [r for r in raws if r.get("resourceType") == "CarePlan" and r.get("status") in LIVE]
    newest = max(live, key=lambda r: str(r.get("created") or ""), default=None)
    return (careplan.from_fhir(newest),) if newest is not None else ()


def _girl_searches(patient: str, now: datetime) -> list[Json]:
    category = f"{t.cs_url(t.PROGRAMME)}|{t.PROGRAMME_CODE}"
    since = local_date(now - WINDOW).isoformat()
    return [
        s.get("CarePlan", {"patient": patient, "category": category, "_count": "20"}),
        s.get("Encounter", {"patient": patient, "date": f"ge{since}", "_count": "100"}),
        s.get("Task", {TASK_PATIENT: patient, "_count": "200"}),
    ]


def caseload(
    client: FhirClient,
    user: str,
    role: str,
    now: datetime,
    *,
    patient: str | None = None,
    verified: Callable[[Json], set[str]] | None = None,
) -> list[Girl]:
    """The girls on whose active CareTeam `user` has `role` now (two round trips). `verified(raw team)` gives
    the roles the app's signature covers for the user (issue 12); None when the caller checked already."""
    params = {"participant": user, "status": "active", "_include": "CareTeam:patient", "_count": "100"}
    if patient:
        params["patient"] = patient
    page = client.search("CareTeam", params)
    names = {f"Patient/{p['id']}": p for p in s.included([page], "Patient")}
    teams = _my_teams(s.all_matches([page]), user, role, now, verified)
    searches = [q for team in teams for q in _girl_searches(team.patient, now)]
    buddies = {ref for team in teams for ref in team.current(c.ROLE_BUDDY, now)}
    reads = sorted(ref for ref in buddies if ref.startswith("Practitioner/"))
    pages, found = batch_with_reads(client, searches, reads)
    people = {f"Practitioner/{p.get('id')}": display_name(p) or "" for p in found}
    girls = []
    for i, team in enumerate(teams):
        plans, contacts, tasks = pages[3 * i : 3 * i + 3]
        youth = names.get(team.patient)
        girls.append(
            Girl(
                patient=team.patient,
                name=display_name(youth) or ov.UNKNOWN_NAME,
                trajects=_running_plan(s.all_matches([plans])),
                contacts=tuple(guard.strip_journal(s.all_matches([contacts]))),
                tasks=tuple(r for r in s.all_matches([tasks]) if r.get("resourceType") == "Task"),
                team=None,  # P-RESP is the coordinator's to solve: not on these pages
                birth_date=birth_date_of(youth),
                buddy_name=next(
                    (people.get(b) or ov.UNKNOWN_NAME for b in team.current(c.ROLE_BUDDY, now)), ""
                ),
            )
        )
    return girls


# --- the coordinator: open items across the programme ------------------------------------------------------


def _names(rows: Iterable[ov.OverviewRow]) -> tuple[tuple[str, str], ...]:
    return tuple((r.name, r.row.traject.identifier) for r in rows)


def _with_kind(rows: Sequence[ov.OverviewRow], slug: str) -> list[ov.OverviewRow]:
    return [r for r in rows if any(x.kind.slug == slug for x in r.signals.open)]


def _phase(row: ov.OverviewRow) -> str | None:
    current = row.row.traject.current_phase
    return current.phase if current else None


def programme_counts(found: ov.CohortOverview, now: datetime) -> tuple[Count, ...]:
    """Pure: the coordinator's start page from the overview of every running traject."""
    today = local_date(now)
    rows = found.rows
    waits = [(today - local_date(x.authored)).days // 7 for x, _p in found.waiting if x.authored]
    inclusion = [r for r in rows if _phase(r) == c.PHASE_INCLUSION]
    late_intro = [r for r in rows if any(x.kind.slug == "kennismaking" and x.urgent for x in r.signals.open)]
    paused = [r for r in rows if r.row.traject.status == "on-hold"]
    todos = [(r, x) for r in rows for x in open_todos(r.row.tasks)]
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


def start_page(
    client: FhirClient,
    *,
    user: str | None,
    role: str,
    now: datetime,
    patient: str | None = None,
    verified: Callable[[Json], set[str]] | None = None,
) -> StartPage:
    """What `user` in `role` sees first. Buddy: her girls; coach: her buddies' girls with contacts waiting for
    a coach contact; coordinator: open items across the programme. Anyone else: an empty page."""
    if role == c.ROLE_COORDINATOR:
        found = ov.cohort_overview(client, now, size=100, status="draft,active,on-hold", with_overrides=False)
        return StartPage(role, counts=programme_counts(found, now))
    if role not in (c.ROLE_BUDDY, c.ROLE_COACH) or not user:
        return StartPage(role)
    girls = caseload(client, user, role, now, patient=patient, verified=verified)
    if role == c.ROLE_BUDDY:
        return StartPage(role, cards=tuple(buddy_card(g, now) for g in girls))
    cards = [buddy_card(g, now, coach_view=True, buddy_name=g.buddy_name) for g in girls]
    return StartPage(role, cards=tuple(sorted(cards, key=lambda x: (x.buddy, x.name))))
