"""Security labels of the journal: the set, restriction, completeness and merging (never dropping)."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.meta import Meta

from hvol_fhir.errors import MissingElement
from hvol_fhir.mapping import labels as L

CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
COMP = "https://hvol-fhir.org/fhir/CodeSystem/security-compartment"


def meta(*codings: tuple[str, str]) -> dict[str, Any]:
    return {"security": [{"system": s, "code": c} for s, c in codings]}


FULL = meta(
    (CONF, "V"),
    (ACT, "SDV"),
    (ACT, "CTCOMPT"),
    (COMP, "buddy-programme"),
    (ACT, "NORDSCLCDS"),
    (ACT, "NOINTEGRATE"),
    (ACT, "CPLYCD"),
    (ACT, "PERSISTLABEL"),
)


def without(code: str) -> dict[str, Any]:
    return {"security": [c for c in FULL["security"] if c["code"] != code]}


def test_journal_labels_are_the_reference_set() -> None:
    got = L.journal_labels("CareTeam/ct-1")
    assert [(c["system"], c["code"]) for c in got] == [
        (CONF, "V"),
        (ACT, "SDV"),
        (ACT, "ADOL"),
        (ACT, "CTCOMPT"),
        (COMP, "buddy-programme"),
        (ACT, "NORDSCLCDS"),
        (ACT, "NOINTEGRATE"),
        (ACT, "CPLYCD"),
        (ACT, "PERSISTLABEL"),
    ]
    ext = got[4]["extension"][0]
    assert ext["url"].endswith("extension-sec-label-related-artifact")
    assert ext["valueRelatedArtifact"] == {"type": "justification", "url": "CareTeam/ct-1"}
    assert L.has_full_label_set({"security": got})


def test_journal_labels_without_careteam_or_adol() -> None:
    got = L.journal_labels(adolescent=False)
    assert all("extension" not in c for c in got)
    assert (ACT, "ADOL") not in {(c["system"], c["code"]) for c in got}
    assert L.has_full_label_set({"security": got})


@pytest.mark.parametrize(
    ("m", "restricted"),
    [
        (None, False),
        ({}, False),
        (meta(), False),
        (meta((CONF, "R")), False),
        (meta((CONF, "N"), (ACT, "SDV")), False),
        (meta((CONF, "V")), True),
        (meta((COMP, "buddy-programme")), True),
        (meta((CONF, "N"), (COMP, "buddy-programme")), True),
        (meta(("http://example.org/other", "V")), False),  # V of another system is not confidentiality
        (meta((COMP, "other-compartment")), False),
        ({"tag": [{"system": CONF, "code": "V"}]}, False),  # a tag is not a security label
        (FULL, True),
    ],
)
def test_is_restricted(m: Any, restricted: bool) -> None:
    assert L.is_restricted(m) is restricted


@pytest.mark.parametrize(
    "code", ["V", "SDV", "CTCOMPT", "buddy-programme", "NORDSCLCDS", "NOINTEGRATE", "CPLYCD", "PERSISTLABEL"]
)
def test_full_set_requires_every_label(code: str) -> None:
    assert L.has_full_label_set(FULL)
    assert not L.has_full_label_set(without(code))
    assert [lab.code for lab in L.missing_journal_labels(without(code))] == [code]


@pytest.mark.parametrize(
    ("extra", "ok"),
    [
        ((CONF, "R"), False),  # two confidentiality codes: ambiguous (DS4P 1..1)
        ((ACT, "ADOL"), True),
        ((ACT, "PRS"), True),
        ((ACT, "NOLIST"), True),
    ],
)
def test_full_set_with_extras(extra: tuple[str, str], ok: bool) -> None:
    m = {"security": [*FULL["security"], {"system": extra[0], "code": extra[1]}]}
    assert L.has_full_label_set(m) is ok


def test_accepts_fhir_models() -> None:
    model = Meta.model_validate(FULL)
    assert L.is_restricted(model) and L.has_full_label_set(model)
    with pytest.raises(TypeError):
        L.is_restricted("V")


def test_require_full_label_set_raises_a_typed_error() -> None:
    with pytest.raises(MissingElement) as err:
        L.require_full_label_set(without("V"))
    assert isinstance(err.value, L.MissingSecurityLabels)
    assert err.value.field == "Communication.meta.security" and err.value.code == "missing-security-labels"
    L.require_full_label_set(FULL)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (FULL, {}, FULL["security"]),  # a write without meta drops nothing
        (FULL, meta((CONF, "V")), FULL["security"]),  # fewer labels drop nothing
        (meta((CONF, "V")), FULL, FULL["security"]),
        (meta((ACT, "PRS")), meta((CONF, "V")), meta((ACT, "PRS"), (CONF, "V"))["security"]),
        (meta((CONF, "R")), meta((CONF, "V")), meta((CONF, "V"))["security"]),  # raised
        (meta((CONF, "V")), meta((CONF, "R")), meta((CONF, "V"))["security"]),  # never lowered
        (meta((CONF, "N"), (ACT, "SDV")), meta((CONF, "R")), meta((ACT, "SDV"), (CONF, "R"))["security"]),
        (None, None, None),
    ],
)
def test_merge_labels_never_drops(old: Any, new: Any, expected: Any) -> None:
    merged = L.merge_labels(old, new)
    got = merged.get("security")
    if expected is None:
        assert got is None
    else:
        assert sorted((c["system"], c["code"]) for c in got) == sorted(
            (c["system"], c["code"]) for c in expected
        )
        assert L.labels_of(old) - {L.Label(CONF, c) for c in "UNLMR"} <= L.labels_of(merged)


def test_merge_keeps_tags_other_meta_and_extensions() -> None:
    old = {**FULL, "tag": [{"system": "x", "code": "a"}], "versionId": "3"}
    old["security"] = [
        *old["security"][:3],
        {**old["security"][3], "extension": [{"url": "u", "valueString": "v"}]},
        *old["security"][4:],
    ]
    new = {"profile": ["p"], "tag": [{"system": "x", "code": "b"}]}
    merged = L.merge_labels(old, new)
    assert merged["profile"] == ["p"]
    assert [t["code"] for t in merged["tag"]] == ["a", "b"]
    assert merged["security"][3]["extension"] == [{"url": "u", "valueString": "v"}]
    assert L.has_full_label_set(merged)


def test_restricted_labels() -> None:
    assert [(lab.system, lab.code) for lab in L.restricted_labels()] == [
        (CONF, "V"),
        (COMP, "buddy-programme"),
    ]
    assert L.is_restricted({"security": L.restricted_meta_labels()})
