"""An open item a coordinator has seen, with her note (issue 15) <-> Task (profile hvol-waitinglist-task).

Why a Task: the programme's to-dos are Tasks already (profile, search by ``code``, the coordinator's
``user/Task.cru``), and an acknowledgement is a to-do the coordinator completed: ``status`` completed,
``code`` task-kind ``item-acknowledged``, ``focus`` the traject, ``for`` the youth, ``owner`` the coordinator,
``authoredOn`` when. Which item: ``input`` typed "open-punt" with the item's key (kind, subject reference,
due date: no content). The note is ``note[0]`` (an Annotation with author and time): it is free text about a
girl, so the client seals it (``sealing.fields`` kind acknowledgement) and only the coordinator, buddy and
coach open it. An item of the organisation (an alignment meeting or a presentation due) has no traject and
no youth: no ``focus`` and no ``for``; its note is sealed the same way (only the coordinator reads it).
A Flag has no note; an Observation would claim a finding about the youth.
See mappings/examples/Task-hvol-ex-acknowledgement.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import Json
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.checks import require_aware, require_ref, require_text

INPUT_TYPE: Final = "open-punt"
MAX_NOTE: Final = 2_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Acknowledgement:
    identifier: str
    traject: str | None  # CarePlan/<id>; None for an item of the organisation (P-ALIGN, P-PRESENT-3M)
    patient: str | None
    item_key: str
    note: str
    author: str  # Practitioner/<id>
    at: datetime
    id: str | None = None

    def __post_init__(self) -> None:
        if (self.traject is None) != (self.patient is None):
            raise ValueError("an acknowledgement names both traject and youth, or neither")
        if self.traject is not None and self.patient is not None:
            require_ref(self.traject, "Acknowledgement.traject")
            require_ref(self.patient, "Acknowledgement.patient")
        require_ref(self.author, "Acknowledgement.author")
        require_aware(self.at, "Acknowledgement.at")
        require_text(self.note, "Acknowledgement.note", max_chars=MAX_NOTE, what_nl="De notitie")
        require_text(self.item_key, "Acknowledgement.item_key", max_chars=300, what_nl="Het open punt")


def to_fhir(ack: Acknowledgement) -> Json:
    return f.prune(
        {
            **f.ours("Task", ack.id, t.P_TASK, "task", ack.identifier),
            "status": "completed",
            "intent": "order",
            "code": f.concept(c.TASK_KIND, c.TASK_ITEM_ACKNOWLEDGED, "Task.kind"),
            "focus": f.ref(ack.traject),
            "for": f.ref(ack.patient),
            "authoredOn": f.iso(ack.at),
            "owner": f.ref(ack.author),
            "input": [{"type": {"text": INPUT_TYPE}, "valueString": ack.item_key}],
            "note": [{"authorReference": f.ref(ack.author), "time": f.iso(ack.at), "text": ack.note}],
        }
    )


def is_acknowledgement(raw: Json) -> bool:
    return f.has_coding(raw.get("code"), t.cs_url(c.TASK_KIND), c.TASK_ITEM_ACKNOWLEDGED)


def item_key_of(raw: Json) -> str | None:
    for item in raw.get("input") or []:
        if isinstance(item, dict) and (item.get("type") or {}).get("text") == INPUT_TYPE:
            value = item.get("valueString")
            return str(value) if value else None
    return None


def note_of(raw: Json) -> str | None:
    """The note when it is open (read through a codec that opens it); None while sealed or absent."""
    notes = raw.get("note") or []
    text = notes[0].get("text") if notes and isinstance(notes[0], dict) else None
    return str(text) if text else None


def organisation_notes(raws: list[Json]) -> dict[str, str]:
    """Item key -> the latest note, of the acknowledgements of organisation items (no traject)."""
    return notes_by_item([r for r in raws if is_acknowledgement(r) and not r.get("focus")])


def notes_by_item(raws: list[Json]) -> dict[str, str]:
    """Item key -> the latest note; an acknowledgement whose note this role cannot open still counts as
    seen (the note then reads as "vertrouwelijk")."""
    out: dict[str, tuple[str, str]] = {}
    for raw in raws:
        key = item_key_of(raw) if is_acknowledgement(raw) else None
        if not key:
            continue
        when = str(raw.get("authoredOn") or "")
        if key not in out or when >= out[key][0]:
            out[key] = (when, note_of(raw) or "(vertrouwelijk)")
    return {k: v for k, (_w, v) in out.items()}
