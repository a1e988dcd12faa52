"""record_measurement: the fill-in as one save with a client identifier; refusals per question."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hvol_fhir.errors import HvolError, NotAllowed
from hvol_fhir.measurements import questionnaire
from hvol_fhir.measurements.validate import MeasurementRefused
from hvol_fhir.programme import codes as c
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import Caller
from hvol_fhir.services import measurements as service
from tests.unit.services.fakes import FakeFhir

Make = Callable[..., Caller]
IDENT = "8f3e4a51-0000-4000-8000-000000000001"


def filled(record: TrajectRecord, **over: object) -> service.RecordMeasurement:
    q = questionnaire()
    fields: dict[str, object] = {
        "record": record,
        "identifier": IDENT,
        "questionnaire": q.canonical,
        "values": {i.link_id: "6" for i in q.items},
    }
    return service.RecordMeasurement(**{**fields, **over})  # type: ignore[arg-type]


def test_a_measurement_is_saved_once(as_role: Make, fake: FakeFhir, record: TrajectRecord) -> None:
    first = service.record_measurement(as_role(c.ROLE_BUDDY), filled(record))
    again = service.record_measurement(as_role(c.ROLE_BUDDY), filled(record))
    assert first.created and not again.created and first.response == again.response
    (response,) = fake.all("QuestionnaireResponse")
    assert response["basedOn"][0]["reference"] == record.reference
    assert not fake.all("AuditEvent")  # scores are no journal


def test_unanswered_questions_are_named_and_nothing_is_sent(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    values = {i.link_id: "" for i in questionnaire().items}
    with pytest.raises(MeasurementRefused) as refused:
        service.record_measurement(as_role(c.ROLE_BUDDY), filled(record, values=values))
    assert refused.value.problems and fake.calls == []


def test_a_form_of_another_questionnaire_version_is_refused(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    with pytest.raises(HvolError):
        service.record_measurement(as_role(c.ROLE_BUDDY), filled(record, questionnaire="http://x|0.1"))
    assert fake.calls == []


@pytest.mark.parametrize("role", [c.ROLE_COACH, c.ROLE_COORDINATOR, c.ROLE_MENTOR])
def test_only_the_buddy_fills_it_in(as_role: Make, fake: FakeFhir, record: TrajectRecord, role: str) -> None:
    with pytest.raises(NotAllowed):
        service.record_measurement(as_role(role), filled(record))
    assert fake.calls == []
