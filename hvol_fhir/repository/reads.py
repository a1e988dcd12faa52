"""A traject with everything around it, read in at most three FHIR round trips.

1. one batch: the CarePlan (+ its CareTeam by ``_include``, a non-journal type), the first page of its
   contacts (``Encounter?episode-of-care.identifier=`` the traject identifier), its tasks (``subject=`` the
   youth) and, when asked, the inclusion assessment and the measurements (issue 7);
2. the remaining contact pages in one batch (``_offset``), only when there are more than one page;
3. the journal (``Communication?based-on=``), only when the caller asks, which it does only for a role that
   may read it. Journal pages are fetched the same way.
A traject is addressed by its identifier (``sid/traject`` UUID): stable, and the same on CarePlan and
EpisodeOfCare, so the first batch needs nothing from an earlier answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient
from hvol_fhir.errors import NotFound
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import careplan, careteam, communication, encounter, inclusion, task
from hvol_fhir.privacy import guard
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import utc
from hvol_fhir.programme.model import CareTeam, Contact, InclusionAssessment, JournalEntry, Task, Traject
from hvol_fhir.repository import searches as s

PAGE = 50
COACH_TASK = c.TASK_COACH_CONTACT
# A Task belongs to a youth through Task.for; the sandbox (and R5) put it in her compartment by the search
# parameter ``subject``, so a patient-level token must name her there (``patient=`` is refused as outside).
TASK_PATIENT = "subject"


def traject_token(identifier: str) -> str:
    return f"{t.sid('traject')}|{identifier}"


@dataclass(frozen=True)
class TrajectRecord:
    """What the EHR holds about one traject, as domain objects plus the raw resources needed for updates."""

    traject: Traject
    careplan: Json
    care_team: CareTeam | None
    care_team_raw: Json | None
    contacts: tuple[Contact, ...]
    encounters: dict[str, Json] = field(default_factory=dict)  # id -> Encounter
    tasks: tuple[Task, ...] = ()
    assessment: InclusionAssessment | None = None
    # QuestionnaireResponses (issue 7 draws them on the timeline); None when the load did not ask for them
    measurements: tuple[Json, ...] | None = None

    @property
    def reference(self) -> str:
        return f"CarePlan/{self.traject.id}"

    @property
    def version(self) -> str | None:
        return (self.careplan.get("meta") or {}).get("versionId")

    def coach_contacts(self) -> list[datetime]:
        """P-COACH-AFTER: moments the buddy spoke with her coach (completed coach-contact tasks)."""
        return sorted(
            x.authored for x in self.tasks if x.kind == COACH_TASK and x.status == "completed" and x.authored
        )


def traject_at_version(client: FhirClient, careplan_id: str, version: str) -> Traject:
    """The traject as the CarePlan's version ``version`` held it (a form shown before a later change)."""
    return careplan.from_fhir(client.vread("CarePlan", careplan_id, version))


def contact_from_json(data: Json, traject: str) -> Contact:
    """A contact from Encounter JSON the server just sent (``encounter.from_json``: no pydantic round trip);
    anything that is not an Encounter goes through the full mapper, which raises the right error."""
    if data.get("resourceType") != "Encounter":
        return encounter.from_fhir(data, traject=traject)
    return encounter.from_json(data, traject=traject)


def _expected_contacts(traject: Traject, now: datetime) -> int:
    start = traject.phases[0].start if traject.phases else traject.created
    weeks = max(1, int((utc(now) - utc(start)) / timedelta(weeks=1)) + 1)
    return weeks * 4  # a busy traject has three or four contacts a week


class TrajectReader:
    """Reads for one youth (``patient`` = ``Patient/<id>``) with the caller's token."""

    def __init__(self, client: FhirClient, patient: str) -> None:
        self.client = client
        self.patient = patient

    def list_trajects(self) -> list[Traject]:
        """The youth's programme trajects, newest first (one round trip)."""
        page = self.client.search(
            "CarePlan",
            {
                "patient": self.patient,
                "category": f"{t.cs_url(t.PROGRAMME)}|{t.PROGRAMME_CODE}",
                "_count": "50",
            },
        )
        plans = [careplan.from_fhir(r) for r in s.all_matches([page]) if r.get("resourceType") == "CarePlan"]
        return sorted(plans, key=lambda x: utc(x.created), reverse=True)

    def load(
        self,
        identifier: str,
        now: datetime,
        *,
        with_tasks: bool = True,
        with_assessment: bool = False,
        with_measurements: bool = False,
    ) -> TrajectRecord:
        token = traject_token(identifier)
        contact_params = {
            "patient": self.patient,
            "episode-of-care.identifier": token,
            "_sort": "date",
            "_count": str(PAGE),
        }
        searches = [
            s.get(
                "CarePlan", {"patient": self.patient, "identifier": token, "_include": "CarePlan:care-team"}
            ),
            s.get("Encounter", contact_params),
        ]
        if with_tasks:
            searches.append(
                s.get(
                    "Task", {TASK_PATIENT: self.patient, "focus:CarePlan.identifier": token, "_count": "200"}
                )
            )
        if with_assessment:
            searches.append(
                s.get(
                    "Observation",
                    {"patient": self.patient, "based-on:CarePlan.identifier": token, "_count": "50"},
                )
            )
        score_params = {"patient": self.patient, "based-on:CarePlan.identifier": token, "_count": str(PAGE)}
        if with_measurements:
            searches.append(s.get("QuestionnaireResponse", score_params))
        pages = s.batch_searches(self.client, searches)
        plans = [r for r in s.all_matches(pages[:1]) if r.get("resourceType") == "CarePlan"]
        if not plans:
            raise NotFound("Dit traject bestaat niet (meer) of u heeft er geen toegang toe.", field="traject")
        raw_plan = plans[0]
        traject = careplan.from_fhir(raw_plan)
        teams = s.included(pages[:1], "CareTeam")
        team = careteam.from_fhir(teams[0], traject=f"CarePlan/{traject.id}") if teams else None
        more = s.remaining_pages(
            self.client, "Encounter", contact_params, pages[1], expected=_expected_contacts(traject, now)
        )
        encounters = guard.strip_journal(s.all_matches([pages[1], *more]))
        ref = f"CarePlan/{traject.id}"
        contacts = tuple(contact_from_json(e, ref) for e in encounters)
        k = 2
        tasks: tuple[Task, ...] = ()
        if with_tasks:
            tasks = tuple(task.from_fhir(r) for r in s.all_matches(pages[k : k + 1]))
            k += 1
        assessment = None
        if with_assessment:
            found = [inclusion.from_fhir(r) for r in s.all_matches(pages[k : k + 1])]
            assessment = max(found, key=lambda a: a.assessed_on) if found else None
            k += 1
        measurements: tuple[Json, ...] | None = None
        if with_measurements:
            qr = "QuestionnaireResponse"
            more = s.remaining_pages(self.client, qr, score_params, pages[k], expected=PAGE)
            measurements = tuple(r for r in s.all_matches([pages[k], *more]) if r.get("resourceType") == qr)
        return TrajectRecord(
            traject=traject,
            careplan=raw_plan,
            care_team=team,
            care_team_raw=teams[0] if teams else None,
            contacts=contacts,
            encounters={str(e.get("id")): e for e in encounters},
            tasks=tasks,
            assessment=assessment,
            measurements=measurements,
        )

    def journal(self, record: TrajectRecord) -> tuple[list[JournalEntry], list[Json]]:
        """The traject's journal (buddy and coaching entries), oldest first, every entry label-checked.

        Call only for a role that may read it (``hvol_fhir.privacy.access``) and write the audit event after.
        Returns the entries and the raw Communications (their versions are needed to amend them).
        """
        params = {"patient": self.patient, "based-on": record.reference, "_sort": "sent", "_count": str(PAGE)}
        expected = int(len(record.contacts) * 1.3) + 10
        pages = s.pages_from_zero(self.client, "Communication", params, expected=expected, size=PAGE)
        raw = guard.journal_entries(s.all_matches(pages), self.patient)
        entries = [communication.from_fhir(r) for r in raw]
        return entries, raw
