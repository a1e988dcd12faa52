"""The data a transfer works on: what was read at A, what the coordinator asked, what will be sent.

Frozen dataclasses; the planner (:mod:`.plan`) is a pure function from (Snapshot, TransferRequest, now) to a
:class:`TransferPlan`, so the preview the coordinator confirms is exactly the Bundle that is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from hvol_fhir.fhirjson import Json

from ..errors import InvalidInput

Mode = Literal["handover", "shared"]
MODES: tuple[Mode, ...] = ("handover", "shared")
MODE_NL: Mapping[str, str] = {
    "handover": (
        "Overdracht: de nieuwe organisatie neemt de zorg over; het traject loopt hier door, want het "
        "ervaringsmaatje blijft betrokken tot de coördinator het traject afsluit"
    ),
    "shared": "Gedeelde voortzetting: het traject loopt hier door en ook bij de nieuwe organisatie",
}


@dataclass(frozen=True)
class Snapshot:
    """The traject and everything around it as read at A, keyed by ``Type/id``."""

    source_base: str
    source_name: str  # A's name, for the Provenance and the messages
    careplan: str  # "CarePlan/<id>"
    resources: Mapping[str, Json]
    source_identifier: Json | None = None  # A's organisation identifier (URA/AGB/...), when known

    def get(self, key: str) -> Json | None:
        return self.resources.get(key)

    def of_type(self, resource_type: str) -> Iterator[tuple[str, Json]]:
        for key, res in self.resources.items():
            if res.get("resourceType") == resource_type:
                yield key, res

    @property
    def plan(self) -> Json:
        found = self.resources.get(self.careplan)
        if found is None:
            raise InvalidInput("Het traject is niet gevonden.", field="CarePlan")
        return found


@dataclass(frozen=True)
class TransferRequest:
    careplan: str  # "CarePlan/<id>" at A
    target: str  # B's FHIR base URL (or, for an offline export, B's name): part of the transfer's key
    target_name: str  # B's name for people
    coordinator: str  # "Practitioner/<id>" at A: who decided
    reason: str
    mode: Mode = "handover"
    journal: tuple[str, ...] = ()  # "Communication/<id>" entries the coordinator selected to go along

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidInput("Kies overdracht of gedeelde voortzetting.", field="mode")
        if not self.reason.strip():
            raise InvalidInput("Geef de reden van de overdracht.", field="reason")
        if len(self.reason) > 1000:
            raise InvalidInput("De reden is te lang (ten hoogste 1000 tekens).", field="reason")
        if not self.coordinator.startswith("Practitioner/"):
            raise InvalidInput("De coördinator moet een zorgverlener zijn.", field="coordinator")


@dataclass(frozen=True)
class PlanItem:
    """One resource at A: sent or staying behind, and why (Dutch, never content)."""

    reference: str  # "Type/id" at A
    resource_type: str
    label_nl: str
    send: bool
    reason_nl: str
    restricted: bool = False
    match: str | None = None  # the conditional reference B matches it on, when sent
    selectable: bool = False  # a journal entry a disclosure Consent covers: the coordinator may add it


@dataclass(frozen=True)
class TransferPlan:
    key: str  # the same on a repeat of the same transfer
    request: TransferRequest
    items: tuple[PlanItem, ...]
    bundle: Json  # the ONE transaction Bundle for B
    traject_identifier: Json
    patient_match: Json  # the identifier B matches the youth on
    patient_match_kind: str  # "BSN" or "organisatienummer"
    source_base: str
    source_name: str
    careplan_match: str  # B's CarePlan as a conditional reference
    journal_sent: tuple[str, ...] = ()
    consents_used: tuple[str, ...] = ()
    practitioner_matches: tuple[str, ...] = ()
    delivery: str = "plain"  # how confidential content goes: "sealed" (to B's key) or "plain" (delivery.py)
    delivery_nl: str = ""  # the same for the preview, in plain Dutch

    @property
    def sent(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.send)

    @property
    def staying(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if not i.send)


@dataclass(frozen=True)
class TransferResult:
    key: str
    mode: Mode
    target_name: str
    target_careplan: str | None  # B's "CarePlan/<id>"
    target_careplan_url: str | None
    created: int  # resources B created in this run (0 on a repeat)
    matched: int  # resources B already had
    recorded_at_source: bool
    already_recorded: bool = False
    round_trips: int | None = None
    notes_nl: tuple[str, ...] = field(default=())

    def summary_nl(self) -> str:
        if self.created == 0:
            head = f"{self.target_name} had dit traject al; er is niets dubbel aangemaakt."
        else:
            head = f"Het traject staat nu bij {self.target_name} ({self.created} gegevens nieuw aangemaakt)."
        tail = (
            " De nieuwe organisatie neemt de zorg over. Het traject loopt hier door (het ervaringsmaatje "
            "blijft betrokken) en verwijst naar de nieuwe organisatie."
            if self.mode == "handover"
            else " Het traject loopt hier door en verwijst naar de nieuwe organisatie."
        )
        return head + tail
