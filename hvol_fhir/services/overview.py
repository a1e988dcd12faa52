"""The coordinator's cohort overview as a library service (issues 15 and 16): every traject of a page with
its open items per kind, the waiting list, alignment meetings and presentations, and recent disclosures:
three FHIR round trips (the page of CarePlans, one batch with everything else, the disclosures).

Names, never ids: youths and buddies are shown by name ("naam onbekend" when the EHR has none). The stacked
timeline is drawn from the same rows, so the page never runs ``cohort_page`` twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from hvol_fhir.ehr import FhirClient
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import acknowledgement as ack
from hvol_fhir.mapping.person import display_name
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import Alert
from hvol_fhir.programme.clock import AMSTERDAM
from hvol_fhir.programme.model import Task
from hvol_fhir.programme.open_items import Signals, signals, traject_signals
from hvol_fhir.programme.rules import check_alignment, check_presentations
from hvol_fhir.programme.rules.escalation import EscalationTodo, escalation_alerts
from hvol_fhir.repository import cohort as repo
from hvol_fhir.repository import searches as s

UNKNOWN_NAME: Final = "naam onbekend"
PHASE_ORDER: Final = {
    c.PHASE_PREPARATION: 0,
    c.PHASE_INCLUSION: 1,
    c.PHASE_INTRODUCTION: 2,
    c.PHASE_CONTACT_PERIOD: 3,
    c.PHASE_CLOSURE: 4,
}


@dataclass(frozen=True)
class OverviewRow:
    row: repo.CohortRow
    name: str
    buddies: tuple[str, ...]
    signals: Signals


@dataclass(frozen=True)
class CohortOverview:
    page: repo.CohortPage
    rows: list[OverviewRow]
    counts: dict[str, int]  # open items per kind over the page's trajects
    waiting: list[tuple[Task, Json | None]]
    org_alerts: list[Alert]
    org_signals: Signals
    meetings: list[Task]
    presentations: list[Task]
    overrides: int


def held_days(tasks: Sequence[Task]) -> list[datetime]:
    """The days of completed meetings (alignment, presentation) as moments for the rules."""
    return [
        datetime.combine(x.due, datetime.min.time(), tzinfo=AMSTERDAM)
        for x in tasks
        if x.status == "completed" and x.due
    ]


def sort_rows(rows: list[OverviewRow], key: str) -> list[OverviewRow]:
    """The page's own sorts (the server sorts by start): most open urgent items first, or by phase."""
    if key == "signalen":
        return sorted(rows, key=lambda r: (-r.signals.urgent, -len(r.signals.open), r.name))
    if key == "fase":
        return sorted(
            rows,
            key=lambda r: PHASE_ORDER.get(
                r.row.traject.current_phase.phase if r.row.traject.current_phase else "", 9
            ),
        )
    return rows


def _seen_by_traject(page: Json) -> dict[str, list[Json]]:
    """The coordinator's acknowledgements (issue 15), per traject they are about ("" for the organisation)."""
    out: dict[str, list[Json]] = {}
    for raw in s.all_matches([page]):
        focus = str((raw.get("focus") or {}).get("reference") or "")
        if raw.get("resourceType") == "Task":  # "": the organisation's items (alignment, presentations)
            out.setdefault(focus, []).append(raw)
    return out


def escalations_of(tasks: Sequence[Task]) -> list[EscalationTodo]:
    """The traject's escalations as the coordinator's to-dos (she sees every one: `visible_to`). Only their
    time and status: the overview shows how many wait and since when, never their kind or message."""
    return [
        EscalationTodo(
            identifier=x.identifier,
            traject=x.focus,
            raised_by=x.owner or "",
            raised_at=x.authored,
            is_open=x.status not in ("completed", "cancelled"),
        )
        for x in tasks
        if x.kind == c.TASK_ESCALATION and x.focus and x.authored
    ]


def _overview_row(
    row: repo.CohortRow, names: dict[str, str], now: datetime, seen: dict[str, list[Json]]
) -> OverviewRow:
    buddies = tuple(
        names.get(m.member) or UNKNOWN_NAME
        for m in (row.care_team.with_role(c.ROLE_BUDDY, now) if row.care_team else ())
    )
    notes = ack.notes_by_item(seen.get(f"CarePlan/{row.traject.id}", []))
    alerts = [*row.alerts, *escalation_alerts(escalations_of(row.tasks), now)]
    found = traject_signals(row.traject, row.contacts, alerts, now, tasks=row.tasks, acknowledged=notes)
    return OverviewRow(row, display_name(row.patient) or UNKNOWN_NAME, buddies, found)


def cohort_overview(
    client: FhirClient,
    now: datetime,
    *,
    offset: int = 0,
    size: int = 20,
    sort: str = "-start",
    name: str = "",
    status: str = "",
    with_overrides: bool = True,
) -> CohortOverview:
    """Two round trips for the page (``cohort_page``), and one more for the disclosures of the last 30 days:
    restricted AuditEvents are searched on their own, never inside the page's batch (inside it the sandbox
    answered 403 once disclosures existed, seen in tests/integration/test_app_writes.py; not investigated
    further, the separate search is what the overview always did)."""
    extra = [
        s.get("Task", repo.WAITING_PARAMS),
        s.get("Task", repo.organisation_params(c.TASK_ALIGNMENT_MEETING)),
        s.get("Task", repo.organisation_params(c.TASK_GROUP_PRESENTATION)),
        s.get("Task", {**repo.organisation_params(c.TASK_ITEM_ACKNOWLEDGED), "_count": "1000"}),
    ]
    server_sort = sort if sort in ("start", "-start") else "-start"
    page = repo.cohort_page(
        client, now, offset=offset, size=size, sort=server_sort, name=name, extra=extra, status=status
    )
    waiting_page, meetings_page, presentations_page, seen_page = page.extra
    meetings, presentations = repo.tasks_from(meetings_page), repo.tasks_from(presentations_page)
    org_alerts = check_alignment(held_days(meetings), now) + check_presentations(
        {"alle groepen": held_days(presentations)}, now
    )
    seen = _seen_by_traject(seen_page)
    rows = sort_rows([_overview_row(r, page.names, now, seen) for r in page.rows], sort)
    counts: dict[str, int] = {}
    for r in rows:
        for label, n in r.signals.counts().items():
            counts[label] = counts.get(label, 0) + n
    recent = sorted(meetings, key=lambda x: x.due or date.min, reverse=True)[:5]
    return CohortOverview(
        page=page,
        rows=rows,
        counts=dict(sorted(counts.items())),
        waiting=repo.waiting_from(waiting_page),
        org_alerts=org_alerts,
        org_signals=signals(org_alerts, now, acknowledged=ack.organisation_notes(seen.get("", []))),
        meetings=recent,
        presentations=sorted(presentations, key=lambda x: x.due or date.min, reverse=True)[:5],
        overrides=len(repo.recent_overrides(client, now)) if with_overrides else 0,
    )
