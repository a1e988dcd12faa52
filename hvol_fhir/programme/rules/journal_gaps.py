"""P-JOURNAL and P-COACH-JOURNAL as open items of a working day (issue 15; guide §2.3, §4.9).

- **A contact without a journal entry** (buddy): the buddy writes an entry for every contact. The app saves a
  contact and its entry in one transaction, so a held contact without one is a planned contact turned into a
  held one, or a contact registered elsewhere. Only her own contacts count (a previous buddy's contact is
  not hers to write about), and only held ones that have ended (`rules.common.held`: a missed contact or one
  with her network needs no entry). Info for the first `ENTRY_WITHIN`, a warning after.
- **Coaching-journal gaps** (coach): the coach keeps a coaching journal of her coach contacts. A coaching
  journal entry has no link to a coach contact (the coach never meets the youth, and the entry is hers), so
  the days are matched: a day with a coach contact is covered by an entry of this coach written on that day
  or later, before the next day with a coach contact (that day's entry belongs to that day). Info for the
  first `COACH_ENTRY_WITHIN`, a warning after.

Pure: entries are passed as what the search of their metadata gave (which contact, when), never content.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir.programme.alerts import INFO, WARNING, Alert, Severity
from hvol_fhir.programme.checks import require_aware
from hvol_fhir.programme.clock import local, local_date, utc
from hvol_fhir.programme.model import Contact
from hvol_fhir.programme.rules.common import check_now, held
from hvol_fhir.programme.text_nl import date_nl

ENTRY_WITHIN: Final = timedelta(days=2)
COACH_ENTRY_WITHIN: Final = timedelta(days=7)
JOURNAL_RULE: Final = "P-JOURNAL"
COACH_JOURNAL_RULE: Final = "P-COACH-JOURNAL"


def contacts_without_entry(
    contacts: Iterable[Contact],
    with_entry: Collection[str],
    now: datetime,
    *,
    buddy: str | None = None,
    within: timedelta = ENTRY_WITHIN,
) -> list[Alert]:
    """One alert per held, ended contact (of `buddy`, when given) whose ``Encounter/<id>`` is not among
    `with_entry` (the contacts that have a contact-journal entry)."""
    check_now(now)
    out: list[Alert] = []
    for x in sorted(held(contacts), key=lambda x: utc(x.start)):
        if utc(x.end) > utc(now) or (buddy is not None and x.buddy != buddy):
            continue
        ref = f"Encounter/{x.id}" if x.id else ""
        if ref and ref in with_entry:
            continue
        deadline = x.end + within
        severity: Severity = WARNING if utc(now) > utc(deadline) else INFO
        when = local(x.start)
        out.append(
            Alert(
                rule_id=JOURNAL_RULE,
                severity=severity,
                message_nl=(
                    f"Bij het contactmoment van {date_nl(when.date())} om {when:%H:%M} staat nog geen "
                    "verslag in het contactjournaal."
                ),
                due=local_date(deadline),
                subjects=(ref or x.traject,),
            )
        )
    return out


def _days(moments: Sequence[datetime], field: str) -> list[date]:
    for i, moment in enumerate(moments):
        require_aware(moment, f"{field}[{i}]")
    return sorted({local_date(m) for m in moments})


def coaching_gaps(
    coach_contacts: Sequence[datetime],
    entries: Sequence[datetime],
    now: datetime,
    *,
    subject: str | None = None,
    since: date | None = None,
    within: timedelta = COACH_ENTRY_WITHIN,
) -> list[Alert]:
    """One alert per day with a coach contact (at or before `now`, from `since` on) that no entry of the
    coach's coaching journal covers (see the module docstring)."""
    check_now(now)
    today = local_date(now)
    days = [d for d in _days(coach_contacts, "coach_contacts") if d <= today]
    written = _days(entries, "entries")
    out: list[Alert] = []
    for i, day in enumerate(days):
        following = days[i + 1] if i + 1 < len(days) else None
        if since is not None and day < since:
            continue
        if any(day <= w and (following is None or w < following) for w in written):
            continue
        due = day + within
        severity: Severity = WARNING if today > due else INFO
        out.append(
            Alert(
                rule_id=COACH_JOURNAL_RULE,
                severity=severity,
                message_nl=(
                    f"Van het coachcontact op {date_nl(day)} staat nog geen verslag in het coachjournaal."
                ),
                due=due,
                subjects=(subject,) if subject else (),
            )
        )
    return out
