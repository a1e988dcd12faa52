"""The measurement store on the sandbox's real HAPI server (issue 7): planning Tasks from the CarePlan's
phases, saving a response with its Task as one transaction, and both-or-neither when the Task changed
meanwhile.

Uses a user-level development token (Task access), since the app's patient-level buddy token may not reach
Task
on every EHR (the pages then fall back to the schedule; test_measurements_app.py).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from hvol_fhir.ehr import EhrError, FhirClient
from hvol_fhir.mapping import careplan
from hvol_fhir.measurements import Measurement, questionnaire, store
from hvol_fhir.measurements.schedule import WINDOW, due_dates, plan
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import AMSTERDAM, local_date
from hvol_fhir.programme.model import PhasePeriod

from .measurements_support import admin_search, measurement_org  # noqa: F401 - fixture

pytestmark = pytest.mark.integration
SID = "https://hvol-fhir.org/fhir/sid/"


def traject(org: Any, n: str) -> Any:
    return careplan.from_fhir(admin_search(org, "CarePlan", _id=f"hv-traject-{n}")[0])


def buddy_client(org: Any, user: str, youth: str) -> FhirClient:
    return FhirClient(org.fhir_base, org.token_for(user, youth))


def measurement(t: Any, ident: str) -> Measurement:
    q = questionnaire()
    return Measurement(
        identifier=ident,
        traject=f"CarePlan/{t.id}",
        patient=t.patient,
        authored=datetime.now(AMSTERDAM),
        questionnaire=q.canonical,
        answers=tuple((i.link_id, 5) for i in q.items),
        author="Practitioner/hv-buddy-2",
    )


def test_planning_follows_the_phases_and_is_idempotent(measurement_org: Any) -> None:  # noqa: F811
    t = traject(measurement_org, "07")
    client = buddy_client(measurement_org, "hv-buddy-2", "hv-youth-07")
    last_due = due_dates(t, until=local_date(datetime.now(AMSTERDAM)))[-1]
    today = last_due + WINDOW + timedelta(days=13) - timedelta(days=6)  # the next window has started
    first = store.reconcile(client, t, today, datetime.now(AMSTERDAM))
    again = store.reconcile(client, t, today, datetime.now(AMSTERDAM))
    assert sorted(x.identifier for x in first) == sorted(x.identifier for x in again)
    open_ = [x for x in again if x.is_open]
    assert open_ and all(x.due in due_dates(t, until=today + WINDOW) for x in open_)


def test_response_and_task_are_saved_together_and_once(measurement_org: Any) -> None:  # noqa: F811
    t = traject(measurement_org, "07")
    client = buddy_client(measurement_org, "hv-buddy-2", "hv-youth-07")
    open_ = [x for x in store.tasks(client, t.patient, f"CarePlan/{t.id}") if x.is_open]
    assert open_, "planning test leaves an open Task"
    m = measurement(t, str(uuid.uuid4()))
    saved = store.save(client, m, open_[0])
    twice = store.save(client, m, open_[0])
    assert saved.created and not twice.created and saved.response == twice.response
    assert (
        len(
            admin_search(
                measurement_org, "QuestionnaireResponse", identifier=f"{SID}measurement|{m.identifier}"
            )
        )
        == 1
    )
    task = admin_search(measurement_org, "Task", _id=open_[0].id or "")[0]
    assert (
        task["status"] == "completed" and task["output"][0]["valueReference"]["reference"] == saved.response
    )


def test_a_task_changed_meanwhile_stores_nothing(measurement_org: Any) -> None:  # noqa: F811
    t = traject(measurement_org, "09")
    client = buddy_client(measurement_org, "hv-buddy-4", "hv-youth-09")
    today = due_dates(t, until=local_date(datetime.now(AMSTERDAM)))[-1] + timedelta(days=8)
    tasks = [x for x in store.reconcile(client, t, today, datetime.now(AMSTERDAM)) if x.is_open]
    assert tasks
    stale = tasks[0]
    # someone else touches the Task first (a new version)
    from hvol_fhir.measurements import fhir as mf

    client.update(mf.task_to_fhir(replace(stale, status="in-progress")), if_match=stale.version)
    m = measurement(t, str(uuid.uuid4()))
    with pytest.raises(EhrError):
        store.save(client, m, stale)
    assert (
        admin_search(measurement_org, "QuestionnaireResponse", identifier=f"{SID}measurement|{m.identifier}")
        == []
    )


def test_closing_the_traject_cancels_open_tasks(measurement_org: Any) -> None:  # noqa: F811
    t = traject(measurement_org, "09")
    client = buddy_client(measurement_org, "hv-buddy-4", "hv-youth-09")
    ref = f"CarePlan/{t.id}"
    assert any(x.is_open for x in store.tasks(client, t.patient, ref))
    at = datetime.now(AMSTERDAM) - timedelta(days=40)
    phases = (
        *t.phases[:-1],
        replace(t.phases[-1], end=at, status="completed"),
        PhasePeriod(phase=c.PHASE_CLOSURE, start=at, end=at, status="completed"),
    )
    closed = replace(t, phases=phases, status="completed")
    todo = plan(closed, store.tasks(client, t.patient, ref), local_date(datetime.now(AMSTERDAM)))
    assert todo.cancel and not todo.create
    store.apply_plan(client, todo)
    assert not any(x.is_open for x in store.tasks(client, t.patient, ref))
