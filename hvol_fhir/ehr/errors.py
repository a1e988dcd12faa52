"""Errors of the FHIR client, inside the library's one tree (:mod:`hvol_fhir.errors`).

Every error the EHR causes is an :class:`EhrError` *and* one of the general classes (``Conflict``,
``NotFound``, ``NotAllowed``, ``InvalidInput``, ``EhrUnavailable``), so the web layer can handle either. Each
carries the EHR's HTTP status (``ehr_status``) and its parsed OperationOutcome (``outcome``); the Dutch
message never quotes resource content (see :mod:`.outcome`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import Conflict, EhrUnavailable, HvolError, InvalidInput, NotAllowed, NotFound
from .outcome import Outcome, plain_message

UNREACHABLE_NL = "Het dossier (EHR) is niet bereikbaar. Uw invoer is bewaard; probeer het zo opnieuw."


class EhrError(HvolError):
    """Anything the EHR answered (or failed to answer) that the caller has to handle."""

    default_message_nl: ClassVar[str | None] = None

    def __init__(
        self,
        message_nl: str | None = None,
        *,
        ehr_status: int | None = None,
        outcome: Outcome | None = None,
        field: str | None = None,
        code: str | None = None,
    ) -> None:
        text = message_nl or self.default_message_nl or plain_message(outcome, ehr_status)
        super().__init__(text, field=field, code=code)
        self.ehr_status = ehr_status
        self.outcome = outcome

    @property
    def details_nl(self) -> tuple[str, ...]:
        return self.outcome.details_nl() if self.outcome else ()


class EhrRejected(EhrError, InvalidInput):
    """400/422 (or a validation 412): the EHR refused the content. Nothing was written."""

    default_code = "ehr-rejected"


class SessionExpired(EhrError, NotAllowed):
    """401 even after the ``on_unauthorized`` hook had its one chance."""

    default_code = "ehr-unauthorized"
    default_status = 401
    issue_type = "login"
    relaunch = True  # the launch cannot be used any more: the page says how to start again
    default_message_nl = (
        "Uw sessie met het dossier is verlopen. Start de app opnieuw vanuit het dossier; "
        "uw invoer is bewaard."
    )


class EhrForbidden(EhrError, NotAllowed):
    """403: the token's scopes do not allow this interaction."""

    default_code = "ehr-forbidden"


class EhrNotFound(EhrError, NotFound):
    """404/410: absent, deleted, or hidden from this user (the EHR does not say which)."""

    default_code = "ehr-not-found"


class VersionConflict(EhrError, Conflict):
    """409/412 on an update: someone changed the resource first.

    ``current`` is the server's version when it could be fetched (None otherwise), so the page can show both.
    """

    default_code = "version-conflict"

    def __init__(
        self,
        message_nl: str | None = None,
        *,
        ehr_status: int | None = None,
        outcome: Outcome | None = None,
        current: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            message_nl
            or "Iemand anders heeft deze gegevens intussen gewijzigd. Bekijk beide versies en sla "
            "daarna opnieuw op.",
            ehr_status=ehr_status,
            outcome=outcome,
        )
        self.current = current

    @property
    def current_version(self) -> str | None:
        meta = (self.current or {}).get("meta") or {}
        version = meta.get("versionId")
        return str(version) if version is not None else None


class AmbiguousMatch(EhrError, Conflict):
    """412 on a conditional create or update: the condition matched more than one resource."""

    default_code = "multiple-matches"
    default_message_nl = (
        "Het dossier bevat meerdere gegevens met hetzelfde kenmerk; er is niets opgeslagen. "
        "Neem contact op met de beheerder."
    )


class EhrDown(EhrError, EhrUnavailable):
    """No usable answer after the allowed retries (network, timeout, 429, 5xx). Nothing was half-written.

    ``maybe_sent`` is True when a send of this call may have reached the server (the connection was open, or
    it answered something other than "not processed"), so a write may have been stored even though no usable
    answer came back. A repeatable write is then safe to send again, but "nothing changed" would be untrue.
    """

    default_message_nl = UNREACHABLE_NL
    default_maybe_sent: ClassVar[bool] = False

    def __init__(
        self,
        message_nl: str | None = None,
        *,
        attempts: int = 1,
        maybe_sent: bool | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message_nl, **kw)
        self.attempts = attempts
        self.maybe_sent = self.default_maybe_sent if maybe_sent is None else maybe_sent


class OutcomeUnknown(EhrDown):
    """A request that is not safe to repeat was sent, and its answer was lost: it may or may not be stored."""

    default_code = "ehr-outcome-unknown"
    default_maybe_sent = True
    default_message_nl = (
        "Het dossier gaf geen antwoord, dus het is niet zeker of uw invoer is opgeslagen. Uw invoer is "
        "bewaard; controleer in het dossier of het er al staat voordat u opnieuw opslaat."
    )


class BadResponse(EhrDown):
    """The EHR answered with something that is not FHIR JSON (truncated, HTML, wrong content type)."""

    default_code = "ehr-bad-response"
    default_maybe_sent = True  # it answered, so the request arrived
    default_message_nl = (
        "Het dossier gaf een onleesbaar antwoord. Uw invoer is bewaard; controleer in het dossier of "
        "het is opgeslagen voordat u het opnieuw probeert."
    )


class UntrustedLink(EhrError):
    """A paging link (or Location) points outside the FHIR base: it is not followed, the token stays home."""

    default_code = "ehr-untrusted-link"
    default_status = 502
    issue_type = "security"
    default_message_nl = (
        "Het dossier verwees naar een adres buiten het dossier; dat is om veiligheidsredenen niet gevolgd."
    )


class PageLimitReached(EhrError):
    """``search_all`` would need more pages than allowed: refuse rather than return a silent subset."""

    default_code = "ehr-too-many-pages"
    default_status = 422
    issue_type = "too-costly"
    default_message_nl = "Er zijn te veel resultaten om in één keer te tonen. Verfijn de zoekopdracht."


def error_for(
    status: int,
    outcome: Outcome | None,
    *,
    conditional_create: bool = False,
    versioned_update: bool = False,
) -> EhrError:
    """The error for a final 4xx/5xx answer. 409/412 need the request's kind to be read correctly."""
    codes = outcome.codes if outcome else frozenset()
    if status == 401:
        return SessionExpired(ehr_status=status, outcome=outcome)
    if status == 403:
        return EhrForbidden(ehr_status=status, outcome=outcome)
    if status in (404, 410):
        return EhrNotFound(ehr_status=status, outcome=outcome)
    if status in (409, 412):
        if "multiple-matches" in codes or (status == 412 and conditional_create):
            return AmbiguousMatch(ehr_status=status, outcome=outcome)
        # HAPI answers a failed repository validation with 412 too; its issues say so.
        if status == 409 or (versioned_update and not _looks_like_validation(codes)):
            return VersionConflict(ehr_status=status, outcome=outcome)
        return EhrRejected(ehr_status=status, outcome=outcome)
    if status >= 500 or status in (408, 429):
        return EhrDown(ehr_status=status, outcome=outcome)
    return EhrRejected(ehr_status=status, outcome=outcome)


def _looks_like_validation(codes: frozenset[str]) -> bool:
    return bool(codes & {"invalid", "structure", "required", "value", "invariant", "code-invalid"})
