"""Moving data in the EHR to the sealed form: the first migration, a re-seal after rotation, a key check.

One pure decision per resource (:func:`decide`) and one I/O shell (:class:`Migration`) that pages through the
programme's resources and writes each change as an update with ``If-Match`` on the version it read. So a run
can be stopped and started again: what is done is skipped (idempotent), a resource someone changed in the
meantime is reported as a conflict and taken by the next run, and nothing is ever overwritten blindly.

Older versions on the server keep what they held: a migration seals the current version only. On HAPI the
old plaintext versions are removed with ``$expunge`` (``expungeOldVersions``), see :data:`EXPUNGE_NOTE`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, Literal

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient
from hvol_fhir.ehr.errors import EhrError, VersionConflict
from hvol_fhir.fhirjson import Json

from . import codec as cd
from . import fields, membership
from .envelope import peek_kid
from .keys import KeyRing

Action = Literal["seal", "reseal", "sign", "resign", "ok", "broken", "skip"]
EXPUNGE_NOTE: Final = (
    "Let op: oudere versies van deze resources op de server bevatten nog de onverzegelde tekst. "
    "Verwijder ze op HAPI FHIR met $expunge (expungeOldVersions=true), bijvoorbeeld "
    "POST [base]/Communication/$expunge met Parameters expungeOldVersions=true; de server moet expunge "
    "toestaan (JpaStorageSettings.setExpungeEnabled(true)). Andere servers: zie hun handleiding over het "
    "definitief verwijderen van versiegeschiedenis."
)
# Where the programme's resources are found with standard search parameters (design.md: stock servers).
SEARCHES: Final[tuple[tuple[str, dict[str, str]], ...]] = (
    ("Communication", {"identifier": f"{t.sid('journal-entry')}|"}),
    ("Encounter", {"identifier": f"{t.sid('contact')}|"}),
    ("Observation", {"identifier": f"{t.sid('inclusion-assessment')}|"}),
    ("CarePlan", {"identifier": f"{t.sid('traject')}|"}),
    ("Consent", {"identifier": f"{t.sid('consent')}|"}),
    ("CareTeam", {"identifier": f"{t.sid('careteam')}|"}),
    ("PractitionerRole", {"role": f"{t.cs_url('careteam-role')}|"}),
)
MEMBERSHIP_TYPES: Final = frozenset({"CareTeam", "PractitionerRole"})


def searches(patient: str | None) -> list[tuple[str, dict[str, str]]]:
    """:data:`SEARCHES`, narrowed to one youth when ``patient`` is given (organisation roles drop out)."""
    if patient is None:
        return list(SEARCHES)
    return [
        (rtype, {**params, "patient": patient}) for rtype, params in SEARCHES if rtype != "PractitionerRole"
    ]


def _membership_action(resource: Json, ring: KeyRing) -> Action:
    keys = membership.verification_keys(ring)
    if resource["resourceType"] == "CareTeam":
        clear = membership.careteam_members(resource)
        if not clear:
            return "skip"
        signed = membership.verified_members(resource, keys)
    else:
        clear_codes = membership.role_statement(resource)["codes"]
        if not clear_codes:
            return "skip"
        signed_codes = membership.verified_role_codes(resource, keys)
        return "ok" if signed_codes == clear_codes else "sign"
    return "ok" if signed == clear else "sign"


def decide(resource: Json, ring: KeyRing) -> Action:
    """What a migration does with ``resource`` (pure). ``seal``: confidential plaintext in it; ``reseal``:
    sealed under an older key; ``sign``: a membership without a valid signature; ``broken``: an envelope that
    does not open (left alone, reported); ``ok``: nothing to do."""
    if resource.get("resourceType") in MEMBERSHIP_TYPES:
        return _membership_action(resource, ring)
    if not fields.kinds_of(resource):
        return "skip"
    opened = cd.SealingCodec(ring, frozenset(fields.KINDS)).decode(resource)
    status = cd.status_of(opened) or ""
    if status.startswith(cd.BROKEN):
        return "broken"
    if status == cd.PLAIN:
        _, secrets = fields.split(opened)
        return "seal" if secrets else "ok"
    current = ring.current("seal").kid
    if any(peek_kid(tok) != current for tok in cd.envelopes(resource).values()):
        return "reseal"
    _, secrets = fields.split(cd.without_envelopes(resource))
    return "seal" if secrets else "ok"  # a sealed resource with plaintext added beside it by hand


@dataclass
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    conflicts: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        names = {
            "seal": "te verzegelen",
            "reseal": "opnieuw te verzegelen (oude sleutel)",
            "sign": "lidmaatschap te ondertekenen",
            "ok": "al in orde",
            "broken": "gaat niet open (niets gewijzigd)",
            "done": "bijgewerkt",
            "conflict": "tussentijds gewijzigd: volgende keer opnieuw",
            "failed": "niet gelukt: volgende keer opnieuw",
        }
        return [f"{names.get(k, k)}: {v}" for k, v in sorted(self.counts.items()) if k != "skip"]


@dataclass
class Migration:
    """``client``: a FhirClient WITHOUT codec (it reads and writes the raw resources); ``signer``: the
    coordinator who confirmed the memberships (required to sign them)."""

    client: FhirClient
    ring: KeyRing
    signer: str | None = None
    progress: Callable[[str], None] = lambda _line: None
    page_size: int = 100
    patient: str | None = None  # only this youth's resources (Patient/<id>); None: the whole EHR

    def resources(self, types: frozenset[str] | None = None) -> Iterator[Json]:
        for rtype, params in searches(self.patient):
            if types is not None and rtype not in types:
                continue
            query = {**params, "_count": str(self.page_size)}
            for res in self.client.search_all(rtype, query, max_pages=100_000):
                if res.get("resourceType") == rtype:
                    yield res

    def plan(self, types: frozenset[str] | None = None) -> Report:
        """What :meth:`run` would do; nothing is written."""
        return self.run(frozenset(), types)

    def run(self, wanted: frozenset[Action], types: frozenset[str] | None = None) -> Report:
        """Apply the ``wanted`` actions; every change one If-Match update, progress every 25 resources."""
        report = Report()
        for i, res in enumerate(self.resources(types), 1):
            action = decide(res, self.ring)
            report.counts[action] += 1
            ref = f"{res['resourceType']}/{res.get('id')}"
            if action == "broken":
                report.broken.append(ref)
            if action in wanted and action in ("seal", "reseal", "sign"):
                self._apply(res, action, ref, report)
            if i % 25 == 0:
                self.progress(f"{i} resources bekeken, {report.counts['done']} bijgewerkt")
        return report

    def _apply(self, res: Json, action: Action, ref: str, report: Report) -> None:
        version = (res.get("meta") or {}).get("versionId")
        if action == "sign":
            if not self.signer:
                raise ValueError("signing memberships needs the confirming coordinator")
            sign = membership.sign_careteam if res["resourceType"] == "CareTeam" else membership.sign_role
            body = sign(self.ring, res, self.signer)
        else:
            codec = cd.SealingCodec(self.ring, frozenset(fields.KINDS))
            body = codec.encode(codec.decode(res))
        try:
            self.client.update(body, if_match=version)
            report.counts["done"] += 1
        except VersionConflict:
            report.counts["conflict"] += 1
            report.conflicts.append(ref)
        except EhrError:
            report.counts["failed"] += 1
            report.failed.append(ref)


def verify_sample(
    client: FhirClient, ring: KeyRing, per_type: int = 20, patient: str | None = None
) -> Counter[str]:
    """Open and verify up to ``per_type`` resources of each sealed kind and every membership type: how many
    opened, were plain, were broken, and memberships signed or not (for ``keys verify``)."""
    out: Counter[str] = Counter()
    codec = cd.SealingCodec(ring, frozenset(fields.KINDS))
    keys = membership.verification_keys(ring)
    for rtype, params in searches(patient):
        page = client.search(rtype, {**params, "_count": str(per_type)})
        for entry in page.get("entry") or []:
            res = entry.get("resource") or {}
            if res.get("resourceType") != rtype:
                continue
            if rtype == "CareTeam":
                ok = membership.verified_members(res, keys) == membership.careteam_members(res)
                out["lidmaatschap ondertekend" if ok else "lidmaatschap niet ondertekend"] += 1
            elif rtype == "PractitionerRole":
                ok = bool(membership.verified_role_codes(res, keys))
                out["rol ondertekend" if ok else "rol niet ondertekend"] += 1
            elif fields.kinds_of(res):
                status = (cd.status_of(codec.decode(res)) or "").split(":")[0]
                out[{"sealed": "geopend", "plain": "niet verzegeld", "broken": "gaat niet open"}[status]] += 1
    return out
