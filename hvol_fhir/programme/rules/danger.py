"""P-DANGER: sharing without consent because of direct danger, as pure checks and the entry's text.

The buddy must say why (one of three reasons), what she shares, with whom and why it is needed, and whether
the youth was told; if not, why not. The record of it is a journal entry, so coach and coordinator (the other
readers) are informed; its text is composed here so every front end writes the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hvol_fhir.errors import InvalidInput

REASONS: Final[dict[str, str]] = {
    "danger-self": "Direct gevaar voor de jongere zelf",
    "danger-others": "Direct gevaar voor anderen",
    "reporting-duty": "Meldcode / meldplicht (Veilig Thuis)",
}
TOLD: Final = frozenset({"ja", "nee"})


@dataclass(frozen=True)
class Override:
    reason: str
    what: str
    whom: str
    why: str
    told: str  # "ja" | "nee"
    not_told_why: str = ""


def check_override(o: Override) -> None:
    """InvalidInput naming the first field that is missing, in the order of the form."""
    if o.reason not in REASONS:
        raise InvalidInput(
            "Kies de reden waarom u zonder toestemming deelt.", field="reason", code="missing-value"
        )
    for name, value, label in (
        ("what", o.what, "wat u deelt"),
        ("whom", o.whom, "met wie u deelt"),
        ("why", o.why, "waarom het nodig is"),
    ):
        if not value.strip():
            raise InvalidInput(f"Vul in {label}.", field=name, code="missing-value")
    if o.told not in TOLD:
        raise InvalidInput("Geef aan of de jongere is verteld wat, waarom en met wie u deelt.", field="told")
    if o.told == "nee" and not o.not_told_why.strip():
        raise InvalidInput("Leg uit waarom de jongere (nog) niet is ingelicht.", field="not_told_why")


def override_text(o: Override) -> str:
    told = (
        "De jongere is verteld wat, waarom, hoe en met wie."
        if o.told == "ja"
        else f"De jongere is (nog) niet ingelicht: {o.not_told_why.strip()}"
    )
    return (
        f"DOORBREKING GEHEIMHOUDING (P-DANGER) – {REASONS[o.reason]}.\n"
        f"Wat gedeeld: {o.what.strip()}\nMet wie: {o.whom.strip()}\n"
        f"Waarom: {o.why.strip()}\n" + told
    )
