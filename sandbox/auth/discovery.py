"""Discovery documents: SMART configuration (SMART App Launch 2.2 conformance.html#metadata) and the
OpenID Provider metadata (OpenID Connect Discovery 1.0 §3), both built from the settings alone.
"""

from __future__ import annotations

from typing import Any

from .client_auth import ASSERTION_ALGORITHMS
from .settings import AuthSettings

CAPABILITIES = (
    "launch-ehr",
    "launch-standalone",
    "authorize-post",
    "client-public",
    "client-confidential-asymmetric",
    "client-confidential-symmetric",
    "context-ehr-patient",
    "context-ehr-encounter",
    "context-standalone-patient",
    "context-banner",
    "context-style",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
    "sso-openid-connect",
)
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
AUTH_METHODS = ("private_key_jwt", "client_secret_basic", "client_secret_post", "none")
BASE_SCOPES = (
    "openid",
    "fhirUser",
    "profile",
    "launch",
    "launch/patient",
    "launch/encounter",
    "offline_access",
    "online_access",
)


def scopes_supported(settings: AuthSettings) -> list[str]:
    registered = [s for client in settings.clients for s in client.scope]
    return list(dict.fromkeys([*BASE_SCOPES, *registered]))


def smart_configuration(settings: AuthSettings) -> dict[str, Any]:
    return {
        "issuer": settings.issuer,
        "jwks_uri": settings.url("/jwks"),
        "authorization_endpoint": settings.url("/authorize"),
        "token_endpoint": settings.token_endpoint,
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": scopes_supported(settings),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": list(CAPABILITIES),
    }


def openid_configuration(settings: AuthSettings) -> dict[str, Any]:
    return {
        "issuer": settings.issuer,
        "authorization_endpoint": settings.url("/authorize"),
        "token_endpoint": settings.token_endpoint,
        "jwks_uri": settings.url("/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": scopes_supported(settings),
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "fhirUser", "name"],
    }
