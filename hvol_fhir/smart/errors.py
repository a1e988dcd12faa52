"""Errors of the SMART App Launch / Backend Services client.

Part of the library's error tree (:class:`hvol_fhir.errors.HvolError`), in its words: an OAuth-style ``code``
(``default_code``), the HTTP status (``default_status``), the Dutch ``message_nl`` for the page shown to the
user (``default_message_nl``) and ``relaunch`` (whether that page explains how to start the app again from the
EHR). Each also keeps a technical ``description`` for the log: never a token.
"""

from __future__ import annotations

from typing import ClassVar

from ..errors import HvolError


class SmartError(HvolError):
    """Root of every error raised by :mod:`hvol_fhir.smart`."""

    default_code: ClassVar[str] = "smart_error"
    default_status: ClassVar[int] = 400
    relaunch: ClassVar[bool] = True
    issue_type: ClassVar[str] = "login"  # FHIR issue-type: the client must authenticate (again)
    default_message_nl: ClassVar[str] = (
        "Het starten van de app is mislukt. Sluit dit venster en start de app opnieuw vanuit het dossier."
    )

    def __init__(self, description: str = "", *, message_nl: str | None = None) -> None:
        super().__init__(message_nl or self.default_message_nl)
        self.description = description  # technical, for the log: never a token

    def __str__(self) -> str:
        return f"{self.code}: {self.description}" if self.description else self.code


class LaunchRequestInvalid(SmartError):
    """The launch URL lacks ``iss`` or ``launch``, or carries something unusable."""

    default_code = "invalid_launch_request"
    default_message_nl = (
        "De app is gestart zonder de gegevens die het dossier hoort mee te geven. "
        "Start de app opnieuw vanuit het dossier."
    )


class IssuerNotAllowed(SmartError):
    """The ``iss`` is not on the allowlist; nothing was sent to it (project rule, smart-launch.md §1.2)."""

    default_code = "issuer_not_allowed"
    default_status = 403
    issue_type = "security"
    relaunch = False
    default_message_nl = (
        "Deze app is niet aangemeld bij het dossiersysteem dat haar probeert te starten. "
        "Neem contact op met de beheerder van uw organisatie."
    )


class InsecureTransport(SmartError):
    """A URL that would carry codes or tokens is not https (R1)."""

    default_code = "insecure_transport"
    default_status = 400
    issue_type = "security"
    relaunch = False
    default_message_nl = (
        "Het dossiersysteem gebruikt geen beveiligde verbinding (https). De app start daarom niet. "
        "Neem contact op met de beheerder van uw organisatie."
    )


class DiscoveryError(SmartError):
    """The server's SMART configuration is missing, malformed or unreachable (R29, §1.4)."""

    default_code = "discovery_failed"
    default_status = 502
    issue_type = "transient"
    default_message_nl = (
        "De app kan de inloggegevens van het dossiersysteem niet ophalen. Probeer het over enkele minuten "
        "opnieuw; blijft dit gebeuren, neem dan contact op met de beheerder."
    )


class InvalidState(SmartError):
    """The redirect carries no, an unknown, a used or another session's ``state`` (R4, R60, R61)."""

    default_code = "invalid_state"
    default_message_nl = (
        "Deze aanmelding hoort niet (meer) bij dit venster. Start de app opnieuw vanuit het dossier."
    )


class LaunchExpired(InvalidState):
    """The pending launch was older than its time limit."""

    default_code = "launch_expired"
    default_message_nl = (
        "De aanmelding duurde te lang en is verlopen. Start de app opnieuw vanuit het dossier."
    )


class AuthorizationDenied(SmartError):
    """The authorization server redirected back with ``error`` (e.g. ``access_denied``)."""

    default_code = "authorization_denied"
    default_status = 403
    default_message_nl = (
        "Het dossiersysteem heeft de app geen toegang gegeven. Start de app opnieuw vanuit het dossier; "
        "lukt het dan nog niet, neem dan contact op met de beheerder."
    )

    def __init__(self, oauth_error: str, description: str = "", **kw: str | None) -> None:
        # The server's own words are kept for the log and for an *escaped* rendering only (R5).
        super().__init__(f"{oauth_error}: {description}" if description else oauth_error, **kw)
        self.oauth_error = oauth_error
        self.server_said = (oauth_error, description)


class TokenRequestFailed(SmartError):
    """The token endpoint refused a request; ``oauth_error`` is its JSON ``error`` (§1.8)."""

    default_code = "token_request_failed"
    default_status = 502

    def __init__(self, oauth_error: str, description: str = "", *, server_status: int | None = None) -> None:
        super().__init__(f"{oauth_error} (HTTP {server_status}): {description}".rstrip(": "))
        self.oauth_error = oauth_error
        self.server_status = server_status  # the token endpoint's status; None for a network failure

    @property
    def temporary(self) -> bool:
        """Network failure or 5xx: worth retrying later, unlike an OAuth refusal."""
        return self.server_status is None or self.server_status >= 500


class InvalidGrant(TokenRequestFailed):
    """``invalid_grant``: the code or refresh token was expired, used before or not ours (code replay)."""

    default_code = "invalid_grant"
    default_status = 400


class InvalidTokenResponse(SmartError):
    """The token endpoint answered 200 with something that is not a usable token response."""

    default_code = "invalid_token_response"
    default_status = 502


class IdTokenInvalid(SmartError):
    """The id_token failed validation: signature, alg, ``iss``, ``aud``, ``exp``, ``nonce`` (R201, R218)."""

    default_code = "invalid_id_token"
    default_status = 401
    issue_type = "security"
    default_message_nl = (
        "De identiteit van de gebruiker kon niet worden vastgesteld. Start de app opnieuw vanuit het dossier."
    )


class RelaunchRequired(SmartError):
    """The launch can no longer be used: its tokens expired and a refresh was refused or impossible."""

    default_code = "relaunch_required"
    default_status = 401
    default_message_nl = (
        "Uw sessie met het dossier is verlopen. Sluit dit venster en start de app opnieuw vanuit het "
        "dossier; wat u al had opgeslagen blijft bewaard."
    )


class UnknownLaunch(RelaunchRequired):
    """No launch with this id for this browser session (never issued, expired, or another session's)."""

    default_code = "unknown_launch"


class SessionIdle(RelaunchRequired):
    """A launch with journal access was idle longer than its limit; it has been ended (issue 13, cause 6)."""

    default_code = "session_idle"
    default_message_nl = (
        "U was een tijd niet actief in de app. Om het contactjournaal te beschermen is uw sessie beëindigd. "
        "Start de app opnieuw vanuit het dossier; wat u al had opgeslagen blijft bewaard."
    )


class NarrowingFailed(SmartError):
    """The EHR would not trade the broad first token for the role's narrow one (issue 13, cause 13).

    Fail-closed: the launch is dropped, broad token included, rather than run with more rights than the
    role needs (a token that could read every journal type the app may ever use)."""

    default_code = "narrowing_failed"
    default_status = 403
    issue_type = "security"
    relaunch = False
    default_message_nl = (
        "Het dossiersysteem gaf de app meer rechten dan uw rol nodig heeft en kon die niet beperken. "
        "Om het contactjournaal te beschermen start de app daarom niet. Neem contact op met de "
        "beheerder van het "
        "dossiersysteem: de app moet bij het vernieuwen van de toegang om minder rechten kunnen vragen."
    )


class ScopeSyntaxError(SmartError):
    """A scope string is not valid SMART v1 or v2 syntax where one was required."""

    default_code = "invalid_scope_syntax"
    default_status = 500
    issue_type = "exception"
    relaunch = False


class ConfigurationError(SmartError):
    """The app's own SMART configuration (registration, keys) is unusable."""

    default_code = "configuration_error"
    default_status = 500
    issue_type = "exception"
    relaunch = False
    default_message_nl = "De app is niet goed ingesteld. Neem contact op met de beheerder van uw organisatie."
