"""SMART scopes: v1/v2 syntax, choosing one, requests for a set of features, and granted-vs-requested
comparison.

Grammar (scopes-and-launch-context.html): v2 ``patient|user|system/<Type|*>.<cruds in order>[?query]``
(R132, R135), v1 ``.../<Type|*>.read|write|*``; ``.read`` = ``.rs``, ``.write`` = ``.cud``,
``.*`` = ``.cruds``.
One request uses one syntax, never both (§1.14): v2 when the server advertises ``permission-v2`` unless the
issuer's registration says otherwise. Grants are parsed in either syntax, whatever was asked.

A request asks for the union of its features' permissions, merged into one scope per resource type (shortest
form, R131; least privilege, R46). The features themselves are the caller's (the programme's role policy).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .errors import ScopeSyntaxError

ScopeSyntax = Literal["v1", "v2"]
Context = Literal["patient", "user", "system"]
LETTERS = "cruds"
_V1_TO_LETTERS = {"read": "rs", "write": "cud", "*": "cruds"}
_RESOURCE = re.compile(r"^(patient|user|system)/([A-Za-z]+|\*)\.([a-z*]+)(\?.*)?$")


@dataclass(frozen=True, order=True)
class Permission:
    """``letters`` on ``resource`` in ``context``; letters are a subset of ``cruds``."""

    context: Context
    resource: str
    letters: str

    def __post_init__(self) -> None:
        if not self.letters or any(c not in LETTERS for c in self.letters):
            raise ScopeSyntaxError(f"bad permission letters {self.letters!r}")


@dataclass(frozen=True)
class ResourceScope:
    """A parsed resource scope; ``query`` (v2 only) narrows it (R132)."""

    context: Context
    resource: str
    letters: frozenset[str]
    query: str = ""
    syntax: ScopeSyntax = "v2"

    def covers(self, perm: Permission) -> bool:
        """Whether this grant allows all that ``perm`` asks; a query-restricted grant never does."""
        if self.query:
            return False
        # user-level access includes the launch patient's data; system covers only system.
        context_ok = self.context == perm.context or (self.context == "user" and perm.context == "patient")
        return context_ok and self.resource in (perm.resource, "*") and set(perm.letters) <= self.letters


def parse_resource_scope(scope: str) -> ResourceScope | None:
    """Parse one v1 or v2 resource scope; ``None`` for non-resource scopes (openid, launch, extensions)."""
    m = _RESOURCE.match(scope)
    if not m:
        return None
    context, resource, perms, query = m.group(1), m.group(2), m.group(3), m.group(4) or ""
    ctx: Context = "patient" if context == "patient" else "user" if context == "user" else "system"
    if perms in _V1_TO_LETTERS and not query:
        return ResourceScope(ctx, resource, frozenset(_V1_TO_LETTERS[perms]), syntax="v1")
    # v2 letters must be a non-empty, ordered subset of cruds (R135).
    if perms != "".join(c for c in LETTERS if c in perms) or len(set(perms)) != len(perms):
        return None
    return ResourceScope(ctx, resource, frozenset(perms), query[1:])


def choose_syntax(capabilities: Iterable[str], override: ScopeSyntax | None = None) -> ScopeSyntax:
    """Per-issuer override first, else v2 if ``permission-v2`` is advertised, else v1 (§1.14)."""
    if override:
        return override
    return "v2" if "permission-v2" in set(capabilities) else "v1"


def render(perm_letters: Mapping[tuple[Context, str], str], syntax: ScopeSyntax) -> list[str]:
    """One scope per (context, resource), in the chosen syntax only."""
    out: list[str] = []
    for (context, resource), letters in sorted(perm_letters.items()):
        ordered = "".join(c for c in LETTERS if c in letters)
        if syntax == "v2":
            out.append(f"{context}/{resource}.{ordered}")
            continue
        # v1 cannot say "c without d": it rounds up to .write; .read + .write is .*
        reads, writes = set(ordered) & set("rs"), set(ordered) & set("cud")
        suffix = "*" if reads and writes else "read" if reads else "write"
        out.append(f"{context}/{resource}.{suffix}")
    return out


# --- features: what a part of the app needs ---------------------------------------------------------------


@dataclass(frozen=True)
class Feature:
    """A part of the app that works only with ``needs``; ``label`` is shown to users (Dutch).

    Which features exist and which role gets them is the programme's policy (``hvol_fhir.privacy.features``),
    not protocol."""

    name: str
    label: str
    needs: tuple[Permission, ...]
    identity: bool = False  # needs openid + fhirUser (who the user is)


@dataclass(frozen=True)
class ScopeRequest:
    """What to ask for: resource scopes for the features in ``wants`` plus launch, identity and refresh
    scopes."""

    wants: tuple[Feature, ...]
    scopes: tuple[str, ...]
    syntax: ScopeSyntax

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.wants)

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


def build_request(
    features: Iterable[Feature],
    syntax: ScopeSyntax,
    *,
    ehr_launch: bool,
    standalone_context: Iterable[str] = ("patient",),
    offline: bool = False,
) -> ScopeRequest:
    """The scope string for ``features`` in exactly one syntax."""
    wants = tuple({f.name: f for f in features}.values())
    merged: dict[tuple[Context, str], str] = {}
    identity = False
    for feature in wants:
        identity = identity or feature.identity
        for perm in feature.needs:
            key = (perm.context, perm.resource)
            merged[key] = "".join(sorted(set(merged.get(key, "")) | set(perm.letters)))
    scopes: list[str] = []
    if ehr_launch:
        scopes.append("launch")  # R35 goes with the launch parameter; launch/patient is not a substitute
    else:
        scopes.extend(f"launch/{kind.lower()}" for kind in standalone_context)  # R152, R153, R166
    if identity:
        scopes.extend(["openid", "fhirUser"])  # R47, R195
    scopes.append("offline_access" if offline else "online_access")  # R215, R216
    scopes.extend(render(merged, syntax))
    return ScopeRequest(wants, tuple(scopes), syntax)


def granted_scopes(scope: str | None, requested: ScopeRequest) -> tuple[str, ...]:
    """The grant: the response's ``scope`` or, when absent, what was asked (RFC 6749 §5.1)."""
    return tuple(scope.split()) if scope is not None else requested.scopes


@dataclass(frozen=True)
class ScopeReport:
    """Which requested features the grant supports, and a Dutch message for the ones that are off."""

    enabled: tuple[str, ...]
    disabled: tuple[str, ...]
    missing: tuple[str, ...]  # requested scopes absent from the grant (for the log)

    @property
    def complete(self) -> bool:
        return not self.disabled


def as_permission(scope: ResourceScope) -> Permission:
    return Permission(scope.context, scope.resource, "".join(c for c in LETTERS if c in scope.letters))


def covered_by(scope: str, grant: Iterable[str]) -> bool:
    """Whether asking for ``scope`` stays within ``grant`` (R108): a resource scope some granted scope
    covers, or a non-resource scope (launch, openid, ...) granted as the same string."""
    grant = tuple(grant)
    parsed = parse_resource_scope(scope)
    if parsed is None:
        return scope in grant
    if parsed.query:
        return scope in grant
    perm = as_permission(parsed)
    return any(g is not None and g.covers(perm) for g in (parse_resource_scope(x) for x in grant))


def wider_than(granted: Iterable[str], asked: Iterable[str]) -> tuple[str, ...]:
    """The granted resource scopes that nothing in ``asked`` covers; empty when the grant is within it.

    A query-restricted grant counts as its unrestricted permission (a server that ignores queries would give
    that). Non-resource scopes (``launch``, ``openid``, ``online_access``) give no data and are not counted.
    """
    asked_parsed = [a for a in (parse_resource_scope(x) for x in asked) if a is not None]
    out: list[str] = []
    for scope in granted:
        parsed = parse_resource_scope(scope)
        if parsed is None:
            continue
        perm = as_permission(parsed)
        if not any(a.covers(perm) for a in asked_parsed):
            out.append(scope)
    return tuple(out)


def compare(requested: ScopeRequest, granted: Iterable[str]) -> ScopeReport:
    """Switch off every feature whose permissions the grant does not cover (R147)."""
    granted_set = set(granted)
    parsed = [s for s in (parse_resource_scope(g) for g in granted_set) if s is not None]
    has_identity = {"openid", "fhirUser"} <= granted_set
    enabled: list[str] = []
    disabled: list[str] = []
    for feature in requested.wants:
        ok = all(any(g.covers(p) for g in parsed) for p in feature.needs)
        if feature.identity and not has_identity:
            ok = False
        (enabled if ok else disabled).append(feature.name)
    missing = tuple(s for s in requested.scopes if s not in granted_set)
    return ScopeReport(tuple(enabled), tuple(disabled), missing)
