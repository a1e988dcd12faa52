"""What one app instance holds: its key, allowlist, store and launch service (``app.extensions['hvol']``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from hvol_fhir.sealing.vaults import Vaults
from hvol_fhir.smart import IssuerRegistry
from hvol_fhir.smart.keys import SigningKey

from .launches import LaunchService
from .sessions import AppLaunchStore


@dataclass
class AppState:
    key: SigningKey
    registry: IssuerRegistry
    store: AppLaunchStore
    service: LaunchService
    vaults: Vaults
    previous_keys: tuple[SigningKey, ...] = ()  # published in the JWK Set, never used to sign


def state() -> AppState:
    return current_app.extensions["hvol"]  # type: ignore[no-any-return]
