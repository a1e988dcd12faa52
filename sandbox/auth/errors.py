"""OAuth 2.0 errors (RFC 6749 §4.1.2.1 and §5.2) as small classes.

The Flask layer turns them into a JSON body at ``/token`` or a redirect / Dutch error page at ``/authorize``
in one place each (see ``server.py``).
"""

from __future__ import annotations


class OAuthError(Exception):
    error = "invalid_request"
    status_code = 400

    def __init__(self, description: str = "") -> None:
        super().__init__(description or self.error)
        self.description = description

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    error = "invalid_client"
    status_code = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class AccessDenied(OAuthError):
    error = "access_denied"
    status_code = 403


class NotFound(OAuthError):
    """Sandbox-only endpoints (``/dev/token``): an unknown user or patient."""

    error = "not_found"
    status_code = 404


class TemporarilyUnavailable(OAuthError):
    """The directory (FHIR server) could not be read."""

    error = "temporarily_unavailable"
    status_code = 503
