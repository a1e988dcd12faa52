"""P-18: the to-do made with the start from the waiting list (issue 14): due three months before the 18th
birthday, a few weeks after a late inclusion, once per traject; the clock pinned by dates."""

from __future__ import annotations

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Task
from hvol_fhir.programme.rules import birthday as b
from tests.unit.programme.builders import BUDDY_REF, PATIENT_REF, TRAJECT_REF, at, d


def todo(birth: object, included: object, tasks: tuple[Task, ...] = ()) -> Task | None:
    return b.start_todo(
        identifier="p18-1",
        birth_date=birth,  # type: ignore[arg-type]
        traject=TRAJECT_REF,
        patient=PATIENT_REF,
        owner=BUDDY_REF,
        included_on=included,  # type: ignore[arg-type]
        tasks=tasks,
    )


def test_due_three_months_before_the_18th_birthday_owned_by_the_buddy() -> None:
    made = todo(d(2010, 5, 31), d(2026, 3, 1))
    assert made is not None
    assert (made.kind, made.status, made.due, made.owner) == (
        c.TASK_BIRTHDAY_18,
        "requested",
        d(2028, 2, 29),  # 31 May 2028 minus three months: the last day of February (leap year)
        BUDDY_REF,
    )
    assert (made.focus, made.patient) == (TRAJECT_REF, PATIENT_REF)


def test_born_on_29_february_the_talk_is_due_1_december() -> None:
    made = todo(d(2012, 2, 29), d(2026, 3, 1))
    assert made is not None and made.due == d(2029, 12, 1)


def test_a_late_inclusion_gets_four_weeks_not_an_overdue_todo() -> None:
    # Turns 18 on 20 April 2027; the talk was due 20 January; she is included on 1 March 2027.
    made = todo(d(2009, 4, 20), d(2027, 3, 1))
    assert made is not None and made.due == d(2027, 3, 29)
    # Included a week before her birthday: due on the birthday, never after it.
    made = todo(d(2009, 4, 20), d(2027, 4, 13))
    assert made is not None and made.due == d(2027, 4, 20)
    # The open item says the same day and fits her: no "had moeten plaatsvinden".
    alerts = b.check_eighteen(d(2009, 4, 20), at(2027, 3, 2, 10), included_on=d(2027, 3, 1))
    assert [a.due for a in alerts] == [d(2027, 3, 29)] and "had" not in alerts[0].message_nl


def test_once_per_traject_and_not_without_a_birth_date_or_at_18() -> None:
    existing = Task(identifier="old", kind=c.TASK_BIRTHDAY_18, status="completed", focus=TRAJECT_REF)
    assert todo(d(2010, 5, 31), d(2026, 3, 1), (existing,)) is None
    other = Task(identifier="x", kind=c.TASK_INFORM_COACH, focus=TRAJECT_REF)
    assert todo(d(2010, 5, 31), d(2026, 3, 1), (other,)) is not None
    assert todo(None, d(2026, 3, 1)) is None
    assert todo(d(2008, 3, 1), d(2026, 3, 1)) is None  # 18 on the day she is included
