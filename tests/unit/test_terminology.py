"""mappings/ as terminology: pinned codes, displays, designations, value sets, profiles."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hvol_fhir import terminology as t
from hvol_fhir.errors import UnknownCode
from hvol_fhir.programme import codes as programme_codes

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "docs" / "sandbox-contract.md"


def pinned_codes() -> list[tuple[str, str]]:
    """The 'Codes everybody depends on' table of the contract, parsed from the document itself."""
    text = CONTRACT.read_text(encoding="utf-8")
    section = text.split("### Codes everybody depends on", 1)[1].split("\n\n", 2)[1]
    out = []
    for row in section.splitlines()[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        cs_id = cells[0].strip("`")
        out.extend((cs_id, code) for code in re.findall(r"`([^`]+)`", cells[1]))
    return out


def pinned_profiles() -> list[str]:
    text = CONTRACT.read_text(encoding="utf-8")
    section = text.split("### Profiles (StructureDefinition ids)", 1)[1].split("##", 1)[0]
    return re.findall(r"`(hvol-[a-z-]+)`", section)


def test_contract_tables_parse() -> None:
    assert len(pinned_codes()) == 18 and len(pinned_profiles()) == 11


@pytest.mark.parametrize(("cs_id", "code"), pinned_codes())
def test_pinned_code_exists(cs_id: str, code: str) -> None:
    assert t.is_valid(cs_id, code)
    assert t.coding(cs_id, code) == {
        "system": f"https://hvol-fhir.org/fhir/CodeSystem/{cs_id}",
        "code": code,
        "display": t.display(cs_id, code),
    }


@pytest.mark.parametrize("profile_id", pinned_profiles())
def test_pinned_profile_exists(profile_id: str) -> None:
    url = t.profile_url(profile_id)
    sd = t.load().structure_definitions[url]
    assert sd["id"] == profile_id and sd["fhirVersion"] == "4.0.1"


CODE_SYSTEMS = sorted(t.load().code_systems)


@pytest.mark.parametrize("cs_id", CODE_SYSTEMS)
def test_every_concept_has_dutch_display_and_english_designation(cs_id: str) -> None:
    raw = json.loads((t.mappings_dir() / "CodeSystem" / f"CodeSystem-{cs_id}.json").read_text("utf-8"))
    assert raw["language"] == "nl" and raw["url"] == t.cs_url(cs_id) and raw["content"] == "complete"
    info = t.load().code_system(cs_id)
    assert raw["count"] == len(info.concepts)
    for concept in info.concepts.values():
        assert concept.display.strip() and concept.display_en and concept.display_en.strip()


@pytest.mark.parametrize("cs_id", CODE_SYSTEMS)
def test_every_code_system_has_a_value_set_of_its_selectable_codes(cs_id: str) -> None:
    info = t.load().code_system(cs_id)
    assert t.load().value_set_codes(cs_id) == {(info.url, code) for code in info.selectable_codes()}


@pytest.mark.parametrize("vs_url", sorted(t.load().value_sets))
def test_every_value_set_includes_existing_codes(vs_url: str) -> None:
    terms = t.load()
    pairs = terms.value_set_codes(vs_url)
    assert pairs
    for system, code in pairs:
        if system.startswith(t.BASE):
            assert terms.is_valid(system, code), (system, code)
        else:  # HL7 codes were checked against THO; here: at least a sane token
            assert re.fullmatch(r"[A-Za-z0-9-]+", code)


def test_codes_displays_and_languages() -> None:
    assert t.codes("traject-phase") == (
        "preparation",
        "inclusion",
        "introduction",
        "contact-period",
        "closure",
    )
    assert t.display("contact-type", "video") == "Videobellen"
    assert t.display(t.cs_url("contact-type"), "video", lang="en") == "Video call"
    assert t.display("careteam-role", "coordinator") == "Coördinator"


def test_group_codes_are_not_selectable() -> None:
    assert "buddy-side" not in t.codes("closure-reason")
    assert not t.is_valid("closure-reason", "buddy-side")
    assert t.load().is_valid("closure-reason", "buddy-side", selectable_only=False)
    assert t.load().concept("closure-reason", "buddy-no-click").parent == "buddy-side"
    with pytest.raises(UnknownCode):
        t.coding("closure-reason", "abrupt")


@pytest.mark.parametrize(
    ("system", "code"), [("traject-phase", "intake"), ("no-such-system", "x"), ("contact-type", "")]
)
def test_unknown_codes(system: str, code: str) -> None:
    assert not t.is_valid(system, code)
    with pytest.raises(UnknownCode) as err:
        t.coding(system, code)
    assert err.value.message_nl


def test_unknown_profile() -> None:
    with pytest.raises(KeyError):
        t.profile_url("hvol-nothing")


def test_domain_code_table_equals_mappings() -> None:
    for cs_id, codes in programme_codes.PROGRAMME_CODES.items():
        assert set(t.codes(cs_id)) == codes, cs_id


def test_install_makes_the_domain_use_mappings() -> None:
    terms, before = t.load(), programme_codes.current_codes()
    try:
        assert t.install() is terms
        assert programme_codes.current_codes() is terms
        assert programme_codes.current_codes().contains("task-kind", "alignment-meeting")
        assert not programme_codes.current_codes().contains("closure-reason", "abrupt")
    finally:
        programme_codes.install_codes(before)


def test_override_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "m"
    shutil.copytree(t.mappings_dir(), copy)
    cs = copy / "CodeSystem" / "CodeSystem-contact-type.json"
    data = json.loads(cs.read_text("utf-8"))
    data["concept"][1]["display"] = "Beeldbellen"
    cs.write_text(json.dumps(data), "utf-8")
    monkeypatch.setenv(t.MAPPINGS_ENV, str(copy))
    assert t.mappings_dir() == copy
    assert t.display("contact-type", "video") == "Beeldbellen"
    assert t.load(copy) is t.load(copy)  # cached per folder


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        t.load(tmp_path)


def test_package_json() -> None:
    pkg = json.loads((t.mappings_dir() / "package.json").read_text("utf-8"))
    assert pkg["fhirVersions"] == ["4.0.1"]
    assert pkg["dependencies"] == {"hl7.fhir.r4.core": "4.0.1"}
    assert re.fullmatch(r"[a-z0-9.]+", pkg["name"]) and re.fullmatch(r"\d+\.\d+\.\d+", pkg["version"])
    assert pkg["canonical"] == t.BASE


def test_write_package(tmp_path: Path) -> None:
    import tarfile

    path = t.write_package(tmp_path)
    assert path.name == "hvol.fhir.programme-0.1.0.tgz"
    with tarfile.open(path) as tar:
        names = set(tar.getnames())
        index = json.loads(tar.extractfile("package/.index.json").read())  # type: ignore[union-attr]
        manifest = json.loads(tar.extractfile("package/package.json").read())  # type: ignore[union-attr]
    assert manifest["fhirVersions"] == ["4.0.1"]
    assert "package/StructureDefinition-hvol-journal-communication.json" in names
    assert "package/examples/Communication-hvol-ex-journal.json" in names
    assert {f["filename"] for f in index["files"]} == {
        n.split("/")[-1] for n in names if n.count("/") == 1
    } - {
        "package.json",
        ".index.json",
    }
