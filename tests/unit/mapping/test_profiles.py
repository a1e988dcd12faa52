"""Structural checks of the profiles in mappings/ (HAPI validates them for real in the integration tests)."""

from __future__ import annotations

from typing import Any

import pytest

from hvol_fhir import terminology as t

SDS = sorted(t.load().structure_definitions.values(), key=lambda sd: sd["id"])
CORE = "http://hl7.org/fhir/StructureDefinition/"


@pytest.mark.parametrize("sd", SDS, ids=lambda sd: sd["id"])
def test_structure_definition_header(sd: dict[str, Any]) -> None:
    assert sd["url"] == f"{t.BASE}/StructureDefinition/{sd['id']}"
    assert sd["fhirVersion"] == "4.0.1" and sd["derivation"] == "constraint"
    assert sd["baseDefinition"] == CORE + sd["type"]
    assert "snapshot" not in sd


@pytest.mark.parametrize("sd", SDS, ids=lambda sd: sd["id"])
def test_differential_is_well_formed(sd: dict[str, Any]) -> None:
    elements = sd["differential"]["element"]
    ids = [e["id"] for e in elements]
    assert len(ids) == len(set(ids)), "duplicate element ids"
    assert elements[0]["path"] == sd["type"]
    sliced = {e["id"] for e in elements if "slicing" in e}
    for e in elements:
        assert e["path"].split(".")[0] == sd["type"]
        # The id is the path with slice names; strip them and it must equal the path.
        assert ".".join(p.split(":")[0] for p in e["id"].split(".")) == e["path"], e["id"]
        if "sliceName" in e:
            assert e["id"].rsplit(":", 1)[0] in sliced, f"{e['id']} slices an element without slicing"
            assert e["id"].endswith(":" + e["sliceName"])
        if "binding" in e:
            vs = e["binding"]["valueSet"]
            assert e["binding"]["strength"] == "required"
            assert vs in t.load().value_sets, vs
        for c in e.get("constraint", []):
            assert c["key"].startswith("hvol-") and c["severity"] == "error" and c["expression"]
        for ty in e.get("type", []):
            for p in ty.get("profile", []):
                assert p in t.load().structure_definitions


def test_pattern_slices_have_a_pattern() -> None:
    for sd in SDS:
        elements = sd["differential"]["element"]
        by_id = {e["id"]: e for e in elements}
        for e in elements:
            if "sliceName" not in e:
                continue
            slicing = by_id[e["id"].rsplit(":", 1)[0]]["slicing"]
            for d in slicing["discriminator"]:
                if d["type"] == "pattern" and d["path"] == "$this":
                    assert any(k.startswith("pattern") for k in e), e["id"]


def test_journal_profile_requires_every_label() -> None:
    from hvol_fhir.mapping.labels import required_journal_labels

    sd = t.load().structure_definitions[t.profile_url(t.P_JOURNAL)]
    slices = {
        (e["patternCoding"]["system"], e["patternCoding"]["code"])
        for e in sd["differential"]["element"]
        if e["path"] == "Communication.meta.security" and "sliceName" in e and e["min"] == 1
    }
    assert slices == {(label.system, label.code) for label in required_journal_labels()}
