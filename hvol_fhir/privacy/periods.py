"""Journal readers per buddy period (issue 14; P-JOURNAL-READERS with guide §2.1 and §5.1).

An entry is read by the buddy and the coach of the period in which it was written, and by the coordinator.
A new buddy (a change of buddy, or a restart that shares the team) reads only what was written while she was
the buddy: nothing about the girl is handed to a buddy beforehand. The period is her signed membership on the
youth's CareTeam in that role (`CareTeamMember.start`/`end`, the end exclusive); a membership without a start
counts from the beginning. The sandbox's authorization server derives the same periods for its
`hvol_journal_periods` claim (sandbox/auth/directory.py), and its HAPI applies them (`JournalLabels`).

Pure; the shell applies `readable` where the journal is read, before anything is shown, counted or audited
as read, so an entry of another period answers exactly as a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import utc
from hvol_fhir.programme.model import AUTHENTIC, BROKEN, CareTeam, CareTeamMember, JournalEntry

Period = tuple[datetime | None, datetime | None]
PERIOD_ROLES = frozenset({c.ROLE_BUDDY, c.ROLE_COACH})


def reading_periods(team: CareTeam | None, user: str | None, role: str) -> tuple[Period, ...] | None:
    """The periods whose entries ``user`` may read in ``role``; None: no limit (the coordinator)."""
    if role == c.ROLE_COORDINATOR:
        return None
    if role not in PERIOD_ROLES or team is None or not user:
        return ()
    return tuple((m.start, m.end) for m in team.members if m.member == user and m.role == role)


def within(periods: tuple[Period, ...] | None, moment: datetime) -> bool:
    if periods is None:
        return True
    at = utc(moment)
    return any((s is None or utc(s) <= at) and (e is None or at < utc(e)) for s, e in periods)


def readable(
    entries: Sequence[JournalEntry],
    raw: Sequence[dict[str, Any]],
    periods: tuple[Period, ...] | None,
    team: CareTeam | None = None,
) -> tuple[list[JournalEntry], list[dict[str, Any]]]:
    """The entries (and their raw Communications, matched by id) written within ``periods``.

    Which period an entry belongs to must not be the writer's choice (``sent`` is a client's value). For a
    reader limited to periods, an entry counts only when its time can be trusted: sealed by the app (the seal
    binds author and time, so a changed ``sent`` breaks it), or, for an entry the app did not write (an EHR
    that enforces nothing, another app), when its author was that time's buddy or coach on ``team``. An entry
    whose seal does not open has no trusted time: it is left out for her (the coordinator sees it, as broken).
    """
    kept = [e for e in entries if within(periods, e.written_at) and trusted_time(e, periods, team)]
    ids = {e.id for e in kept}
    return kept, [r for r in raw if r.get("id") in ids]


def trusted_time(entry: JournalEntry, periods: tuple[Period, ...] | None, team: CareTeam | None) -> bool:
    if periods is None or entry.authenticity == AUTHENTIC:
        return True
    if entry.authenticity == BROKEN or team is None:
        return False
    return any(
        m.member == entry.author and m.role in PERIOD_ROLES and m.active_at(entry.written_at)
        for m in team.members
    )


def hand_over(
    team: CareTeam,
    role: str,
    new: CareTeamMember,
    at: datetime,
) -> CareTeam:
    """Another buddy (or coach) from ``at``: every current member in ``role`` has her period ended there and
    ``new`` (starting at ``at``) joins. Ending, not removing, the old membership is what keeps her entries
    hers: the periods decide who reads an entry, so the old buddy's period must stay on the team, closed.

    Refused when ``new`` is the person who holds the role now (nothing would change but the periods)."""
    if role not in PERIOD_ROLES or new.role != role:
        raise InvalidInput("Alleen een maatje of coach wisselt per periode.", field="role")
    current = [m for m in team.members if m.role == role and m.active_at(at)]
    if any(m.member == new.member for m in current):
        word = "ervaringsmaatje" if role == c.ROLE_BUDDY else "coach"
        raise InvalidInput(f"Kies een ander {word} dan wie het nu is.", field="buddy")
    members = tuple(replace(m, end=at) if m in current else m for m in team.members)
    return replace(team, members=(*members, replace(new, start=at, end=None)))
