"""Start pages per role as a library service, on the fake server with the clock pinned: the buddy's girls with
what is due, the coach's buddies with contacts waiting for her, the coordinator's open items across the
programme; items appear and go away with the facts; names, never ids; round trips counted."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from hvol_fhir.ehr import FhirClient
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Contact, Task
from hvol_fhir.services.startpage import start_page
from tests.unit.programme.builders import at
from tests.unit.services.workday_fake import FakeFhir
from tests.unit.services.workday_story import BUDDY, BUDDY_2, COACH, NOW, build, coach_task, traject


def _page(fake: FakeFhir, user: str, role: str, patient: str | None = None):  # type: ignore[no-untyped-def]
    return start_page(cast(FhirClient, fake), user=user, role=role, now=NOW, patient=patient)


def _planned(day: int, hour: int) -> Contact:
    start = at(2026, 3, day, hour)
    return Contact(
        identifier=f"planned-{day}",
        traject="CarePlan/plan-1",
        patient="Patient/youth-1",
        buddy=BUDDY,
        start=start,
        end=start + timedelta(hours=1),
        contact_type=c.CONTACT_VIDEO,
        status="planned",
        id=f"enc-planned-{day}",
    )


def test_buddy_sees_her_girl_with_what_is_due_in_two_round_trips() -> None:
    fake = build()
    fake.contact(_planned(25, 16), traject(1, [("contact-period", at(2026, 2, 2, 9), None)]))
    fake.contact(_planned(27, 10), traject(1, [("contact-period", at(2026, 2, 2, 9), None)]))
    page = _page(fake, BUDDY, c.ROLE_BUDDY)
    assert fake.round_trips == 2
    assert [card.name for card in page.cards] == ["Sanne Jansen"]  # not Noor: another buddy's girl
    kinds = [x.kind for x in page.cards[0].items]
    assert kinds[:2] == ["gepland", "gepland"]
    assert page.cards[0].items[0].label_nl == "Gepland contact vandaag"
    assert "vrijdag 27-3" in page.cards[0].items[1].detail_nl
    assert "coachcontact" in kinds and "uren-per-week" in kinds
    assert "verantwoordelijke" not in kinds  # the coordinator's to solve, not the buddy's


def test_coach_item_goes_away_when_the_coach_contact_is_recorded() -> None:
    fake = build()
    before = _page(fake, COACH, c.ROLE_COACH)
    assert [(card.buddy, card.name) for card in before.cards] == [
        ("Fatima El Amrani", "Sanne Jansen"),
        ("Lotte de Wit", "Noor Bakker"),
    ]
    assert all(card.items and card.items[0].kind == "coachcontact" for card in before.cards)
    fake.task(coach_task(1, at(2026, 3, 24, 18)))
    after = _page(fake, COACH, c.ROLE_COACH)
    # The coach contact answers the waiting contacts; what is left for her is her own coaching-journal entry.
    assert [[x.kind for x in card.items] for card in after.cards] == [["coachjournaal"], ["coachcontact"]]


def test_other_programme_todos_and_the_p18_talk_show_until_done() -> None:
    fake = build()
    talk = Task(
        identifier="p18",
        kind=c.TASK_BIRTHDAY_18,
        status="requested",
        due=at(2026, 2, 1).date(),
        focus="CarePlan/plan-2",
        patient="Patient/youth-2",
        id="task-p18",
    )
    fake.task(talk)
    kinds = [x.kind for x in _page(fake, BUDDY_2, c.ROLE_BUDDY).cards[0].items]
    # The open to-do is the "achttien" item itself: once, not again as an anonymous to-do.
    assert "achttien" in kinds and "taak" not in kinds
    fake.remove("Task", "task-p18")
    from dataclasses import replace

    fake.task(replace(talk, status="completed"))
    kinds = [x.kind for x in _page(fake, BUDDY_2, c.ROLE_BUDDY).cards[0].items]
    assert "achttien" not in kinds and "taak" not in kinds


def test_a_patient_level_launch_shows_that_girl_only() -> None:
    fake = build()
    page = _page(fake, COACH, c.ROLE_COACH, patient="Patient/youth-2")
    assert [card.name for card in page.cards] == ["Noor Bakker"]


def test_coordinator_sees_counts_with_names_across_the_programme() -> None:
    fake = build()
    page = _page(fake, "Practitioner/coordinator", c.ROLE_COORDINATOR)
    assert fake.round_trips == 2
    counts = {x.label_nl: x for x in page.counts}
    assert counts["Gesprek over 18 worden"].n == 1
    assert counts["Gesprek over 18 worden"].names == (("Noor Bakker", "tr-2"),)
    assert counts["Verantwoordelijke professional ontbreekt"].names == (("Sanne Jansen", "tr-1"),)
    assert counts["Wachtlijst"].n == 0
    assert "P-" not in repr(page) and "Practitioner/" not in repr(
        [(x.label_nl, x.names) for x in page.counts]
    )


def test_other_roles_get_an_empty_start_page() -> None:
    fake = build()
    assert _page(fake, BUDDY, c.ROLE_MENTOR).cards == () and fake.round_trips == 0


def test_two_todos_of_one_girl_count_twice_and_name_her_once() -> None:
    fake = build()
    for n in (1, 2):
        fake.task(
            Task(
                identifier=f"inform-{n}",
                kind=c.TASK_INFORM_COACH,
                status="requested",
                owner=BUDDY_2,
                focus="CarePlan/plan-2",
                patient="Patient/youth-2",
                id=f"task-inform-{n}",
            )
        )
    page = _page(fake, "Practitioner/coordinator", c.ROLE_COORDINATOR)
    todo = next(x for x in page.counts if x.names and x.n == 2)
    assert todo.names == (("Noor Bakker", "tr-2"),)
