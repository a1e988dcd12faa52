from __future__ import annotations

from datetime import date

from hvol_fhir.programme.rules.overview import traject_alerts
from tests.unit.programme.builders import at, contact, traject


def test_contact_period_overview_is_sorted_and_complete() -> None:
    t = traject(
        [("introduction", at(2025, 3, 1), at(2025, 3, 17)), ("contact-period", at(2025, 3, 17), None)]
    )
    contacts = [contact(at(2025, 3, 18, 10), 60, kind="video")]  # W12: no face-to-face, only 1 h
    # Turns 18 on 15 June 2025.
    alerts = traject_alerts(
        t,
        contacts,
        at(2025, 3, 24, 9),
        birth_date=date(2007, 6, 15),
        coach_contacts=[],
        subject="CarePlan/t1",
    )
    assert [(a.rule_id, a.severity) for a in alerts] == [
        ("P-18", "warning"),  # talk was due 15 March
        ("P-2H-WEEK", "warning"),  # week 12, due Sunday 23 March
        ("P-F2F-WEEK", "warning"),
        ("P-COACH-AFTER", "info"),  # window open until 25 March
        ("P-2H-WEEK", "info"),  # running week 13, due 30 March
        ("P-F2F-WEEK", "info"),
    ]


def test_closed_traject_reports_only_missing_reason() -> None:
    t = traject([("inclusion", at(2025, 1, 1), at(2025, 2, 1)), ("closure", at(2025, 2, 1), at(2025, 2, 1))])
    assert [a.rule_id for a in traject_alerts(t, [], at(2025, 3, 1), birth_date=date(2008, 1, 1))] == [
        "P-CLOSE-REASON"
    ]
