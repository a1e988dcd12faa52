"""P-18: raise the 18th birthday at least three months before it (guide §4.5).

The due date is the 18th birthday minus three calendar months (a day missing in that month becomes the
month's last day: 31 May -> 28/29 February). Born on 29 February: the 18th birthday falls in a non-leap
year and is 1 March, so the due date is 1 December (see `clock.birthday_in`).

Issue 14: the talk is a to-do (Task, owner the buddy, shown to buddy and coordinator) that is resolved with
an outcome: continue with other financing, or close at 18. A girl who joins after the due date (included at
17 years and 11 months) gets no "overdue" warning: the talk is then simply due within `LATE_GRACE` of her
inclusion, and the wording says it belongs in the first weeks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Final

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import INFO, WARNING, Alert, Severity
from hvol_fhir.programme.clock import add_months, local_date, nth_birthday
from hvol_fhir.programme.model import Task
from hvol_fhir.programme.rules.common import check_now
from hvol_fhir.programme.text_nl import date_nl

ADULT_AGE: Final = 18
MONTHS_AHEAD: Final = 3
P18_WARN_AHEAD: Final = timedelta(weeks=4)
LATE_GRACE: Final = timedelta(weeks=4)


def eighteenth_birthday(birth_date: date) -> date:
    return nth_birthday(birth_date, ADULT_AGE)


def eighteen_talk_due(birth_date: date) -> date:
    """The last day to talk about turning 18."""
    return add_months(eighteenth_birthday(birth_date), -MONTHS_AHEAD)


def eighteen_task(
    *, identifier: str, birth_date: date, traject: str, patient: str, owner: str | None = None
) -> Task:
    """The reminder task for the buddy (owner) to raise turning 18, due three months ahead."""
    return Task(
        identifier=identifier,
        kind=c.TASK_BIRTHDAY_18,
        due=eighteen_talk_due(birth_date),
        owner=owner,
        focus=traject,
        patient=patient,
    )


def start_todo(
    *,
    identifier: str,
    birth_date: date | None,
    traject: str,
    patient: str,
    owner: str,
    included_on: date,
    tasks: Iterable[Task] = (),
) -> Task | None:
    """The P-18 to-do made with the start from the waiting list (no scheduler needed: it is due on a fixed
    day from then on): due three months before the 18th birthday, or for a girl included after that day
    `late_due` (the wording of `check_eighteen` then fits her too). None when the traject has one already,
    when her birth date is unknown, or when she is 18 by her inclusion."""
    if birth_date is None or included_on >= eighteenth_birthday(birth_date):
        return None
    if any(x.kind == c.TASK_BIRTHDAY_18 for x in tasks):
        return None
    todo = eighteen_task(
        identifier=identifier, birth_date=birth_date, traject=traject, patient=patient, owner=owner
    )
    late = late_due(birth_date, included_on)
    return replace(todo, due=late) if late is not None else todo


def late_due(birth_date: date, included_on: date | None) -> date | None:
    """For a girl included after the talk's due date: the day the talk is due instead (inclusion + grace,
    not after the birthday); None when she was included in time (or the date is unknown)."""
    due = eighteen_talk_due(birth_date)
    if included_on is None or included_on <= due:
        return None
    return min(included_on + LATE_GRACE, eighteenth_birthday(birth_date))


def check_eighteen(
    birth_date: date,
    now: datetime,
    *,
    tasks: Iterable[Task] = (),
    subject: str | None = None,
    warn_ahead: timedelta = P18_WARN_AHEAD,
    included_on: date | None = None,
) -> list[Alert]:
    """Info from `warn_ahead` before the due date, warning after it, until the talk's task is completed.

    ``included_on``: the start of her inclusion; a late inclusion gets `late_due` instead of an instant
    warning."""
    check_now(now)
    today = local_date(now)
    birthday = eighteenth_birthday(birth_date)
    if today >= birthday:
        return []
    if any(t.kind == c.TASK_BIRTHDAY_18 and t.status == "completed" for t in tasks):
        return []
    due = eighteen_talk_due(birth_date)
    subjects = (subject,) if subject else ()
    late = late_due(birth_date, included_on)
    if late is not None:
        message = (
            f"De jongere wordt op {date_nl(birthday)} 18. Zij kwam kort daarvoor in het programma: bespreek "
            f"in de eerste weken, uiterlijk {date_nl(late)}, met haar of zij daarna door wil gaan "
            "(andere financiering) en betrek de coördinator."
        )
        severity: Severity = WARNING if today > late else INFO
        return [Alert(rule_id="P-18", severity=severity, message_nl=message, due=late, subjects=subjects)]
    if today > due:
        message = (
            f"De jongere wordt op {date_nl(birthday)} 18. Het gesprek daarover (financiering na 18) had "
            f"uiterlijk {date_nl(due)} moeten plaatsvinden. Betrek de coördinator."
        )
        return [Alert(rule_id="P-18", severity=WARNING, message_nl=message, due=due, subjects=subjects)]
    if today >= due - warn_ahead:
        message = (
            f"De jongere wordt op {date_nl(birthday)} 18. Bespreek vóór {date_nl(due)} met haar of zij "
            "daarna door wil gaan en betrek de coördinator."
        )
        return [Alert(rule_id="P-18", severity=INFO, message_nl=message, due=due, subjects=subjects)]
    return []


def resolve_eighteen(
    task: Task | None,
    outcome: str,
    at: datetime,
    *,
    identifier: str,
    birth_date: date,
    traject: str,
    patient: str,
    owner: str | None,
) -> Task:
    """The talk held, with its outcome: the existing to-do completed, or (none was made) a completed one."""
    check_now(at)
    base = task or eighteen_task(
        identifier=identifier, birth_date=birth_date, traject=traject, patient=patient, owner=owner
    )
    return replace(base, status="completed", outcome=outcome, authored=base.authored or at)
