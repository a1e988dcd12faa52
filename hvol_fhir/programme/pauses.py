"""A pause and an outflow of a traject (issue 14), their own module so that `model` stays small; `model`
re-exports them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hvol_fhir.programme import codes as c
from hvol_fhir.programme.checks import require_aware, require_code, require_order, require_text


@dataclass(frozen=True, slots=True, kw_only=True)
class Pause:
    """A time the contacts lie still (she is missing or ran away, is admitted elsewhere, ...); while it is
    open the CarePlan is on-hold. The reason says something about her and is sealed with the traject's other
    confidential parts (`hvol_fhir.sealing.fields`: every non-availability activity's reasonCode)."""

    reason: str | None  # None: sealed, and this role does not open it (the buddy sees only that and when)
    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.reason is not None:
            require_code(c.PAUSE_REASON, self.reason, "Pause.reason")
        require_aware(self.start, "Pause.start")
        if self.end is not None:
            require_aware(self.end, "Pause.end")
            require_order(self.start, self.end, "Pause.end")

    @property
    def is_open(self) -> bool:
        return self.end is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Outflow:
    """P-OUTFLOW: she moves to a next placement on ``on``; ``destination`` (free text, it can say where she
    lives) is sealed; None when this role does not open it. The traject goes on: the buddy stays involved."""

    on: datetime
    destination: str | None

    def __post_init__(self) -> None:
        require_aware(self.on, "Outflow.on")
        if self.destination is not None:
            require_text(self.destination, "Outflow.destination", max_chars=500, what_nl="De vervolgplek")
