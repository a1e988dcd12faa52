"""Issuer allowlist and the app's registration with each issuer (smart-launch.md §1.1, §1.2).

An EHR launch names its FHIR server in ``iss``. Only issuers configured here are contacted at all: the
lookup happens before any request, so a launch from an unknown server sends nothing anywhere. Each issuer
has its own registration (client id, redirect URI, client authentication, optional scope-syntax override).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigurationError, IssuerNotAllowed
from .scopes import ScopeSyntax
from .token import ClientAuth
from .transport import check_transport

_DEFAULT_PORTS = {"https": 443, "http": 80}
# Characters that make parsers disagree about the host (issue 13, cause 11): Python's urlsplit reads
# ``https://evil.example\\@ehr.example.org/fhir`` as host ehr.example.org, requests connects to evil.example.
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def check_iss_shape(iss: str) -> None:
    """Refuse an ``iss`` that parsers could read differently: userinfo (``@``), a backslash, a fragment, a
    query, whitespace or control characters. Checked on the raw value, before any parsing or matching."""
    reason = None
    if _CONTROL.search(iss):
        reason = "control character or whitespace"
    elif "\\" in iss:
        reason = "backslash"
    elif "@" in iss:
        reason = "userinfo"
    elif "#" in iss:
        reason = "fragment"
    elif "?" in iss:
        reason = "query"
    if reason:
        raise IssuerNotAllowed(f"iss refused ({reason}): {ascii(iss[:200])}")


def normalise_issuer(url: str) -> str:
    """Key for allowlist matching only: lower-case scheme and host, no default port, no trailing slash.

    The authorize request's ``aud`` is always the ``iss`` exactly as received (R41), never this form.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


@dataclass(frozen=True)
class ClientRegistration:
    """What the app registered with one FHIR server's authorization server (R20–R23)."""

    issuer: str  # the FHIR base URL as configured (``iss`` of EHR launches, ``aud`` of standalone ones)
    client_id: str
    redirect_uri: str
    auth: ClientAuth = field(repr=False)
    scope_syntax: ScopeSyntax | None = None  # per-issuer override of the v1/v2 choice (§1.14)
    name: str = ""  # display name of the organisation, for pages and logs


class IssuerRegistry:
    """The allowlist: FHIR base URL -> :class:`ClientRegistration`."""

    def __init__(self, registrations: Iterable[ClientRegistration], *, sandbox: bool = False) -> None:
        self.sandbox = sandbox
        self._by_issuer: dict[str, ClientRegistration] = {}
        for reg in registrations:
            check_iss_shape(reg.issuer)
            check_transport(reg.issuer, allow_loopback_http=sandbox)
            check_transport(reg.redirect_uri, allow_loopback_http=sandbox)
            key = normalise_issuer(reg.issuer)
            if key in self._by_issuer:
                raise ConfigurationError(f"issuer registered twice: {reg.issuer}")
            self._by_issuer[key] = reg

    def lookup(self, iss: str) -> ClientRegistration:
        """Return the registration for ``iss`` or raise before anything is sent anywhere.

        Callers use the *registration's* ``issuer`` as FHIR base and ``aud`` from here on, never ``iss``
        itself: the parameter only selects an entry of the allowlist."""
        if not iss:
            raise IssuerNotAllowed("launch without iss")
        check_iss_shape(iss)
        # Transport first: an http iss outside the sandbox is refused even if someone allowlisted it.
        check_transport(iss, allow_loopback_http=self.sandbox)
        reg = self._by_issuer.get(normalise_issuer(iss))
        if reg is None:
            raise IssuerNotAllowed(f"issuer not on the allowlist: {ascii(iss[:200])}")
        return reg

    def issuers(self) -> Mapping[str, ClientRegistration]:
        return dict(self._by_issuer)
