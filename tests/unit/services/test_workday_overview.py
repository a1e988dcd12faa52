"""The cohort overview and the traject page as library services, on the fake server with the clock pinned:
one assembly of every alert family, open items per kind by name, two round trips for the overview."""

from __future__ import annotations

from typing import Any, cast

from hvol_fhir.ehr import FhirClient
from hvol_fhir.services.overview import cohort_overview
from hvol_fhir.services.views import traject_view
from tests.unit.programme.builders import at
from tests.unit.services.workday_fake import FakeFhir
from tests.unit.services.workday_story import NOW, build, coach_task


def _client(fake: FakeFhir) -> FhirClient:
    return cast(FhirClient, fake)


def _row(overview: Any, name: str) -> Any:
    return next(r for r in overview.rows if r.name == name)


def test_overview_shows_every_alert_family_by_name_in_three_round_trips() -> None:
    fake = build()
    overview = cohort_overview(_client(fake), NOW)
    assert fake.round_trips == 3  # the page, one batch, the disclosures
    sanne, noor = _row(overview, "Sanne Jansen"), _row(overview, "Noor Bakker")
    assert sanne.buddies == ("Fatima El Amrani",) and noor.buddies == ("Lotte de Wit",)
    kinds = {x.kind.slug for x in sanne.signals.open}
    # P-COACH-AFTER without any coach contact, P-RESP, and this week's norms.
    assert {"coachcontact", "verantwoordelijke", "uren-per-week", "face-to-face"} <= kinds
    assert {x.kind.slug for x in noor.signals.open} >= {"achttien", "kennismaking"}
    assert overview.counts["Gesprek over 18 worden"] == 1
    assert overview.counts["Verantwoordelijke professional met SKJ-registratie"] == 1
    # Labels and names only: no rule id and no Practitioner id anywhere in what the page gets.
    text = repr([(r.name, r.buddies, r.signals.counts()) for r in overview.rows]) + repr(overview.counts)
    assert "P-" not in text and "Practitioner/" not in text and "buddy-1" not in text


def test_coach_item_goes_away_when_a_coach_contact_is_recorded() -> None:
    fake = build()
    before = _row(cohort_overview(_client(fake), NOW), "Sanne Jansen")
    waiting = [x for x in before.signals.open if x.kind.slug == "coachcontact"]
    assert len(waiting) >= 1
    fake.task(
        coach_task(1, at(2026, 3, 20, 10))
    )  # after the last contact (17 March), three days late for some
    after = _row(cohort_overview(_client(fake), NOW), "Sanne Jansen")
    assert [x for x in after.signals.open if x.kind.slug == "coachcontact"] == []
    late = [h for h in after.signals.history if h.kind.slug == "coachcontact"]
    assert late and late[0].text_nl.endswith("contactmomenten zonder coachcontact binnen 7 dagen")


def test_traject_page_sums_up_the_weeks_per_norm() -> None:
    fake = build()
    view = traject_view(_client(fake), "Patient/youth-1", "tr-1", NOW, with_tasks=True)
    hours = next(h for h in view.signals.history if h.kind.slug == "uren-per-week")
    # Weeks 6..12 of 2026 are over and each had one hour; week 13 runs and is an open item.
    assert hours.text_nl == "7 van de 7 weken minder dan 2 uur contact"
    assert len(hours.missed) == 7
    assert [x.kind.slug for x in view.signals.open].count("uren-per-week") == 1
    assert all(x.severity == "info" for x in view.signals.open if x.kind.slug == "uren-per-week")
    assert view.birth_date is not None and fake.round_trips == 2


def test_without_task_access_there_is_no_coach_item() -> None:
    fake = build()
    view = traject_view(_client(fake), "Patient/youth-1", "tr-1", NOW, with_tasks=False)
    assert "coachcontact" not in {x.kind.slug for x in view.signals.open}
