"""The introduction checklist (issue 14, guide §5.1): ticked once per topic, during the introduction only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hvol_fhir.errors import RuleViolation
from hvol_fhir.mapping import task as task_mapping
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules import checklist
from tests.unit.programme.builders import at, traject

INTRO = replace(traject([(c.PHASE_INTRODUCTION, at(2026, 12, 28, 9), None)], status="active"), id="t1")


def test_ticks_over_three_contacts_are_each_written_once() -> None:
    first = checklist.tick(
        INTRO, ["who-buddy", "who-youth"], frozenset(), at(2026, 12, 28, 15), buddy="Practitioner/b"
    )
    done = checklist.ticked(task_mapping.from_fhir(task_mapping.to_fhir(t)) for t in first)
    assert done == {"who-buddy", "who-youth"}
    second = checklist.tick(
        INTRO, ["who-youth", "journal", "journal"], done, at(2027, 1, 2, 15), buddy="Practitioner/b"
    )
    assert [t.outcome for t in second] == ["journal"]  # across the turn of the year (ISO week 53)
    again = checklist.tick(INTRO, ["journal"], frozenset(), at(2027, 1, 3), buddy="Practitioner/b")
    assert again[0].identifier == second[0].identifier  # a resend matches the same Task
    assert set(checklist.TOPICS) == set(c.PROGRAMME_CODES[c.INTRO_TOPIC])


def test_only_during_the_introduction_and_known_topics() -> None:
    contact = traject([(c.PHASE_CONTACT_PERIOD, at(2026, 12, 1), None)], status="active")
    with pytest.raises(RuleViolation, match="kennismakingsperiode"):
        checklist.tick(contact, ["journal"], frozenset(), at(2026, 12, 2), buddy="Practitioner/b")
    with pytest.raises(Exception, match="topics"):
        checklist.tick(INTRO, ["weather"], frozenset(), at(2026, 12, 29), buddy="Practitioner/b")
