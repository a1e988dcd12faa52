"""A measurement (one filled-in Questionnaire) and a measurement Task, as frozen dataclasses.

Construction checks what a value can say about itself (references, identifier, time zone, integer scores);
checks against the Questionnaire and the traject (range, required items, version, closed traject) are in
`validate`, because they need those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.checks import require_aware, require_in, require_ref

RESPONSE_STATUS: Final = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})
# Responses that count in trends and reports.
COUNTING_STATUS: Final = frozenset({"completed", "amended"})


def _require_identifier(value: str, field: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise InvalidInput(
            "De identificatie ontbreekt of is ongeldig.", field=field, code="invalid-identifier"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """The youth's answers of one measurement moment (a QuestionnaireResponse `basedOn` the traject).

    `answers` holds the answered items only, as (linkId, score) pairs in Questionnaire order; an optional
    item she skipped is simply absent.
    """

    identifier: str  # client-generated UUID (sid/measurement): a second save finds it and creates nothing
    traject: str  # CarePlan/<id>
    patient: str
    authored: datetime
    questionnaire: str  # canonical|version
    answers: tuple[tuple[str, int], ...]
    author: str | None = None  # the buddy who recorded it with her
    status: str = "completed"
    encounter: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        _require_identifier(self.identifier, "Measurement.identifier")
        require_ref(self.traject, "Measurement.traject")
        require_ref(self.patient, "Measurement.patient")
        require_aware(self.authored, "Measurement.authored")
        require_in(RESPONSE_STATUS, self.status, "Measurement.status")
        if self.author is not None:
            require_ref(self.author, "Measurement.author")
        if self.encounter is not None:
            require_ref(self.encounter, "Measurement.encounter")
        seen: set[str] = set()
        for link_id, score in self.answers:
            if link_id in seen:
                raise InvalidInput(
                    "Een vraag is twee keer beantwoord.", field=link_id, code="duplicate-answer"
                )
            seen.add(link_id)
            if not isinstance(score, int) or isinstance(score, bool):
                raise InvalidInput("Een score is geen heel getal.", field=link_id, code="not-an-integer")

    def score(self, link_id: str) -> int | None:
        return dict(self.answers).get(link_id)

    @property
    def counts(self) -> bool:
        return self.status in COUNTING_STATUS


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasurementTask:
    """ "Fill in the measurement" for one due date (an SDC-style Task `basedOn` the traject)."""

    identifier: str  # derived from traject identifier + due date, so planning twice creates nothing twice
    traject: str  # CarePlan/<id>
    patient: str
    due: date
    window_start: date  # from when it is shown
    status: str = "requested"
    authored: datetime | None = None
    response: str | None = None  # QuestionnaireResponse/<id> once done
    id: str | None = None
    version: str | None = None  # meta.versionId, for If-Match when it is completed

    def __post_init__(self) -> None:
        _require_identifier(self.identifier, "MeasurementTask.identifier")
        require_ref(self.traject, "MeasurementTask.traject")
        require_ref(self.patient, "MeasurementTask.patient")
        require_in(c.TASK_STATUS, self.status, "MeasurementTask.status")
        if self.window_start > self.due:
            raise InvalidInput(
                "De taak begint na de vervaldatum.", field="MeasurementTask.window_start", code="bad-window"
            )

    @property
    def is_open(self) -> bool:
        return self.status in ("requested", "ready", "in-progress", "received", "accepted")
