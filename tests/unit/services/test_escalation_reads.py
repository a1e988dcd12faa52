"""Reading an escalation's kind and message leaves an AuditEvent as a journal read does (issue 15, the audit
policy of services.audit): written before anything is returned, fail closed with a plain Dutch message, and
nothing recorded when nothing is shown."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest

from hvol_fhir.ehr import EhrDown, EhrForbidden, FhirClient
from hvol_fhir.mapping import escalation as mapping
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.escalation import Escalation
from hvol_fhir.services import AuditUnavailable
from hvol_fhir.services import escalations as service
from tests.unit.programme.builders import at
from tests.unit.services.fakes import FakeFhir

NOW = at(2026, 3, 10, 14, 0)
SECRET = "De wijkagent vroeg naar haar vriend (fictief)"


def stored(ident: str = "esc-1") -> service.Stored:
    e = Escalation(
        identifier=ident,
        traject="CarePlan/plan-1",
        patient="Patient/youth-1",
        raised_by="Practitioner/buddy-1",
        raised_at=NOW - timedelta(hours=2),
        kind=c.ESCALATION_POLICE,
        message=SECRET,
        recipients=("Practitioner/coach-1", "Practitioner/coord-1"),
        id=f"task-{ident}",
    )
    return service.Stored(e, mapping.to_json(e))


def read(fake: FakeFhir, shown: list[service.Stored]) -> None:
    service.record_read(
        cast(FhirClient, fake), user="Practitioner/coach-1", patient="Patient/youth-1", shown=shown, now=NOW
    )


def test_showing_escalations_records_one_read_naming_them_and_nothing_of_their_content() -> None:
    fake = FakeFhir()
    read(fake, [stored("esc-1"), stored("esc-2")])
    (event,) = fake.all("AuditEvent")
    assert event["subtype"][0]["code"] == "search-type"
    whats = [e["what"]["reference"] for e in event["entity"]]
    assert "Task/task-esc-1" in whats and "Task/task-esc-2" in whats and "Patient/youth-1" in whats
    assert SECRET not in repr(event) and "police" not in repr(event)
    assert "Practitioner/coach-1" in repr(event["agent"])


def test_nothing_shown_nothing_recorded() -> None:
    fake = FakeFhir()
    read(fake, [])
    assert fake.all("AuditEvent") == [] and fake.calls == []


@pytest.mark.parametrize("fault", [EhrForbidden("nee"), EhrDown()], ids=["refused", "down"])
def test_no_audit_no_escalations(fault: Exception) -> None:
    fake = FakeFhir()
    fake.fail("create", fault)  # type: ignore[arg-type]
    if isinstance(fault, EhrDown):
        fake.fail("create", EhrDown())  # and the one resend
    with pytest.raises(AuditUnavailable) as refused:
        read(fake, [stored()])
    assert "meldingen worden nu niet getoond" in refused.value.message_nl
    assert refused.value.http_status == 503 and SECRET not in str(refused.value)
