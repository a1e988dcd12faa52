"""The SMART Backend Services scopes a transfer needs, in v2 syntax (issue 13, cause 14).

Not ``system/*.*``: a token that can only do what the transfer does. At the sending organisation A the
collector reads and searches the traject's resources (``collect``, ``service._read_source_state``) and the
record transaction updates the CarePlan and EpisodeOfCare and conditionally creates the Task and, when
journal entries were disclosed, an AuditEvent (``record``). At the receiving organisation B the check
searches for what already exists and the one transaction conditionally creates every type of
``plan.SEND_ORDER`` plus the Provenance (``c`` for the create, ``s`` for its ``ifNoneExist``, ``r`` to read
answers back).
"""

from __future__ import annotations

from typing import Final

from .plan import SEND_ORDER

# What collect.py and the record step may read at A (resources of the traject and who they name).
_SOURCE_READ: Final = (
    "AuditEvent",
    "CarePlan",
    "CareTeam",
    "Communication",
    "Consent",
    "Encounter",
    "EpisodeOfCare",
    "Location",
    "Observation",
    "Organization",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "Task",
)
_SOURCE_WRITE: Final = {"CarePlan": "rus", "EpisodeOfCare": "rus", "Task": "crs", "AuditEvent": "crs"}
# Every type the plan sends, and the Provenance that records the transfer at B.
_TARGET_CREATE: Final = sorted((*SEND_ORDER, "Provenance"))

SOURCE_SCOPES: Final[tuple[str, ...]] = tuple(
    f"system/{rtype}.{_SOURCE_WRITE.get(rtype, 'rs')}" for rtype in _SOURCE_READ
)
TARGET_SCOPES: Final[tuple[str, ...]] = tuple(f"system/{rtype}.crs" for rtype in _TARGET_CREATE)


def source_scope() -> str:
    return " ".join(SOURCE_SCOPES)


def target_scope() -> str:
    return " ".join(TARGET_SCOPES)
