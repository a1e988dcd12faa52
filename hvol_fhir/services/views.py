"""Read-side services of the working day (issue 16: one function per thing a person looks at; issue 15): the
traject page. Pure core (`rules.overview.assemble`, `open_items.traject_signals`), I/O here, no Flask.

The alerts of a traject are put together in one place for every page (`assemble`): the traject page, the
cohort overview (`services.overview`) and the start pages (`services.startpage`) show the same families with
the same definition of a held contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hvol_fhir.ehr import FhirClient
from hvol_fhir.fhirjson import Json
from hvol_fhir.privacy.periods import reading_periods
from hvol_fhir.programme.alerts import Alert
from hvol_fhir.programme.open_items import Signals, traject_signals
from hvol_fhir.programme.rules.overview import assemble
from hvol_fhir.repository.cohort import birth_date_of
from hvol_fhir.repository.reads import TrajectReader, TrajectRecord
from hvol_fhir.services.acknowledge import acknowledged


@dataclass(frozen=True)
class TrajectView:
    record: TrajectRecord
    patient: Json
    birth_date: date | None
    alerts: tuple[Alert, ...]
    signals: Signals


def record_alerts(
    record: TrajectRecord, now: datetime, *, tasks_read: bool, birth_date: date | None = None
) -> list[Alert]:
    """Every alert family of a loaded traject (`tasks_read`: whether the caller's role could read its tasks;
    without them there is no coach follow-up to judge)."""
    return assemble(
        record.traject,
        record.contacts,
        now,
        tasks=record.tasks if tasks_read else None,
        team=record.care_team,
        birth_date=birth_date,
        subject=record.reference,
    )


def traject_view(
    client: FhirClient,
    patient: str,
    ident: str,
    now: datetime,
    *,
    with_tasks: bool,
    with_assessment: bool = False,
    with_measurements: bool = False,
    with_acknowledgements: bool = False,
    reader: tuple[str | None, str] | None = None,
) -> TrajectView:
    """The traject page: the youth (name, birth date for P-18), the traject read in its own batch, every
    alert family, and the alerts sorted into open items and history; with the coordinator's notes on items
    she saw when the role may read tasks (one more round trip). Two to four round trips."""
    youth = client.read("Patient", patient.split("/", 1)[1])
    record = TrajectReader(client, patient).load(
        ident,
        now,
        with_tasks=with_tasks,
        with_assessment=with_assessment,
        with_measurements=with_measurements,
    )
    birth = birth_date_of(youth)
    # A buddy's or coach's notes by period (issue 14); `reader`: (user, role), None for the library's use.
    reading = reading_periods(record.care_team, *reader) if reader else None
    seen = acknowledged(client, patient, ident, reading) if with_acknowledgements else {}
    alerts = record_alerts(record, now, tasks_read=with_tasks, birth_date=birth)
    found = traject_signals(
        record.traject,
        record.contacts,
        alerts,
        now,
        tasks=record.tasks if with_tasks else None,
        acknowledged=seen,
    )
    return TrajectView(record, youth, birth, tuple(alerts), found)
