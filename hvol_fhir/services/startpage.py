"""A start page per role (issue 15): what needs doing today, per girl (buddy), per buddy (coach) or across the
programme (coordinator). Library service: the reading is here, the cards and counts in `services.startcards`
(the alerts come from the one assembly, `rules.overview.assemble`, and are sorted into open items by
`open_items`, so the start page, the traject page and the overview agree).

Round trips: the buddy's and coach's caseload in two (her CareTeams with the girls' names, then one batch with
every girl's trajects, recent contacts, tasks and the metadata of recent journal entries); the coordinator's
in two (the overview's page of trajects with one batch). What the caseload holds depends on the token: a
launch for one youth has a patient-level token, which the EHR confines to that girl (`patient`), so only she
is on the page; a user-level token sees every team the user is on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import careplan
from hvol_fhir.mapping.person import display_name
from hvol_fhir.privacy import guard
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import local_date, utc
from hvol_fhir.programme.model import Traject
from hvol_fhir.repository import searches as s
from hvol_fhir.repository.cohort import batch_with_reads, birth_date_of
from hvol_fhir.repository.reads import TASK_PATIENT
from hvol_fhir.sealing import membership
from hvol_fhir.services import overview as ov
from hvol_fhir.services.startcards import (
    LIVE,
    WINDOW,
    Card,
    Count,
    Due,
    Girl,
    StartPage,
    buddy_card,
    programme_counts,
)

PER_GIRL: Final = 4  # searches per girl in the caseload batch (`_girl_searches`)
ENTRY_ELEMENTS: Final = "category,encounter,sender,sent,basedOn"


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
        # The journal entries' metadata only (which contact, which kind, who, when): never the text, so this
        # is no read of the journal (nothing of it is shown) and leaves no AuditEvent. The server narrows it
        # to her own period as any search of hers.
        s.get(
            "Communication",
            {"patient": patient, "sent": f"ge{since}", "_elements": ENTRY_ELEMENTS, "_count": "200"},
        ),
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
        plans, contacts, tasks, entries = pages[PER_GIRL * i : PER_GIRL * i + PER_GIRL]
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
                entries=tuple(
                    r for r in s.all_matches([entries]) if r.get("resourceType") == "Communication"
                ),
                buddy_name=next(
                    (people.get(b) or ov.UNKNOWN_NAME for b in team.current(c.ROLE_BUDDY, now)), ""
                ),
            )
        )
    return girls


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
        return StartPage(role, cards=tuple(buddy_card(g, now, user=user) for g in girls))
    cards = [buddy_card(g, now, coach_view=True, buddy_name=g.buddy_name, user=user) for g in girls]
    return StartPage(role, cards=tuple(sorted(cards, key=lambda x: (x.buddy, x.name))))


__all__ = ["Card", "Count", "Due", "Girl", "StartPage", "caseload", "start_page"]
