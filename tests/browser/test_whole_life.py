"""Issue 14, the first test that must exist: the whole life of a girl in the programme, in Chromium, through
the app as coordinator, behavioural scientist, buddy and coach would go, from the waiting list to closure and
a restart; then what the server holds.

Two invented girls, new in the sandbox EHR for each run:
- Noor, 15: every gate refused first with its Dutch text on screen (no assessment, the coordinator trying to
  assess, a date in the future, no consent, no parent's consent, not on the waiting list), then assessment,
  consent with her mother, the waiting list, the start from it with her buddy chosen by name, her decision
  passed on by the buddy and confirmed by the coordinator, a pause while she is missing and the resume,
  held contacts with the journal, a share of her first entry with her mother (with her consent, refused
  first without it), planned ones that were then held or missed, an escalation the coach
  sees and the coordinator handles, her move to a next place (the buddy stays involved), closure and a
  restart;
- Isa, who turns 18 within her traject: her own consent is enough, the talk about turning 18 is on the
  page of buddy and coordinator from the start (not overdue: she was included late), and her buddy records
  what they agreed.

The app's clock moves forward through the story (tests/browser/whole_life_support.py). A screenshot per
step goes to test-artifacts/screenshots/whole-life/.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from hvol_fhir.programme.text_nl import date_nl
from tests.integration.app_support import MARKER_PREFIX, org_or_external
from tests.integration.conftest import FhirClient
from tests.integration.launch_support import serve_app

from .conftest import chromium
from .whole_life_steps import (
    BUDDY,
    COACH,
    COORDINATOR,
    SCIENTIST,
    buddy_escalates,
    buddy_finishes_planned_contacts,
    buddy_plans_contact,
    buddy_records_contact,
    coach_and_coordinator_see_escalation,
    consent_refused_without_assessment,
    coordinator_cannot_assess,
    coordinator_opens_traject,
    coordinator_phase,
    coordinator_records_consent,
    coordinator_records_outflow,
    coordinator_shares_with_guardian,
    coordinator_starts_introduction,
    decision_reported_and_confirmed,
    introduction_refused,
    scientist_assesses,
)
from .whole_life_support import AMSTERDAM, SHOTS, Stage, StoryClock, synthetic_girl, years_before

pytestmark = [pytest.mark.integration, pytest.mark.browser]

DAY0 = date.today() - timedelta(days=150)  # the story's first day; it ends before the real today


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    org = org_or_external(request)
    clock = StoryClock(datetime.combine(DAY0, time(9), tzinfo=AMSTERDAM))
    admin = FhirClient(org.fhir_base, org.admin_token())
    with serve_app(org, tmp_path_factory.mktemp("app-whole-life"), HVOL_CLOCK=clock):
        with chromium("1280,1000", lang="nl") as driver:
            yield org, admin, clock, driver


def stage_for(world: Any, name: str) -> Stage:
    org, admin, clock, driver = world
    for old in SHOTS.glob(f"{name}-*.png"):  # an earlier run's pictures of this girl
        old.unlink()
    return Stage(driver=driver, org=org, admin=admin, clock=clock, name=name)


# --- the stories -----------------------------------------------------------------------------------------


def test_noor_from_waiting_list_to_closure_and_restart(world: Any) -> None:
    s = stage_for(world, "noor")
    noor = synthetic_girl(s.admin, "Noor", "Wiersma", years_before(DAY0, 15) - timedelta(days=40))
    marker = f"{MARKER_PREFIX}{uuid.uuid4().hex}"

    coordinator_opens_traject(s, noor, DAY0)
    introduction_refused(
        s,
        DAY0,
        expected=(
            "Er is nog geen inclusiebeoordeling. De gedragswetenschapper legt die vast.",
            "De toestemming van de jongere is nog niet vastgelegd.",
            "ook een ouder of voogd moet toestemming geven",
            "De jongere staat niet op de wachtlijst.",
        ),
    )
    s.shot("weigering-kennismaking-zonder-alles")
    coordinator_cannot_assess(s)
    consent_refused_without_assessment(s)
    s.add_member(SCIENTIST, "behavioural-scientist", skj="SKJ-100006")

    scientist_assesses(s, noor, DAY0 + timedelta(days=3), try_future=True)

    s.clock.on(DAY0 + timedelta(days=5))
    s.as_(COORDINATOR, noor)
    s.open_traject()
    introduction_refused(
        s,
        DAY0 + timedelta(days=5),
        expected=("De toestemming van de jongere is nog niet vastgelegd.", "niet op de wachtlijst"),
        absent=("inclusiebeoordeling",),
    )
    s.shot("weigering-geen-toestemming-geen-wachtlijst")
    coordinator_records_consent(s, noor, DAY0 + timedelta(days=6), parent="Ans Wiersma")

    coordinator_starts_introduction(s, DAY0 + timedelta(days=12))
    buddy_records_contact(
        s,
        noor,
        DAY0 + timedelta(days=14),
        "16:00",
        "17:00",
        f"Eerste kennismaking in de bibliotheek. Ze vertelde over haar school. {marker}",
    )
    s.shot("eerste-contact-opgeslagen")

    decision_reported_and_confirmed(s, noor, DAY0 + timedelta(days=27))

    coordinator_phase(s, noor, DAY0 + timedelta(days=40), "pause", "pauze-vermist", pause_reason="missing")
    assert "nu" in s.css('[data-testid="pauses"]').text
    s.clock.on(DAY0 + timedelta(days=41), 12)
    s.as_(BUDDY, noor)
    s.open_traject()
    assert s.css('[data-testid="pauses"]').text  # the buddy sees the pause, not its reason
    assert "vermist" not in s.css('[data-testid="pauses"]').text.lower()
    s.shot("pauze-bij-maatje")
    coordinator_phase(s, noor, DAY0 + timedelta(days=55), "resume", "hervat")
    assert " – nu" not in s.css('[data-testid="pauses"]').text

    buddy_records_contact(
        s,
        noor,
        DAY0 + timedelta(days=58),
        "15:00",
        "16:30",
        f"Na haar terugkeer samen een wandeling gemaakt. {marker}",
    )
    buddy_plans_contact(s, DAY0 + timedelta(days=62), "16:00", "17:00")
    buddy_plans_contact(s, DAY0 + timedelta(days=64), "16:00", "17:00")
    buddy_escalates(s, noor, DAY0 + timedelta(days=60), "De wijkagent vroeg mij om informatie over haar.")
    coach_and_coordinator_see_escalation(s, noor, DAY0 + timedelta(days=60))
    coordinator_shares_with_guardian(
        s, noor, DAY0 + timedelta(days=61), "Ans Wiersma", DAY0 + timedelta(days=89)
    )
    buddy_finishes_planned_contacts(
        s, noor, DAY0 + timedelta(days=66), DAY0 + timedelta(days=62), DAY0 + timedelta(days=64), marker
    )
    coordinator_records_outflow(s, noor, DAY0 + timedelta(days=90), DAY0 + timedelta(days=110))
    coordinator_phase(
        s, noor, DAY0 + timedelta(days=120), "close", "traject-afgerond", reason="youth-no-longer-needed"
    )
    assert s.css('[data-testid="status"]').text.startswith("afgerond")
    s.submit('[data-testid="restart-form"]')  # waits until the page is replaced (a click alone raced it)
    assert s.css('[data-testid="phase"]').get_attribute("data-phase") == "inclusion"
    s.shot("herstart")

    server_holds_the_story(s, noor, marker)


def test_isa_turns_eighteen_within_her_traject(world: Any) -> None:
    s = stage_for(world, "isa")
    start = DAY0 + timedelta(days=125)
    birthday = start + timedelta(days=75)  # she is 17 and almost 10 months at the start
    isa = synthetic_girl(s.admin, "Isa", "Kuipers", years_before(birthday, 18))
    coordinator_opens_traject(s, isa, start)
    s.add_member(SCIENTIST, "behavioural-scientist", skj="SKJ-100006")
    scientist_assesses(s, isa, start + timedelta(days=1), try_future=False)
    coordinator_records_consent(s, isa, start + timedelta(days=2), parent=None)
    coordinator_starts_introduction(s, start + timedelta(days=3))
    turning = f"De jongere wordt op {date_nl(birthday)} 18."
    assert turning in s.text()
    assert "moeten plaatsvinden" not in s.text()  # included late: a fresh due date, not overdue at once
    s.shot("18-jaar-bij-coordinator")
    s.clock.on(start + timedelta(days=4), 12)
    s.as_(BUDDY, isa)
    s.open_traject()
    assert turning in s.text()
    s.shot("18-jaar-bij-maatje")
    s.fill('[data-testid="eighteen-form"]', outcome="continue-other-financing")
    s.submit('[data-testid="eighteen-form"]')
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    assert not s.all('[data-testid="eighteen-form"]') and turning not in s.text()
    s.shot("18-jaar-afgesproken")

    tasks = s.search(f"Task?patient=Patient/{isa}")
    talk = [t for t in tasks if t["code"]["coding"][0]["code"] == "birthday-18-talk"]
    assert [t["status"] for t in talk] == ["completed"]
    assert "continue-other-financing" in json.dumps(talk[0].get("output", []))
    assert len(s.search(f"Consent?patient=Patient/{isa}")) == 1  # 17: her own consent is enough


# --- at the server -------------------------------------------------------------------------------------


def server_holds_the_story(s: Stage, patient: str, marker: str) -> None:
    ref = f"Patient/{patient}"
    plans = s.search(f"CarePlan?subject={ref}")
    statuses = sorted(p["status"] for p in plans)
    assert len(plans) == 2 and "completed" in statuses, statuses  # closed, and the restart
    closed = next(p for p in plans if p["status"] == "completed")
    assert closed["period"]["start"].startswith(DAY0.isoformat())
    assert closed["period"].get("end")
    assert "replaces" in next(p for p in plans if p["status"] != "completed")
    activities = json.dumps(closed.get("activity", []))
    assert '"pause"' in activities, activities[:2000]

    teams = s.search(f"CareTeam?subject={ref}")
    members = {
        (p["member"]["reference"], p["role"][0]["coding"][0]["code"]): p.get("period", {})
        for t in teams
        for p in t.get("participant", [])
    }
    assert members[(f"Practitioner/{BUDDY}", "buddy")].get("start")
    assert members[(f"Practitioner/{COACH}", "coach")].get("start")
    assert (f"Practitioner/{SCIENTIST}", "behavioural-scientist") in members

    tasks = s.search(f"Task?patient={ref}")
    kinds = {(coding["code"], t["status"]) for t in tasks for coding in t.get("code", {}).get("coding", [])}
    assert ("waiting-list", "completed") in kinds, kinds  # started from the waiting list
    assert any(k == "inform-coach" for k, _ in kinds), kinds  # the buddy's to-do: tell your coach
    assert ("intro-decision", "completed") in kinds, kinds  # reported by the buddy, confirmed
    assert any(k == "outflow-consent" for k, _ in kinds), kinds  # ask her before the move
    assert ("escalation", "completed") in kinds, kinds  # handled by the coordinator

    encounters = s.search(f"Encounter?subject={ref}")
    # two registered, one planned then held, one planned then missed (with why and who called it off)
    assert sorted(e["status"] for e in encounters) == ["cancelled", "finished", "finished", "finished"]

    consents = s.search(f"Consent?patient={ref}")
    assert len(consents) == 3  # hers and her mother's to take part, and hers to share with her mother
    (mother,) = s.search(f"RelatedPerson?patient={ref}")
    (share,) = [c for c in consents if c["category"][0]["coding"][0]["code"] == "64292-6"]
    permit = share["provision"]["provision"][0]
    assert permit["purpose"][0]["code"] == "FAMRQT" and permit["period"]["end"]
    assert mother["id"] not in json.dumps(share) and "Wiersma" not in json.dumps(share)  # whom: sealed
    assert [d["reference"]["reference"].startswith("Communication/") for d in permit["data"]] == [True]

    entries = s.search(f"Communication?subject={ref}")
    assert len(entries) >= 2
    for entry in entries:
        assert entry["payload"][0]["contentAttachment"]["contentType"] == "application/jose"
        assert marker not in json.dumps(entry)
