"""The programme's role policy, part 2: who has which role on this youth, and what that role may do.

Role (design.md "Launch and roles"): from the youth's CareTeam (a participant whose ``member`` is the user's
``fhirUser`` with a ``careteam-role`` code and a current period), or an active organisation-wide
PractitionerRole with the code ``coordinator``. Only memberships the organisation's key signed count (issue
12, :mod:`hvol_fhir.sealing.membership`): a participant written into the CareTeam by hand grants nothing.
Everybody else is regular staff, who gets the programme card only; so does a mentor (P-MENTOR).

Views and templates ask a :class:`RolePolicy` rather than comparing role codes themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet

from hvol_fhir import terminology as t
from hvol_fhir.privacy import access
from hvol_fhir.privacy.features import (
    PRECEDENCE,
    ROLE_FEATURES,
    STAFF,
    card_only,
    features_of,
    may,
    role_label,
)
from hvol_fhir.programme import codes as c
from hvol_fhir.sealing import membership

CARETEAM_ROLE_SYSTEM = t.cs_url(c.CARETEAM_ROLE)


@dataclass(frozen=True)
class RolePolicy:
    """What the user's role on this youth allows, as the pages ask it."""

    role: str

    @property
    def label(self) -> str:
        return role_label(self.role)

    @property
    def features(self) -> tuple[str, ...]:
        return features_of(self.role)

    @property
    def card_only(self) -> bool:
        return card_only(self.role)

    @property
    def reads_journal(self) -> bool:
        return access.may_read_journal(self.role)

    @property
    def manages_programme(self) -> bool:
        """Traject, team, consent, waiting list and the overview of all trajects (the coordinator)."""
        return access.may_manage_traject(self.role)

    def has(self, feature: str) -> bool:
        return feature in self.features

    def may(self, action: str) -> bool:
        """A page action of :data:`hvol_fhir.privacy.features.PAGE_ACTIONS`."""
        return may(self.role, action)


@dataclass(frozen=True)
class RoleDecision(RolePolicy):
    """The role decided at the launch, and how."""

    source: str  # "careteam", "practitionerrole", "none" or "unknown" (could not be determined)


def _ref_matches(reference: Mapping[str, Any] | None, user_ref: str) -> bool:
    """``Practitioner/x`` matches ``Practitioner/x``, ``https://…/Practitioner/x`` and ``…/_history/n``."""
    ref = str((reference or {}).get("reference") or "")
    if "/_history/" in ref:
        ref = ref.split("/_history/", 1)[0]
    return ref == user_ref or ref.endswith("/" + user_ref)


def _current(period: Mapping[str, Any] | None, today: dt.date) -> bool:
    period = period or {}
    start, end = period.get("start"), period.get("end")
    if start and dt.date.fromisoformat(str(start)[:10]) > today:
        return False
    return not end or dt.date.fromisoformat(str(end)[:10]) >= today


def careteam_roles(
    careteams: Sequence[Mapping[str, Any]], user_ref: str, today: dt.date, keys: KeySet | None
) -> set[str]:
    """The user's current roles on the youth's active CareTeams, as far as the app's signature covers them
    (``keys`` None: no keys, no role)."""
    roles: set[str] = set()
    if keys is None:
        return roles
    for team in careteams:
        if team.get("resourceType") != "CareTeam" or team.get("status") not in (None, "active"):
            continue
        for m in membership.verified_members(team, keys):
            if m.role in ROLE_FEATURES and _ref_matches({"reference": m.member}, user_ref):
                if _current({"start": m.start, "end": m.end}, today):
                    roles.add(m.role)
    return roles


def is_coordinator(
    practitioner_roles: Sequence[Mapping[str, Any]], user_ref: str, today: dt.date, keys: KeySet | None
) -> bool:
    """An active organisation-wide PractitionerRole with the code ``coordinator``, signed by the app."""
    return keys is not None and any(
        pr.get("resourceType") == "PractitionerRole"
        and pr.get("active", True) is not False
        and _ref_matches(pr.get("practitioner"), user_ref)
        and _current(pr.get("period"), today)
        and c.ROLE_COORDINATOR in membership.verified_role_codes(pr, keys)
        for pr in practitioner_roles
    )


def decide_role(
    user_ref: str | None,
    careteams: Sequence[Mapping[str, Any]],
    practitioner_roles: Sequence[Mapping[str, Any]],
    today: dt.date,
    *,
    keys: KeySet | None,
) -> RoleDecision:
    """Pure: the programme role of ``user_ref`` (``Practitioner/<id>``) for this youth, from memberships the
    organisation's key (``keys``: its public signing keys) signed; None (keys unavailable) grants nothing."""
    if not user_ref:
        return RoleDecision(STAFF, "unknown")
    if is_coordinator(practitioner_roles, user_ref, today, keys):
        return RoleDecision(c.ROLE_COORDINATOR, "practitionerrole")
    roles = careteam_roles(careteams, user_ref, today, keys)
    for role in PRECEDENCE:
        if role in roles:
            return RoleDecision(role, "careteam")
    return RoleDecision(STAFF, "none")
