"""SMART scopes: parsing v1/v2 resource scopes and deciding which requested scopes a client may have.

SMART App Launch 2.2, scopes-and-launch-context.html. v1 ``.read`` = v2 ``.rs``, ``.write`` = ``.cud``,
``.*`` = ``.cruds``. A requested scope is granted when an allowed scope of the client covers it (same
context, same or wildcard type, a superset of the permissions, no or the same query); any other scope
(``openid``, ``launch/patient``, ``offline_access`` …) only when the client is allowed exactly that string.
The granted scopes are the requested strings themselves, in request order, so the client sees its own syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_V1_PERMS = {"read": "rs", "write": "cud", "*": "cruds"}
_RESOURCE_SCOPE = re.compile(
    r"^(?P<context>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]+)\.(?P<perms>read|write|\*|c?r?u?d?s?)"
    r"(?:\?(?P<query>.+))?$"
)

REFRESH_SCOPES = frozenset({"offline_access", "online_access"})


@dataclass(frozen=True)
class ResourceScope:
    context: str
    resource_type: str
    permissions: frozenset[str]
    query: str | None

    def covers(self, other: ResourceScope) -> bool:
        return (
            self.context == other.context
            and self.resource_type in ("*", other.resource_type)
            and other.permissions <= self.permissions
            and (self.query is None or self.query == other.query)
        )


def parse_resource_scope(scope: str) -> ResourceScope | None:
    """The parsed form of a resource scope, or None for anything else (``openid``, ``launch``, …)."""
    match = _RESOURCE_SCOPE.match(scope)
    if not match or not match["perms"]:
        return None
    perms = _V1_PERMS.get(match["perms"], match["perms"])
    return ResourceScope(match["context"], match["type"], frozenset(perms), match["query"])


def split_scope(scope: str | None) -> list[str]:
    """Scopes in order, duplicates dropped."""
    return list(dict.fromkeys((scope or "").split()))


def grant_scopes(requested: Iterable[str], allowed: Iterable[str]) -> list[str]:
    """The requested scopes the client's allowed scopes cover (requested ∩ allowed)."""
    allowed = list(allowed)
    allowed_resource = [parsed for parsed in map(parse_resource_scope, allowed) if parsed]
    granted = []
    for scope in requested:
        parsed = parse_resource_scope(scope)
        if scope in allowed or (parsed and any(a.covers(parsed) for a in allowed_resource)):
            granted.append(scope)
    return granted


def is_system_scope(scope: str) -> bool:
    return scope.startswith("system/")


def wants_refresh(scopes: Iterable[str]) -> bool:
    return not REFRESH_SCOPES.isdisjoint(scopes)
