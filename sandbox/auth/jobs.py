"""Per-job scopes: what each demo user's job would get in a real EHR, whatever an app asks for.

A real EHR does not hand ``user/*.cruds`` to everyone who signs in: a group worker reads the record and writes
a little, a buddy sees only the programme's own resources (P-ASSESS), the coordinator manages trajects. The
authorization server therefore grants at every token (code exchange, refresh, ``/dev/token``) the
*intersection* of what was asked, what the client may have, and what the user's job allows. The job follows
from the same directory as the clearance (:attr:`User.roles`), re-read at every token: a buddy whose
participation ended loses her buddy scopes at the next refresh.

Pure functions only; the table is data (docs/sandbox-contract.md, "Scopes per job").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .directory import BEHAVIOURAL_SCIENTIST, BUDDY, COACH, COORDINATOR, MENTOR, User
from .scopes import ResourceScope, parse_resource_scope

STAFF = "staff"  # every practitioner without a programme role

# Everybody may look up who colleagues are (the app reads fhirUser's PractitionerRoles to find the role).
_IDENTITY = ("user/Practitioner.rs", "user/PractitionerRole.rs", "user/Organization.rs")
# A youth-care worker reads the record and writes a little: notes, observations, contacts, tasks.
_STAFF = (
    "user/*.rs",
    "user/Communication.cu",
    "user/Observation.cu",
    "user/Encounter.cu",
    "user/Task.cu",
)
# The buddy (and her coach) see the programme's own resources of their youths and the youth's name and age,
# nothing else of the record (P-ASSESS); the server's journal hiding confines the journal to their youths.
_PROGRAMME_MEMBER = (
    "user/Patient.rs",
    "user/CarePlan.rus",
    "user/CareTeam.rs",
    "user/Encounter.crus",
    "user/Communication.crus",
    "user/AuditEvent.c",
    "user/QuestionnaireResponse.crus",
    "user/Questionnaire.rs",
    "user/Task.crus",
    "user/EpisodeOfCare.rs",
)
_BEHAVIOURAL_SCIENTIST = (
    *_STAFF,
    "user/CarePlan.cru",
    "user/CareTeam.cru",
    "user/QuestionnaireResponse.cru",
    "user/EpisodeOfCare.cru",
    "user/Observation.cru",
    "user/AuditEvent.c",  # issue 15: her reading of an escalation she was involved in is audited
)
_COORDINATOR = (
    *_STAFF,
    "user/Patient.u",
    "user/CarePlan.cru",
    "user/CareTeam.cru",
    "user/Encounter.cru",
    "user/Communication.cru",
    "user/Consent.cru",
    "user/RelatedPerson.crs",  # issue 14: a parent's or guardian's consent names the person
    "user/QuestionnaireResponse.cru",
    "user/AuditEvent.c",
    "user/Task.cru",
    "user/EpisodeOfCare.cru",
    "user/Observation.cru",
)

JOB_SCOPES: Mapping[str, tuple[str, ...]] = {
    STAFF: _STAFF,
    MENTOR: _STAFF,
    BUDDY: _PROGRAMME_MEMBER,
    COACH: _PROGRAMME_MEMBER,
    BEHAVIOURAL_SCIENTIST: _BEHAVIOURAL_SCIENTIST,
    COORDINATOR: _COORDINATOR,
}
_LETTERS = "cruds"


def jobs_of(user: User) -> tuple[str, ...]:
    """The user's jobs: her current programme roles, or regular staff when she has none."""
    roles = sorted(user.roles & JOB_SCOPES.keys())
    return tuple(roles) or (STAFF,)


# Issue 15: jobs whose user/ scopes the server confines to the youths of her own signed memberships.
CASELOAD_JOBS = frozenset({BUDDY, COACH})


def caseload_of(user: User) -> list[str] | None:
    """The ``hvol_caseload`` claim: for a user whose every job is buddy or coach, the sorted Patient ids of
    her current (signed) buddy and coach memberships, to which HAPI confines her user/ requests; ``None`` (no
    claim, not confined by it) for anyone else. The memberships are the directory's, which counts only those
    the app signed: a CareTeam she wrote herself adds no girl (tests/security/test_self_grant.py)."""
    if user.coordinator or not set(jobs_of(user)) <= CASELOAD_JOBS:
        return None
    return sorted({m.patient_id for m in user.memberships if m.active and m.role in CASELOAD_JOBS})


def job_scopes(user: User) -> tuple[str, ...]:
    """The resource scopes ``user``'s jobs allow together (identity look-ups included), in a stable order."""
    out = [*_IDENTITY]
    for job in jobs_of(user):
        out.extend(JOB_SCOPES[job])
    return tuple(dict.fromkeys(out))


def _intersect(asked: ResourceScope, allowed: ResourceScope) -> str | None:
    """The part of ``asked`` that ``allowed`` covers, as a v2 scope string, or None."""
    if asked.query or allowed.query:
        return None  # granular scopes are never widened or guessed at
    # A user-level job scope covers the same access at patient level (the launch patient is one of hers).
    if not (allowed.context == asked.context or (allowed.context == "user" and asked.context == "patient")):
        return None
    if allowed.resource_type == "*":
        resource_type = asked.resource_type
    elif asked.resource_type in ("*", allowed.resource_type):
        resource_type = allowed.resource_type
    else:
        return None
    letters = "".join(c for c in _LETTERS if c in asked.permissions & allowed.permissions)
    return f"{asked.context}/{resource_type}.{letters}" if letters else None


def cap_to_job(requested: Iterable[str], user: User) -> tuple[str, ...]:
    """``requested`` cut down to what ``user``'s job allows.

    Non-resource scopes (``launch``, ``openid``, ``fhirUser``, ``offline_access`` …) pass unchanged: the
    client registration decides those. A resource scope the job covers whole is kept as asked (the app sees
    its own syntax); one it covers in part becomes the covered parts in v2 syntax (``patient/*.cruds`` for a
    buddy becomes ``patient/Encounter.crus``, ``patient/Communication.crus`` …); one it does not cover is
    dropped.
    """
    allowed = [parsed for parsed in map(parse_resource_scope, job_scopes(user)) if parsed]
    out: list[str] = []
    for scope in requested:
        asked = parse_resource_scope(scope)
        if asked is None:
            out.append(scope)
            continue
        parts = _merged([p for p in (_intersect(asked, a) for a in allowed) if p])
        whole = (
            f"{asked.context}/{asked.resource_type}.{''.join(c for c in _LETTERS if c in asked.permissions)}"
        )
        out.extend([scope] if whole in parts and not asked.query else parts)
    return tuple(dict.fromkeys(out))


def _merged(parts: list[str]) -> list[str]:
    """Covered parts of one asked scope, one scope per context and type: ``user/*.rs`` and
    ``user/CarePlan.cru`` together cover ``patient/CarePlan.crus`` whole, and the grant says so in one scope
    (a client checks each of its scopes against one granted scope, not against a sum of several)."""
    letters: dict[str, set[str]] = {}
    for part in parts:
        prefix, _, perms = part.rpartition(".")
        letters.setdefault(prefix, set()).update(perms)
    return [f"{prefix}.{''.join(c for c in _LETTERS if c in perms)}" for prefix, perms in letters.items()]
