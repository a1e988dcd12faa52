"""The user's programme role and the narrowest scopes it needs.

Role (design.md "Launch and roles"): from the youth's CareTeam (participant whose ``member`` is the user's
``fhirUser`` with a ``careteam-role`` code and a current period), or an active organisation-wide
PractitionerRole with the code ``coordinator``. Everybody else is regular staff, who gets the programme card
only; a mentor counts as regular staff too (P-MENTOR: told *that* a contact happens, never its content).

How the app can know the role before asking scopes (it cannot: the EHR launch names no user, and its
``launch`` value is single use, so there is no second authorization for the same launch):

1. the authorization request asks for the *union* of the role scopes, which includes what role discovery
   needs (``openid fhirUser``, ``patient/CareTeam.rs``, ``user/PractitionerRole.rs``, ``user/Practitioner.r``,
   ``patient/Patient.r``) and ``online_access``;
2. right after the code exchange the app reads ``fhirUser``, the CareTeam and the PractitionerRoles with that
   first access token, and nothing else;
3. it then *narrows* the grant: a refresh with ``scope`` = the role's own set (a subset: R107, R108). The
   first, broader access token is thrown away and never stored; every later refresh asks for the same
   narrow set.
   If the server gives no refresh token or refuses to narrow, the app keeps the first token but switches off
   every feature the role does not have, and logs that the narrowing failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet

from hvol_fhir.programme import codes
from hvol_fhir.sealing import membership
from hvol_fhir.smart import FEATURES, ROLE_FEATURES
from hvol_fhir.terminology import cs_url

STAFF = "staff"
CARETEAM_ROLE_SYSTEM = cs_url(codes.CARETEAM_ROLE)
# Most significant first: a user with two roles on one team gets the wider one.
PRECEDENCE: tuple[str, ...] = (
    codes.ROLE_COORDINATOR,
    codes.ROLE_BUDDY,
    codes.ROLE_COACH,
    codes.ROLE_BEHAVIOURAL_SCIENTIST,
    codes.ROLE_MENTOR,
    STAFF,
)
# App policy on top of the library's feature table: the mentor gets the programme card only (P-MENTOR).
APP_ROLE_FEATURES: Mapping[str, tuple[str, ...]] = {**ROLE_FEATURES, codes.ROLE_MENTOR: ROLE_FEATURES[STAFF]}
# What the first authorization request asks for: every role's features (role discovery is part of them).
UNION_FEATURES: tuple[str, ...] = tuple(dict.fromkeys(f for r in PRECEDENCE for f in APP_ROLE_FEATURES[r]))
ROLE_LABELS: Mapping[str, str] = {
    codes.ROLE_COORDINATOR: "Coördinator",
    codes.ROLE_BUDDY: "Ervaringsmaatje",
    codes.ROLE_COACH: "Coach",
    codes.ROLE_BEHAVIOURAL_SCIENTIST: "Gedragswetenschapper",
    codes.ROLE_MENTOR: "Jeugdzorgwerker / mentor",
    STAFF: "Medewerker (geen rol in het programma)",
}


@dataclass(frozen=True)
class RoleDecision:
    role: str
    source: str  # "careteam", "practitionerrole", "none" or "unknown" (could not be determined)

    @property
    def features(self) -> tuple[str, ...]:
        return APP_ROLE_FEATURES[self.role]


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
    (issue 12: a participant written into the CareTeam by hand grants nothing; ``keys`` None: no keys, no
    role)."""
    roles: set[str] = set()
    if keys is None:
        return roles
    for team in careteams:
        if team.get("resourceType") != "CareTeam" or team.get("status") not in (None, "active"):
            continue
        for m in membership.verified_members(team, keys):
            if m.role in APP_ROLE_FEATURES and _ref_matches({"reference": m.member}, user_ref):
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
        and codes.ROLE_COORDINATOR in membership.verified_role_codes(pr, keys)
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
        return RoleDecision(codes.ROLE_COORDINATOR, "practitionerrole")
    roles = careteam_roles(careteams, user_ref, today, keys)
    for role in PRECEDENCE:
        if role in roles:
            return RoleDecision(role, "careteam")
    return RoleDecision(STAFF, "none")


def feature_labels(names: Iterable[str]) -> list[str]:
    return [FEATURES[n].label for n in names if n in FEATURES]


def age_on(birth_date: str | None, today: dt.date) -> int | None:
    """Age in whole years on ``today`` from a FHIR ``birthDate`` (only full dates give an age)."""
    if not birth_date or len(birth_date) != 10:
        return None
    born = dt.date.fromisoformat(birth_date)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def display_name(resource: Mapping[str, Any] | None) -> str | None:
    """``name.text`` of the official (else first) name, or given + family."""
    names = (resource or {}).get("name") or []
    if not names:
        return None
    name = next((n for n in names if n.get("use") == "official"), names[0])
    if name.get("text"):
        return str(name["text"])
    parts = [*name.get("given", []), name.get("family", "")]
    return " ".join(str(p) for p in parts if p) or None
