"""Preparation (guide §4.1): presentations per group and to professionals, information letters; the clock
pinned, across month ends and the DST change."""

from __future__ import annotations

from datetime import date

import pytest

from hvol_fhir.errors import InvalidInput, UnknownCode
from hvol_fhir.mapping import outreach as m
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules import outreach as o
from tests.unit.programme.builders import at

NOW = at(2026, 10, 25, 12, 0)  # the day the clocks go back


def item(kind: str = c.TASK_GROUP_PRESENTATION, day: date = date(2026, 9, 1), **over: str) -> o.OutreachItem:
    audience = over.pop("audience", o.AUDIENCES[kind][0])
    return o.record(
        identifier=over.pop("identifier", f"{kind}-{day}"),
        kind=kind,
        day=day,
        audience=audience,
        audience_name=over.pop("name", " De Linde "),
        by="Practitioner/coord",
        now=NOW,
    )


def test_today_is_held_a_later_day_planned_and_the_name_trimmed() -> None:
    assert item(day=date(2026, 10, 25)).held
    planned = item(day=date(2026, 10, 26))
    assert not planned.held and planned.status == o.PLANNED
    assert item().audience_name == "De Linde"


@pytest.mark.parametrize(
    ("kind", "audience", "code"),
    [
        (c.TASK_GROUP_PRESENTATION, c.AUDIENCE_MUNICIPALITY, "audience-mismatch"),
        (c.TASK_INFORMATION_LETTER, c.AUDIENCE_GROUP, "audience-mismatch"),
        (c.TASK_ALIGNMENT_MEETING, c.AUDIENCE_GROUP, "unknown-kind"),
    ],
)
def test_kind_and_audience_must_fit(kind: str, audience: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        o.OutreachItem(identifier="x", kind=kind, day=date(2026, 9, 1), audience=audience, audience_name="X")
    assert info.value.code == code


def test_empty_name_and_unknown_audience_are_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        item(name="  ")
    assert "leeg" in info.value.message_nl
    with pytest.raises(UnknownCode):
        item(audience="neighbours")


def test_three_months_per_group_not_per_organisation() -> None:
    items = [
        item(day=date(2026, 9, 1)),  # De Linde: fine until 1 December
        item(day=date(2026, 6, 30), name="De Wilg"),  # De Wilg: due 30 September, overdue
        item(day=date(2026, 10, 20), name="de wilg", identifier="x2", kind=c.TASK_PROFESSIONAL_PRESENTATION,
             audience=c.AUDIENCE_PROFESSIONALS),  # not a group presentation: does not count for the group
    ]  # fmt: skip
    alerts = o.outreach_alerts(items, NOW, groups=["De Linde", "De Wilg", "De Eik"])
    per_group = {a.subjects[0]: a for a in alerts if a.subjects}
    assert set(per_group) == {"De Wilg", "De Eik"}
    assert per_group["De Wilg"].severity == "warning" and "30 juni 2026" in per_group["De Wilg"].message_nl
    assert "nog niet gepresenteerd" in per_group["De Eik"].message_nl
    general = [a.message_nl for a in alerts if not a.subjects]
    assert general == ["Er is nog geen informatiebrief verstuurd aan ouders, voogden of gemeenten."]


def test_month_end_due_date_and_planned_ones_do_not_count() -> None:
    # 30 November + 3 months = 28 February (no 30 February); a planned presentation does not reset it.
    items = [item(day=date(2025, 11, 30)), item(day=date(2026, 12, 1), identifier="planned")]
    alerts = o.outreach_alerts(items, at(2026, 3, 1, 9, 0), groups=["De Linde"])
    linde = [a for a in alerts if a.subjects == ("De Linde",)]
    assert len(linde) == 1 and linde[0].due == date(2026, 2, 28)


def test_letters_and_professionals_recorded_leave_no_general_reminder() -> None:
    items = [
        item(c.TASK_INFORMATION_LETTER, audience=c.AUDIENCE_MUNICIPALITY, name="Gemeente Utrecht"),
        item(c.TASK_PROFESSIONAL_PRESENTATION, audience=c.AUDIENCE_PROFESSIONALS, name="Team De Linde"),
    ]
    assert [a for a in o.outreach_alerts(items, NOW) if not a.subjects] == []


def test_round_trip_through_the_task() -> None:
    from fhir.resources.R4B.task import Task

    for it in (
        item(),
        item(c.TASK_INFORMATION_LETTER, audience=c.AUDIENCE_GUARDIANS, name="Jeugdbescherming"),
    ):
        data = m.to_json(it)
        Task.model_validate(data)
        assert "for" not in data and "focus" not in data  # about the programme, never about a youth
        assert m.is_outreach(data) and m.from_json(data) == it
