"""Domain code lists equal the selectable codes of the CodeSystems in mappings/ (the source of truth)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hvol_fhir.programme.codes import PROGRAMME_CODES

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "CodeSystem"


def _selectable(concepts: list[dict[str, Any]]) -> Iterator[str]:
    for concept in concepts:
        abstract = any(
            p.get("code") == "notSelectable" and p.get("valueBoolean") for p in concept.get("property", [])
        )
        if not abstract:
            yield concept["code"]
        yield from _selectable(concept.get("concept", []))


@pytest.mark.parametrize("system", sorted(PROGRAMME_CODES))
def test_codes_match_mappings(system: str) -> None:
    path = MAPPINGS / f"CodeSystem-{system}.json"
    assert path.exists(), f"{path} missing: the domain names a CodeSystem that mappings/ does not define"
    resource = json.loads(path.read_text(encoding="utf-8"))
    assert resource["url"] == f"https://hvol-fhir.org/fhir/CodeSystem/{system}"
    assert set(_selectable(resource["concept"])) == PROGRAMME_CODES[system]
