"""SMART App Launch 2.2 and Backend Services client, without a web framework.

Specification: https://hl7.org/fhir/smart-app-launch/STU2.2/ (requirement ids R# as in
``shared/reference/smart-launch.md``). Modules follow the protocol's steps: ``registration`` (issuer
allowlist), ``discovery``, ``authorize`` (+ ``pkce``), ``token`` (client authentication, code exchange,
refresh), ``idtoken``, ``context``, ``scopes`` (syntax only: which features exist and which role gets them
is the programme's policy, ``hvol_fhir.privacy.features``), ``store``, ``launch`` (the API for the web layer)
with ``renewal`` (narrowing and refresh after the launch), ``backend`` (Backend Services) and ``keys`` (the
app's JWK Set).
"""

from .backend import BackendServicesClient
from .context import FhirContextItem, FhirUser, LaunchContext
from .discovery import Discovery, SmartConfiguration
from .errors import (
    AuthorizationDenied,
    ConfigurationError,
    DiscoveryError,
    IdTokenInvalid,
    InsecureTransport,
    InvalidGrant,
    InvalidState,
    InvalidTokenResponse,
    IssuerNotAllowed,
    LaunchExpired,
    LaunchRequestInvalid,
    NarrowingFailed,
    RelaunchRequired,
    ScopeSyntaxError,
    SessionIdle,
    SmartError,
    TokenRequestFailed,
    UnknownLaunch,
)
from .idtoken import IdTokenValidator
from .keys import load_signing_key, public_jwks, public_jwks_json
from .launch import SmartLauncher
from .models import LaunchSession, PendingLaunch
from .registration import ClientRegistration, IssuerRegistry
from .scopes import Feature, Permission, ScopeRequest
from .store import LaunchStore, MemoryLaunchStore
from .token import ClientSecretBasic, PrivateKeyJwt, PublicClient

__all__ = [
    "AuthorizationDenied",
    "BackendServicesClient",
    "ClientRegistration",
    "ClientSecretBasic",
    "ConfigurationError",
    "Discovery",
    "DiscoveryError",
    "Feature",
    "FhirContextItem",
    "FhirUser",
    "IdTokenInvalid",
    "IdTokenValidator",
    "InsecureTransport",
    "InvalidGrant",
    "InvalidState",
    "InvalidTokenResponse",
    "IssuerNotAllowed",
    "IssuerRegistry",
    "LaunchContext",
    "LaunchExpired",
    "LaunchRequestInvalid",
    "LaunchSession",
    "LaunchStore",
    "MemoryLaunchStore",
    "NarrowingFailed",
    "PendingLaunch",
    "Permission",
    "PrivateKeyJwt",
    "PublicClient",
    "RelaunchRequired",
    "ScopeRequest",
    "ScopeSyntaxError",
    "SessionIdle",
    "SmartConfiguration",
    "SmartError",
    "SmartLauncher",
    "TokenRequestFailed",
    "UnknownLaunch",
    "load_signing_key",
    "public_jwks",
    "public_jwks_json",
]
