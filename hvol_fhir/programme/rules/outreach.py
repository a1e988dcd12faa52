"""Preparation (guide §4.1): presentations per group and to professionals, and information letters.

Buddies present themselves and the programme on every group at least every three months, because a group's
youths change (P-PRESENT-3M, checked per group by ``rules.organisation.check_presentations``), and to the
professionals involved, such as youth-care workers. The provider sends information letters about the
programme to parents, (family) guardians and municipalities. The coordinator records each as it happens (or
plans it); nothing here is about one youth, so nothing here is confidential.

Pure: `now` comes in as an argument.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import INFO, Alert
from hvol_fhir.programme.checks import require_code, require_date, require_text
from hvol_fhir.programme.clock import AMSTERDAM, local_date
from hvol_fhir.programme.rules.common import check_now
from hvol_fhir.programme.rules.organisation import check_presentations

NAME_MAX: Final = 120
KINDS: Final = (c.TASK_GROUP_PRESENTATION, c.TASK_PROFESSIONAL_PRESENTATION, c.TASK_INFORMATION_LETTER)
# Which audiences go with which kind: a group presentation is for a group, a letter for parents, guardians
# or a municipality.
AUDIENCES: Final = {
    c.TASK_GROUP_PRESENTATION: (c.AUDIENCE_GROUP,),
    c.TASK_PROFESSIONAL_PRESENTATION: (c.AUDIENCE_PROFESSIONALS,),
    c.TASK_INFORMATION_LETTER: (c.AUDIENCE_PARENTS, c.AUDIENCE_GUARDIANS, c.AUDIENCE_MUNICIPALITY),
}
DONE: Final = "completed"
PLANNED: Final = "requested"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutreachItem:
    """One presentation or information letter (a Task of the organisation, not of a youth)."""

    identifier: str
    kind: str
    day: date
    audience: str
    audience_name: str  # the group ("De Linde"), the team of professionals, the municipality ...
    status: str = DONE
    recorded_by: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.identifier, str) or not self.identifier.strip():
            raise InvalidInput("De identificatie ontbreekt.", field="OutreachItem.identifier")
        if self.kind not in KINDS:
            raise InvalidInput(
                "Kies een presentatie of een informatiebrief.", field="kind", code="unknown-kind"
            )
        require_date(self.day, "day")
        require_code(c.OUTREACH_AUDIENCE, self.audience, "audience")
        if self.audience not in AUDIENCES[self.kind]:
            raise InvalidInput(
                "Deze soort past niet bij voor wie het is: een groepspresentatie is voor een groep, een "
                "informatiebrief voor ouders, voogden of een gemeente.",
                field="audience",
                code="audience-mismatch",
            )
        require_text(self.audience_name, "audience_name", max_chars=NAME_MAX, what_nl="De naam")
        if self.status not in (DONE, PLANNED):
            raise InvalidInput("Onbekende status.", field="OutreachItem.status")

    @property
    def held(self) -> bool:
        return self.status == DONE


def record(
    *, identifier: str, kind: str, day: date, audience: str, audience_name: str, by: str | None, now: datetime
) -> OutreachItem:
    """What the coordinator enters: on or before today it happened; a later day is planned."""
    check_now(now)
    status = DONE if day <= local_date(now) else PLANNED
    name = audience_name.strip() if isinstance(audience_name, str) else audience_name
    return OutreachItem(
        identifier=identifier,
        kind=kind,
        day=day,
        audience=audience,
        audience_name=name,
        status=status,
        recorded_by=by,
    )


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=AMSTERDAM)


def presentations_per_group(
    items: Iterable[OutreachItem], groups: Sequence[str] = ()
) -> dict[str, list[datetime]]:
    """Held group presentations per group name (case and spacing as first written); every group of
    ``groups`` is there, also without any presentation, so it warns."""
    out: dict[str, list[datetime]] = defaultdict(list)
    names = {g.strip().casefold(): g.strip() for g in groups}
    for group in groups:
        out[group.strip()]
    for item in items:
        if item.kind == c.TASK_GROUP_PRESENTATION and item.held:
            key = names.setdefault(item.audience_name.casefold(), item.audience_name)
            out[key].append(_moment(item.day))
    return dict(out)


def outreach_alerts(items: Sequence[OutreachItem], now: datetime, groups: Sequence[str] = ()) -> list[Alert]:
    """P-PRESENT-3M per group (subjects: the group's name), and a reminder while no professionals were
    presented to or no letter went out yet."""
    check_now(now)
    alerts = check_presentations(presentations_per_group(items, groups), now)
    held = {i.kind for i in items if i.held}
    today = local_date(now)
    if c.TASK_PROFESSIONAL_PRESENTATION not in held:
        alerts.append(
            Alert(
                rule_id="P-PRESENT-3M",
                severity=INFO,
                message_nl="Het programma is nog niet toegelicht aan betrokken professionals, zoals "
                "jeugdzorgwerkers.",
                due=today,
            )
        )
    if c.TASK_INFORMATION_LETTER not in held:
        alerts.append(
            Alert(
                rule_id="P-PRESENT-3M",
                severity=INFO,
                message_nl="Er is nog geen informatiebrief verstuurd aan ouders, voogden of gemeenten.",
                due=today,
            )
        )
    return alerts
