"""The programme's terminology and profiles, read from the FHIR conformance resources in `mappings/`.

`mappings/` is the single source of truth for programme codes (docs/sandbox-contract.md). This module loads
it once (cached) and answers: which codes a CodeSystem has, their Dutch display and English designation,
whether a code is valid, and the canonical URLs of CodeSystems, ValueSets and profiles. External (HL7, LOINC,
DICOM) systems and codes the mappers need are named here once, at the bottom.

The folder is found from `$HVOL_MAPPINGS_DIR`, else `mappings/` next to the `hvol_fhir` package (a source
checkout); `load(path)` takes an explicit folder.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from hvol_fhir.errors import UnknownCode

BASE: Final = "https://hvol-fhir.org/fhir"
MAPPINGS_ENV: Final = "HVOL_MAPPINGS_DIR"
_NOT_SELECTABLE: Final = "notSelectable"
# The FHIR status system of each resource type whose status a page shows (Dutch words in supplements/).
STATUS_SYSTEMS: Final = {
    "CarePlan": "http://hl7.org/fhir/request-status",
    "Encounter": "http://hl7.org/fhir/encounter-status",
    "Task": "http://hl7.org/fhir/task-status",
}


def cs_url(cs_id: str) -> str:
    return f"{BASE}/CodeSystem/{cs_id}"


def vs_url(vs_id: str) -> str:
    return f"{BASE}/ValueSet/{vs_id}"


def profile_url(profile_id: str) -> str:
    """Canonical URL of a profile or extension, checked against mappings/."""
    url = f"{BASE}/StructureDefinition/{profile_id}"
    if url not in load().structure_definitions:
        raise KeyError(f"unknown profile {profile_id!r}")
    return url


def sid(what: str) -> str:
    """Identifier system minted by the app (contract: traject, contact, journal-entry, ...)."""
    return f"{BASE}/sid/{what}"


@dataclass(frozen=True, slots=True)
class Concept:
    code: str
    display: str  # Dutch (CodeSystem.language = nl)
    display_en: str | None
    selectable: bool
    parent: str | None


@dataclass(frozen=True, slots=True)
class CodeSystemInfo:
    id: str
    url: str
    concepts: Mapping[str, Concept]

    def selectable_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.concepts.values() if c.selectable)


def _en_designation(concept: Mapping[str, Any]) -> str | None:
    for d in concept.get("designation", []):
        if d.get("language", "").split("-")[0] == "en":
            return str(d["value"])
    return None


def _flatten(concepts: list[dict[str, Any]], parent: str | None = None) -> Iterator[Concept]:
    for c in concepts:
        abstract = any(
            p.get("code") == _NOT_SELECTABLE and p.get("valueBoolean") is True for p in c.get("property", [])
        )
        yield Concept(c["code"], c["display"], _en_designation(c), not abstract, parent)
        yield from _flatten(c.get("concept", []), c["code"])


class Terminology:
    """The conformance resources of one mappings/ folder. Also a `programme.codes.Codes` lookup."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.code_systems: dict[str, CodeSystemInfo] = {}
        self.value_sets: dict[str, dict[str, Any]] = {}
        self.structure_definitions: dict[str, dict[str, Any]] = {}
        self._by_url: dict[str, CodeSystemInfo] = {}
        # Dutch displays of FHIR's own codes (statuses), from CodeSystem supplements: never uploaded to the
        # server (it has the base systems), only read here so no status reaches a page in English.
        self.supplements: dict[str, dict[str, str]] = {}
        for res in self._json_files("supplements"):
            base = str(res["supplements"]).split("|", 1)[0]
            self.supplements[base] = {c.code: c.display for c in _flatten(res.get("concept", []))}
        for res in self.conformance_resources():
            kind = res["resourceType"]
            if kind == "CodeSystem":
                concepts = {c.code: c for c in _flatten(res.get("concept", []))}
                info = CodeSystemInfo(res["id"], res["url"], concepts)
                self.code_systems[info.id] = info
                self._by_url[info.url] = info
            elif kind == "ValueSet":
                self.value_sets[res["url"]] = res
            elif kind == "StructureDefinition":
                self.structure_definitions[res["url"]] = res

    # -- files
    def _json_files(self, *folders: str) -> Iterator[dict[str, Any]]:
        for folder in folders:
            for path in sorted((self.root / folder).glob("*.json")):
                yield json.loads(path.read_text(encoding="utf-8"))

    def conformance_resources(self) -> Iterator[dict[str, Any]]:
        """CodeSystems, ValueSets, StructureDefinitions (and Questionnaires), in load order."""
        yield from self._json_files("CodeSystem", "ValueSet", "StructureDefinition", "Questionnaire")

    def examples(self) -> Iterator[dict[str, Any]]:
        yield from self._json_files("examples")

    # -- lookups
    def code_system(self, system_or_id: str) -> CodeSystemInfo:
        info = self.code_systems.get(system_or_id) or self._by_url.get(system_or_id)
        if info is None:
            raise UnknownCode("Onbekende codelijst.", field=system_or_id, code="unknown-code-system")
        return info

    def is_valid(self, system_or_id: str, code: str, *, selectable_only: bool = True) -> bool:
        info = self.code_systems.get(system_or_id) or self._by_url.get(system_or_id)
        if info is None or not isinstance(code, str):
            return False
        concept = info.concepts.get(code)
        return concept is not None and (concept.selectable or not selectable_only)

    def contains(self, system: str, code: str) -> bool:
        """`programme.codes.Codes` protocol: a selectable code of CodeSystem `system` (id or URL)."""
        return self.is_valid(system, code)

    def concept(self, system_or_id: str, code: str) -> Concept:
        info = self.code_system(system_or_id)
        concept = info.concepts.get(code)
        if concept is None:
            raise UnknownCode("Onbekende code. Kies een waarde uit de lijst.", field=info.id)
        return concept

    def display(self, system_or_id: str, code: str, lang: str = "nl") -> str:
        concept = self.concept(system_or_id, code)
        if lang.split("-")[0] == "en" and concept.display_en:
            return concept.display_en
        return concept.display

    def codes(self, cs_id: str) -> tuple[str, ...]:
        return self.code_system(cs_id).selectable_codes()

    def status_display(self, resource_type: str, code: str) -> str:
        """The Dutch word for a resource's FHIR status ("active" of a CarePlan: "lopend"); an unknown
        code is shown as it is rather than failing the page."""
        system = STATUS_SYSTEMS.get(resource_type, "")
        return self.supplements.get(system, {}).get(code, code)

    def coding(self, cs_id: str, code: str) -> dict[str, str]:
        """A FHIR Coding (as a dict) for a selectable code; raises UnknownCode otherwise."""
        info = self.code_system(cs_id)
        if not self.is_valid(info.id, code):
            raise UnknownCode("Onbekende code. Kies een waarde uit de lijst.", field=info.id)
        return {"system": info.url, "code": code, "display": info.concepts[code].display}

    def value_set_codes(self, vs_id_or_url: str) -> frozenset[tuple[str, str]]:
        """(system, code) pairs a ValueSet's compose includes (whole local systems are expanded)."""
        vs = self.value_sets.get(vs_id_or_url) or self.value_sets.get(vs_url(vs_id_or_url))
        if vs is None:
            raise KeyError(vs_id_or_url)
        out: set[tuple[str, str]] = set()
        for inc in vs.get("compose", {}).get("include", []):
            system = inc["system"]
            if "concept" in inc:
                out.update((system, c["code"]) for c in inc["concept"])
            elif system in self._by_url:
                out.update((system, code) for code in self._by_url[system].selectable_codes())
        return frozenset(out)


def write_package(dest: str | Path, root: str | Path | None = None) -> Path:
    """Write mappings/ as an NPM-style FHIR package tarball (`package/package.json`, resources flat in
    `package/`, examples in `package/examples/`, each with an `.index.json`), e.g. for HAPI's package
    installer. Returns the file written."""
    terms = load(root)
    manifest = json.loads((terms.root / "package.json").read_text(encoding="utf-8"))
    target = Path(dest)
    if target.is_dir():
        target = target / f"{manifest['name']}-{manifest['version']}.tgz"
    groups = {"package": list(terms.conformance_resources()), "package/examples": list(terms.examples())}
    with tarfile.open(target, "w:gz") as tar:
        _add(tar, "package/package.json", manifest)
        for folder, resources in groups.items():
            files = []
            for res in resources:
                name = f"{res['resourceType']}-{res['id']}.json"
                _add(tar, f"{folder}/{name}", res)
                entry = {"filename": name, "resourceType": res["resourceType"], "id": res["id"]}
                entry.update({k: res[k] for k in ("url", "version", "type") if k in res})
                files.append(entry)
            _add(tar, f"{folder}/.index.json", {"index-version": 1, "files": files})
    return target


def _add(tar: tarfile.TarFile, name: str, content: Mapping[str, Any]) -> None:
    data = json.dumps(content, ensure_ascii=False, indent=2).encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def mappings_dir() -> Path:
    env = os.environ.get(MAPPINGS_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "mappings"


@cache
def _load(root: Path) -> Terminology:
    if not (root / "CodeSystem").is_dir():
        raise FileNotFoundError(f"no mappings folder at {root} (set ${MAPPINGS_ENV})")
    return Terminology(root)


@cache
def _default_root(env_value: str | None) -> Path:
    return mappings_dir().resolve()


def load(path: str | Path | None = None) -> Terminology:
    """The terminology of `path` (default: `mappings_dir()`), loaded once per folder."""
    if path is None:  # the hot path (every label check, every mapping): no filesystem call per lookup
        return _load(_default_root(os.environ.get(MAPPINGS_ENV)))
    return _load(Path(path).resolve())


def install() -> Terminology:
    """Make mappings/ the code lookup the domain dataclasses validate against."""
    from hvol_fhir.programme.codes import install_codes

    terms = load()
    install_codes(terms)
    return terms


# Module-level shortcuts on the default folder.
def display(system_or_id: str, code: str, lang: str = "nl") -> str:
    return load().display(system_or_id, code, lang)


def status_display(resource_type: str, code: str) -> str:
    return load().status_display(resource_type, code)


def is_valid(system_or_id: str, code: str) -> bool:
    return load().is_valid(system_or_id, code)


def codes(cs_id: str) -> tuple[str, ...]:
    return load().codes(cs_id)


def coding(cs_id: str, code: str) -> dict[str, str]:
    return load().coding(cs_id, code)


# ---- Programme CodeSystem ids not named in hvol_fhir.programme.codes, and profile ids (contract).
PROGRAMME: Final = "programme"
PROGRAMME_CODE: Final = "handen-vol-ervaring"
SECURITY_COMPARTMENT: Final = "security-compartment"
COMPARTMENT_CODE: Final = "buddy-programme"

P_CAREPLAN: Final = "hvol-careplan"
P_EPISODE: Final = "hvol-episodeofcare"
P_ENCOUNTER: Final = "hvol-encounter"
P_JOURNAL: Final = "hvol-journal-communication"
P_CARETEAM: Final = "hvol-careteam"
P_PARTICIPATION_CONSENT: Final = "hvol-participation-consent"
P_DISCLOSURE_CONSENT: Final = "hvol-disclosure-consent"
P_TASK: Final = "hvol-waitinglist-task"
P_MEASUREMENT: Final = "hvol-measurement-response"
P_AUDIT: Final = "hvol-journal-auditevent"
P_INCLUSION: Final = "hvol-inclusion-assessment"
EXT_RESPONSIBLE: Final = "responsible-professional"
EXT_PURPOSE_TEXT: Final = "disclosure-purpose-text"
SKJ_SYSTEM: Final = f"{BASE}/NamingSystem/skj-registratienummer"

# ---- External systems and codes (HL7 terminology, LOINC, DICOM, UCUM): named once, here.
V3_CONFIDENTIALITY: Final = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
V3_ACTCODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_ACTREASON: Final = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
V3_PARTICIPATION_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE: Final = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_ACTION: Final = "http://terminology.hl7.org/CodeSystem/consentaction"
RESOURCE_TYPES: Final = "http://hl7.org/fhir/resource-types"
LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
DICOM: Final = "http://dicom.nema.org/resources/ontology/DCM"
AUDIT_EVENT_TYPE: Final = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION: Final = "http://hl7.org/fhir/restful-interaction"
AUDIT_ENTITY_TYPE: Final = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE: Final = "http://terminology.hl7.org/CodeSystem/object-role"
SECURITY_SOURCE_TYPE: Final = "http://terminology.hl7.org/CodeSystem/security-source-type"
DS4P_RELATED_ARTIFACT: Final = (
    "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-sec-label-related-artifact"
)

LOINC_PRIVACY_CONSENT: Final = "59284-0"  # Patient Consent (participation, pattern A)
LOINC_RELEASE_OF_INFORMATION: Final = "64292-6"  # Release of information consent (disclosure, pattern B)
SCOPE_PATIENT_PRIVACY: Final = "patient-privacy"
PARTICIPATION_IRCP: Final = "IRCP"  # information recipient
PARTICIPATION_PPRF: Final = "PPRF"  # primary performer (the buddy at a contact)
PARTICIPATION_PART: Final = "PART"  # someone else present
ENCOUNTER_CLASS_FIELD: Final = "FLD"
ENCOUNTER_CLASS_VIRTUAL: Final = "VR"
PURPOSE_CARE_COORDINATION: Final = "COC"
PURPOSE_PATIENT_REQUEST: Final = "PATRQT"
DISCLOSURE_PURPOSES: Final = frozenset({"PATRQT", "SUPNWK", "FAMRQT", "THREAT"})
ACTIONS_PARTICIPATION: Final = ("collect", "access", "use")
ACTION_DISCLOSE: Final = "disclose"
