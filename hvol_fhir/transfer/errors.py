"""What can stop a transfer, each with a plain Dutch message for the coordinator.

All are :class:`~hvol_fhir.errors.HvolError` subclasses, so the web layer's one error handler and the CLI
show them without special cases. A refusal by the receiving organisation (B) keeps B's own OperationOutcome,
read into safe Dutch lines by :mod:`hvol_fhir.ehr.outcome`.
"""

from __future__ import annotations

from ..ehr.errors import EhrError
from ..ehr.outcome import Outcome
from ..errors import Conflict, EhrUnavailable, HvolError, InvalidInput, MissingElement, RuleViolation


class NoUsableIdentifier(MissingElement):
    """A person the receiver must recognise has no identifier to match on (BSN, provider number, ...)."""

    default_code = "transfer-no-identifier"


class AmbiguousAtTarget(Conflict):
    """The receiving organisation has more than one record matching the identifier (two patients, ...)."""

    default_code = "transfer-ambiguous-match"


class JournalWithoutConsent(RuleViolation):
    """A journal entry was selected that no recorded, active disclosure Consent covers (P-SHARE-CONSENT)."""

    default_code = "transfer-journal-without-consent"

    def __init__(self, message_nl: str, *, field: str | None = None) -> None:
        super().__init__(message_nl, rule_id="P-SHARE-CONSENT", field=field)
        self.code = self.default_code


class NotATraject(InvalidInput):
    """The CarePlan is not one of the programme's trajects, or has no traject identifier."""

    default_code = "transfer-not-a-traject"


class TargetRefused(HvolError):
    """B refused the Bundle. Nothing was written at B (a transaction is all or nothing) nor at A."""

    default_code = "transfer-refused"
    default_status = 422
    issue_type = "processing"

    def __init__(self, message_nl: str, *, cause: EhrError) -> None:
        super().__init__(message_nl)
        self.ehr_status = cause.ehr_status
        self.outcome: Outcome | None = cause.outcome

    @property
    def details_nl(self) -> tuple[str, ...]:
        return self.outcome.details_nl() if self.outcome else ()


class TargetUnreachable(EhrUnavailable):
    """B did not answer (after the retries). Nothing changed at A; sending again is safe."""

    default_code = "transfer-target-unreachable"


class RecordPending(EhrUnavailable):
    """B holds the traject, but recording the transfer at A failed. Running the transfer again completes it
    without creating anything twice at B."""

    default_code = "transfer-record-pending"

    def __init__(self, message_nl: str, *, target_careplan: str | None) -> None:
        super().__init__(message_nl)
        self.target_careplan = target_careplan


class InvalidTransferFile(InvalidInput):
    """An exported transfer file that cannot be imported (not a transfer Bundle, unsafe entries, ...)."""

    default_code = "transfer-invalid-file"


class SealedAtSource(InvalidInput):
    """Something that would go still holds this organisation's ciphertext (it did not open here, or the
    transfer read without the organisation's keys). Sending it would give the receiver what only we can open,
    so nothing is sent."""

    default_code = "transfer-sealed-at-source"


class RecipientKeysUnavailable(InvalidInput):
    """The receiving organisation runs the app, but its published transfer key cannot be read."""

    default_code = "transfer-recipient-keys"
