"""Which time decides an entry's period in the app (issue 14): the sealed time, or for an entry the app did
not write, only a time at which its author was the buddy or coach; a broken seal has no trusted time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hvol_fhir.privacy import periods
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import AUTHENTIC, BROKEN, UNVERIFIED, CareTeam, CareTeamMember, JournalEntry

AMS = ZoneInfo("Europe/Amsterdam")
A, B = "Practitioner/a", "Practitioner/b"
JAN, JUN, SEP = (datetime(2025, m, 1, tzinfo=AMS) for m in (1, 6, 9))
TEAM = CareTeam(
    identifier="ct",
    patient="Patient/y",
    members=(
        CareTeamMember(member=A, role=c.ROLE_BUDDY, start=JAN, end=JUN),
        CareTeamMember(member=B, role=c.ROLE_BUDDY, start=JUN, end=SEP),
        CareTeamMember(member=A, role=c.ROLE_BUDDY, start=SEP),
    ),
)


def entry(author: str, when: datetime, authenticity: str) -> JournalEntry:
    return JournalEntry(
        identifier=f"e-{author[-1]}-{when:%m%d}-{authenticity}",
        traject="CarePlan/t",
        patient="Patient/y",
        author=author,
        kind=c.JOURNAL_BUDDY,
        written_at=when,
        text="" if authenticity == BROKEN else "Ik vroeg hoe het ging.",
        id=f"e-{author[-1]}-{when:%m%d}-{authenticity}",
        authenticity=authenticity,
    )


@pytest.mark.parametrize(
    ("author", "when", "authenticity", "a_reads"),
    [
        (A, datetime(2025, 10, 1, tzinfo=AMS), AUTHENTIC, True),  # sealed: the seal's time decides
        (A, datetime(2025, 10, 1, tzinfo=AMS), UNVERIFIED, True),  # her own, in her period
        (B, datetime(2025, 10, 1, tzinfo=AMS), UNVERIFIED, False),  # B wrote "after" her period ended
        (B, datetime(2025, 3, 1, tzinfo=AMS), UNVERIFIED, False),  # B back-dated into A's first period
        (A, datetime(2025, 7, 1, tzinfo=AMS), UNVERIFIED, False),  # in B's period: not A's to read
        (A, datetime(2025, 10, 1, tzinfo=AMS), BROKEN, False),  # no trusted time at all
        (B, datetime(2025, 7, 1, tzinfo=AMS), AUTHENTIC, False),
    ],
)
def test_the_time_that_decides_is_one_the_writer_cannot_choose(
    author: str, when: datetime, authenticity: str, a_reads: bool
) -> None:
    e = entry(author, when, authenticity)
    raw = [{"resourceType": "Communication", "id": e.id}]
    kept, kept_raw = periods.readable([e], raw, periods.reading_periods(TEAM, A, c.ROLE_BUDDY), TEAM)
    assert (kept == [e]) is a_reads and (kept_raw == raw) is a_reads
    # The coordinator has no period limit: she sees every entry, the broken one too (as broken).
    assert periods.readable(
        [e], raw, periods.reading_periods(TEAM, "Practitioner/c", c.ROLE_COORDINATOR), TEAM
    )[0]
