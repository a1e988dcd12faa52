"""The coordinator's cohort overview: all programme trajects, paged, at most three round trips a page.

1. one page of CarePlans (category programme) with their youth and CareTeam (``_include``; neither is
   journal);
2. one batch: for every traject on the page its recent contacts (the alert window) and its tasks, the team
   members' names, and whatever the caller adds (the waiting list, meetings, presentations, overrides).
Alerts come from ``rules.overview.assemble``, the same assembly as the traject page's, over the window only:
a week older than the window is not re-assessed here (the traject page does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient, bundle
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import careplan, careteam, task
from hvol_fhir.mapping.person import display_name
from hvol_fhir.privacy import guard
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert
from hvol_fhir.programme.clock import local_date, utc
from hvol_fhir.programme.model import CareTeam, Contact, Task, Traject
from hvol_fhir.programme.rules.common import held
from hvol_fhir.programme.rules.overview import assemble
from hvol_fhir.repository import searches as s
from hvol_fhir.repository.reads import TASK_PATIENT, contact_from_json, traject_token

WINDOW = timedelta(weeks=10)
SORTS = {"start": "date", "-start": "-date"}


@dataclass(frozen=True)
class CohortRow:
    traject: Traject
    patient: Json | None
    care_team: CareTeam | None
    contacts: tuple[Contact, ...]
    alerts: tuple[Alert, ...]
    last_contact: datetime | None
    tasks: tuple[Task, ...] = ()
    birth_date: date | None = None


@dataclass(frozen=True)
class CohortPage:
    rows: list[CohortRow]
    offset: int
    size: int
    has_next: bool
    names: dict[str, str] = field(default_factory=dict)  # Practitioner/<id> -> name (buddies, coaches)
    extra: tuple[Json, ...] = ()  # the answers to the caller's own searches, in the same batch


def _window_start(traject: Traject, now: datetime) -> datetime:
    start = now - WINDOW
    current = traject.current_phase
    if current is not None and current.phase == c.PHASE_INTRODUCTION:
        start = min(start, current.start)
    return start


def birth_date_of(patient: Json | None) -> date | None:
    """A full ``birthDate`` (P-18 needs the day); a partial one gives none."""
    raw = (patient or {}).get("birthDate")
    return date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None


def _practitioners(teams: dict[str, Json]) -> list[str]:
    ids = {
        str(ref).split("/", 1)[1]
        for team in teams.values()
        for p in team.get("participant") or []
        if str(ref := (p.get("member") or {}).get("reference") or "").startswith("Practitioner/")
    }
    return sorted(ids)


def _row_searches(tr: Traject, now: datetime) -> list[Json]:
    since = _window_start(tr, now)
    contacts = {
        "patient": tr.patient,
        "episode-of-care.identifier": traject_token(tr.identifier),
        "date": f"ge{local_date(since).isoformat()}",
        "_count": "50",
    }
    # All tasks of the traject: coach contacts (P-COACH-AFTER) and the 18th-birthday talk (P-18).
    tasks = {TASK_PATIENT: tr.patient, "focus": f"CarePlan/{tr.id}", "_count": "200"}
    return [s.get("Encounter", contacts), s.get("Task", tasks)]


def cohort_page(
    client: FhirClient,
    now: datetime,
    *,
    offset: int = 0,
    size: int = 20,
    sort: str = "-start",
    name: str = "",
    extra: Sequence[Json] = (),
    status: str = "",
) -> CohortPage:
    """Two round trips: the page of CarePlans, then one batch with every row's contacts and tasks, the team
    members' names and the caller's ``extra`` searches (waiting list, meetings: see services.overview)."""
    params = {
        "category": f"{t.cs_url(t.PROGRAMME)}|{t.PROGRAMME_CODE}",
        "_include": ["CarePlan:subject", "CarePlan:care-team"],
        "_count": str(size),
        "_offset": str(offset),
        "_sort": SORTS.get(sort, "-date"),
    }
    if name.strip():
        params["subject:Patient.name"] = name.strip()
    if status:
        params["status"] = status  # the start page: running trajects only
    page = client.search("CarePlan", params)
    plans = [r for r in s.all_matches([page]) if r.get("resourceType") == "CarePlan"]
    patients = {f"Patient/{p['id']}": p for p in s.included([page], "Patient")}
    teams = {f"CareTeam/{x['id']}": x for x in s.included([page], "CareTeam")}
    trajects = [careplan.from_fhir(p) for p in plans]
    searches = [q for tr in trajects for q in _row_searches(tr, now)]
    pages, people = batch_with_reads(
        client, [*searches, *extra], [f"Practitioner/{p}" for p in _practitioners(teams)]
    )
    rows = [
        _row(tr, pages[2 * i], pages[2 * i + 1], patients.get(tr.patient), teams.get(tr.care_team or ""), now)
        for i, tr in enumerate(trajects)
    ]
    return CohortPage(
        rows=rows,
        offset=offset,
        size=size,
        has_next=any(link.get("relation") == "next" for link in page.get("link") or []),
        names={f"Practitioner/{p.get('id')}": display_name(p) or "" for p in people},
        extra=tuple(pages[len(searches) :]),
    )


def batch_with_reads(
    client: FhirClient, searches: Sequence[Json], reads: Sequence[str]
) -> tuple[list[Json], list[Json]]:
    """Searches and plain reads in one batch: people's names are reads (``user/Practitioner.r``: every role
    may read a practitioner, not every role may search them). A read that fails is left out (the page says
    "naam onbekend"); a search that fails goes the way of ``searches.batch_searches``."""
    if not reads:
        return s.batch_searches(client, searches), []
    entries = [*searches, *(bundle.read_entry(ref) for ref in reads)]
    results = bundle.results(client.batch(bundle.batch(entries)))
    pages = [
        r.resource
        for r in results[: len(searches)]
        if r.ok and r.resource and r.resource.get("resourceType") == "Bundle"
    ]
    if len(pages) != len(searches):
        pages = s.batch_searches(client, searches)  # one by one when it must, with its errors
    found = [r.resource for r in results[len(searches) :] if r.ok and r.resource]
    return pages, found


def _row(
    tr: Traject,
    contacts_page: Json,
    tasks_page: Json,
    patient: Json | None,
    team_raw: Json | None,
    now: datetime,
) -> CohortRow:
    ref = f"CarePlan/{tr.id}"
    contacts = tuple(contact_from_json(e, ref) for e in guard.strip_journal(s.all_matches([contacts_page])))
    # Programme tasks only: other apps' (and the measurements' SDC) tasks may point at the traject too.
    system = t.cs_url(c.TASK_KIND)
    tasks = tuple(
        task.from_fhir(x)
        for x in s.all_matches([tasks_page])
        if any(cc.get("system") == system for cc in (x.get("code") or {}).get("coding") or [])
    )
    team = careteam.from_fhir(team_raw, traject=ref) if team_raw else None
    birth = birth_date_of(patient)
    alerts = assemble(
        tr, contacts, now, tasks=tasks, team=team, birth_date=birth, subject=ref, since=_window_start(tr, now)
    )
    done = held(contacts)
    return CohortRow(
        traject=tr,
        patient=patient,
        care_team=team,
        contacts=contacts,
        alerts=tuple(alerts),
        last_contact=max((x.start for x in done), key=utc) if done else None,
        tasks=tasks,
        birth_date=birth,
    )


WAITING_PARAMS = {
    "code": f"{t.cs_url(c.TASK_KIND)}|{c.TASK_WAITING_LIST}",
    "status": "requested",
    "_sort": "authored-on",
    "_include": "Task:patient",
    "_count": "100",
}


def waiting_from(page: Json) -> list[tuple[Task, Json | None]]:
    patients = {f"Patient/{p['id']}": p for p in s.included([page], "Patient")}
    out = []
    for raw in s.all_matches([page]):
        if raw.get("resourceType") != "Task":
            continue
        todo = task.from_fhir(raw)
        out.append((todo, patients.get(todo.patient or "")))
    return out


def tasks_from(page: Json) -> list[Task]:
    return [task.from_fhir(r) for r in s.all_matches([page]) if r.get("resourceType") == "Task"]


def organisation_params(kind: str) -> dict[str, str]:
    return {"code": f"{t.cs_url(c.TASK_KIND)}|{kind}", "_count": "200"}


def overrides_params(now: datetime) -> dict[str, str]:
    return {
        "subtype": "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle|disclose",
        "date": f"ge{local_date(now - timedelta(days=30)).isoformat()}",
        "_count": "100",
    }


def waiting_list(client: FhirClient) -> list[tuple[Task, Json | None]]:
    """P-WAIT: open waiting-list tasks, longest waiting first, with the youth (one round trip)."""
    return waiting_from(client.search("Task", WAITING_PARAMS))


def organisation_tasks(client: FhirClient, kind: str) -> list[Task]:
    """Alignment meetings (P-ALIGN) or group presentations (P-PRESENT-3M)."""
    return tasks_from(client.search("Task", organisation_params(kind)))


def recent_overrides(client: FhirClient, now: datetime) -> list[Json]:
    """Disclosures and danger overrides of the last 30 days (AuditEvents; restricted, coordinator only)."""
    page = client.search("AuditEvent", overrides_params(now))
    return [r for r in s.all_matches([page]) if r.get("resourceType") == "AuditEvent"]
