"""The copy of a resource that leaves A: minimal, without A's server ids, every reference re-pointed.

- Server-owned parts go (``id``, ``meta.versionId``/``lastUpdated``/``source``, the narrative ``text``: a
  narrative can carry content and the journal profile forbids it). Profiles, security labels and tags stay.
- People and contacts are cut to what the receiver needs (data minimisation, reference/dutch-context.md §3):
  a Patient to identifiers, name, gender, birth date; an Encounter to date, type and length (no place).
- Every literal reference is handed to a resolver, which turns it into a conditional reference for resources
  that travel along, or an ``identifier`` + ``display`` for ones that stay behind (R4 references.html: a
  logical reference). Absolute URLs never reach B: HAPI refuses external references by default, and B
  should not depend on A's server.
Pure functions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from hvol_fhir.fhirjson import Json

Resolver = Callable[[str, Json], Json]

_SERVER_META: Final = ("versionId", "lastUpdated", "source")
_KEEP: Final[Mapping[str, frozenset[str]]] = {
    "Patient": frozenset({"identifier", "active", "name", "gender", "birthDate"}),
    "Practitioner": frozenset({"identifier", "active", "name", "gender", "telecom", "qualification"}),
    "Encounter": frozenset(
        {
            "identifier",
            "status",
            "class",
            "type",
            "subject",
            "episodeOfCare",
            "participant",
            "period",
            "length",
        }
    ),
}
_DS4P_RELATED: Final = (
    "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-sec-label-related-artifact"
)


def strip(resource: Mapping[str, Any], source_base: str) -> Json:
    """A deep copy without server-owned parts, cut to the type's whitelist where there is one."""
    rtype = str(resource["resourceType"])
    keep = _KEEP.get(rtype)
    out: Json = {"resourceType": rtype}
    for key, value in resource.items():
        if key in ("resourceType", "id", "text"):
            continue
        if keep is not None and key not in keep and key != "meta":
            continue
        out[key] = copy.deepcopy(value)
    meta = {k: v for k, v in (out.pop("meta", None) or {}).items() if k not in _SERVER_META}
    if meta:
        out["meta"] = meta
        _absolute_label_artifacts(meta, source_base)
    return out


def _absolute_label_artifacts(meta: Json, source_base: str) -> None:
    """The DS4P justification on a label names A's CareTeam; at B a relative URL would name another team."""
    for label in meta.get("security") or []:
        for ext in label.get("extension") or []:
            artifact = ext.get("valueRelatedArtifact") if ext.get("url") == _DS4P_RELATED else None
            if not isinstance(artifact, dict):
                continue
            url = artifact.get("url")
            if isinstance(url, str) and "://" not in url and not url.startswith("urn:"):
                artifact["url"] = f"{source_base.rstrip('/')}/{url}"


def relative_key(reference: str, source_base: str) -> str | None:
    """``Type/id`` for a reference to A (relative, versioned or absolute on A's base); None otherwise."""
    ref = reference
    base = source_base.rstrip("/") + "/"
    if ref.startswith(base):
        ref = ref[len(base) :]
    elif "://" in ref or ref.startswith(("urn:", "#")) or "?" in ref:
        return None
    parts = ref.split("/")
    if len(parts) not in (2, 4) or not parts[0][:1].isupper() or not parts[1]:
        return None
    return f"{parts[0]}/{parts[1]}"


def rewrite_references(node: Any, resolve: Resolver) -> Any:
    """Walk ``node`` and replace every Reference (a dict with a string ``reference``) by ``resolve``'s."""
    if isinstance(node, list):
        return [rewrite_references(item, resolve) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("reference"), str):
        return resolve(node["reference"], node)
    return {k: rewrite_references(v, resolve) for k, v in node.items()}


def references(node: Any) -> Iterable[str]:
    """Every ``reference`` string anywhere inside a resource or element (lists and nested elements)."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from references(value)
