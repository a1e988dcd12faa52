"""disclose and override_for_danger: information leaving the journal, each one transaction with its audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from hvol_fhir import terminology as t
from hvol_fhir.ehr import EhrDown
from hvol_fhir.errors import InvalidInput, NotAllowed
from hvol_fhir.programme import codes as c
from hvol_fhir.programme import sharing
from hvol_fhir.programme.rules.danger import Override
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import Caller, disclosure
from tests.unit.services.conftest import NOW, Clock, record_with
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
        "consented": True,
    }
    return disclosure.Disclose(**{**fields, **over})  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def people(fake: FakeFhir) -> None:
    """Her mother, another girl's mother, a professional: what a recipient is checked against."""
    fake.put(_person("rp-1", "Patient/youth-1", "Ans Visser", "moeder"))
    fake.put(_person("rp-other", "Patient/youth-2", "Els Bakker", "moeder"))
    fake.put({"resourceType": "Practitioner", "id": "pr-1", "name": [{"given": ["Ruud"], "family": "Smit"}]})
    fake.calls.clear()


def _person(rid: str, patient: str, name: str, relation: str) -> dict[str, object]:
    return {
        "resourceType": "RelatedPerson",
        "id": rid,
        "patient": {"reference": patient},
        "name": [{"text": name}],
        "relationship": [{"text": relation}],
    }


def test_a_disclosure_is_the_consent_and_its_audit_in_one_transaction(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    done = disclosure.disclose(as_role(c.ROLE_COORDINATOR), share(record))
    assert fake.calls == ["read", "transaction"] and done.created  # the recipient checked, then one write
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


# --- issue 14: any recipient, the youth's consent, how long -------------------------------------------------


def _permit(fake: FakeFhir) -> dict[str, object]:
    (consent,) = fake.all("Consent")
    permit: dict[str, object] = consent["provision"]["provision"][0]
    return permit


@pytest.mark.parametrize(
    ("over", "actor"),
    [
        ({}, {"reference": "RelatedPerson/rp-1", "display": "Ans Visser"}),
        ({"recipient": "Practitioner/pr-1"}, {"reference": "Practitioner/pr-1", "display": "Ruud Smit"}),
        (
            {"recipient": disclosure.ORGANISATION, "organisation": "  Gemeente   Utrecht "},
            {"type": "Organization", "display": "Gemeente Utrecht"},
        ),
    ],
)
def test_a_share_names_a_relative_a_professional_or_an_organisation_by_name(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, over: dict[str, str], actor: dict[str, str]
) -> None:
    disclosure.disclose(as_role(c.ROLE_COORDINATOR), share(record, **over))
    assert _permit(fake)["actor"] == [
        {"role": {"coding": [{"system": t.V3_PARTICIPATION_TYPE, "code": "IRCP"}]}, "reference": actor}
    ]
    assert fake.all("Organization") == []  # an organisation by name makes no resource


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"recipient": None}, "missing-value"),
        ({"recipient": disclosure.ORGANISATION, "organisation": "  "}, "missing-value"),
        ({"recipient": "RelatedPerson/gone"}, "recipient-not-found"),
        ({"recipient": "RelatedPerson/rp-other"}, "recipient-not-found"),  # another girl's mother
        ({"recipient": "Patient/youth-1"}, "recipient-not-found"),
        ({"consented": False}, "no-consent"),
        ({"first_day": date(2026, 12, 10), "until": date(2026, 12, 9)}, "end-before-start"),
        ({"first_day": date(2026, 11, 1), "until": date(2026, 11, 19)}, "expired"),
    ],
)
def test_each_bad_share_is_refused_in_dutch_and_writes_nothing(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, over: dict[str, object], code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        disclosure.disclose(as_role(c.ROLE_COORDINATOR), share(record, **over))
    assert raised.value.code == code and "transaction" not in fake.calls
    assert fake.all("Consent") == fake.all("AuditEvent") == []


def test_a_share_runs_from_today_to_the_end_of_its_last_day(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    disclosure.disclose(as_role(c.ROLE_COORDINATOR), share(record, until=date(2026, 11, 20)))
    period = _permit(fake)["period"]
    assert period == {"start": "2026-11-20T00:00:00+01:00", "end": "2026-11-21T00:00:00+01:00"}


def test_the_traject_lists_its_shares_with_their_state_and_a_withdrawn_one_no_longer_counts(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, clock: Clock
) -> None:
    coordinator = as_role(c.ROLE_COORDINATOR)
    disclosure.disclose(coordinator, share(record, until=date(2026, 11, 27)))
    other = "7e2d3f40-0000-4000-8000-000000000009"
    disclosure.disclose(coordinator, share(record, consent_identifier=other, recipient="Practitioner/pr-1"))
    listed = {s.grant.recipient_name: s.state for s in disclosure.shares(coordinator, clock())}
    assert listed == {"Ans Visser": sharing.STATE_ACTIVE, "Ruud Smit": sharing.STATE_ACTIVE}
    clock.advance(days=8)  # 28 November: past the end of the 27th
    ruud = next(s for s in disclosure.shares(coordinator, clock()) if s.grant.recipient_name == "Ruud Smit")
    disclosure.withdraw(coordinator, ruud.grant.id or "")
    disclosure.withdraw(coordinator, ruud.grant.id or "")  # twice changes nothing
    listed = {s.grant.recipient_name: s.state for s in disclosure.shares(coordinator, clock())}
    assert listed == {"Ans Visser": sharing.STATE_EXPIRED, "Ruud Smit": sharing.STATE_WITHDRAWN}
    assert len(fake.all("AuditEvent")) == 2  # one per share; listing and withdrawing disclose nothing


def test_only_the_coordinator_withdraws_and_only_this_youths_grant(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    disclosure.disclose(as_role(c.ROLE_COORDINATOR), share(record))
    (consent,) = fake.all("Consent")
    with pytest.raises(NotAllowed):
        disclosure.withdraw(as_role(c.ROLE_COACH), consent["id"])
    with pytest.raises(InvalidInput):
        disclosure.withdraw(as_role(c.ROLE_COORDINATOR, patient="Patient/youth-2"), consent["id"])
    assert fake.all("Consent")[0]["status"] == "active"
