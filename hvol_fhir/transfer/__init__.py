"""Moving a traject to another FHIR organisation (issue 6; reference/dutch-context.md §3).

- :mod:`.collect` reads the traject at A; :mod:`.plan` (pure) turns it into the preview and the ONE
  transaction Bundle for B; :mod:`.record` (pure) builds what A records afterwards;
- :mod:`.service` is the I/O shell: check B, send, record at A, errors in plain Dutch;
- :mod:`.offline` writes the Bundle to a file for an offline handover and validates/imports it at B.
"""

from .errors import (
    AmbiguousAtTarget,
    InvalidTransferFile,
    JournalWithoutConsent,
    NotATraject,
    NoUsableIdentifier,
    RecordPending,
    TargetRefused,
    TargetUnreachable,
)
from .model import MODES, PlanItem, Snapshot, TransferPlan, TransferRequest, TransferResult
from .plan import build_plan
from .service import TransferService, summary_lines

__all__ = [
    "MODES",
    "AmbiguousAtTarget",
    "InvalidTransferFile",
    "JournalWithoutConsent",
    "NoUsableIdentifier",
    "NotATraject",
    "PlanItem",
    "RecordPending",
    "Snapshot",
    "TargetRefused",
    "TargetUnreachable",
    "TransferPlan",
    "TransferRequest",
    "TransferResult",
    "TransferService",
    "build_plan",
    "summary_lines",
]
