"""Who the users and youths are, and whose journal each user is cleared for.

Clearance (docs/sandbox-contract.md, ``hvol_journal``): ``["*"]`` for a practitioner with a current
organisation-wide coordinator PractitionerRole (``active`` not false, ``period`` holding today); otherwise the
Patient ids of the active CareTeams (status ``active``, team period holding today) on which the
practitioner is buddy or coach with a participant ``period`` that holds today; nobody else (behavioural
scientist, mentor, other staff) gets any. "Today" is read at every token, refreshes included.

Two implementations of :class:`Directory`: :class:`InMemoryDirectory` (unit tests, demo without HAPI) and
:class:`FhirDirectory` (reads Practitioner, PractitionerRole, CareTeam and Patient from a FHIR server).
The derivation itself is the pure function :func:`derive_clearance`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from joserfc.jwk import KeySet

from hvol_fhir.programme import clock

CARETEAM_ROLE_SYSTEM = "https://hvol-fhir.org/fhir/CodeSystem/careteam-role"
BUDDY, COACH, COORDINATOR = "buddy", "coach", "coordinator"
BEHAVIOURAL_SCIENTIST, MENTOR = "behavioural-scientist", "mentor"
JOURNAL_ROLES = frozenset({BUDDY, COACH})
PROGRAMME_ROLES = frozenset({BUDDY, COACH, BEHAVIOURAL_SCIENTIST})
ALL_CLEARANCE = "*"

# Launcher labels, most significant role first.
ROLE_LABELS: tuple[tuple[str, str], ...] = (
    (COORDINATOR, "coördinator"),
    (BUDDY, "ervaringsmaatje"),
    (COACH, "coach"),
    (BEHAVIOURAL_SCIENTIST, "gedragswetenschapper"),
    (MENTOR, "mentor/groepsleiding"),
)
REGULAR_STAFF_LABEL = "overig personeel"


@dataclass(frozen=True)
class Membership:
    """One role of a practitioner on a youth's CareTeam."""

    patient_id: str
    role: str
    active: bool = True
    # The participant's period as stored (FHIR dateTime strings): issue 14's journal periods.
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class User:
    """A practitioner who can sign in. ``coordinator`` = active organisation-wide coordinator role."""

    id: str
    name: str
    coordinator: bool = False
    org_roles: frozenset[str] = frozenset()
    memberships: tuple[Membership, ...] = ()

    @property
    def fhir_user(self) -> str:
        return f"Practitioner/{self.id}"

    @property
    def roles(self) -> frozenset[str]:
        team_roles = {m.role for m in self.memberships if m.active}
        return self.org_roles | team_roles | ({COORDINATOR} if self.coordinator else set())


@dataclass(frozen=True)
class Youth:
    id: str
    name: str
    birth_date: dt.date | None = None


def derive_clearance(user: User) -> list[str]:
    """The ``hvol_journal`` claim for ``user``: ``["*"]``, sorted Patient ids, or ``[]`` (no claim)."""
    if user.coordinator:
        return [ALL_CLEARANCE]
    return sorted({m.patient_id for m in user.memberships if m.active and m.role in JOURNAL_ROLES})


def derive_journal_periods(user: User) -> dict[str, list[list[str | None]]]:
    """The ``hvol_journal_periods`` claim (issue 14): for each youth whose journal ``user`` is cleared for as
    buddy or coach, the periods of her memberships in those roles, current and past ([start, end], None open).
    HAPI shows her only the journal entries sent within one of them; the coordinator has no limit (no claim).
    """
    if user.coordinator:
        return {}
    return {
        youth: [
            [m.start, m.end] for m in user.memberships if m.patient_id == youth and m.role in JOURNAL_ROLES
        ]
        for youth in derive_clearance(user)
    }


def derive_programme_clearance(user: User) -> list[str]:
    """The ``hvol_programme`` claim: youths whose programme data below the journal (measurement scores,
    confidentiality R + compartment) ``user`` may read: journal readers plus the behavioural scientist."""
    if user.coordinator:
        return [ALL_CLEARANCE]
    return sorted({m.patient_id for m in user.memberships if m.active and m.role in PROGRAMME_ROLES})


def role_label(user: User) -> str:
    roles = user.roles
    for code, label in ROLE_LABELS:
        if code in roles:
            return label
    return REGULAR_STAFF_LABEL


def age_on(birth_date: dt.date | None, today: dt.date) -> int | None:
    """The launcher's age column: the programme's own rule (29 February included), none without a date."""
    return None if birth_date is None else clock.age_on(birth_date, today)


class Directory(Protocol):
    def users(self) -> list[User]: ...

    def user(self, user_id: str) -> User | None:
        """The user with current memberships (re-read on every call: clearance is derived at each token)."""
        ...

    def youths(self) -> list[Youth]: ...

    def youth(self, patient_id: str) -> Youth | None: ...


@dataclass
class InMemoryDirectory:
    """A directory held in memory; ``from_dict`` reads the JSON form used by settings files."""

    user_list: list[User] = field(default_factory=list)
    youth_list: list[Youth] = field(default_factory=list)

    def users(self) -> list[User]:
        return list(self.user_list)

    def user(self, user_id: str) -> User | None:
        return next((u for u in self.user_list if u.id == user_id), None)

    def youths(self) -> list[Youth]:
        return list(self.youth_list)

    def youth(self, patient_id: str) -> Youth | None:
        return next((y for y in self.youth_list if y.id == patient_id), None)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InMemoryDirectory:
        """``{"users": [{"id", "name", "coordinator"?, "roles"?, "teams"?: [{"patient", "role"}]}],
        "youths": [{"id", "name", "birth_date"?}]}``"""
        users = [
            User(
                id=u["id"],
                name=u["name"],
                coordinator=bool(u.get("coordinator", False)),
                org_roles=frozenset(u.get("roles", ())),
                memberships=tuple(
                    Membership(t["patient"], t["role"], t.get("active", True)) for t in u.get("teams", ())
                ),
            )
            for u in data.get("users", ())
        ]
        youths = [
            Youth(y["id"], y["name"], dt.date.fromisoformat(y["birth_date"]) if y.get("birth_date") else None)
            for y in data.get("youths", ())
        ]
        return cls(users, youths)


# --- FHIR ------------------------------------------------------------------------------------------------


def human_name(resource: Mapping[str, Any]) -> str:
    names = resource.get("name") or []
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    if official.get("text"):
        return str(official["text"])
    parts = [*official.get("given", []), official.get("family", "")]
    return " ".join(p for p in parts if p) or str(resource.get("id", "?"))


def _reference_id(reference: Mapping[str, Any] | None, resource_type: str) -> str | None:
    ref = (reference or {}).get("reference", "")
    prefix = f"{resource_type}/"
    # Absolute references end in Type/id too; version suffixes are dropped.
    if prefix not in ref:
        return None
    return ref.split(prefix, 1)[1].split("/")[0] or None


def _programme_roles(concepts: Sequence[Mapping[str, Any]]) -> set[str]:
    return {
        c["code"]
        for concept in concepts
        for c in concept.get("coding", [])
        if c.get("system") == CARETEAM_ROLE_SYSTEM and c.get("code")
    }


def _day(value: Any) -> dt.date | None:
    """The date part of a FHIR date or dateTime; None when it is not a full date (``2025``, ``2025-03``)."""
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def period_is_current(period: Mapping[str, Any] | None, today: dt.date) -> bool:
    """Whether ``today`` lies in a FHIR Period (both ends inclusive, open ends open).

    A bound that is not a full date fails closed: clearance is never derived from a period we cannot read.
    """
    period = period or {}
    start, end = period.get("start"), period.get("end")
    if start:
        day = _day(start)
        if day is None or day > today:
            return False
    if end:
        day = _day(end)
        if day is None or day < today:
            return False
    return True


def _role_is_current(role: Mapping[str, Any], today: dt.date) -> bool:
    """An organisation role counts while ``active`` is not false and its period holds today."""
    return role.get("active", True) is not False and period_is_current(role.get("period"), today)


def careteam_is_current(careteam: Mapping[str, Any], today: dt.date) -> bool:
    """A CareTeam grants anything only while its status is ``active`` and its own period holds today."""
    return careteam.get("status") == "active" and period_is_current(careteam.get("period"), today)


def memberships_from_careteam(
    careteam: Mapping[str, Any], practitioner_id: str, today: dt.date
) -> list[Membership]:
    """The practitioner's programme roles on one CareTeam; ``active`` only while the team is active and the
    participant's own period (start and end) holds ``today`` (a buddy whose participation ended is no longer
    cleared, issue 13 cause 7)."""
    patient_id = _reference_id(careteam.get("subject"), "Patient")
    if not patient_id:
        return []
    team_current = careteam_is_current(careteam, today)
    return [
        Membership(
            patient_id,
            role,
            team_current and period_is_current(participant.get("period"), today),
            (participant.get("period") or {}).get("start"),
            (participant.get("period") or {}).get("end"),
        )
        for participant in careteam.get("participant", [])
        if _reference_id(participant.get("member"), "Practitioner") == practitioner_id
        for role in sorted(_programme_roles(participant.get("role", [])))
    ]


def user_from_fhir(
    practitioner: Mapping[str, Any],
    practitioner_roles: Sequence[Mapping[str, Any]],
    careteams: Sequence[Mapping[str, Any]],
    today: dt.date,
) -> User:
    """Pure: a User from its Practitioner, its PractitionerRoles and the CareTeams it is on."""
    pid = str(practitioner["id"])
    org_roles: set[str] = set()
    for role in practitioner_roles:
        if _reference_id(role.get("practitioner"), "Practitioner") == pid and _role_is_current(role, today):
            org_roles |= _programme_roles(role.get("code", []))
    memberships = tuple(m for ct in careteams for m in memberships_from_careteam(ct, pid, today))
    return User(
        pid,
        human_name(practitioner),
        COORDINATOR in org_roles,
        frozenset(org_roles - {COORDINATOR}),
        memberships,
    )


def youth_from_fhir(patient: Mapping[str, Any]) -> Youth:
    birth = patient.get("birthDate")
    return Youth(
        str(patient["id"]),
        human_name(patient),
        dt.date.fromisoformat(birth) if birth and len(birth) == 10 else None,
    )


class FhirDirectory:
    """Reads the directory from a FHIR server with a bearer token (the sandbox admin token).

    ``token`` is a string or a callable returning a fresh one (e.g. ``TokenIssuer.admin_token``).
    Nothing is cached: a token request sees the CareTeams as they are now.
    """

    def __init__(
        self,
        base_url: str,
        token: str | Callable[[], str],
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        today: Callable[[], dt.date] = dt.date.today,
        membership_keys: Callable[[], KeySet | None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Issue 12: with the app's keys, only memberships it signed count (None: the pre-issue-12 behaviour,
        # kept for directories without a programme app, e.g. unit tests of the launcher).
        self._membership_keys = membership_keys
        self._token = token
        self._session = session or requests.Session()
        self._timeout = timeout
        self._today = today

    def users(self) -> list[User]:
        practitioners = list(self._search("Practitioner", {}))
        roles, careteams = self._signed(
            list(self._search("CareTeam", {})), list(self._search("PractitionerRole", {}))
        )
        today = self._today()
        users = [user_from_fhir(p, roles, careteams, today) for p in practitioners]
        return sorted(users, key=lambda u: u.name)

    def user(self, user_id: str) -> User | None:
        practitioner = self._read("Practitioner", user_id)
        if practitioner is None:
            return None
        ref = f"Practitioner/{user_id}"
        roles, careteams = self._signed(
            list(self._search("CareTeam", {"participant": ref})),
            list(self._search("PractitionerRole", {"practitioner": ref})),
        )
        return user_from_fhir(practitioner, roles, careteams, self._today())

    def _signed(
        self, careteams: list[dict[str, Any]], roles: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(roles, careteams), reduced to the signed memberships when the app's keys are configured."""
        if self._membership_keys is None:
            return roles, careteams
        from sandbox.auth.signed import filter_directory

        teams, kept = filter_directory(careteams, roles, self._membership_keys())
        return kept, teams

    def youths(self) -> list[Youth]:
        return sorted((youth_from_fhir(p) for p in self._search("Patient", {})), key=lambda y: y.name)

    def youth(self, patient_id: str) -> Youth | None:
        patient = self._read("Patient", patient_id)
        return youth_from_fhir(patient) if patient else None

    # -- HTTP --

    def _headers(self) -> dict[str, str]:
        token = self._token() if callable(self._token) else self._token
        return {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}

    def _read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        if not resource_id or "/" in resource_id:
            return None
        response = self._session.get(
            f"{self.base_url}/{resource_type}/{resource_id}", headers=self._headers(), timeout=self._timeout
        )
        if response.status_code in (404, 410):
            return None
        response.raise_for_status()
        return dict(response.json())

    def _search(self, resource_type: str, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        url: str | None = f"{self.base_url}/{resource_type}"
        query: dict[str, str] | None = {**params, "_count": "200"}
        while url:
            response = self._session.get(url, params=query, headers=self._headers(), timeout=self._timeout)
            response.raise_for_status()
            bundle = response.json()
            for entry in bundle.get("entry", []):
                resource = entry.get("resource", {})
                if resource.get("resourceType") == resource_type:
                    yield resource
            url = next(
                (link["url"] for link in bundle.get("link", []) if link.get("relation") == "next"), None
            )
            query = None  # the next link carries its own query
