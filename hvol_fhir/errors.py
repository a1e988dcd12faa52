"""One error tree for the library.

Every error carries a plain Dutch message a coordinator can act on (``message_nl``), the field it concerns, a
short machine ``code`` and the ``http_status`` the web layer should answer with, whether the page should
explain how to start the app again from the EHR (``relaunch``), and what another system said, if anything
(``server_said``: shown escaped, as text, never as ours). It can render itself as a FHIR R4 OperationOutcome
(https://hl7.org/fhir/R4/operationoutcome.html). Messages never contain journal content or the offending value
itself: they name the field and the problem only. The SMART errors (``hvol_fhir.smart.errors``) and the EHR
client's (``hvol_fhir.ehr.errors``) are subclasses, so the web layer answers all of them one way.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HvolError(Exception):
    """Root of all hvol-fhir errors."""

    default_code: ClassVar[str] = "error"
    default_status: ClassVar[int] = 500
    # FHIR issue type (http://hl7.org/fhir/issue-type) used in the OperationOutcome.
    issue_type: ClassVar[str] = "exception"
    relaunch: ClassVar[bool] = False
    # (error code, description) from the EHR or its authorization server, when the error is theirs.
    server_said: tuple[str, str] | None = None

    def __init__(
        self,
        message_nl: str,
        *,
        field: str | None = None,
        code: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message_nl)
        self.message_nl = message_nl
        self.field = field
        self.code = code or self.default_code
        self.http_status = http_status or self.default_status

    def __str__(self) -> str:
        prefix = f"{self.field}: " if self.field else ""
        return f"{prefix}{self.message_nl} [{self.code}]"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, message_nl={self.message_nl!r})"
        )

    def to_operation_outcome(self) -> dict[str, Any]:
        """The error as an R4 OperationOutcome (a plain dict, ready for JSON)."""
        issue: dict[str, Any] = {
            "severity": "error",
            "code": self.issue_type,
            "details": {"text": self.message_nl},
            "diagnostics": self.code,
        }
        if self.field:
            issue["expression"] = [self.field]
        return {"resourceType": "OperationOutcome", "issue": [issue]}


class InvalidInput(HvolError):
    """A field holds a value the programme cannot accept (end before start, text too long, ...)."""

    default_code = "invalid-input"
    default_status = 422
    issue_type = "invalid"


class UnknownCode(InvalidInput):
    """A code is not in the CodeSystem the field is bound to."""

    default_code = "unknown-code"
    issue_type = "code-invalid"


class MissingElement(InvalidInput):
    """A FHIR resource lacks an element the mapping needs."""

    default_code = "missing-element"
    issue_type = "required"


class RuleViolation(HvolError):
    """A hard limit of the programme (P-AGE, P-CONTRA, a phase transition ...) blocks the action."""

    default_code = "rule-violation"
    default_status = 422
    issue_type = "business-rule"

    def __init__(
        self,
        message_nl: str,
        *,
        rule_id: str | None = None,
        field: str | None = None,
        code: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message_nl, field=field, code=code or rule_id, http_status=http_status)
        self.rule_id = rule_id


class Conflict(HvolError):
    """Someone else changed the resource first (409), or an If-Match precondition failed (412)."""

    default_code = "conflict"
    default_status = 409
    issue_type = "conflict"


class NotFound(HvolError):
    """The resource does not exist, or does not exist for this user."""

    default_code = "not-found"
    default_status = 404
    issue_type = "not-found"


class NotAllowed(HvolError):
    """The user may not do or see this."""

    default_code = "not-allowed"
    default_status = 403
    issue_type = "forbidden"


class EhrUnavailable(HvolError):
    """The EHR did not answer (timeout, 5xx, 429 after retries); nothing was lost, try again later."""

    default_code = "ehr-unavailable"
    default_status = 503
    issue_type = "transient"
