"""The steps of the whole-life story (tests/browser/test_whole_life.py), one function per thing a person does
in the app, split off so that the story reads on one screen. Each step sets the story's clock, launches as
the person who does it, acts as she would in Chromium, and asserts what the page says.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hvol_fhir.programme.text_nl import date_nl

from .whole_life_support import Stage

COORDINATOR, SCIENTIST = "hv-coordinator", "hv-behavioural-scientist"
BUDDY, COACH = "hv-buddy-1", "hv-coach-1"  # Sanne Visser (SKJ) and her coach Esther Bakker


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


def coordinator_shares_with_guardian(s: Stage, patient: str, day: date, guardian: str, until: date) -> None:
    """P-SHARE-CONSENT with her mother: refused first without the girl's consent (what was chosen stays), then
    recorded; the traject page lists it. The recipient is picked by name from the girl's own people."""
    s.clock.on(day)
    s.as_(COORDINATOR, patient)
    s.open_traject()
    s.css('[data-testid="share-link"]').click()
    form = '[data-testid="share-form"]'
    entry = s.all(f'{form} [name="entries"]')[-1]  # the first entry, written at the introduction
    entry.click()
    option = next(o for o in s.all(f'{form} [name="recipient"] option') if guardian in o.text)
    why = "Mijn moeder mag weten dat het goed gaat op school."
    s.fill(form, recipient=option.get_attribute("value"), purpose="FAMRQT", why=why, until=until.isoformat())
    s.submit(form)  # the girl's consent not ticked
    assert "Zonder toestemming van de jongere wordt er niets gedeeld" in s.refusal()
    assert s.all(f'{form} [name="entries"]')[-1].is_selected()  # what was chosen is still chosen
    assert s.css(f'{form} [name="why"]').get_attribute("value") == why
    s.shot("delen-weigering-zonder-toestemming")
    s.fill(form, consent_given=True)
    s.submit(form)
    assert s.all('[data-testid="saved"]'), s.text()[:800]
    row = next(r for r in s.all('[data-testid="share"]') if guardian in r.text)
    assert row.get_attribute("data-state") == "geldig" and date_nl(until) in row.text
    assert why not in s.text()  # her words stay on the share page
    s.shot("gedeeld-met-moeder")
