"""The coordinator's cohort overview: all programme trajects, paged, at most three round trips a page.

1. one page of CarePlans (category programme) with their youth and CareTeam (``_include``; neither is
   journal);
2. one batch: for every traject on the page its recent contacts (the alert window) and coach-contact tasks;
3. (separately, once per page) the waiting list.
Alerts over the window only: a week older than the window is not re-assessed here (the traject page does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient
from hvol_fhir.mapping import careplan, careteam, encounter, task
from hvol_fhir.mapping.fhirjson import Json
from hvol_fhir.privacy import guard
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert
from hvol_fhir.programme.clock import local_date, utc
from hvol_fhir.programme.model import CareTeam, Contact, Task, Traject
from hvol_fhir.programme.rules import traject_alerts
from hvol_fhir.repository import searches as s
from hvol_fhir.repository.reads import TASK_PATIENT, traject_token

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


@dataclass(frozen=True)
class CohortPage:
    rows: list[CohortRow]
    offset: int
    size: int
    has_next: bool


def _window_start(traject: Traject, now: datetime) -> datetime:
    start = now - WINDOW
    current = traject.current_phase
    if current is not None and current.phase == c.PHASE_INTRODUCTION:
        start = min(start, current.start)
    return start


def cohort_page(
    client: FhirClient,
    now: datetime,
    *,
    offset: int = 0,
    size: int = 20,
    sort: str = "-start",
    name: str = "",
) -> CohortPage:
    params = {
        "category": f"{t.cs_url(t.PROGRAMME)}|{t.PROGRAMME_CODE}",
        "_include": ["CarePlan:subject", "CarePlan:care-team"],
        "_count": str(size),
        "_offset": str(offset),
        "_sort": SORTS.get(sort, "-date"),
    }
    if name.strip():
        params["subject:Patient.name"] = name.strip()
    page = client.search("CarePlan", params)
    plans = [r for r in s.all_matches([page]) if r.get("resourceType") == "CarePlan"]
    patients = {f"Patient/{p['id']}": p for p in s.included([page], "Patient")}
    teams = {f"CareTeam/{x['id']}": x for x in s.included([page], "CareTeam")}
    trajects = [careplan.from_fhir(p) for p in plans]
    searches = []
    for tr in trajects:
        since = _window_start(tr, now)
        searches.append(
            s.get(
                "Encounter",
                {
                    "patient": tr.patient,
                    "episode-of-care.identifier": traject_token(tr.identifier),
                    "date": f"ge{local_date(since).isoformat()}",
                    "_count": "50",
                },
            )
        )
        searches.append(
            s.get(
                "Task",
                {
                    TASK_PATIENT: tr.patient,
                    "focus": f"CarePlan/{tr.id}",
                    "code": f"{t.cs_url(c.TASK_KIND)}|{c.TASK_COACH_CONTACT}",
                },
            )
        )
    pages = s.batch_searches(client, searches)
    rows: list[CohortRow] = []
    for i, tr in enumerate(trajects):
        ref = f"CarePlan/{tr.id}"
        contacts = tuple(
            encounter.from_fhir(e, traject=ref)
            for e in guard.strip_journal(s.all_matches(pages[2 * i : 2 * i + 1]))
        )
        tasks = tuple(task.from_fhir(x) for x in s.all_matches(pages[2 * i + 1 : 2 * i + 2]))
        coach = [x.authored for x in tasks if x.status == "completed" and x.authored]
        window_from = local_date(_window_start(tr, now))
        alerts = [
            a
            for a in traject_alerts(
                tr, contacts, now, coach_contacts=coach if coach else None, tasks=tasks, subject=ref
            )
            if a.due is None or a.due >= window_from or a.rule_id not in ("P-F2F-WEEK", "P-2H-WEEK")
        ]
        team_raw = teams.get(tr.care_team or "")
        held = [x for x in contacts if x.status == "finished"]
        rows.append(
            CohortRow(
                traject=tr,
                patient=patients.get(tr.patient),
                care_team=careteam.from_fhir(team_raw, traject=ref) if team_raw else None,
                contacts=contacts,
                alerts=tuple(alerts),
                last_contact=max((x.start for x in held), key=utc) if held else None,
            )
        )
    return CohortPage(
        rows=rows,
        offset=offset,
        size=size,
        has_next=any(link.get("relation") == "next" for link in page.get("link") or []),
    )


def waiting_list(client: FhirClient) -> list[tuple[Task, Json | None]]:
    """P-WAIT: open waiting-list tasks, longest waiting first, with the youth (one round trip)."""
    page = client.search(
        "Task",
        {
            "code": f"{t.cs_url(c.TASK_KIND)}|{c.TASK_WAITING_LIST}",
            "status": "requested",
            "_sort": "authored-on",
            "_include": "Task:patient",
            "_count": "100",
        },
    )
    patients = {f"Patient/{p['id']}": p for p in s.included([page], "Patient")}
    out = []
    for raw in s.all_matches([page]):
        if raw.get("resourceType") != "Task":
            continue
        todo = task.from_fhir(raw)
        out.append((todo, patients.get(todo.patient or "")))
    return out


def organisation_tasks(client: FhirClient, kind: str) -> list[Task]:
    """Alignment meetings (P-ALIGN) or group presentations (P-PRESENT-3M)."""
    page = client.search("Task", {"code": f"{t.cs_url(c.TASK_KIND)}|{kind}", "_count": "200"})
    return [task.from_fhir(r) for r in s.all_matches([page]) if r.get("resourceType") == "Task"]


def recent_overrides(client: FhirClient, now: datetime) -> list[Json]:
    """Disclosures and danger overrides of the last 30 days (AuditEvents; restricted, coordinator only)."""
    page = client.search(
        "AuditEvent",
        {
            "subtype": "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle|disclose",
            "date": f"ge{local_date(now - timedelta(days=30)).isoformat()}",
            "_count": "100",
        },
    )
    return [r for r in s.all_matches([page]) if r.get("resourceType") == "AuditEvent"]
