"""The demo scenario: deterministic, synthetic, and covering every phase the issue asks for."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from hvol_fhir.mapping import careplan, communication, encounter
from hvol_fhir.mapping.labels import has_full_label_set
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.birthday import eighteenth_birthday
from hvol_fhir.programme.rules.inclusion import check_age
from sandbox.demo_data import resources, transactions
from sandbox.demo_scenario import build

TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def scenario():
    return build(TODAY)


def test_same_seed_and_day_give_the_same_data():
    assert resources(build(TODAY)) == resources(build(TODAY))


def test_staff_as_the_issue_lists(scenario):
    roles = Counter(p.role for p in scenario.staff)
    assert roles[c.ROLE_COORDINATOR] == 1
    assert roles[c.ROLE_COACH] == 2
    assert roles[c.ROLE_BUDDY] == 4
    assert roles[c.ROLE_BEHAVIOURAL_SCIENTIST] == 1
    assert roles[c.ROLE_MENTOR] + roles[None] == 3  # regular staff: two mentors and one other


def test_twelve_youths_over_every_phase(scenario):
    assert len(scenario.youths) == 12
    last_phases = Counter(s.traject.phases[-1].phase for s in scenario.stories)
    assert set(last_phases) == {
        c.PHASE_INCLUSION,
        c.PHASE_INTRODUCTION,
        c.PHASE_CONTACT_PERIOD,
        c.PHASE_CLOSURE,
    }
    waiting = [s for s in scenario.stories if any(t.kind == c.TASK_WAITING_LIST for t in s.tasks)]
    assert len(waiting) == 2
    closed = {s.traject.closure_reason for s in scenario.stories if s.traject.status == "completed"}
    assert len(closed) >= 3  # closed for different reasons
    assert any(s.traject.replaces for s in scenario.stories)  # a restart (P-RESTART)


def test_contact_period_has_months_of_contacts_and_journal(scenario):
    active = [s for s in scenario.stories if s.traject.phases[-1].phase == c.PHASE_CONTACT_PERIOD]
    assert len(active) == 4
    for story in active:
        assert len(story.contacts) >= 15
        kinds = Counter(e.kind for e in story.journal)
        assert kinds[c.JOURNAL_BUDDY] == len(story.contacts)
        assert kinds[c.JOURNAL_COACHING] >= 1


def test_every_assessed_youth_is_12_to_17_at_inclusion(scenario):
    for story in scenario.stories:
        if story.assessment:
            assert check_age(story.assessment.birth_date, story.assessment.assessed_on) == []


def test_one_youth_turns_18_within_three_months(scenario):
    soon = [y for y in scenario.youths if 0 < (eighteenth_birthday(y.birth_date) - TODAY).days <= 92]
    assert len(soon) == 1


def test_bsns_are_from_the_test_range_and_pass_the_11_test(scenario):
    bsns = [y.bsn for y in scenario.youths if y.bsn]
    assert bsns and any(y.bsn is None for y in scenario.youths)
    for bsn in bsns:
        assert bsn.startswith("99999") and len(bsn) == 9
        digits = [int(d) for d in bsn]
        assert (sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]) % 11 == 0


def test_resources_round_trip_through_the_mappers_and_journal_is_labelled(scenario):
    res = resources(scenario)
    ids = Counter((r["resourceType"], r["id"]) for r in res)
    assert max(ids.values()) == 1  # every resource written once
    by_type = Counter(r["resourceType"] for r in res)
    assert by_type["Communication"] > 100 and by_type["Encounter"] > 100
    for r in res:
        if r["resourceType"] == "Communication":
            assert has_full_label_set(r["meta"])
            communication.from_fhir(r)
        elif r["resourceType"] == "CarePlan":
            careplan.from_fhir(r)
        elif r["resourceType"] == "Encounter":
            encounter.from_fhir(r, traject="CarePlan/x")


def test_references_point_backwards_so_transactions_load_in_order(scenario):
    seen: set[str] = set()
    for bundle in transactions(resources(scenario), "http://ehr.test/fhir"):
        in_bundle = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
        for entry in bundle["entry"]:
            for ref in _references(entry["resource"]):
                if ref.split("/")[0] in {
                    "Patient",
                    "Practitioner",
                    "CarePlan",
                    "CareTeam",
                    "Encounter",
                    "EpisodeOfCare",
                    "Organization",
                }:
                    assert ref in seen or ref in in_bundle, ref
        seen |= in_bundle


def _references(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "reference" and isinstance(v, str):
                yield v
            else:
                yield from _references(v)
    elif isinstance(node, list):
        for v in node:
            yield from _references(v)
