"""read_journal, amend_entry and write_coaching_entry: the audit policy (a read's event before its content,
fail closed; a write's event in its transaction) against the in-memory FHIR server."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hvol_fhir.ehr import EhrDown, EhrForbidden
from hvol_fhir.errors import NotAllowed
from hvol_fhir.programme import codes as c
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.sealing.codec import EXT_STATUS
from hvol_fhir.services import AuditUnavailable, Caller, journal
from tests.unit.services.fakes import FakeFhir

Make = Callable[..., Caller]
ENTRY = "6c1d2e3f-0000-4000-8000-000000000001"


def coaching(record: TrajectRecord, text: str = "Besproken: grenzen stellen.", ident: str = ENTRY) -> object:
    return journal.WriteCoachingEntry(record, ident, text)


def written(as_role: Make, record: TrajectRecord) -> journal.EntrySaved:
    return journal.write_coaching_entry(
        as_role(c.ROLE_COACH), journal.WriteCoachingEntry(record, ENTRY, "Eerst.")
    )


def audits(fake: FakeFhir, subtype: str) -> list[dict[str, object]]:
    return [a for a in fake.all("AuditEvent") if a["subtype"][0]["code"] == subtype]  # type: ignore[index]


def test_a_read_writes_its_audit_before_it_returns_the_entries(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    saved = written(as_role, record)
    fake.calls.clear()
    read = journal.read_journal(as_role(c.ROLE_BUDDY), record)
    assert [e.text for e in read.entries] == ["Eerst."]
    assert fake.calls == ["search", "create"]  # the journal, then its audit: nothing else in between
    (event,) = audits(fake, "search-type")
    assert saved.entry in {e["what"]["reference"] for e in event["entity"]}  # type: ignore[index, union-attr]


@pytest.mark.parametrize(
    "faults", [[EhrDown(ehr_status=503), EhrDown(maybe_sent=True)], [EhrForbidden(ehr_status=403)]]
)
def test_no_audit_no_journal(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, faults: list[Exception]
) -> None:
    written(as_role, record)
    for fault in faults:
        fake.fail("create", fault)  # type: ignore[arg-type]
    fake.calls.clear()
    with pytest.raises(AuditUnavailable) as refused:
        journal.read_journal(as_role(c.ROLE_BUDDY), record)
    assert "niet getoond" in refused.value.message_nl and refused.value.http_status == 503
    assert "Eerst." not in str(refused.value) and refused.value.__cause__ is None
    assert fake.calls == ["search", *["create"] * len(faults)]  # a refusal is not resent
    assert not [a for a in fake.all("AuditEvent") if a["action"] == "E"]


def test_a_read_audit_lost_on_the_way_is_sent_once_more(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    written(as_role, record)
    fake.fail("create", EhrDown(maybe_sent=True), after=True)  # it landed, the answer did not come back
    read = journal.read_journal(as_role(c.ROLE_BUDDY), record)
    assert [e.text for e in read.entries] == ["Eerst."]
    assert len(audits(fake, "search-type")) == 2  # two events of one read: more than needed, never fewer


def test_entries_that_do_not_open_are_audited_with_the_read_in_one_request(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    written(as_role, record)
    (stored,) = fake.all("Communication")
    stored["meta"]["extension"] = [{"url": EXT_STATUS, "valueString": "broken:seal-tampered"}]
    fake.calls.clear()
    read = journal.read_journal(as_role(c.ROLE_COORDINATOR), record)
    assert read.entries[0].broken_reason == "seal-tampered"
    assert fake.calls == ["search", "transaction"]
    assert [a["outcome"] for a in fake.all("AuditEvent") if a["action"] != "C"] == ["0", "4"]


@pytest.mark.parametrize("role", [c.ROLE_MENTOR, "staff", c.ROLE_BEHAVIOURAL_SCIENTIST])
def test_other_roles_read_nothing_and_nothing_is_asked(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, role: str
) -> None:
    with pytest.raises(NotAllowed):
        journal.read_journal(as_role(role), record)
    assert fake.calls == []


def test_a_coaching_entry_and_its_audit_are_one_transaction_and_written_once(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    fake.fail("transaction", EhrDown(maybe_sent=True), after=True)
    with pytest.raises(EhrDown):
        written(as_role, record)
    again = written(as_role, record)
    assert not again.created and fake.calls == ["transaction", "transaction"]
    (com,) = fake.all("Communication")
    assert com["category"][0]["coding"][0]["code"] == c.JOURNAL_COACHING
    assert len(audits(fake, "create")) == 1


def test_only_the_coach_writes_the_coaching_journal(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    with pytest.raises(NotAllowed):
        journal.write_coaching_entry(as_role(c.ROLE_BUDDY), journal.WriteCoachingEntry(record, ENTRY, "x"))
    assert fake.calls == []


def _opened(as_role: Make, record: TrajectRecord) -> dict[str, object]:
    return journal.read_journal(as_role(c.ROLE_COACH), record).raw[0]


def test_an_amendment_and_its_audit_are_one_transaction(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    written(as_role, record)
    current = _opened(as_role, record)
    fake.calls.clear()
    journal.amend_entry(as_role(c.ROLE_COACH), journal.AmendEntry(record, current, "Eerst. En later.", "1"))
    assert fake.calls == ["transaction"]
    (com,) = fake.all("Communication")
    assert com["meta"]["versionId"] == "2" and com["payload"][0]["contentString"] == "Eerst. En later."
    assert len(audits(fake, "update")) == 1


def test_a_stale_amendment_gives_both_versions_and_writes_nothing(
    as_role: Make, fake: FakeFhir, record: TrajectRecord, clock: Callable[[], object]
) -> None:
    written(as_role, record)
    current = _opened(as_role, record)
    coach = as_role(c.ROLE_COACH)
    journal.amend_entry(coach, journal.AmendEntry(record, current, "Versie een.", "1"))
    clock.advance(minutes=1)  # type: ignore[attr-defined]
    with pytest.raises(journal.EntryChanged) as raised:
        journal.amend_entry(coach, journal.AmendEntry(record, current, "Versie twee.", "1"))
    assert raised.value.theirs.text == "Versie een." and raised.value.version == "2"
    assert len(audits(fake, "update")) == 1


def test_a_resent_amendment_whose_answer_was_lost_counts_once(
    as_role: Make, fake: FakeFhir, record: TrajectRecord
) -> None:
    written(as_role, record)
    current = _opened(as_role, record)
    command = journal.AmendEntry(record, current, "Eerst. Aangevuld.", "1")
    fake.fail("transaction", EhrDown(maybe_sent=True), after=True)
    with pytest.raises(EhrDown):
        journal.amend_entry(as_role(c.ROLE_COACH), command)
    saved = journal.amend_entry(as_role(c.ROLE_COACH), command)  # meets its own version: saved
    assert saved["meta"]["versionId"] == "2"  # type: ignore[index]
    assert len(audits(fake, "update")) == 1


def test_only_the_author_amends(as_role: Make, fake: FakeFhir, record: TrajectRecord) -> None:
    written(as_role, record)
    current = _opened(as_role, record)
    with pytest.raises(NotAllowed):
        journal.amend_entry(
            as_role(c.ROLE_COORDINATOR), journal.AmendEntry(record, current, "Niet van mij.", "1")
        )
    assert not audits(fake, "update")
