"""The sandbox's SMART authorization server: the EHR's login and launch for the app and for tests.

See docs/sandbox-contract.md (tokens, endpoints) and ``server.py`` for the HTTP side.
"""

from typing import Any

from .directory import Directory, FhirDirectory, InMemoryDirectory, Membership, User, Youth, derive_clearance
from .grants import dev_token
from .server import create_auth_app, make_auth_server, run_auth_server
from .settings import AuthSettings, ClientRegistration, load_settings, settings_from_dict

__all__ = [
    "AuthSettings",
    "ClientRegistration",
    "Directory",
    "FhirDirectory",
    "InMemoryDirectory",
    "Membership",
    "User",
    "Youth",
    "create_auth_app",
    "derive_clearance",
    "dev_token",
    "load_settings",
    "make_auth_server",
    "request_dev_token",
    "run_auth_server",
    "settings_from_dict",
]


def request_dev_token(
    auth_base_url: str, user: str, patient: str | None = None, scope: str | None = None, timeout: float = 10.0
) -> dict[str, Any]:
    """Ask a running sandbox authorization server for a developer token (``POST /dev/token``)."""
    import requests

    body = {"user": user, **({"patient": patient} if patient else {}), **({"scope": scope} if scope else {})}
    response = requests.post(auth_base_url.rstrip("/") + "/dev/token", json=body, timeout=timeout)
    response.raise_for_status()
    return dict(response.json())
