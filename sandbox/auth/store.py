"""In-memory state of the authorization server: launches, pending authorizations, codes, grants, refresh
tokens and seen client-assertion ids. One lock; everything expires by the injected clock.

A *grant* is what the user authorized for a client (user, scopes, launch context). Codes and refresh tokens
point at it; revoking it (code replay, refresh-token reuse) kills every refresh token issued from it and
marks the access-token ids it produced as revoked.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import InvalidGrant, InvalidRequest


@dataclass(frozen=True)
class LaunchContext:
    """The launch context the EHR hands to the app (SMART App Launch 2.2 §launch context)."""

    user_id: str | None = None
    patient: str | None = None
    encounter: str | None = None
    need_patient_banner: bool | None = None
    smart_style_url: str | None = None
    intent: str | None = None
    tenant: str | None = None
    fhir_context: tuple[Mapping[str, Any], ...] = ()

    def token_fields(self) -> dict[str, Any]:
        """The context fields of a token response; absent values are left out."""
        fields: dict[str, Any] = {
            "patient": self.patient,
            "encounter": self.encounter,
            "need_patient_banner": self.need_patient_banner,
            "smart_style_url": self.smart_style_url,
            "intent": self.intent,
            "tenant": self.tenant,
            "fhirContext": [dict(c) for c in self.fhir_context] or None,
        }
        return {k: v for k, v in fields.items() if v is not None}


@dataclass(frozen=True)
class Launch:
    id: str
    client_id: str
    context: LaunchContext
    expires_at: float


@dataclass(frozen=True)
class PendingAuthorization:
    """An accepted /authorize request waiting for the user (login) or a patient choice."""

    id: str
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str
    code_challenge: str
    nonce: str | None
    context: LaunchContext
    needs_patient: bool
    expires_at: float


@dataclass
class Grant:
    id: str
    client_id: str
    user_id: str | None
    scope: tuple[str, ...]
    context: LaunchContext
    nonce: str | None = None
    revoked: bool = False
    refresh_token: str | None = None
    access_jtis: list[str] = field(default_factory=list)


@dataclass
class AuthorizationCode:
    grant_id: str
    redirect_uri: str
    code_challenge: str
    expires_at: float
    used: bool = False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class AuthStore:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._launches: dict[str, Launch] = {}
        self._pending: dict[str, PendingAuthorization] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._grants: dict[str, Grant] = {}
        self._refresh: dict[str, tuple[str, float]] = {}  # token -> (grant id, expires_at), rotated ones too
        self._jtis: dict[tuple[str, str], float] = {}
        self.revoked_jtis: set[str] = set()

    # -- launches --

    def add_launch(self, client_id: str, context: LaunchContext, lifetime: int) -> str:
        launch_id = new_secret()
        with self._lock:
            self._launches[launch_id] = Launch(launch_id, client_id, context, self.clock() + lifetime)
        return launch_id

    def take_launch(self, launch_id: str, client_id: str) -> Launch:
        """Single use: the launch is consumed by the client it was made for."""
        with self._lock:
            launch = self._launches.get(launch_id)
            if launch is None or launch.expires_at < self.clock():
                self._launches.pop(launch_id, None)
                raise InvalidRequest("onbekende, verlopen of al gebruikte launch")
            if launch.client_id != client_id:
                raise InvalidRequest("launch hoort bij een andere app")
            del self._launches[launch_id]
            return launch

    # -- pending authorizations --

    def add_pending(self, pending: PendingAuthorization) -> None:
        with self._lock:
            self._pending[pending.id] = pending

    def pending(self, pending_id: str) -> PendingAuthorization | None:
        with self._lock:
            pending = self._pending.get(pending_id)
            if pending and pending.expires_at < self.clock():
                del self._pending[pending_id]
                return None
            return pending

    def update_pending(self, pending: PendingAuthorization, **changes: Any) -> PendingAuthorization:
        updated = replace(pending, **changes)
        with self._lock:
            self._pending[pending.id] = updated
        return updated

    def drop_pending(self, pending_id: str) -> None:
        with self._lock:
            self._pending.pop(pending_id, None)

    # -- codes and grants --

    def issue_code(self, pending: PendingAuthorization, lifetime: int) -> str:
        grant = Grant(
            new_secret(),
            pending.client_id,
            pending.context.user_id,
            pending.scope,
            pending.context,
            pending.nonce,
        )
        code = new_secret()
        with self._lock:
            self._pending.pop(pending.id, None)
            self._grants[grant.id] = grant
            self._codes[code] = AuthorizationCode(
                grant.id, pending.redirect_uri, pending.code_challenge, self.clock() + lifetime
            )
        return code

    def redeem_code(self, code: str, client_id: str) -> tuple[AuthorizationCode, Grant]:
        """Marks the code used. A second use revokes everything issued from it (RFC 6749 §4.1.2)."""
        with self._lock:
            record = self._codes.get(code)
            grant = self._grants.get(record.grant_id) if record else None
            if record is None or grant is None:
                raise InvalidGrant("onbekende code")
            if grant.client_id != client_id:
                raise InvalidGrant("code hoort bij een andere client")
            if record.used:
                self._revoke(grant)
                raise InvalidGrant("code is al gebruikt; de tokens ervan zijn ingetrokken")
            record.used = True
            if record.expires_at < self.clock():
                raise InvalidGrant("code is verlopen")
            return record, grant

    def new_client_grant(self, client_id: str, scope: tuple[str, ...]) -> Grant:
        grant = Grant(new_secret(), client_id, None, scope, LaunchContext())
        with self._lock:
            self._grants[grant.id] = grant
        return grant

    def record_access_token(self, grant: Grant, jti: str) -> None:
        with self._lock:
            grant.access_jtis.append(jti)

    def grant_revoked(self, grant_id: str) -> bool:
        with self._lock:
            grant = self._grants.get(grant_id)
            return grant is None or grant.revoked

    def _revoke(self, grant: Grant) -> None:
        grant.revoked = True
        grant.refresh_token = None
        self.revoked_jtis.update(grant.access_jtis)

    # -- refresh tokens --

    def issue_refresh_token(self, grant: Grant, lifetime: int) -> str:
        token = new_secret()
        with self._lock:
            grant.refresh_token = token
            self._refresh[token] = (grant.id, self.clock() + lifetime)
        return token

    def use_refresh_token(
        self, token: str, client_id: str, check: Callable[[Grant], None] = lambda grant: None
    ) -> Grant:
        """The grant of a current refresh token, rotated out. Reuse of a rotated one revokes the grant.

        ``check`` may refuse the request (e.g. a wider scope) before the token is rotated out.
        """
        with self._lock:
            grant_id, expires_at = self._refresh.get(token, ("", 0.0))
            grant = self._grants.get(grant_id)
            if grant is None or grant.revoked or expires_at < self.clock():
                raise InvalidGrant("onbekend, verlopen of ingetrokken refresh token")
            if grant.client_id != client_id:
                raise InvalidGrant("refresh token hoort bij een andere client")
            if grant.refresh_token != token:
                self._revoke(grant)
                raise InvalidGrant("refresh token was al vervangen; de toestemming is ingetrokken")
            check(grant)
            grant.refresh_token = None  # rotated: the caller issues the next one
            return grant

    # -- client assertions --

    def remember_assertion(self, client_id: str, jti: str, expires_at: float) -> bool:
        """False when this client already used this ``jti`` (replay)."""
        now = self.clock()
        with self._lock:
            for key in [k for k, exp in self._jtis.items() if exp < now]:
                del self._jtis[key]
            if (client_id, jti) in self._jtis:
                return False
            self._jtis[(client_id, jti)] = expires_at
            return True
