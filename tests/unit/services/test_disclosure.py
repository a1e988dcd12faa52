"""disclose and override_for_danger: information leaving the journal, each one transaction with its audit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hvol_fhir.ehr import EhrDown
from hvol_fhir.errors import InvalidInput, NotAllowed
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.danger import Override
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import Caller, disclosure
from tests.unit.services.conftest import NOW, record_with
from tests.unit.services.fakes import FakeFhir

Make = Callable[..., Caller]
CONSENT = "7e2d3f40-0000-4000-8000-000000000001"
OVERRIDE_ENTRY = "7e2d3f40-0000-4000-8000-000000000002"
DANGER = Override(
    reason="danger-self", what="Zorgen over thuis", whom="Veilig Thuis", why="Direct gevaar", told="ja"
)


def share(record: TrajectRecord, **over: object) -> disclosure.Disclose:
    fields: dict[str, object] = {
        "record": record,
        "consent_identifier": CONSENT,
        "entries": ("Communication/e-1", "Communication/e-2"),
        "recipient": "RelatedPerson/rp-1",
        "purpose": "FAMRQT",
        "why": "Haar moeder wil weten hoe het gaat.",
    }
    return disclosure.Disclose(**{**fields, **over})  # type: ignore[arg-type]


def test_a_disclosure_is_the_consent_and_its_audit_in_one_transaction(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    done = disclosure.disclose(as_role(c.ROLE_COORDINATOR), share(record))
    assert fake.calls == ["transaction"] and done.created
    (consent,) = fake.all("Consent")
    (event,) = fake.all("AuditEvent")
    named = {e["what"]["reference"] for e in event["entity"]}
    assert named == {"Patient/youth-1", "Communication/e-1", "Communication/e-2", f"Consent/{consent['id']}"}
    assert event["subtype"][0]["code"] == "disclose"
    assert event["agent"][1]["purposeOfUse"][0]["coding"][0]["code"] == "FAMRQT"


def test_a_resent_disclosure_records_one_consent_and_one_audit(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    fake.fail("transaction", EhrDown(maybe_sent=True), after=True)
    with pytest.raises(EhrDown):
        disclosure.disclose(as_role(c.ROLE_COORDINATOR), share(record))
    assert not disclosure.disclose(as_role(c.ROLE_COORDINATOR), share(record)).created
    assert len(fake.all("Consent")) == len(fake.all("AuditEvent")) == 1


def test_an_unknown_purpose_counts_as_the_youths_own_request(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    disclosure.disclose(as_role(c.ROLE_COORDINATOR), share(record, purpose="anything"))
    (event,) = fake.all("AuditEvent")
    assert event["agent"][1]["purposeOfUse"][0]["coding"][0]["code"] == disclosure.DEFAULT_PURPOSE


@pytest.mark.parametrize("role", [c.ROLE_COACH, c.ROLE_MENTOR, "staff"])
def test_only_coordinator_and_buddy_record_a_disclosure(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, role: str
) -> None:
    with pytest.raises(NotAllowed):
        disclosure.disclose(as_role(role), share(record))
    assert fake.calls == []


def test_a_danger_override_is_an_entry_audited_as_a_threat_disclosure(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    command = disclosure.OverrideForDanger(record, OVERRIDE_ENTRY, DANGER)
    saved = disclosure.override_for_danger(as_role(c.ROLE_BUDDY), command)
    assert fake.calls == ["transaction"]
    (entry,) = fake.all("Communication")
    (event,) = fake.all("AuditEvent")
    assert entry["payload"][0]["contentString"].startswith("DOORBREKING GEHEIMHOUDING")
    assert entry["encounter"]["reference"] == "Encounter/enc-0"  # the latest contact by default
    assert saved.entry in {e["what"]["reference"] for e in event["entity"]}
    assert event["agent"][1]["purposeOfUse"][0]["coding"][0]["code"] == "THREAT"
    assert entry["sent"] == NOW.isoformat()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"reason": "curious"}, "reason"),
        ({"whom": " "}, "whom"),
        ({"told": ""}, "told"),
        ({"told": "nee"}, "not_told_why"),
    ],
)
def test_an_incomplete_override_names_what_is_missing_and_sends_nothing(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, over: dict[str, str], field: str
) -> None:
    fields = {**DANGER.__dict__, **over}
    command = disclosure.OverrideForDanger(record, OVERRIDE_ENTRY, Override(**fields))
    with pytest.raises(InvalidInput) as raised:
        disclosure.override_for_danger(as_role(c.ROLE_BUDDY), command)
    assert raised.value.field == field and fake.calls == []


def test_an_override_without_any_contact_asks_for_one(as_role: Make, fake: FakeFhir) -> None:
    command = disclosure.OverrideForDanger(record_with(), OVERRIDE_ENTRY, DANGER)
    with pytest.raises(InvalidInput) as raised:
        disclosure.override_for_danger(as_role(c.ROLE_BUDDY), command)
    assert raised.value.field == "contact" and fake.calls == []
