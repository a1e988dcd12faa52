"""Fail-closed checks on everything the EHR sends back (security-labels.md §6 layer 1).

`journal_entries(resources, patient)` accepts Communications only when they carry the full journal label set
and belong to the launch's youth; anything else is refused as a whole (`MissingSecurityLabels` /
`NotAllowed`), never shown in part. `strip_journal(resources)` drops every Communication and every other
restricted resource from a non-journal answer, so a page for someone without clearance cannot carry them
even when a server leaks one (#8362-style bugs, a missing label, a wrong include).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from hvol_fhir.errors import NotAllowed
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import labels


def walk(resources: Iterable[Json]) -> Iterator[Json]:
    """Every resource, every `contained` resource and every entry of nested Bundles."""
    for res in resources:
        if not isinstance(res, dict):
            continue
        yield res
        yield from walk(c for c in res.get("contained") or [] if isinstance(c, dict))
        if res.get("resourceType") == "Bundle":
            entries = [e for e in res.get("entry") or [] if isinstance(e, dict)]
            yield from walk(e["resource"] for e in entries if isinstance(e.get("resource"), dict))


def _patient_ref(res: Json) -> str | None:
    node = res.get("subject") or res.get("patient") or {}
    ref = node.get("reference") if isinstance(node, dict) else None
    return ref.split("/_history/")[0] if isinstance(ref, str) else None


def journal_entries(resources: Iterable[Json], patient: str) -> list[Json]:
    """The journal Communications of `patient`, each checked; raises on the first that fails a check."""
    out: list[Json] = []
    for res in walk(resources):
        if res.get("resourceType") != "Communication":
            continue
        labels.require_full_label_set(res.get("meta"))
        ref = _patient_ref(res)
        if ref is None or not (ref == patient or ref.endswith("/" + patient)):
            raise NotAllowed(
                "Het dossier stuurde een journaalverslag van een andere jongere mee.", field="subject"
            )
        res.pop("text", None)  # never render a narrative (§6 step 6)
        out.append(res)
    return out


def strip_journal(resources: Iterable[Json]) -> list[Json]:
    """The resources without any Communication, Consent, AuditEvent or other restricted resource."""
    kept: list[Json] = []
    for res in resources:
        if not isinstance(res, dict):
            continue
        if res.get("resourceType") in ("Communication", "AuditEvent", "Consent"):
            continue
        if labels.is_restricted(res.get("meta")):
            continue
        kept.append(res)
    return kept
