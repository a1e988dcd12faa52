"""P-WRITING: hints for a good journal entry, drawn from the guide's tips (§4.9). Help, never a rule.

`hints(text)` is pure and never raises on content: it returns at most one hint per kind, each with a short
Dutch message and the words that triggered it (so the page can point at them). Saving never waits for it.
The hints see the form as well as the text: a time hint only while the form has no times, a place hint only
for a meeting in person (a call, a video call or a chat has no place to name) without a place in the form. So
the guide's own example (§4.9: videobellen, 15:00-15:20) gets no hint.
The words themselves come from the entry being written and are only shown back to its own author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from hvol_fhir.programme import codes as c

# Common Dutch abbreviations in care notes; the guide asks for none (§4.9 "geen afkortingen").
_ABBREVIATIONS: Final = frozenset(
    {
        "ivm",
        "i.v.m.",
        "mbt",
        "m.b.t.",
        "oa",
        "o.a.",
        "evt",
        "evt.",
        "bijv",
        "bijv.",
        "bv",
        "bv.",
        "ipv",
        "i.p.v.",
        "mn",
        "m.n.",
        "zsm",
        "z.s.m.",
        "tzt",
        "t.z.t.",
        "ovb",
        "o.v.b.",
        "wsl",
        "wss",
        "idd",
        "mw",
        "mw.",
        "dhr",
        "dhr.",
        "gw",
        "ha",
        "pb",
        "pvb",
        "bso",
        "vo",
        "mbo",
        "ggz",
        "dd",
        "d.d.",
    }
)
# Vague frequency words (§4.9 "concreet: vijf keer, niet vaak").
_VAGUE: Final = ("vaak", "soms", "altijd", "nooit", "regelmatig", "af en toe", "meestal", "zelden", "vaker")
# Labels / conclusions instead of observations (§4.9 "zij huilt, niet zij is verdrietig").
_LABELS: Final = (
    "verdrietig",
    "boos",
    "depressief",
    "agressief",
    "manipulatief",
    "brutaal",
    "lui",
    "gestoord",
    "onbetrouwbaar",
    "gefrustreerd",
    "angstig",
    "ongemotiveerd",
    "raar",
    "vervelend",
)
_TIME: Final = re.compile(
    r"\b([01]?\d|2[0-3])[:.][0-5]\d\b|\b\d{1,2}\s?uur\b|\b(ochtend|middag|avond)\b", re.I
)
_PLACE: Final = re.compile(
    r"\b(in|op|bij|naar|aan)\s+(de|het|een|haar|mijn)?\s*\w+|\bthuis\b|\bbuiten\b|\bvideobellen\b|"
    r"\btelefo(on|nisch)\b|\bwhatsapp\b",
    re.I,
)
# Contact types without a place of their own (the buddy and the youth are each somewhere else).
_REMOTE: Final = frozenset({c.CONTACT_VIDEO, c.CONTACT_PHONE, c.CONTACT_MESSAGING, c.CONTACT_EMAIL})
_WORD: Final = re.compile(r"[\w.]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Hint:
    kind: str  # abbreviation | vague | label | time | place
    message_nl: str
    words: tuple[str, ...] = ()


def _found(text: str, phrases: tuple[str, ...]) -> tuple[str, ...]:
    lower = text.lower()
    return tuple(p for p in phrases if re.search(rf"\b{re.escape(p)}\b", lower))


def place_matters(contact_type: str | None) -> bool:
    """A place to name only when they met in person; an unknown or missing type keeps the hint."""
    return contact_type not in _REMOTE


def hints(
    text: str, *, has_time: bool = False, has_place: bool = False, contact_type: str | None = None
) -> list[Hint]:
    """Hints for `text`. `has_time`/`has_place`: the form already holds them (then no hint for those);
    `contact_type`: the form's contact type (code of the contact-type CodeSystem)."""
    if not isinstance(text, str) or not text.strip():
        return []
    out: list[Hint] = []
    words = {w.lower() for w in _WORD.findall(text)}
    abbreviations = tuple(sorted(w for w in words if w in _ABBREVIATIONS))
    if abbreviations:
        out.append(
            Hint(
                "abbreviation",
                "Schrijf afkortingen voluit, zodat iedereen het verslag begrijpt.",
                abbreviations,
            )
        )
    vague = _found(text, _VAGUE)
    if vague:
        out.append(
            Hint("vague", "Maak het concreet: hoe vaak precies (bijvoorbeeld 'drie keer deze week')?", vague)
        )
    labels = _found(text, _LABELS)
    if labels:
        out.append(
            Hint(
                "label",
                "Beschrijf wat je zag of hoorde in plaats van een conclusie ('ze huilt' in plaats van "
                "'ze is verdrietig'). Een mening mag, als je erbij zet dat het je mening is.",
                labels,
            )
        )
    if not has_time and not _TIME.search(text):
        out.append(Hint("time", "Noem de tijd (of vul begin- en eindtijd in)."))
    if not has_place and place_matters(contact_type) and not _PLACE.search(text):
        out.append(Hint("place", "Noem de plaats, zo dat iemand die de jongere niet kent het begrijpt."))
    return out
