"""Offline handover: the transfer Bundle as a file, and checking and importing such a file at B.

The file is the very transaction Bundle the online transfer sends (so an import is as idempotent as a send),
with ``Bundle.identifier`` = the transfer key and, per DS4P, only the high-water mark of the labels on the
Bundle itself (security-labels.md §1). It may hold journal entries: it is written readable by the owner only.

The file carries confidential content the way the transfer does (:mod:`.delivery`): sealed to the receiver's
published key, or as plaintext under the labels; ``Bundle.meta.tag`` (:data:`.delivery.TAG_SYSTEM`) says
which. Never the sender's key, never ciphertext only the sender can open.

``check_bundle`` is pure: it refuses what an import must never do (plain creates that would duplicate on a
repeat, server ids, absolute references, journal entries without their labels, content sealed under the
sender's own key). ``validate_at`` asks B's
own validator (``POST Bundle/$validate``) without writing anything.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hvol_fhir.fhirjson import Json

from ..ehr import FhirClient
from ..ehr import bundle as bundles
from ..ehr.errors import EhrError, EhrRejected
from ..ehr.outcome import parse_outcome
from ..mapping import labels
from ..sealing import codec as cd
from ..sealing.envelope import ALG_WRAP, peek_header
from . import identity as ids
from .delivery import TAG_SYSTEM
from .errors import InvalidTransferFile
from .model import TransferPlan
from .rewrite import references


@dataclass(frozen=True)
class Report:
    """What an import would do, and what stands in its way (Dutch lines, never content)."""

    counts: Mapping[str, int]
    problems: tuple[str, ...] = ()
    server_issues: tuple[str, ...] = ()
    server_checked: bool = False
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems and not self.server_issues

    def lines(self) -> Iterable[str]:
        total = sum(self.counts.values())
        yield f"Het bestand bevat {total} gegevens:"
        for rtype, n in sorted(self.counts.items()):
            yield f"  {rtype}: {n}"
        if self.server_checked:
            yield "Controle door de ontvangende server: " + (
                "goedgekeurd." if not self.server_issues else "afgekeurd:"
            )
            yield from (f"  - {line}" for line in self.server_issues)
        if self.problems:
            yield "Problemen in het bestand:"
            yield from (f"  - {p}" for p in self.problems)
        yield from (f"Let op: {w}" for w in self.warnings)
        yield "Het bestand kan worden ingelezen." if self.ok else "Het bestand wordt NIET ingelezen."


def export_bundle(plan: TransferPlan, timestamp: str) -> Json:
    bundle = dict(plan.bundle)
    bundle["identifier"] = {"system": ids.TRANSFER_TAG, "value": plan.key}
    bundle["timestamp"] = timestamp
    restricted = any(i.restricted for i in plan.sent)
    meta: Json = {"tag": [delivery_tag(plan)]}
    if restricted:  # the high-water mark only: no refrain or obligation codes on a Bundle (DS4P)
        meta["security"] = [labels.CONFIDENTIALITY_V.coding()]
    bundle["meta"] = meta
    return bundle


def delivery_tag(plan: TransferPlan) -> Json:
    sealed = plan.delivery == "sealed"
    return {
        "system": TAG_SYSTEM,
        "code": "sealed-to-recipient" if sealed else "plaintext",
        "display": (
            "Vertrouwelijke inhoud versleuteld voor de ontvanger"
            if sealed
            else (
                "Vertrouwelijke inhoud leesbaar, verslagen uit het contactjournaal onder alle "
                "beveiligingslabels"
            )
        ),
    }


def delivery_of(bundle: Mapping[str, Any]) -> str | None:
    """ "sealed-to-recipient" or "plaintext", as the file says; None when it does not say."""
    for tag in (bundle.get("meta") or {}).get("tag") or []:
        if isinstance(tag, dict) and tag.get("system") == TAG_SYSTEM:
            return str(tag.get("code"))
    return None


def write_file(path: Path, bundle: Mapping[str, Any]) -> None:
    """Owner-only from the first byte: the file may carry journal entries."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(bundle, handle, ensure_ascii=False, indent=1)
    os.chmod(path, 0o600)


def read_file(path: Path) -> Json:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidTransferFile(
            "Het bestand kan niet worden gelezen als FHIR-JSON.", field="bestand"
        ) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise InvalidTransferFile("Het bestand is geen FHIR-Bundle.", field="Bundle")
    return data


def check_bundle(bundle: Mapping[str, Any]) -> Report:
    problems: list[str] = []
    counts: Counter[str] = Counter()
    if bundle.get("type") != "transaction":
        problems.append("Het bestand is geen transactie-Bundle.")
    identifier = bundle.get("identifier") or {}
    if identifier.get("system") != ids.TRANSFER_TAG:
        problems.append("Het bestand heeft geen overdrachtskenmerk (Bundle.identifier).")
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)]
    if not entries:
        problems.append("Het bestand bevat geen gegevens.")
    for n, entry in enumerate(entries):
        res = entry.get("resource") or {}
        rtype = str(res.get("resourceType") or "?")
        counts[rtype] += 1
        where = f"gegeven {n + 1} ({rtype})"
        request = entry.get("request") or {}
        if request.get("method") != "POST" or not request.get("ifNoneExist"):
            problems.append(f"{where}: geen voorwaardelijk aanmaken; inlezen zou dubbel kunnen aanmaken.")
        if "id" in res:
            problems.append(f"{where}: bevat een dossiernummer van de afzender.")
        if not str(entry.get("fullUrl") or "").startswith("urn:uuid:"):
            problems.append(f"{where}: fullUrl is geen urn:uuid.")
        for ref in references(res):
            if "?" not in ref and not ref.startswith(("urn:uuid:", "#")):
                problems.append(f"{where}: verwijst naar een dossiernummer in plaats van een kenmerk.")
                break
        if rtype == "Communication" and not labels.has_full_label_set(res.get("meta")):
            problems.append(
                f"{where}: verslag uit het contactjournaal zonder de verplichte beveiligingslabels."
            )
        if any(peek_header(tok).get("alg") != ALG_WRAP for tok in cd.envelopes(res).values()):
            problems.append(
                f"{where}: versleuteld met een sleutel van de afzender; de ontvanger kan het niet openen."
            )
    if counts["Patient"] != 1:
        problems.append("Het bestand moet precies één jongere bevatten.")
    if counts["Provenance"] < 1:
        problems.append("Het bestand mist de herkomstregistratie (Provenance).")
    delivery = delivery_of(bundle)
    warnings = (
        ("Vertrouwelijke inhoud is versleuteld voor de ontvanger; alleen haar programma-app opent die.",)
        if delivery == "sealed-to-recipient"
        else (
            "Vertrouwelijke inhoud staat leesbaar in het bestand, verslagen uit het "
            "contactjournaal onder alle labels.",
        )
        if delivery == "plaintext"
        else ()
    )
    return Report(counts=dict(counts), problems=tuple(problems), warnings=warnings)


def validate_at(client: FhirClient, bundle: Mapping[str, Any], report: Report) -> Report:
    """B's validator on the whole Bundle; writes nothing. Issue lines are the safe, structured parts only."""
    try:
        answer = client.operation("$validate", resource_type="Bundle", body=bundle, repeatable=True)
        outcome = parse_outcome(answer)
        issues = tuple(i.detail_nl() for i in outcome.errors) if outcome else ()
    except EhrRejected as exc:
        issues = exc.details_nl or (exc.message_nl,)
    except EhrError as exc:
        return Report(report.counts, report.problems, (exc.message_nl,), True, report.warnings)
    return Report(report.counts, report.problems, tuple(dict.fromkeys(issues)), True, report.warnings)


def import_bundle(client: FhirClient, bundle: Mapping[str, Any]) -> tuple[int, int, str | None]:
    """Send a checked file as the transaction it is: (created, matched, B's CarePlan reference)."""
    answer = client.transaction(bundle)
    results = bundles.results(answer, bundle)
    created = sum(1 for r in results if r.created)
    careplan = next((r.reference for r in results if (r.reference or "").startswith("CarePlan/")), None)
    return created, len(results) - created, careplan
