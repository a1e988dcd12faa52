"""What the rules return: alerts with a rule id, a severity, a due date and a Dutch message.

Norms (domain.md says "norm") give `WARNING`; hard limits give `BLOCK`; a heads-up before a norm's due
date, or a remark that does not need action, gives `INFO`. `enforce` turns blocking alerts into a
`RuleViolation` for code that must stop (e.g. saving an inclusion).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from hvol_fhir.errors import RuleViolation

Severity = Literal["info", "warning", "block"]
INFO: Final = "info"
WARNING: Final = "warning"
BLOCK: Final = "block"

_RANK: Final[dict[str, int]] = {INFO: 0, WARNING: 1, BLOCK: 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    rule_id: str  # a P-... id of domain.md
    severity: Severity
    message_nl: str
    due: date | None = None  # the day by which the norm must be met (local Amsterdam date)
    subjects: tuple[str, ...] = ()  # references the alert is about (traject, contact, group, ...)

    @property
    def blocks(self) -> bool:
        return self.severity == BLOCK


def most_severe_first(alerts: Iterable[Alert]) -> list[Alert]:
    """Blocks first, then warnings, then info; earliest due date first within a severity."""
    return sorted(alerts, key=lambda a: (-_RANK[a.severity], a.due or date.max, a.rule_id))


def enforce(alerts: Iterable[Alert], *, field: str | None = None) -> None:
    """Raise `RuleViolation` for the first blocking alert; norms never raise."""
    for alert in alerts:
        if alert.blocks:
            raise RuleViolation(alert.message_nl, rule_id=alert.rule_id, field=field)
