from __future__ import annotations

from datetime import UTC, datetime

from hvol_fhir.transfer.coverage import coverage, covered_entries, is_disclosure, participation_recipients

from .conftest import CONSENTED, NOW, disclosure, snapshot


def test_active_disclosure_covers_its_entries() -> None:
    assert covered_entries(disclosure(), NOW) == frozenset(CONSENTED)


def test_withdrawn_or_expired_grant_covers_nothing() -> None:
    assert covered_entries(disclosure(status="inactive"), NOW) == frozenset()
    assert covered_entries(disclosure(end=datetime(2026, 11, 15, tzinfo=UTC)), NOW) == frozenset()


def test_participation_consent_covers_no_journal_entry() -> None:
    snap = snapshot()
    participation = snap.resources["Consent/hv-consent-06"]
    assert not is_disclosure(participation)
    assert covered_entries(participation, NOW) == frozenset()
    assert participation_recipients(participation) == {"CareTeam/hv-careteam-06"}


def test_coverage_maps_entries_to_their_consents() -> None:
    assert coverage([("Consent/d", disclosure())], NOW) == {e: ["Consent/d"] for e in CONSENTED}
