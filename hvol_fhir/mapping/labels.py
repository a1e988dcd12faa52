"""Security labels of the buddy journal (FHIR R4 `meta.security`).

The label set is that of ../shared/reference/security-labels.md §1 (DS4P,
http://hl7.org/fhir/uv/security-label-ds4p/) with the programme's compartment code from
mappings/CodeSystem/security-compartment. A resource is *restricted* when it carries confidentiality `V` or
the compartment code (docs/sandbox-contract.md). Labels are merged, never dropped: the spec recommends
merging on update (https://hl7.org/fhir/resource.html#tag-updates) and some servers replace instead.

`meta` arguments may be a dict, a fhir.resources `Meta` model, or None.

The labels are how a resource says, in FHIR, who may read it; deciding who reads what is the privacy policy
(:mod:`hvol_fhir.privacy`), which builds on the mappers. So the labels live with the mappers that put them on
resources, and ``privacy`` imports ``mapping``, never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from hvol_fhir import terminology as t
from hvol_fhir.errors import MissingElement


@dataclass(frozen=True, slots=True, order=True)
class Label:
    system: str
    code: str

    def coding(self) -> dict[str, Any]:
        return {"system": self.system, "code": self.code}


CONFIDENTIALITY_V: Final = Label(t.V3_CONFIDENTIALITY, "V")
SDV: Final = Label(t.V3_ACTCODE, "SDV")
ADOL: Final = Label(t.V3_ACTCODE, "ADOL")
CTCOMPT: Final = Label(t.V3_ACTCODE, "CTCOMPT")
NORDSCLCDS: Final = Label(t.V3_ACTCODE, "NORDSCLCDS")
NOINTEGRATE: Final = Label(t.V3_ACTCODE, "NOINTEGRATE")
CPLYCD: Final = Label(t.V3_ACTCODE, "CPLYCD")
PERSISTLABEL: Final = Label(t.V3_ACTCODE, "PERSISTLABEL")


def compartment() -> Label:
    """The programme compartment, read from mappings/ (so a typo there fails loudly here)."""
    info = t.load().code_system(t.SECURITY_COMPARTMENT)
    if t.COMPARTMENT_CODE not in info.concepts:
        raise LookupError("security-compartment lacks buddy-programme")
    return Label(info.url, t.COMPARTMENT_CODE)


def required_journal_labels() -> tuple[Label, ...]:
    """The labels every journal Communication must carry (ADOL is recommended, not required)."""
    return (CONFIDENTIALITY_V, SDV, CTCOMPT, compartment(), NORDSCLCDS, NOINTEGRATE, CPLYCD, PERSISTLABEL)


def restricted_labels() -> tuple[Label, ...]:
    """The minimum for other restricted resources: Consent, AuditEvent, QuestionnaireResponse."""
    return (CONFIDENTIALITY_V, compartment())


# Confidentiality codes from low to high (v3-Confidentiality); a merge keeps the highest.
_CONFIDENTIALITY_ORDER: Final = ("U", "L", "M", "N", "R", "V")


def _as_dict(meta: Any) -> dict[str, Any]:
    if meta is None:
        return {}
    if isinstance(meta, dict):
        return meta
    dump = getattr(meta, "model_dump", None)
    if dump is not None:
        return dict(dump(mode="json", by_alias=True, exclude_none=True))
    raise TypeError(f"not a Meta: {type(meta).__name__}")


def labels_of(meta: Any) -> frozenset[Label]:
    out = set()
    for c in _as_dict(meta).get("security", None) or []:
        if isinstance(c, dict) and isinstance(c.get("system"), str) and isinstance(c.get("code"), str):
            out.add(Label(c["system"], c["code"]))
    return frozenset(out)


def journal_labels(careteam_ref: str | None = None, *, adolescent: bool = True) -> list[dict[str, Any]]:
    """`meta.security` for a journal entry, as JSON-ready Codings.

    With `careteam_ref` the compartment label names the CareTeam that justifies access (DS4P
    extension-sec-label-related-artifact).
    """
    out: list[dict[str, Any]] = []
    for label in required_journal_labels():
        coding = label.coding()
        if label == compartment() and careteam_ref:
            coding["extension"] = [
                {
                    "url": t.DS4P_RELATED_ARTIFACT,
                    "valueRelatedArtifact": {"type": "justification", "url": careteam_ref},
                }
            ]
        out.append(coding)
        if label == SDV and adolescent:
            out.append(ADOL.coding())
    return out


def restricted_meta_labels() -> list[dict[str, Any]]:
    return [label.coding() for label in restricted_labels()]


def is_restricted(meta: Any) -> bool:
    labels = labels_of(meta)
    return CONFIDENTIALITY_V in labels or compartment() in labels


def confidentiality_codes(meta: Any) -> list[str]:
    return [c.code for c in labels_of(meta) if c.system == t.V3_CONFIDENTIALITY]


def missing_journal_labels(meta: Any) -> tuple[Label, ...]:
    labels = labels_of(meta)
    return tuple(label for label in required_journal_labels() if label not in labels)


def has_full_label_set(meta: Any) -> bool:
    """All required journal labels, and exactly one confidentiality code (DS4P 1..1), which is V."""
    return not missing_journal_labels(meta) and confidentiality_codes(meta) == ["V"]


def require_full_label_set(meta: Any, field: str = "Communication.meta.security") -> None:
    if not has_full_label_set(meta):
        raise MissingSecurityLabels(
            "Het journaalverslag mist de verplichte beveiligingslabels en wordt daarom niet getoond of "
            "opgeslagen. Meld dit aan de coördinator.",
            field=field,
        )


class MissingSecurityLabels(MissingElement):
    """A journal resource without its full label set: never shown, never written."""

    default_code = "missing-security-labels"


def _key(coding: dict[str, Any]) -> tuple[Any, Any]:
    return coding.get("system"), coding.get("code")


def _merge_codings(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[tuple[Any, Any], dict[str, Any]] = {}
    for coding in [*old, *new]:
        # The later copy wins for the details (extensions), the code itself is never dropped.
        merged[_key(coding)] = {**merged.get(_key(coding), {}), **coding}
    return list(merged.values())


def merge_labels(old_meta: Any, new_meta: Any) -> dict[str, Any]:
    """`new_meta` with the union of both label sets (and tags): a label present before is never dropped.

    The one exception keeps DS4P's single confidentiality code: of several, only the highest stays, so
    protection can rise but never fall.
    """
    old, new = _as_dict(old_meta), _as_dict(new_meta)
    result = dict(new)
    security = _merge_codings(old.get("security") or [], new.get("security") or [])
    conf = [c for c in security if c.get("system") == t.V3_CONFIDENTIALITY]
    if len(conf) > 1:
        known = [c for c in conf if c.get("code") in _CONFIDENTIALITY_ORDER]
        top = max(known, key=lambda c: _CONFIDENTIALITY_ORDER.index(c["code"])) if known else conf[0]
        security = [c for c in security if c.get("system") != t.V3_CONFIDENTIALITY or c is top]
    if security:
        result["security"] = security
    tags = _merge_codings(old.get("tag") or [], new.get("tag") or [])
    if tags:
        result["tag"] = tags
    return result
