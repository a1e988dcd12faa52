"""Issue 14, the first test that must exist: the whole life of a girl in the programme, in Chromium, through
the app as coordinator, behavioural scientist, buddy and coach would go, from the waiting list to closure and
a restart; then what the server holds.

Two invented girls, new in the sandbox EHR for each run:
- Noor, 15: every gate refused first with its Dutch text on screen (no assessment, the coordinator trying to
  assess, a date in the future, no consent, no parent's consent, not on the waiting list), then assessment,
  consent with her mother, the waiting list, the start from it with her buddy chosen by name, her decision
  passed on by the buddy and confirmed by the coordinator, a pause while she is missing and the resume,
  held contacts with the journal, planned ones that were then held or missed, an escalation the coach
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
from .whole_life_support import AMSTERDAM, SHOTS, Stage, StoryClock, synthetic_girl, years_before

pytestmark = [pytest.mark.integration, pytest.mark.browser]

COORDINATOR, SCIENTIST = "hv-coordinator", "hv-behavioural-scientist"
BUDDY, COACH = "hv-buddy-1", "hv-coach-1"  # Sanne Visser (SKJ) and her coach Esther Bakker
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


# --- the steps -------------------------------------------------------------------------------------------


def coordinator_opens_traject(s: Stage, patient: str, day: date) -> None:
    s.clock.on(day)
    s.as_(COORDINATOR, patient)
    s.css('[data-testid="trajects-link"]').click()
    s.fill('[data-testid="open-form"]', start=day.isoformat())
    s.submit('[data-testid="open-form"]')
    s.ident = s.driver.current_url.split("/t/", 1)[1].split("/", 1)[0]
    assert s.css('[data-testid="phase"]').get_attribute("data-phase") == "inclusion"
    s.shot("traject-geopend")


def choose_buddy(s: Stage, day: date) -> None:
    """The start page: Sanne by name (her caseload beside it), her coach Esther, the start date."""
    row = next(r for r in s.all('[data-testid="buddies"] tr') if "Sanne Visser" in r.text)
    assert row.find_element("css selector", '[data-testid="caseload"]').text.isdigit()
    row.find_element("css selector", 'input[name="buddy"]').click()
    s.fill('[data-testid="start-form"]', coach=f"Practitioner/{COACH}", date=day.isoformat())


def introduction_refused(
    s: Stage, day: date, *, expected: tuple[str, ...], absent: tuple[str, ...] = ()
) -> None:
    """The coordinator tries to start from the waiting list: the closed gates are listed before she tries,
    and trying anyway is refused with each of them."""
    s.go()
    s.css('[data-testid="start-link"]').click()
    listed = s.css('[data-testid="gates"]').text
    choose_buddy(s, day)
    s.submit('[data-testid="start-form"]')
    said = s.refusal()
    for text in expected:
        assert text in said and text in listed, said
    for text in absent:
        assert text not in said, said
    assert "Er is niets opgeslagen." in said


def coordinator_cannot_assess(s: Stage) -> None:
    s.go()
    assert not s.all('[data-testid="inclusion-link"]')  # not offered, and refused when typed in
    s.go("inclusie")
    assert "Alleen de gedragswetenschapper legt de inclusiebeoordeling vast." in s.refusal()
    s.shot("weigering-coordinator-beoordeelt")


def consent_refused_without_assessment(s: Stage) -> None:
    s.go("toestemming")
    s.fill('[data-testid="consent-form"]', youth_consent=True)
    s.submit('[data-testid="consent-form"]')
    assert "Er is nog geen inclusiebeoordeling." in s.refusal()
    s.shot("weigering-toestemming-zonder-beoordeling")


def scientist_assesses(s: Stage, patient: str, day: date, *, try_future: bool) -> None:
    s.clock.on(day)
    s.as_(SCIENTIST, patient)
    s.open_traject()
    s.css('[data-testid="inclusion-link"]').click()
    form = '[data-testid="inclusion-form"]'
    if try_future:
        # The date field offers no day after today; the server refuses one all the same (a form sent by
        # other means, or a browser that ignores `max`): take the limit off as such a client would.
        s.driver.execute_script("document.querySelector('[name=date]').removeAttribute('max')")
        s.fill(form, date=(day + timedelta(days=7)).isoformat(), criteria_met=True)
        s.submit(form)
        assert "ligt in de toekomst" in s.refusal()
        assert s.css('[name="criteria_met"]').is_selected()  # what she ticked is still there
        s.shot("weigering-beoordeling-in-de-toekomst")
    s.fill(form, date=day.isoformat(), criteria_met=True)
    s.submit(form)
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    assert "criteria voldaan" in s.css('[data-testid="inclusion-link"]').find_element("xpath", "..").text
    s.shot("beoordeling-opgeslagen")


def coordinator_records_consent(s: Stage, patient: str, day: date, *, parent: str | None) -> None:
    s.clock.on(day)
    s.as_(COORDINATOR, patient)
    s.open_traject()
    s.css('[data-testid="consent-link"]').click()
    form = '[data-testid="consent-form"]'
    s.submit(form)  # nothing ticked
    assert "Vink aan dat de jongere zelf toestemming heeft gegeven." in s.refusal()
    if parent:
        s.fill(form, youth_consent=True)
        s.submit(form)
        assert "jonger dan 16 jaar: ook een ouder of voogd moet toestemming geven" in s.refusal()
        assert s.css('[name="youth_consent"]').is_selected()
        s.shot("weigering-geen-ouder-onder-16")
        s.fill(form, youth_consent=True, parent_consent=True, parent_name=parent, parent_role="PRN")
    else:
        s.fill(form, youth_consent=True)
    s.submit(form)
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    s.shot("toestemming-en-wachtlijst")


def coordinator_starts_introduction(s: Stage, day: date) -> None:
    s.clock.on(day)
    s.go()
    s.css('[data-testid="start-link"]').click()
    assert not s.all('[data-testid="gates"]')  # every gate open
    choose_buddy(s, day)
    s.submit('[data-testid="start-form"]')
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    assert s.css('[data-testid="phase"]').get_attribute("data-phase") == "introduction"
    team = s.css('[data-testid="team"]').text
    assert "Sanne Visser" in team and "Esther Bakker" in team
    s.shot("kennismaking-gestart")


def decision_reported_and_confirmed(s: Stage, patient: str, day: date) -> None:
    """P-INTRO-OUTCOME: the buddy passes on the girl's decision, the coordinator confirms it."""
    s.clock.on(day, 18)
    s.as_(BUDDY, patient)
    s.open_traject()
    s.fill('[data-testid="intro-decision-form"]', outcome="continue")
    s.submit('[data-testid="intro-decision-form"]')
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    s.shot("beslissing-door-maatje")
    s.clock.on(day + timedelta(days=1))
    s.as_(COORDINATOR, patient)
    s.open_traject()
    assert s.css('[data-testid="intro-decision"]').text
    s.css('[data-testid="confirm-decision"]').click()
    assert s.css('[data-testid="phase"]').get_attribute("data-phase") == "contact-period"
    s.shot("beslissing-bevestigd")


def coordinator_records_outflow(s: Stage, patient: str, day: date, moves_on: date) -> None:
    s.clock.on(day, 11)
    s.as_(COORDINATOR, patient)
    s.open_traject()
    s.fill('[data-testid="outflow-form"]', date=moves_on.isoformat(), destination="Woongroep De Kastanje")
    s.submit('[data-testid="outflow-form"]')
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    outflow = s.css('[data-testid="outflow"]').text
    assert "De Kastanje" in outflow and "het maatje blijft betrokken" in outflow
    assert s.css('[data-testid="status"]').text.startswith("lopend")  # a move does not close the traject
    s.shot("verhuizing-vastgelegd")


def buddy_records_contact(s: Stage, patient: str, day: date, start: str, end: str, text: str) -> None:
    s.clock.on(day, 20)
    s.as_(BUDDY, patient)
    s.open_traject()
    s.css('[data-testid="new-contact"]').click()
    form = '[data-testid="contact-form"]'
    s.fill(form, date=day.isoformat(), start=start, end=end, type="face-to-face", location="De bibliotheek")
    s.css('[data-testid="text"]').send_keys(text)
    s.shot("contact-met-verslag")
    s.submit(form)
    assert s.all('[data-testid="saved"]'), s.text()[:800]


def buddy_plans_contact(s: Stage, day: date, start: str, end: str) -> None:
    s.go()
    form = '[data-testid="plan-form"]'
    s.fill(form, date=day.isoformat(), start=start, end=end, type="video")
    s.submit(form)
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    assert date_nl(day) in planned_row(s, day).text
    s.shot("contact-gepland")


def planned_row(s: Stage, day: date) -> Any:
    return next(r for r in s.all('[data-testid="contacts"] tr') if date_nl(day) in r.text)


def buddy_finishes_planned_contacts(
    s: Stage, patient: str, day: date, held: date, missed: date, marker: str
) -> None:
    """One click turns a planned contact into a held one with its report; another did not take place."""
    s.clock.on(day, 20)
    s.as_(BUDDY, patient)
    s.open_traject()
    assert "gepland" in planned_row(s, held).text
    planned_row(s, held).find_element("css selector", '[data-testid="finish-planned"]').click()
    s.fill('[data-testid="held-form"]', date=held.isoformat(), start="16:00", end="17:00")
    s.css('[data-testid="held-form"] [data-testid="text"]').send_keys(
        f"Videogesprek over haar nieuwe stage. {marker}"
    )
    s.shot("gepland-contact-afronden")
    s.submit('[data-testid="held-form"]')
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    planned_row(s, missed).find_element("css selector", '[data-testid="finish-planned"]').click()
    s.fill('[data-testid="missed-form"]', reason="cancelled", cancelled_by="youth")
    s.submit('[data-testid="missed-form"]')
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    assert "niet doorgegaan" in planned_row(s, missed).text
    assert "geweest" in planned_row(s, held).text
    assert not s.all('[data-testid="finish-planned"]')
    s.shot("gepland-gehouden-en-gemist")


def coordinator_phase(s: Stage, patient: str, day: date, action: str, shot: str, **choices: str) -> None:
    s.clock.on(day, 11)
    s.as_(COORDINATOR, patient)
    s.open_traject()
    s.phase(action, day, **choices)
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    s.shot(shot)


def buddy_escalates(s: Stage, patient: str, day: date, message: str) -> None:
    s.clock.on(day, 15)
    s.as_(BUDDY, patient)
    s.open_traject()
    s.css('[data-testid="journal-link"]').click()
    s.css('[data-testid="danger-link"]').click()
    s.css('[data-testid="consult-first"]').click()  # the guide: consult coach and coordinator first
    form = '[data-testid="escalation-form"]'
    s.fill(form, kind="police", text=message)
    s.submit(form)
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    assert s.css('[data-testid="escalation"]').get_attribute("data-open") == "ja"
    s.shot("escalatie-gemeld")


def coach_and_coordinator_see_escalation(s: Stage, patient: str, day: date) -> None:
    s.clock.on(day, 16)
    s.as_(COACH, patient)
    s.open_traject()
    s.css('[data-testid="escalations-link"]').click()
    assert s.css('[data-testid="escalation"]').get_attribute("data-open") == "ja"
    s.shot("escalatie-bij-coach")
    s.as_(COORDINATOR, patient)
    s.open_traject()
    s.css('[data-testid="escalations-link"]').click()
    s.css('[data-testid="handle"]').click()
    assert s.css('[data-testid="escalation"]').get_attribute("data-open") == "nee"
    s.shot("escalatie-afgehandeld")


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

    buddy_finishes_planned_contacts(
        s, noor, DAY0 + timedelta(days=66), DAY0 + timedelta(days=62), DAY0 + timedelta(days=64), marker
    )
    coordinator_records_outflow(s, noor, DAY0 + timedelta(days=90), DAY0 + timedelta(days=110))
    coordinator_phase(
        s, noor, DAY0 + timedelta(days=120), "close", "traject-afgerond", reason="youth-no-longer-needed"
    )
    assert s.css('[data-testid="status"]').text.startswith("afgerond")
    s.css('[data-testid="restart-form"] button').click()
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
    assert len(consents) == 2  # hers and her mother's
    assert s.search(f"RelatedPerson?patient={ref}")

    entries = s.search(f"Communication?subject={ref}")
    assert len(entries) >= 2
    for entry in entries:
        assert entry["payload"][0]["contentAttachment"]["contentType"] == "application/jose"
        assert marker not in json.dumps(entry)
