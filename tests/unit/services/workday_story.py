"""The programme of the working-day tests: two girls and their buddies in a FakeFhir, clock pinned."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import CareTeam, CareTeamMember, Contact, PhasePeriod, Task, Traject
from tests.unit.programme.builders import at
from tests.unit.services.workday_fake import FakeFhir

NOW = at(2026, 3, 25, 12)  # Wednesday of ISO week 13
BUDDY = "Practitioner/buddy-1"
BUDDY_2 = "Practitioner/buddy-2"
COACH = "Practitioner/coach-1"


def traject(n: int, phases: list[tuple[str, datetime, datetime | None]]) -> Traject:
    return Traject(
        identifier=f"tr-{n}",
        patient=f"Patient/youth-{n}",
        created=phases[0][1],
        status="active",
        phases=tuple(
            PhasePeriod(phase=p, start=s, end=e, status="completed" if e else "in-progress")
            for p, s, e in phases
        ),
        care_team=f"CareTeam/team-{n}",
        id=f"plan-{n}",
    )


def contact(n: int, k: int, start: datetime, minutes: int, kind: str = c.CONTACT_FACE_TO_FACE) -> Contact:
    return Contact(
        identifier=f"c-{n}-{k}",
        traject=f"CarePlan/plan-{n}",
        patient=f"Patient/youth-{n}",
        buddy=BUDDY if n == 1 else BUDDY_2,
        start=start,
        end=start + timedelta(minutes=minutes),
        contact_type=kind,
        id=f"enc-{n}-{k}",
    )


def coach_task(n: int, when: datetime, k: int = 0) -> Task:
    return Task(
        identifier=f"coach-{n}-{k}",
        kind=c.TASK_COACH_CONTACT,
        status="completed",
        owner=BUDDY,
        focus=f"CarePlan/plan-{n}",
        patient=f"Patient/youth-{n}",
        authored=when,
        id=f"task-coach-{n}-{k}",
    )


def build() -> FakeFhir:
    """Girl 1 (Sanne Jansen): contact period since 2 February, one contact a week of 60 minutes (the 2-hour
    norm missed every week), a buddy without SKJ and no responsible professional, no coach contact at all.
    Girl 2 (Noor Bakker): introduction, turns 18 on 1 May 2026 (the talk was due 1 February)."""
    fake = FakeFhir()
    fake.practitioner("buddy-1", "Fatima El Amrani")
    fake.practitioner("buddy-2", "Lotte de Wit")
    fake.practitioner("coach-1", "Ingrid Smit")
    fake.patient("youth-1", "Sanne Jansen", date(2011, 6, 1))
    fake.patient("youth-2", "Noor Bakker", date(2008, 5, 1))
    one = traject(
        1,
        [("introduction", at(2026, 1, 5, 9), at(2026, 2, 2, 9)), ("contact-period", at(2026, 2, 2, 9), None)],
    )
    two = traject(2, [("introduction", at(2026, 3, 16, 9), None)])
    fake.traject(one)
    fake.traject(two)
    for n, buddy in ((1, BUDDY), (2, BUDDY_2)):
        members = (
            CareTeamMember(member=buddy, role=c.ROLE_BUDDY, start=at(2026, 1, 1)),
            CareTeamMember(member=COACH, role=c.ROLE_COACH, start=at(2026, 1, 1)),
        )
        if n == 2:
            members = (
                CareTeamMember(member=buddy, role=c.ROLE_BUDDY, skj_number="SKJ-1", start=at(2026, 1, 1)),
                members[1],
            )
        fake.team(
            CareTeam(
                identifier=f"team-{n}",
                patient=f"Patient/youth-{n}",
                members=members,
                traject=f"CarePlan/plan-{n}",
                id=f"team-{n}",
            )
        )
    for k in range(7):  # Tuesdays 3 Feb .. 17 Mar
        fake.contact(contact(1, k, at(2026, 2, 3, 15) + timedelta(weeks=k), 60), one)
    fake.contact(contact(2, 0, at(2026, 3, 17, 15), 45), two)
    return fake
