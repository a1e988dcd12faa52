"""The measurement Questionnaire as plain data, read from mappings/Questionnaire/ (the single source).

SDC conventions (https://hl7.org/fhir/uv/sdc/, ../shared/reference/dutch-context.md §6): every score is an
`integer` item with item control `slider`, `sliderStepValue` 1 and `minValue`/`maxValue` 0/10; its anchor
texts
are child `display` items with item control `lower` / `upper`. Groups give the page its headings. The
canonical
a response must name is `url|version`, so a response to an older or newer list is recognised (`validate`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from hvol_fhir import terminology as t

QUESTIONNAIRE_ID: Final = "hvol-measurement"
ITEM_SYSTEM: Final = t.cs_url("measurement-item")
ITEM_CONTROL: Final = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
MIN_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/maxValue"
STEP: Final = "http://hl7.org/fhir/StructureDefinition/questionnaire-sliderStepValue"


@dataclass(frozen=True, slots=True)
class ItemDef:
    """One 0-10 question. `link_id` equals its measurement-item code."""

    link_id: str
    group: str
    text: str  # the question as the youth reads it
    label: str  # short Dutch name (CodeSystem display) for charts and reports
    required: bool
    min_value: int
    max_value: int
    step: int
    lower: str  # anchor text at 0
    upper: str  # anchor text at 10


@dataclass(frozen=True, slots=True)
class GroupDef:
    link_id: str
    text: str  # heading for the youth
    label: str
    items: tuple[ItemDef, ...]


@dataclass(frozen=True, slots=True)
class QuestionnaireDef:
    url: str
    version: str
    title: str
    groups: tuple[GroupDef, ...]

    @property
    def canonical(self) -> str:
        """What `QuestionnaireResponse.questionnaire` holds: `url|version`."""
        return f"{self.url}|{self.version}"

    @property
    def items(self) -> tuple[ItemDef, ...]:
        return tuple(i for g in self.groups for i in g.items)

    def item(self, link_id: str) -> ItemDef:
        for i in self.items:
            if i.link_id == link_id:
                return i
        raise KeyError(link_id)

    def group_of(self, link_id: str) -> GroupDef:
        return next(g for g in self.groups if any(i.link_id == link_id for i in g.items))


def _ext(node: Mapping[str, Any], url: str) -> Any:
    for e in node.get("extension", []):
        if e.get("url") == url:
            return next((v for k, v in e.items() if k.startswith("value")), None)
    return None


def _control(node: Mapping[str, Any]) -> str | None:
    concept = _ext(node, ITEM_CONTROL) or {}
    return next((c.get("code") for c in concept.get("coding", [])), None)


def _anchor(node: Mapping[str, Any], which: str) -> str:
    for child in node.get("item", []):
        if child.get("type") == "display" and _control(child) == which:
            text = str(child.get("text", ""))
            return text.split("=", 1)[1].strip() if "=" in text else text
    return ""


def _label(code: str) -> str:
    return t.display(ITEM_SYSTEM, code)


def _items(group: Mapping[str, Any]) -> Iterator[ItemDef]:
    for node in group.get("item", []):
        if node.get("type") != "integer":
            continue
        yield ItemDef(
            link_id=node["linkId"],
            group=group["linkId"],
            text=node["text"],
            label=_label(node["linkId"]),
            required=bool(node.get("required", False)),
            min_value=int(_ext(node, MIN_VALUE)),
            max_value=int(_ext(node, MAX_VALUE)),
            step=int(_ext(node, STEP) or 1),
            lower=_anchor(node, "lower"),
            upper=_anchor(node, "upper"),
        )


def from_resource(resource: Mapping[str, Any]) -> QuestionnaireDef:
    groups = tuple(
        GroupDef(g["linkId"], g["text"], _label(g["linkId"]), tuple(_items(g)))
        for g in resource.get("item", [])
        if g.get("type") == "group"
    )
    return QuestionnaireDef(resource["url"], resource["version"], resource.get("title", ""), groups)


def resource_path(root: Path | None = None) -> Path:
    base = root or t.load().root
    return base / "Questionnaire" / f"Questionnaire-{QUESTIONNAIRE_ID}.json"


@cache
def _load(path: Path) -> QuestionnaireDef:
    return from_resource(json.loads(path.read_text(encoding="utf-8")))


def questionnaire(root: Path | None = None) -> QuestionnaireDef:
    """The current measurement Questionnaire (loaded once per file)."""
    return _load(resource_path(root).resolve())
