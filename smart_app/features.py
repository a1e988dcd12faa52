"""Scopes the programme pages need beyond the library's feature table (stop-gap; belongs in
``hvol_fhir/smart/scopes.py``, see the issue-5 report).

- ``programme-links``: the traject's EpisodeOfCare (contacts point at it) and the inclusion Observation;
- ``coach-followup``: the buddy records that she spoke with her coach (P-COACH-AFTER) as a Task;
- ``cohort``: the coordinator's overview of all trajects (user-level reads; patient-level tokens are confined to
  the launched youth).
Registered into the library's ``FEATURES`` table at import, so scope requests, narrowing and the
granted-vs-requested comparison treat them like every other feature.
"""

from __future__ import annotations

from typing import Any

from hvol_fhir.smart import FEATURES
from hvol_fhir.smart.scopes import Feature, Permission


def _p(context: Any, resource: str, letters: str) -> Permission:
    return Permission(context, resource, letters)


PROGRAMME_FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature(
            "programme-links",
            "Koppeling van contacten en inclusie aan het traject",
            (_p("patient", "EpisodeOfCare", "crus"), _p("patient", "Observation", "crus")),
        ),
        Feature(
            "coach-followup", "Coachcontact na een contactmoment vastleggen", (_p("user", "Task", "crus"),)
        ),
        Feature(
            "cohort",
            "Overzicht van alle trajecten",
            (
                _p("user", "CarePlan", "rs"),
                _p("user", "CareTeam", "rs"),
                _p("user", "Encounter", "rs"),
                _p("user", "Patient", "rs"),
                _p("user", "AuditEvent", "rs"),
            ),
        ),
    )
}
# Which role gets which extra feature (added to roles.APP_ROLE_FEATURES).
ROLE_EXTRAS: dict[str, tuple[str, ...]] = {
    "coordinator": ("programme-links", "coach-followup", "cohort"),
    # The buddy and coach need Task for P-COACH-AFTER too, but only narrowed to their own youth: Task lies
    # outside the R4 Patient compartment, so patient/Task cannot be written on the sandbox and user/Task
    # would show the whole organisation's waiting list. Left to the lead (see the issue-5 report).
    "behavioural-scientist": ("programme-links",),
}

for _name, _feature in PROGRAMME_FEATURES.items():
    FEATURES.setdefault(_name, _feature)  # type: ignore[attr-defined]
