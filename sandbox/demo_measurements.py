"""Synthetic biweekly measurements for the demo organisation (issue 7), from the demo scenario's stories.

For every traject with a contact period: a measurement (QuestionnaireResponse) at each due date of
`hvol_fhir.measurements.schedule` up to today or the closure, each with its completed Task; on an active
traject the next due measurement, when its window has started, as an open Task for the buddy. Scores follow a
per-youth profile (level per domain, a gentle trend, a little noise) so the cohort report has something to
say; one youth is not positive about her buddy, as in the guide's §1.6. All invented, deterministic per seed.

Called from `sandbox/demo_data.py`: ``out += demo_measurements.resources(scenario)`` after the stories.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from hvol_fhir.fhirjson import Json
from hvol_fhir.measurements import fhir as mf
from hvol_fhir.measurements.model import Measurement, MeasurementTask
from hvol_fhir.measurements.questionnaire import questionnaire
from hvol_fhir.measurements.schedule import WINDOW, due_dates
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import AMSTERDAM
from sandbox.demo_scenario import SEED, Scenario, Story

_NS: Final = uuid.UUID("5c0f0d55-1f0e-4e8e-8e3b-9d1c2b3a4f51")


@dataclass(frozen=True)
class Profile:
    """Mean levels (0-10) at the start and the change per measurement, per domain."""

    wellbeing: float
    social: float
    needs: float
    buddy: float
    motivation: float
    trend: float
    parents: bool = True  # answers the optional parents item


# Assigned in story order to the trajects that have a contact period.
PROFILES: Final = (
    Profile(wellbeing=7.2, social=4.5, needs=7.0, buddy=8.5, motivation=5.5, trend=0.15),
    Profile(wellbeing=6.0, social=7.5, needs=6.5, buddy=8.8, motivation=6.0, trend=0.05, parents=False),
    Profile(wellbeing=5.8, social=5.8, needs=6.0, buddy=8.0, motivation=4.5, trend=0.10),
    Profile(wellbeing=7.5, social=4.8, needs=7.5, buddy=9.0, motivation=6.5, trend=0.0),
    Profile(wellbeing=6.2, social=4.2, needs=4.8, buddy=4.5, motivation=5.5, trend=-0.05),
    Profile(wellbeing=6.5, social=6.0, needs=6.2, buddy=7.5, motivation=5.0, trend=0.1),
    Profile(wellbeing=5.0, social=6.5, needs=5.5, buddy=7.0, motivation=6.0, trend=0.2),
)
_DOMAIN_OF: Final = {
    "autonomy": "needs",
    "competence": "needs",
    "relatedness": "needs",
    "alliance": "buddy",
    "therapy-motivation": "motivation",
    "buddy-adds-to-stay": "buddy",
    "buddy-takes-my-side": "buddy",
    "buddy-change-my-life": "buddy",
    "buddy-work-together": "buddy",
    "wellbeing-parents": "wellbeing",
    "wellbeing-friends": "wellbeing",
    "wellbeing-overall": "wellbeing",
    "school-work-day-programme": "social",
}


def _uid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def _buddy(story: Story) -> str | None:
    return next((m.member for m in story.care_team.members if m.role == c.ROLE_BUDDY), None)


def _contact_end(story: Story) -> datetime | None:
    periods = story.traject.phase_periods(c.PHASE_CONTACT_PERIOD)
    return periods[-1].end if periods else None


def _answers(rng: random.Random, profile: Profile, k: int) -> tuple[tuple[str, int], ...]:
    out = []
    for item in questionnaire().items:
        if item.link_id == "wellbeing-parents" and not profile.parents:
            continue
        domain = _DOMAIN_OF[item.link_id]
        level = getattr(profile, domain) + (
            profile.trend * k if domain in ("wellbeing", "social", "needs") else 0
        )
        out.append((item.link_id, max(0, min(10, round(level + rng.uniform(-1.2, 1.2))))))
    return tuple(out)


def story_resources(story: Story, profile: Profile, today: date, seed: int = SEED) -> Iterator[Json]:
    traject = story.traject
    if traject.id is None or not traject.phase_periods(c.PHASE_CONTACT_PERIOD):
        return
    rng = random.Random(f"{seed}/{traject.id}")
    ref = f"CarePlan/{traject.id}"
    end = _contact_end(story)
    last_day = min(today, end.astimezone(AMSTERDAM).date()) if end else today
    q = questionnaire()
    for k, due in enumerate(due_dates(traject, until=last_day + WINDOW), start=1):
        task_id = f"hv-meettaak-{traject.id[-2:]}-{k:02d}"
        authored = datetime.combine(due - timedelta(days=rng.randrange(0, 4)), time(15, 30), tzinfo=AMSTERDAM)
        task = MeasurementTask(
            id=task_id,
            identifier=mf.task_identifier(traject.identifier, due),
            traject=ref,
            patient=traject.patient,
            due=due,
            window_start=due - WINDOW,
            authored=datetime.combine(due - WINDOW, time(6), tzinfo=AMSTERDAM),
        )
        if due > last_day or authored.date() > today:
            if traject.status == "active":  # the next one, not done yet
                yield mf.task_to_fhir(task, q)
            continue
        qr_id = f"hv-meting-{traject.id[-2:]}-{k:02d}"
        measurement = Measurement(
            id=qr_id,
            identifier=_uid("measurement", traject.id, k),
            traject=ref,
            patient=traject.patient,
            authored=authored,
            questionnaire=q.canonical,
            answers=_answers(rng, profile, k),
            author=_buddy(story),
        )
        yield mf.response_to_fhir(measurement, q)
        yield mf.task_to_fhir(
            MeasurementTask(
                **{**_fields(task), "status": "completed", "response": f"QuestionnaireResponse/{qr_id}"}
            ),
            q,
        )


def _fields(task: MeasurementTask) -> dict[str, Any]:
    return {name: getattr(task, name) for name in task.__slots__}


def resources(scenario: Scenario) -> list[Json]:
    """Measurements and measurement Tasks of every story with a contact period (PUT on fixed ids)."""
    out: list[Json] = []
    stories = [s for s in scenario.stories if s.traject.phase_periods(c.PHASE_CONTACT_PERIOD)]
    for n, story in enumerate(stories):
        out += list(story_resources(story, PROFILES[n % len(PROFILES)], scenario.today))
    return out
