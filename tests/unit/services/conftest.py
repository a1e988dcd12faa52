"""Fixtures for the services' unit tests: the in-memory FHIR server, a pinned clock, one traject of one youth
in its contact period, and a Caller per role."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from hvol_fhir.ehr import FhirClient
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import CareTeam, CareTeamMember, Contact
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import Caller
from tests.unit.programme.builders import BUDDY_REF, PATIENT_REF, TRAJECT_REF, at, contact, traject
from tests.unit.services.fakes import FakeFhir

NOW = at(2026, 11, 20, 15, 0)
COACH_REF = "Practitioner/coach-1"
COORDINATOR_REF = "Practitioner/coordinator-1"
USERS = {
    c.ROLE_BUDDY: BUDDY_REF,
    c.ROLE_COACH: COACH_REF,
    c.ROLE_COORDINATOR: COORDINATOR_REF,
    c.ROLE_MENTOR: "Practitioner/mentor-1",
    c.ROLE_BEHAVIOURAL_SCIENTIST: "Practitioner/scientist-1",
    "staff": "Practitioner/staff-1",
}


class Clock:
    def __init__(self, moment: datetime = NOW) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **kw: float) -> None:
        self.moment += timedelta(**kw)


def record_with(*contacts: Contact) -> TrajectRecord:
    plan = traject([(c.PHASE_CONTACT_PERIOD, at(2026, 9, 1, 9), None)], care_team="CareTeam/ct-1")
    plan = dataclasses.replace(plan, id=TRAJECT_REF.split("/")[1])
    return TrajectRecord(
        traject=plan,
        careplan={"resourceType": "CarePlan", "id": plan.id, "meta": {"versionId": "1"}},
        # Issue 14: journal readers per period; buddy and coach belong to the team since the traject began.
        care_team=CareTeam(
            identifier="a0c1e2f3-0000-4000-8000-00000000c7e1",
            patient=PATIENT_REF,
            members=(
                CareTeamMember(
                    member=BUDDY_REF, role=c.ROLE_BUDDY, skj_number="SKJ-1", start=at(2026, 9, 1, 9)
                ),
                CareTeamMember(
                    member=COACH_REF, role=c.ROLE_COACH, skj_number="SKJ-2", start=at(2026, 9, 1, 9)
                ),
            ),
            id="ct-1",
        ),
        care_team_raw=None,
        contacts=tuple(dataclasses.replace(x, id=f"enc-{i}") for i, x in enumerate(contacts)),
    )


@pytest.fixture
def fake() -> FakeFhir:
    return FakeFhir()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def record() -> TrajectRecord:
    return record_with(contact(at(2026, 11, 18, 10, 0), 60, ident="earlier-contact"))


@pytest.fixture
def as_role(fake: FakeFhir, clock: Clock) -> Callable[..., Caller]:
    def make(role: str, **over: Any) -> Caller:
        fields: dict[str, Any] = {
            "client": cast(FhirClient, fake),
            "user": USERS[role],
            "role": role,
            "patient": PATIENT_REF,
            "clock": clock,
        }
        return Caller(**{**fields, **over})

    return make
