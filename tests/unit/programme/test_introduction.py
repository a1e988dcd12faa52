"""P-INTRO: day 1 is the local start date of the introduction; a third contact on day 21 counts, 22 not."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hvol_fhir.programme.model import Traject
from hvol_fhir.programme.rules.introduction import check_introduction, intro_contacts, intro_last_day
from tests.unit.programme.builders import at, contact, traject

INTRO = at(2025, 3, 10, 14)  # Monday 10 March; day 21 = Sunday 30 March (the DST change)
DAY = timedelta(days=1)


def _intro(end: datetime | None = None) -> Traject:
    phases = [("inclusion", at(2025, 2, 1), INTRO), ("introduction", INTRO, end)]
    if end is not None:
        phases.append(("contact-period", end, None))
    return traject(phases)


def test_day_21() -> None:
    assert intro_last_day(INTRO) == date(2025, 3, 30)


@pytest.mark.parametrize(
    ("third", "now", "expected"),
    [
        (at(2025, 3, 30, 23, 30), at(2025, 4, 2), []),  # third contact late on day 21: met
        (at(2025, 3, 31, 0, 30), at(2025, 4, 2), ["warning"]),  # 00:30 on day 22: not met
        (at(2025, 3, 31, 0, 30), at(2025, 3, 25), ["info"]),  # before day 22 it is not known yet
    ],
)
def test_three_contacts_day_21_vs_22(third: datetime, now: datetime, expected: list[str]) -> None:
    contacts = [contact(INTRO + timedelta(hours=1)), contact(at(2025, 3, 20, 10)), contact(third)]
    t = _intro()
    counted = [x for x in contacts if x in intro_contacts(t, contacts)]
    alerts = check_introduction(t, contacts, now)
    assert [a.severity for a in alerts] == expected
    assert len(counted) == (3 if not expected else 2)
    assert all(a.rule_id == "P-INTRO" and a.due == date(2025, 3, 30) for a in alerts)


def test_day_1_counts_from_midnight_local() -> None:
    # A contact at 09:00 on day 1, before the phase was recorded at 14:00, still counts (day counting).
    contacts = [contact(at(2025, 3, 10, 9)), contact(at(2025, 3, 12, 9)), contact(at(2025, 3, 14, 9))]
    assert check_introduction(_intro(), contacts, at(2025, 4, 10)) == []


def test_contacts_after_the_introduction_ended_do_not_count() -> None:
    end = at(2025, 3, 20, 12)
    contacts = [contact(at(2025, 3, 11, 9)), contact(at(2025, 3, 15, 9)), contact(at(2025, 3, 22, 9))]
    alerts = check_introduction(_intro(end), contacts, at(2025, 3, 23))
    assert [a.severity for a in alerts] == ["warning"]
    assert "2 van de 3" in alerts[0].message_nl


def test_planned_and_cancelled_contacts_do_not_count() -> None:
    contacts = [
        contact(at(2025, 3, 11, 9)),
        contact(at(2025, 3, 15, 9), status="cancelled"),
        contact(at(2025, 3, 18, 9), status="planned"),
    ]
    alerts = check_introduction(_intro(), contacts, at(2025, 3, 16))
    assert [a.severity for a in alerts] == ["info"]
    assert "Nog 2 contactmomenten" in alerts[0].message_nl


def test_no_introduction_no_alert() -> None:
    assert check_introduction(traject([("inclusion", INTRO, None)]), [], at(2026, 1, 1)) == []
