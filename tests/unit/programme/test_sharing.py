"""P-SHARE-CONSENT rules (issue 14): recipients, her consent, and how long a grant runs, clock pinned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import codes as c
from hvol_fhir.programme import sharing
from hvol_fhir.programme.model import ConsentGrant

# Winter time ends in the night of Saturday 24 to Sunday 25 October 2026 (03:00 CEST -> 02:00 CET);
# summer time begins on Sunday 29 March 2026 (02:00 CET -> 03:00 CEST).
SATURDAY_NOON = datetime(2026, 10, 24, 10, 0, tzinfo=UTC)  # 12:00 in Amsterdam


def grant(start: datetime | None, end: datetime | None, status: str = "active") -> ConsentGrant:
    return ConsentGrant(
        identifier="3d1f0c2e-0000-4000-8000-000000000001",
        kind=c.CONSENT_DISCLOSURE,
        patient="Patient/y",
        granted_by="Patient/y",
        recorded=SATURDAY_NOON,
        status=status,
        start=start,
        end=end,
        entries=("Communication/e",),
        recipient_name="Gemeente Utrecht",
        purpose="Afspraken bij de gemeente",
    )


def test_a_grant_ends_at_midnight_after_its_last_day_on_the_night_winter_time_starts() -> None:
    t = sharing.terms(SATURDAY_NOON, None, date(2026, 10, 25), consented=True)
    assert t.start == datetime(2026, 10, 23, 22, 0, tzinfo=UTC)  # Saturday 00:00 CEST
    assert t.end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # Monday 00:00 CET
    # Sunday 25 October has 25 hours: the grant runs the whole of it, not an hour less.
    assert t.end - datetime(2026, 10, 24, 22, 0, tzinfo=UTC) == timedelta(hours=25)
    g = grant(t.start, t.end)
    assert sharing.state(g, datetime(2026, 10, 25, 22, 59, tzinfo=UTC)) == sharing.STATE_ACTIVE  # 23:59 CET
    assert sharing.state(g, datetime(2026, 10, 25, 23, 0, tzinfo=UTC)) == sharing.STATE_EXPIRED


def test_on_the_night_summer_time_starts_the_last_day_has_23_hours() -> None:
    now = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    t = sharing.terms(now, None, date(2026, 3, 29), consented=True)
    assert t.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # Monday 00:00 CEST
    assert t.end - datetime(2026, 3, 28, 23, 0, tzinfo=UTC) == timedelta(hours=23)


def test_a_last_day_of_today_is_still_allowed_and_yesterday_is_expired() -> None:
    assert sharing.terms(SATURDAY_NOON, None, date(2026, 10, 24), consented=True).end is not None
    with pytest.raises(InvalidInput) as raised:
        sharing.terms(SATURDAY_NOON, date(2026, 10, 1), date(2026, 10, 23), consented=True)
    assert raised.value.code == "expired" and "voorbij" in str(raised.value)


def test_late_evening_utc_is_already_tomorrow_in_amsterdam() -> None:
    """23:30 UTC on the 24th is 01:30 on the 25th in Amsterdam: a last day of the 24th has passed."""
    with pytest.raises(InvalidInput) as raised:
        sharing.terms(datetime(2026, 10, 24, 23, 30, tzinfo=UTC), None, date(2026, 10, 24), consented=True)
    assert raised.value.code == "expired"


@pytest.mark.parametrize(
    ("first", "last", "consented", "code"),
    [
        (None, None, False, "no-consent"),
        (date(2026, 11, 2), date(2026, 11, 1), True, "end-before-start"),
    ],
)
def test_refusals_say_what_to_do(first: date | None, last: date | None, consented: bool, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        sharing.terms(SATURDAY_NOON, first, last, consented=consented)
    assert raised.value.code == code
    assert all(word not in str(raised.value) for word in ("Consent", "P-SHARE", "provision"))


def test_without_a_last_day_the_grant_runs_until_withdrawn() -> None:
    t = sharing.terms(SATURDAY_NOON, date(2026, 11, 1), None, consented=True)
    assert t.end is None and t.start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    g = grant(t.start, None)
    assert sharing.state(g, SATURDAY_NOON) == sharing.STATE_NOT_YET
    assert sharing.state(g, datetime(2030, 1, 1, tzinfo=UTC)) == sharing.STATE_ACTIVE


@pytest.mark.parametrize(
    ("g", "code_word"),
    [
        (grant(None, None, status="inactive"), "ingetrokken"),
        (grant(None, SATURDAY_NOON), "verlopen"),
        (grant(SATURDAY_NOON + timedelta(days=1), None), "later"),
    ],
)
def test_an_expired_withdrawn_or_future_grant_allows_no_sharing(g: ConsentGrant, code_word: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        sharing.require_in_force(g, SATURDAY_NOON)
    assert code_word in str(raised.value)
    sharing.require_in_force(grant(None, None), SATURDAY_NOON)  # in force: nothing raised


def test_only_someone_offered_can_be_picked() -> None:
    offered = [
        sharing.Recipient("Ans Visser", "RelatedPerson/rp-1", "moeder"),
        sharing.Recipient("Ruud Smit", "Practitioner/pr-1"),
    ]
    assert sharing.pick(offered, " Practitioner/pr-1 ").name == "Ruud Smit"
    for chosen, code in (("", "missing-value"), ("RelatedPerson/rp-2", "recipient-not-found")):
        with pytest.raises(InvalidInput) as raised:
            sharing.pick(offered, chosen)
        assert raised.value.code == code


def test_a_recipient_is_a_relative_a_professional_or_an_organisation() -> None:
    assert sharing.Recipient("Ans", "RelatedPerson/1").kind == sharing.RELATED_PERSON
    assert sharing.Recipient("Ruud", "Practitioner/1").kind == sharing.PRACTITIONER
    assert sharing.organisation("  De  Hoeve ").name == "De Hoeve"
    assert sharing.organisation("De Hoeve").kind == sharing.ORGANIZATION
    for bad in (lambda: sharing.organisation("   "), lambda: sharing.Recipient("X", "Patient/1")):
        with pytest.raises(InvalidInput):
            bad()
