"""Who may see and record measurement scores (issue 7): pure decisions from the programme role.

Scores are seen by the buddy, the coach, the coordinator and the behavioural scientist (who watches how the
youth is doing and is consulted in unsafe situations); regular staff and mentors never see them, not even
that a score exists. Only the buddy records a measurement, together with the youth. The cohort report is for
the coordinator and the behavioural scientist. Roles are careteam-role codes plus "staff".
"""

from __future__ import annotations

from typing import Final

from hvol_fhir.programme import codes as c

SCORE_READERS: Final = frozenset(
    {c.ROLE_BUDDY, c.ROLE_COACH, c.ROLE_COORDINATOR, c.ROLE_BEHAVIOURAL_SCIENTIST}
)
RECORDERS: Final = frozenset({c.ROLE_BUDDY})
REPORT_READERS: Final = frozenset({c.ROLE_COORDINATOR, c.ROLE_BEHAVIOURAL_SCIENTIST})


def may_see_scores(role: str) -> bool:
    return role in SCORE_READERS


def may_record(role: str) -> bool:
    return role in RECORDERS


def may_see_report(role: str) -> bool:
    return role in REPORT_READERS
