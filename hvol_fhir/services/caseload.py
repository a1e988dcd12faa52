"""Issue 15: opening a girl's traject from a list (the buddy's or coach's caseload, the coordinator's start
page and overview) under a launch whose token is user-level for her.

The traject's identifier in the URL names the youth (its CarePlan's subject). The app is the first layer:
whatever the EHR returns, a buddy or coach opens a girl only when the app's signature covers her membership of
that traject's team (a member written in by hand opens nothing, :mod:`hvol_fhir.sealing.membership`); the
coordinator opens any girl in the programme (a CarePlan in the programme's category). Everything else, and a
traject that does not exist, gets the same answer: the list shows nothing it could not open.

One round trip: the CarePlan by identifier with its CareTeam included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from joserfc.jwk import KeySet

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient
from hvol_fhir.errors import NotFound
from hvol_fhir.fhirjson import Json
from hvol_fhir.privacy.features import CASELOAD_ROLES
from hvol_fhir.privacy.roles import decide_role
from hvol_fhir.programme import codes as c
from hvol_fhir.repository import searches as s
from hvol_fhir.repository.reads import traject_token

NOT_OPENED = "Dit traject bestaat niet (meer) of u heeft er geen toegang toe."


@dataclass(frozen=True)
class Opened:
    """The youth a traject belongs to (``Patient/<id>``) and the caller's role on it."""

    patient: str
    role: str


def in_programme(plan: Json) -> bool:
    system, code = t.cs_url(t.PROGRAMME), t.PROGRAMME_CODE
    return any(
        cc.get("system") == system and cc.get("code") == code
        for cat in plan.get("category") or []
        for cc in cat.get("coding") or []
    )


def decide_opening(
    plan: Json | None,
    teams: list[Json],
    *,
    user: str | None,
    role: str,
    today: date,
    keys: KeySet | None,
) -> Opened:
    """Pure: may `user` (launch role `role`) open the traject `plan` (with its `teams`), and as what."""
    subject = str(((plan or {}).get("subject") or {}).get("reference") or "")
    if plan is None or not subject.startswith("Patient/") or not in_programme(plan):
        raise NotFound(NOT_OPENED)
    if role == c.ROLE_COORDINATOR:
        return Opened(subject, role)
    if role not in CASELOAD_ROLES or not user:
        raise NotFound(NOT_OPENED)
    mine = [x for x in teams if str((x.get("subject") or {}).get("reference") or "") == subject]
    decided = decide_role(user, mine, [], today, keys=keys).role
    if decided not in CASELOAD_ROLES:
        raise NotFound(NOT_OPENED)
    return Opened(subject, decided)


def open_traject(
    client: FhirClient,
    ident: str,
    *,
    user: str | None,
    role: str,
    today: date,
    keys: Callable[[], KeySet | None],
) -> Opened:
    """The youth of traject ``ident`` and the caller's role on it, or :class:`NotFound` (see module doc)."""
    page = client.search(
        "CarePlan", {"identifier": traject_token(ident), "_include": "CarePlan:care-team", "_count": "2"}
    )
    plans = [r for r in s.all_matches([page]) if r.get("resourceType") == "CarePlan"]
    teams = [r for r in s.included([page], "CareTeam") if r.get("status") in (None, "active")]
    plan = plans[0] if len(plans) == 1 else None
    return decide_opening(plan, teams, user=user, role=role, today=today, keys=keys())
