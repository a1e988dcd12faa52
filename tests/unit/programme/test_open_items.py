"""Signals as open items (issue 15), pure, clock pinned: what is open now, history per norm, acknowledged
items apart, plain Dutch without rule ids; and the one assembly of every alert family (issues 14, 16)."""

from __future__ import annotations

from datetime import date

import pytest

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import INFO, WARNING, Alert
from hvol_fhir.programme.model import CareTeam, CareTeamMember, Task
from hvol_fhir.programme.open_items import KINDS, item_key, signals, traject_signals
from hvol_fhir.programme.rules.coaching import check_coach_after, without_coach_contact
from hvol_fhir.programme.rules.overview import assemble
from tests.unit.programme.builders import at, contact, traject

NOW = at(2025, 3, 26, 12)  # Wednesday, ISO week 13 of 2025
CONTACT_PERIOD = traject([("contact-period", at(2025, 2, 3, 9), None)])


def _coach(when: object) -> Task:
    return Task(identifier="k1", kind=c.TASK_COACH_CONTACT, status="completed", authored=when)  # type: ignore[arg-type]


def test_p_coach_after_fires_for_a_buddy_with_no_coach_contact_at_all() -> None:
    contacts = [contact(at(2025, 3, 4, 15), 60)]
    alerts = assemble(CONTACT_PERIOD, contacts, NOW, tasks=[])
    assert [a.severity for a in alerts if a.rule_id == "P-COACH-AFTER"] == [WARNING]
    # Unknown (the role could not read the tasks): not judged, rather than judged wrong.
    assert not [
        a for a in assemble(CONTACT_PERIOD, contacts, NOW, tasks=None) if a.rule_id == "P-COACH-AFTER"
    ]


def test_one_definition_of_a_held_contact() -> None:
    """In progress counts as held for the weekly norms and for the coach follow-up alike, once it ended;
    planned and cancelled count for neither."""
    running = contact(at(2025, 3, 24, 10), 150, status="in-progress")
    planned = contact(at(2025, 3, 25, 10), 150, status="planned")
    alerts = assemble(CONTACT_PERIOD, [running, planned], NOW, tasks=[])
    assert not [a for a in alerts if a.rule_id == "P-2H-WEEK" and a.due == date(2025, 3, 30)]
    assert [a.rule_id for a in check_coach_after([running, planned], [], NOW)] == ["P-COACH-AFTER"]
    still_running = contact(at(2025, 3, 26, 11), 120, status="in-progress")
    assert check_coach_after([still_running], [], NOW) == []


def test_assemble_adds_the_team_and_the_birthday() -> None:
    team = CareTeam(
        identifier="team",
        patient="Patient/youth-1",
        members=(CareTeamMember(member="Practitioner/b", role=c.ROLE_BUDDY),),
    )
    rules = {
        a.rule_id for a in assemble(CONTACT_PERIOD, [], NOW, tasks=[], team=team, birth_date=date(2007, 5, 1))
    }
    assert {"P-RESP", "P-18"} <= rules


def test_weeks_that_are_over_are_history_and_this_week_is_open() -> None:
    contacts = [contact(at(2025, 2, 4, 15) + (at(2025, 2, 11) - at(2025, 2, 4)) * k, 60) for k in range(7)]
    alerts = assemble(CONTACT_PERIOD, contacts, NOW, tasks=[_coach(at(2025, 3, 25, 9))])
    found = traject_signals(CONTACT_PERIOD, contacts, alerts, NOW, tasks=[_coach(at(2025, 3, 25, 9))])
    texts = {h.kind.slug: h.text_nl for h in found.history}
    # Weeks 6..12 are over (7 weeks), each with one hour.
    assert texts["uren-per-week"] == "7 van de 7 weken minder dan 2 uur contact"
    assert "face-to-face" not in texts  # every week had its face-to-face contact
    assert [(x.kind.slug, x.severity) for x in found.open] == [
        ("uren-per-week", INFO),
        ("face-to-face", INFO),
    ]
    # The coach spoke with her on 25 March: every contact answered, the late ones counted, none open.
    assert texts["coachcontact"].startswith("6 van de 7 contactmomenten")


def test_contacts_waiting_for_the_coach_are_one_item_that_goes_away() -> None:
    contacts = [contact(at(2025, 3, 4, 15), 60), contact(at(2025, 3, 11, 15), 60)]
    alerts = assemble(CONTACT_PERIOD, contacts, NOW, tasks=[])
    before = traject_signals(CONTACT_PERIOD, contacts, alerts, NOW, tasks=[])
    coach = [x for x in before.open if x.kind.slug == "coachcontact"]
    assert len(coach) == 1 and coach[0].message_nl.startswith("2 contactmomenten wachten nog op")
    tasks = [_coach(at(2025, 3, 12, 9))]
    assert without_coach_contact(contacts, [at(2025, 3, 12, 9)], NOW) == []
    after = traject_signals(
        CONTACT_PERIOD, contacts, assemble(CONTACT_PERIOD, contacts, NOW, tasks=tasks), NOW, tasks=tasks
    )
    assert [x for x in after.open if x.kind.slug == "coachcontact"] == []


def test_acknowledged_items_are_listed_apart_with_the_note() -> None:
    alert = Alert(
        rule_id="P-18",
        severity=WARNING,
        message_nl="Gesprek",
        due=date(2025, 3, 1),
        subjects=("CarePlan/t1",),
    )
    found = signals([alert], NOW, acknowledged={item_key(alert): "Besproken met de moeder"})
    assert found.open == () and found.acknowledged[0].note == "Besproken met de moeder"
    assert found.counts() == {}
    assert signals([alert], NOW).counts() == {"Gesprek over 18 worden": 1}


@pytest.mark.parametrize("rule", sorted(KINDS))
def test_kinds_speak_dutch_without_rule_ids(rule: str) -> None:
    kind = KINDS[rule]
    assert "P-" not in kind.label_nl and "P-" not in kind.slug and kind.section.startswith("§")
