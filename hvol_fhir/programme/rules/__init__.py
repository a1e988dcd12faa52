"""The programme's rules (the P-… ids of domain.md) as pure functions returning `Alert`s.

One module per rule family; every function takes the data and `now` and does no I/O.
"""

from hvol_fhir.programme.rules.birthday import check_eighteen, eighteen_talk_due, eighteen_task
from hvol_fhir.programme.rules.careteam import check_responsibility
from hvol_fhir.programme.rules.coaching import check_coach_after
from hvol_fhir.programme.rules.inclusion import (
    check_age,
    check_contra_indications,
    check_criteria,
    check_inclusion,
    check_inclusion_period,
)
from hvol_fhir.programme.rules.introduction import check_introduction
from hvol_fhir.programme.rules.organisation import check_alignment, check_presentations
from hvol_fhir.programme.rules.overview import traject_alerts
from hvol_fhir.programme.rules.phases import (
    check_closure_reason,
    close,
    record_intro_outcome,
    restart,
    transition,
)
from hvol_fhir.programme.rules.weekly import check_face_to_face, check_weekly_hours, weekly_contact_time

__all__ = [
    "check_age",
    "check_alignment",
    "check_closure_reason",
    "check_coach_after",
    "check_contra_indications",
    "check_criteria",
    "check_eighteen",
    "check_face_to_face",
    "check_inclusion",
    "check_inclusion_period",
    "check_introduction",
    "check_presentations",
    "check_responsibility",
    "check_weekly_hours",
    "close",
    "eighteen_talk_due",
    "eighteen_task",
    "record_intro_outcome",
    "restart",
    "traject_alerts",
    "transition",
    "weekly_contact_time",
]
