"""Open items of a working day that need more than the traject's own alerts (issue 15), on the fake server
with the clock pinned: a contact without a journal entry (buddy), coach contacts without a coaching-journal
entry (coach), open escalations for the buddy who raised them, their coach and the coordinator (never their
kind or message), each appearing and going away with the facts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import escalation as esc_mapping
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.escalation import Escalation
from hvol_fhir.services.acknowledge import acknowledge
from hvol_fhir.services.overview import cohort_overview
from hvol_fhir.services.startpage import StartPage, start_page
from tests.unit.programme.builders import at
from tests.unit.services.test_workday_acknowledge import Writing
from tests.unit.services.workday_fake import FakeFhir
from tests.unit.services.workday_story import BUDDY, BUDDY_2, COACH, NOW, build, coach_task

COORDINATOR = "Practitioner/coordinator"
SECRET = "Wijkagent belde over de melding van vrijdag (fictief)"


def page(fake: FakeFhir, user: str, role: str, now: datetime = NOW) -> StartPage:
    return start_page(cast(FhirClient, fake), user=user, role=role, now=now)


def kinds(found: StartPage, girl: str = "") -> list[str]:
    return [x.kind for card in found.cards if not girl or card.name == girl for x in card.items]


def entry(n: int, ident: str, kind: str, author: str, sent: datetime, encounter: str | None = None) -> Json:
    """A journal entry as the start page's search of metadata returns it (no payload)."""
    res: Json = {
        "resourceType": "Communication",
        "id": ident,
        "category": [{"coding": [{"system": t.cs_url(c.JOURNAL_KIND), "code": kind}]}],
        "subject": {"reference": f"Patient/youth-{n}"},
        "basedOn": [{"reference": f"CarePlan/plan-{n}"}],
        "sender": {"reference": author},
        "sent": sent.isoformat(),
    }
    if encounter:
        res["encounter"] = {"reference": encounter}
    return res


def escalation(n: int, by: str, when: datetime, recipients: tuple[str, ...], ident: str = "esc-1") -> Json:
    raised = Escalation(
        identifier=ident,
        traject=f"CarePlan/plan-{n}",
        patient=f"Patient/youth-{n}",
        raised_by=by,
        raised_at=when,
        kind=c.ESCALATION_POLICE,
        message=SECRET,
        recipients=recipients,
        id=f"task-{ident}",
    )
    return esc_mapping.to_json(raised)


def test_a_contact_without_journal_entry_is_an_item_until_the_entry_exists() -> None:
    fake = build()
    before = page(fake, BUDDY, c.ROLE_BUDDY)
    item = next(x for x in before.cards[0].items if x.kind == "contactjournaal")
    assert item.label_nl == "Contactmoment zonder verslag" and item.urgent
    assert "7 contactmomenten" in item.detail_nl  # one line, not seven
    for k in range(7):
        sent = at(2026, 2, 3, 16, 10) + timedelta(weeks=k)
        fake.add(entry(1, f"j-{k}", c.JOURNAL_BUDDY, BUDDY, sent, encounter=f"Encounter/enc-1-{k}"))
    assert "contactjournaal" not in kinds(page(fake, BUDDY, c.ROLE_BUDDY))


def test_a_coaching_entry_of_another_coach_does_not_close_her_gap_hers_does() -> None:
    fake = build()
    fake.task(coach_task(1, at(2026, 3, 24, 18)))
    assert kinds(page(fake, COACH, c.ROLE_COACH), "Sanne Jansen") == ["coachjournaal"]
    fake.add(entry(1, "cj-x", c.JOURNAL_COACHING, "Practitioner/coach-2", at(2026, 3, 24, 20)))
    assert kinds(page(fake, COACH, c.ROLE_COACH), "Sanne Jansen") == ["coachjournaal"]
    fake.add(entry(1, "cj-1", c.JOURNAL_COACHING, COACH, at(2026, 3, 24, 21)))
    assert kinds(page(fake, COACH, c.ROLE_COACH), "Sanne Jansen") == []
    # The buddy's page never shows the coach's journal items.
    assert "coachjournaal" not in kinds(page(fake, BUDDY, c.ROLE_BUDDY))


def test_an_open_escalation_shows_to_the_buddy_who_raised_it_her_coach_and_the_coordinator() -> None:
    fake = build()
    fake.add(escalation(1, BUDDY, NOW - timedelta(hours=3), (COACH, COORDINATOR)))
    buddy = page(fake, BUDDY, c.ROLE_BUDDY)
    coach = page(fake, COACH, c.ROLE_COACH)
    other_buddy = page(fake, BUDDY_2, c.ROLE_BUDDY)
    coordinator = page(fake, COORDINATOR, c.ROLE_COORDINATOR)
    assert "escalatie" in kinds(buddy) and "escalatie" in kinds(coach, "Sanne Jansen")
    assert "escalatie" not in kinds(other_buddy) and "escalatie" not in kinds(coach, "Noor Bakker")
    counts = {x.label_nl: x for x in coordinator.counts}
    waiting = counts["Meldingen die wachten op afhandeling"]
    assert (waiting.n, waiting.names, waiting.detail_nl) == (1, (("Sanne Jansen", "tr-1"),), "")
    # Never the kind or the message, on any page; no anonymous "Escalatie" to-do beside the item.
    for found in (buddy, coach, coordinator):
        assert SECRET not in repr(found) and "olitie" not in repr(found)
        assert "taak" not in kinds(found)
    assert not any(x.label_nl == t.display(c.TASK_KIND, c.TASK_ESCALATION) for x in coordinator.counts)


def test_an_escalation_warns_after_two_days_and_goes_when_handled() -> None:
    fake = build()
    raised = fake.add(escalation(1, BUDDY, NOW - timedelta(days=3), (COACH, COORDINATOR)))
    item = next(x for x in page(fake, COACH, c.ROLE_COACH).cards[0].items if x.kind == "escalatie")
    assert item.urgent and "meer dan twee dagen" in item.detail_nl
    counts = {x.label_nl: x for x in page(fake, COORDINATOR, c.ROLE_COORDINATOR).counts}
    assert counts["Meldingen die wachten op afhandeling"].detail_nl == "1 wachten langer dan twee dagen"
    raised["status"] = "completed"
    assert "escalatie" not in kinds(page(fake, COACH, c.ROLE_COACH))
    assert "escalatie" not in kinds(page(fake, BUDDY, c.ROLE_BUDDY))
    counts = {x.label_nl: x for x in page(fake, COORDINATOR, c.ROLE_COORDINATOR).counts}
    assert counts["Meldingen die wachten op afhandeling"].n == 0


def test_a_coach_who_was_not_sent_the_escalation_does_not_see_it() -> None:
    fake = build()
    fake.add(escalation(1, BUDDY, NOW - timedelta(hours=1), ("Practitioner/coach-2", COORDINATOR)))
    assert "escalatie" not in kinds(page(fake, COACH, c.ROLE_COACH))


def test_the_coordinator_acknowledges_an_organisation_item_with_a_note() -> None:
    fake = Writing()
    fake.store = build().store
    before = cohort_overview(cast(FhirClient, fake), NOW)
    align = next(x for x in before.org_signals.open if x.kind.slug == "afstemmingsoverleg")
    labels = {x.label_nl for x in page(fake, COORDINATOR, c.ROLE_COORDINATOR).counts}
    assert align.kind.label_nl in labels
    for _ in range(2):  # a resend creates nothing twice
        acknowledge(
            cast(FhirClient, fake),
            role=c.ROLE_COORDINATOR,
            identifier="ack-org-1",
            traject=None,
            patient=None,
            item_key=align.key,
            note="Overleg staat op 2 april (fictief)",
            author=COORDINATOR,
            now=NOW,
        )
    (stored,) = [r for r in fake.store["Task"] if r["code"]["coding"][0]["code"] == c.TASK_ITEM_ACKNOWLEDGED]
    assert "focus" not in stored and "for" not in stored
    after = cohort_overview(cast(FhirClient, fake), NOW)
    assert align.key not in {x.key for x in after.org_signals.open}
    assert [(a.item.key, a.note) for a in after.org_signals.acknowledged] == [
        (align.key, "Overleg staat op 2 april (fictief)")
    ]
    labels = {x.label_nl for x in page(fake, COORDINATOR, c.ROLE_COORDINATOR).counts}
    assert align.kind.label_nl not in labels
    # A traject's rows are not touched by it.
    assert [r.signals.open for r in after.rows] == [r.signals.open for r in before.rows]
