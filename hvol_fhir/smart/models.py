"""Records kept server-side between requests: the pending launch and the launch session.

Both serialise to JSON-safe dicts (``to_dict``/``from_dict``) so that any store (memory, sqlite, Redis) can
keep them. They hold secrets (PKCE verifier, tokens), so their ``repr`` leaves those out and they must never
go into a cookie (R7) or a log line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .context import FhirUser, LaunchContext, context_from_dict

LaunchKind = Literal["ehr", "standalone"]


@dataclass(frozen=True)
class PendingLaunch:
    """``state`` -> everything needed to finish the launch (smart-launch.md §1.6); single use, short-lived."""

    state: str = field(repr=False)
    session_id: str = field(repr=False)
    kind: LaunchKind
    iss: str  # the FHIR base exactly as received (EHR launch) or configured (standalone)
    aud: str
    launch: str | None = field(repr=False)
    redirect_uri: str
    code_verifier: str = field(repr=False)
    nonce: str | None = field(repr=False)
    scope: str
    features: tuple[str, ...]
    scope_syntax: str
    created_at: float
    return_to: str | None = None  # app-internal path chosen server-side (never from the callback: R6)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingLaunch:
        data = dict(data)
        data["features"] = tuple(data.get("features") or ())
        return cls(**data)


@dataclass(frozen=True)
class LaunchSession:
    """One completed launch: tokens, context and user. Keyed by ``launch_id``, bound to ``session_id``.

    A browser session may hold several (one per tab); each tab carries its own ``launch_id``, so two tabs
    with two patients never mix.
    """

    launch_id: str
    session_id: str = field(repr=False)
    kind: LaunchKind
    fhir_base: str
    client_id: str
    token_endpoint: str
    access_token: str = field(repr=False)
    expires_at: float
    refresh_token: str | None = field(repr=False)
    requested_scope: str
    granted_scope: str
    scope_syntax: str
    features: tuple[str, ...]
    enabled_features: tuple[str, ...]
    disabled_features: tuple[str, ...]
    context: LaunchContext
    fhir_user: FhirUser | None
    id_token_sub: str | None
    created_at: float
    return_to: str | None = None
    # Traded for a grant with the role's scopes only (renewal.narrow): every refresh asks for that scope.
    narrowed: bool = False

    def has_feature(self, name: str) -> bool:
        return name in self.enabled_features

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["context"] = self.context.to_dict()
        data["fhir_user"] = asdict(self.fhir_user) if self.fhir_user else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LaunchSession:
        data = dict(data)
        data["context"] = context_from_dict(data.get("context") or {})
        data["fhir_user"] = FhirUser(**data["fhir_user"]) if data.get("fhir_user") else None
        for key in ("features", "enabled_features", "disabled_features"):
            data[key] = tuple(data.get(key) or ())
        return cls(**data)
