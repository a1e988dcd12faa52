"""P-RESP (guide §2.3, §3, §4.8): a buddy without SKJ registration needs a responsible SKJ professional.

A hard limit: without a responsible professional nobody carries professional responsibility for the buddy's
work with the youth. The check needs only the team, not the register: whether the responsible professional
really is SKJ-registered is recorded on their own membership (`skj_number`).
"""

from __future__ import annotations

from datetime import datetime

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import BLOCK, Alert
from hvol_fhir.programme.model import CareTeam
from hvol_fhir.programme.rules.common import check_now


def check_responsibility(team: CareTeam, now: datetime) -> list[Alert]:
    check_now(now)
    alerts: list[Alert] = []
    registered = {m.member for m in team.members if m.skj_number and m.active_at(now)}
    for buddy in team.with_role(c.ROLE_BUDDY, now):
        if buddy.skj_number:
            continue
        if buddy.responsible_professional is None:
            message = (
                "Het ervaringsmaatje heeft geen SKJ-registratie en er is geen verantwoordelijke "
                "professional met SKJ-registratie vastgelegd."
            )
        elif buddy.responsible_professional not in registered:
            message = (
                "De verantwoordelijke professional van het ervaringsmaatje staat niet "
                "met SKJ-registratie in het team."
            )
        else:
            continue
        alerts.append(Alert(rule_id="P-RESP", severity=BLOCK, message_nl=message, subjects=(buddy.member,)))
    return alerts
