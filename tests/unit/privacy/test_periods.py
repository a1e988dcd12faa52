"""Journal readers per buddy period (issue 14): the pure rule of the app and the claim the sandbox's
authorization server derives for HAPI, on the same story (buddy A, then buddy B; A again later)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hvol_fhir.privacy import periods
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import CareTeam, CareTeamMember, JournalEntry
from sandbox.auth.directory import derive_journal_periods, user_from_fhir

AMS = ZoneInfo("Europe/Amsterdam")
A, B, COACH = "Practitioner/a", "Practitioner/b", "Practitioner/coach"


def at(m: int, d: int, h: int = 12) -> datetime:
    return datetime(2026, m, d, h, tzinfo=AMS)


TEAM = CareTeam(
    identifier="ct",
    patient="Patient/y",
    members=(
        CareTeamMember(member=A, role=c.ROLE_BUDDY, start=at(1, 5), end=at(3, 1)),
        CareTeamMember(member=COACH, role=c.ROLE_COACH, start=at(1, 5), end=at(3, 1)),
        CareTeamMember(member=B, role=c.ROLE_BUDDY, start=at(3, 1)),
        CareTeamMember(member=A, role=c.ROLE_BUDDY, start=at(9, 1)),  # A comes back after B
        CareTeamMember(member="Practitioner/boss", role=c.ROLE_COORDINATOR),
    ),
)


def entry(ident: str, when: datetime, author: str = A) -> JournalEntry:
    return JournalEntry(
        identifier=ident,
        traject="CarePlan/t",
        patient="Patient/y",
        author=author,
        kind=c.JOURNAL_BUDDY,
        written_at=when,
        text="Ik vroeg hoe het ging.",
        id=ident,
    )


ENTRIES = [
    entry("e1", at(2, 1)),
    entry("e2", at(3, 1, 9)),
    entry(
        "e3",
        at(
            3,
            1,
            12,
        ),
        B,
    ),
    entry("e4", at(9, 2)),
]


@pytest.mark.parametrize(
    ("user", "role", "seen"),
    [
        (A, c.ROLE_BUDDY, ["e1", "e2", "e4"]),  # her two periods, not B's (e3: her end is exclusive)
        (B, c.ROLE_BUDDY, ["e3", "e4"]),  # from 1 March 12:00 on (A is buddy again, B never ended)
        (COACH, c.ROLE_COACH, ["e1", "e2"]),  # the coach of A's first period: until 1 March 12:00
        ("Practitioner/boss", c.ROLE_COORDINATOR, ["e1", "e2", "e3", "e4"]),
        ("Practitioner/mentor", c.ROLE_MENTOR, []),
        (A, c.ROLE_COACH, []),  # a period counts only in its own role
    ],
)
def test_readers_of_each_period(user: str, role: str, seen: list[str]) -> None:
    raw = [{"resourceType": "Communication", "id": e.id} for e in ENTRIES]
    kept, kept_raw = periods.readable(ENTRIES, raw, periods.reading_periods(TEAM, user, role))
    assert [e.id for e in kept] == seen and [r["id"] for r in kept_raw] == seen


def test_no_team_or_user_reads_nothing() -> None:
    assert periods.reading_periods(None, A, c.ROLE_BUDDY) == ()
    assert periods.reading_periods(TEAM, None, c.ROLE_BUDDY) == ()
    assert periods.reading_periods(None, None, c.ROLE_COORDINATOR) is None


def test_end_is_exclusive_across_dst() -> None:
    """A period ending at 03:00 on 29 March (clocks went forward at 02:00): an entry at 01:59 is in it."""
    team = CareTeam(
        identifier="ct",
        patient="Patient/y",
        members=(
            CareTeamMember(
                member=A, role=c.ROLE_BUDDY, start=at(3, 1), end=datetime(2026, 3, 29, 3, tzinfo=AMS)
            ),
        ),
    )
    p = periods.reading_periods(team, A, c.ROLE_BUDDY)
    assert periods.within(p, datetime(2026, 3, 29, 1, 59, tzinfo=AMS))
    assert not periods.within(p, datetime(2026, 3, 29, 3, 0, tzinfo=AMS))


def _careteam() -> dict[str, object]:
    def part(who: str, role: str, start: str | None, end: str | None) -> dict[str, object]:
        period = {k: v for k, v in (("start", start), ("end", end)) if v}
        system = "https://hvol-fhir.org/fhir/CodeSystem/careteam-role"
        return {
            "member": {"reference": f"Practitioner/{who}"},
            "role": [{"coding": [{"system": system, "code": role}]}],
            "period": period,
        }

    return {
        "resourceType": "CareTeam",
        "id": "ct",
        "status": "active",
        "subject": {"reference": "Patient/y"},
        "participant": [
            part("a", "buddy", "2026-01-05T12:00:00+01:00", "2026-03-01T12:00:00+01:00"),
            part("b", "buddy", "2026-03-01T12:00:00+01:00", None),
            part("a", "buddy", "2026-09-01T12:00:00+02:00", None),
        ],
    }


def test_the_authorization_server_derives_the_same_periods() -> None:
    today = dt.date(2026, 10, 1)
    user_a = user_from_fhir({"resourceType": "Practitioner", "id": "a"}, [], [_careteam()], today)
    assert derive_journal_periods(user_a) == {
        "y": [["2026-01-05T12:00:00+01:00", "2026-03-01T12:00:00+01:00"], ["2026-09-01T12:00:00+02:00", None]]
    }
    user_b = user_from_fhir({"resourceType": "Practitioner", "id": "b"}, [], [_careteam()], today)
    assert derive_journal_periods(user_b) == {"y": [["2026-03-01T12:00:00+01:00", None]]}
    gone = user_from_fhir({"resourceType": "Practitioner", "id": "a"}, [], [_careteam()], dt.date(2026, 5, 1))
    assert derive_journal_periods(gone) == {}  # between her periods she is not cleared at all
