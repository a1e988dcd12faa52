"""Plan a transfer: from the traject as read at A to the preview and the ONE transaction Bundle for B.

Pure: ``build_plan(snapshot, request, now)`` does no I/O, so what the coordinator previews is exactly what is
sent (reference/dutch-context.md §3, R4 http.html#trules):

- every entry is a conditional create (``ifNoneExist`` on the resource's identifier): a repeat creates
  nothing; the youth is matched on her BSN, else the provider's youth number, else the transfer is refused;
- every reference is a conditional reference on identifiers (``Practitioner?identifier=...``), resolved by
  B inside the transaction; resources that stay behind are named by identifier and display only;
- journal entries stay at A, except those the coordinator selected *and* an active disclosure Consent
  covers (P-SHARE-CONSENT); they keep their labels;
- a Provenance at B names A, the coordinator and the reason; a second one, itself restricted, covers the
  restricted resources, so B's regular staff cannot count journal entries through it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import Json

from .. import fhirjson as f
from ..ehr import bundle as bundles
from ..errors import InvalidInput
from ..mapping import labels
from ..sealing import codec as cd
from . import identity as ids
from .coverage import coverage, is_disclosure, participation_recipients
from .delivery import PLAINTEXT, SEALED, Delivery, ensure_opened, outgoing
from .describe import describe
from .errors import JournalWithoutConsent, NotATraject
from .model import PlanItem, Snapshot, TransferPlan, TransferRequest
from .rewrite import references, relative_key, rewrite_references, strip

_NS: Final = uuid.UUID("5d1e8c0a-2f4b-4e8e-9c57-1b2d3e4f5a6b")
PROVENANCE_ACTIVITY: Final = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PARTICIPANT_TYPE: Final = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
# What goes to B, in the order of the transaction; the token asked of B (scopes.py) covers exactly these.
SEND_ORDER: Final = (
    "Patient",
    "Practitioner",
    "CareTeam",
    "CarePlan",
    "EpisodeOfCare",
    "Observation",
    "Consent",
    "Encounter",
    "QuestionnaireResponse",
    "Communication",
)
_STAYS: Final[Mapping[str, str]] = {
    "Task": "Werkafspraak van deze organisatie; de nieuwe organisatie maakt eigen afspraken.",
    "AuditEvent": "Interne logging van deze organisatie; die blijft hier bewaard.",
    "Organization": "Gegevens van deze organisatie zelf.",
    "PractitionerRole": "Functie binnen deze organisatie.",
    "RelatedPerson": "Naasten worden niet overgedragen; de nieuwe organisatie legt zelf vast wie "
    "erbij hoort.",
    "CarePlan": "Eerder, afgesloten traject: alleen het lopende traject gaat mee.",
    "EpisodeOfCare": "Hoort bij een ander traject.",
    "CareTeam": "Hoort bij een ander traject.",
}


def _points_at(resource: Mapping[str, Any], key: str, source_base: str, *fields: str) -> bool:
    return any(relative_key(r, source_base) == key for fld in fields for r in references(resource.get(fld)))


def _traject_identifier(plan: Mapping[str, Any]) -> Json:
    programme = any(
        f.has_coding(cc, t.cs_url(t.PROGRAMME), t.PROGRAMME_CODE) for cc in plan.get("category") or []
    )
    for ident in ids.identifiers_of(plan):
        if ident["system"] == t.sid("traject") and programme:
            return ident
    raise NotATraject(
        "Dit is geen traject van het programma Handen vol ervaring (kenmerk of categorie ontbreekt).",
        field="CarePlan.identifier",
    )


def _normalise_journal(selected: Iterable[str]) -> list[str]:
    out = []
    for ref in selected:
        key = ref if ref.startswith("Communication/") else f"Communication/{ref}"
        if key not in out:
            out.append(key)
    return out


class _Selection:
    """Which of A's resources go to B, with the reason for every one that stays."""

    def __init__(self, snap: Snapshot, request: TransferRequest, now: datetime) -> None:
        self.snap = snap
        base = snap.source_base
        plan = snap.plan
        self.patient_key = relative_key(((plan.get("subject") or {}).get("reference")) or "", base) or ""
        if snap.get(self.patient_key) is None:
            raise InvalidInput("De jongere van dit traject is niet gevonden.", field="CarePlan.subject")
        team_refs = [relative_key(r, base) for r in references(plan.get("careTeam"))]
        self.team_key = next((k for k in team_refs if k), None)
        traject = _traject_identifier(plan)
        self.sent: dict[str, str] = {}  # key -> why it goes (Dutch)
        self.stays: dict[str, str] = {}
        self.sent[snap.careplan] = "Het traject met zijn fasen."
        self.sent[self.patient_key] = "De jongere; de ontvanger koppelt haar aan een eigen dossier."
        if self.team_key and snap.get(self.team_key):
            self.sent[self.team_key] = "Wie er rond de jongere betrokken zijn."
        episodes = [k for k, r in snap.of_type("EpisodeOfCare") if traject in ids.identifiers_of(r)]
        for key in episodes:
            self.sent[key] = "Zorgperiode van het traject (contacten hangen eraan)."
        for key, res in snap.of_type("Encounter"):
            if any(_points_at(res, e, base, "episodeOfCare") for e in episodes):
                self.sent[key] = "Contactmoment: datum, soort en duur (zonder contactjournaal)."
        for key, res in snap.of_type("Observation"):
            if _points_at(res, snap.careplan, base, "basedOn"):
                self.sent[key] = "Beoordeling bij de start van het traject."
        for key, res in snap.of_type("QuestionnaireResponse"):
            if _points_at(res, snap.careplan, base, "basedOn"):
                self.sent[key] = "Meting van het traject."
        self._journal(request, now)
        self._consents()

    def _journal(self, request: TransferRequest, now: datetime) -> None:
        base = self.snap.source_base
        entries = {
            k: r
            for k, r in self.snap.of_type("Communication")
            if _points_at(r, self.snap.careplan, base, "basedOn")
        }
        consents = [
            (k, r)
            for k, r in self.snap.of_type("Consent")
            if _points_at(r, self.patient_key, base, "patient")
        ]
        covered = coverage(consents, now)
        self.consents_used: set[str] = set()
        self.journal_sent: list[str] = []
        for key in _normalise_journal(request.journal):
            if key not in entries:
                raise InvalidInput(
                    "Dit verslag uit het contactjournaal hoort niet bij dit traject.", field="journal"
                )
            if not covered.get(key):
                raise JournalWithoutConsent(
                    "Een gekozen verslag uit het contactjournaal mag niet mee: de jongere heeft geen geldige "
                    "toestemming gegeven "
                    "om het te delen. Er is niets verstuurd.",
                    field="journal",
                )
            labels.require_full_label_set(entries[key].get("meta"))  # it must arrive labelled as it left
            _require_authentic(entries[key])
            self.journal_sent.append(key)
            self.consents_used.update(covered[key])
            self.sent[key] = (
                "Verslag uit het contactjournaal dat de jongere heeft toegestemd te delen (labels blijven)."
            )
        self.selectable = {k for k in entries if covered.get(k) and k not in self.sent}
        for key in entries:
            if key not in self.sent:
                self.stays[key] = (
                    "Het contactjournaal blijft hier: de jongere heeft hiervoor geen toestemming "
                    "tot delen gegeven."
                    if not covered.get(key)
                    else "Het contactjournaal blijft hier: dit verslag is niet gekozen om mee te sturen."
                )

    def _consents(self) -> None:
        base = self.snap.source_base
        for key, res in self.snap.of_type("Consent"):
            recipients = {relative_key(r, base) for r in participation_recipients(res)}
            if self.team_key and self.team_key in recipients:
                self.sent[key] = "Toestemming van de jongere voor deelname aan het programma."
            elif key in self.consents_used:
                self.sent[key] = (
                    "Toestemming waarop de meegestuurde verslagen uit het contactjournaal rusten."
                )
            elif is_disclosure(res):
                self.stays[key] = (
                    "Toestemming om te delen met anderen; die geldt niet voor de nieuwe organisatie."
                )
            else:
                self.stays[key] = "Hoort niet bij dit traject."


def _require_authentic(entry: Json) -> None:
    """Only an entry that opened here as written by the app goes as its author's (issue 12): re-sealed or
    sent in the clear, a forged or broken entry would arrive looking like the named author's."""
    status = cd.status_of(entry)
    if status is not None and status != cd.SEALED:
        raise InvalidInput(
            "Een gekozen verslag uit het contactjournaal is niet door de app geschreven of kan "
            "niet worden geopend; het "
            "kan niet mee. Er is niets verstuurd.",
            field="journal",
        )


def _practitioners(snap: Snapshot, sent: Iterable[Json], coordinator: str) -> list[str]:
    out: list[str] = []
    for res in sent:
        for ref in references(res):
            key = relative_key(ref, snap.source_base)
            if key and key.startswith("Practitioner/") and snap.get(key) and key not in out:
                out.append(key)
    if snap.get(coordinator) is None:
        raise InvalidInput("De coördinator is niet gevonden in het dossier.", field="coordinator")
    if coordinator not in out:
        out.append(coordinator)
    return out


def _entry_url(condition: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, condition)}"


def _provenance(
    targets: list[str],
    *,
    key: str,
    restricted: bool,
    request: TransferRequest,
    snap: Snapshot,
    coordinator_ref: str,
    traject: Json,
    now: datetime,
) -> Json:
    meta: Json = {"tag": [{"system": ids.TRANSFER_TAG, "code": key}]}
    if restricted:
        meta["security"] = labels.restricted_meta_labels()
    source: Json = {"display": snap.source_name}
    if snap.source_identifier:
        source["identifier"] = snap.source_identifier
    return {
        "resourceType": "Provenance",
        "meta": meta,
        "target": [{"reference": ref} for ref in targets],
        "recorded": now.isoformat(),
        "reason": [
            {
                "coding": [{"system": t.V3_ACTREASON, "code": t.PURPOSE_CARE_COORDINATION}],
                "text": request.reason,
            }
        ],
        "activity": {
            "coding": [{"system": PROVENANCE_ACTIVITY, "code": "CREATE"}],
            "text": "Overdracht van traject",
        },
        "agent": [
            {
                "type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "author"}]},
                "who": {"reference": coordinator_ref},
                "onBehalfOf": source,
            },
            {"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "custodian"}]}, "who": source},
        ],
        "entity": [
            {
                "role": "source",
                "what": {
                    "type": "CarePlan",
                    "identifier": traject,
                    "display": f"Traject bij {snap.source_name}",
                },
            }
        ],
    }


def build_plan(
    snap: Snapshot, request: TransferRequest, now: datetime, delivery: Delivery = PLAINTEXT
) -> TransferPlan:
    """The preview and the Bundle; raises NoUsableIdentifier, JournalWithoutConsent, NotATraject,
    SealedAtSource. ``delivery``: how confidential content goes (:mod:`.delivery`); the snapshot must hold
    it opened (read through A's codec)."""
    if now.tzinfo is None:
        raise InvalidInput("Het tijdstip heeft geen tijdzone.", field="now")
    if request.careplan != snap.careplan:
        raise InvalidInput("Het gevraagde traject is niet het gelezen traject.", field="careplan")
    sel = _Selection(snap, request, now)
    traject = _traject_identifier(snap.plan)
    for key in _practitioners(snap, [snap.resources[k] for k in sel.sent], request.coordinator):
        sel.sent.setdefault(key, "Betrokken zorgverlener, herkend aan een kenmerk (geen dossiernummer).")
    order = {rtype: i for i, rtype in enumerate(SEND_ORDER)}
    sent_keys = sorted(sel.sent, key=lambda k: (order.get(k.split("/")[0], 99), k))

    matches: dict[str, str] = {}
    match_idents: dict[str, Json] = {}
    for key in sent_keys:
        res = snap.resources[key]
        rtype = str(res["resourceType"])
        ident = ids.match_identifier(res, strict=rtype in ("Patient", "Practitioner"))
        if ident is None:
            rid = key.split("/", 1)[1]
            ident = ids.derived_identifier(snap.source_base, rtype, rid)
        match_idents[key] = ident
        matches[key] = ids.conditional_reference(rtype, ident)

    def resolve(reference: str, node: Json) -> Json:
        key = relative_key(reference, snap.source_base)
        kept = {k: v for k, v in node.items() if k in ("display", "type", "extension")}
        if key in matches:
            if delivery.kind == SEALED and key.split("/")[0] in ("Patient", "Practitioner"):
                # what the sealed parts are bound to: B's ids are unknown here (delivery.py)
                return {**kept, "reference": matches[key], "identifier": match_idents[key]}
            return {**kept, "reference": matches[key]}
        target = snap.get(key) if key else None
        ident = ids.match_identifier(target, strict=False) if target else None
        out: Json = {
            **kept,
            "display": kept.get("display") or (describe(target) if target else "Niet overgedragen"),
        }
        if ident:
            out["identifier"] = ident
        if key and "type" not in out:
            out["type"] = key.split("/")[0]
        return out

    entries: list[Json] = []
    restricted: list[str] = []
    public: list[str] = []
    for key in sent_keys:
        res = snap.resources[key]
        body = rewrite_references(strip(res, snap.source_base), resolve)
        ensure_opened(body, describe(res))  # never A's own ciphertext
        ident = match_idents[key]
        if ident["system"] == ids.SOURCE_RESOURCE:  # give it the identifier a repeat will match on
            if body["resourceType"] == "QuestionnaireResponse":
                body["identifier"] = ident
            else:
                body["identifier"] = [*(body.get("identifier") or []), ident]
        body = outgoing(body, delivery)
        condition = ids.condition(ident)
        entries.append(bundles.create_entry(body, full_url=_entry_url(matches[key]), if_none_exist=condition))
        (restricted if labels.is_restricted(res.get("meta")) else public).append(matches[key])

    tkey = ids.transfer_key(request.target, traject["value"], list(matches.values()))
    coordinator_ref = matches[request.coordinator]
    for targets, is_restricted, code in ((public, False, tkey), (restricted, True, f"{tkey}-beperkt")):
        if not targets:
            continue
        prov = _provenance(
            targets,
            key=code,
            restricted=is_restricted,
            request=request,
            snap=snap,
            coordinator_ref=coordinator_ref,
            traject=traject,
            now=now,
        )
        cond = ids.tag_condition(code)
        entries.append(bundles.create_entry(prov, full_url=_entry_url(cond), if_none_exist=cond))

    patient_ident = match_idents[sel.patient_key]
    items: list[PlanItem] = []
    for key, res in snap.resources.items():
        rtype = str(res.get("resourceType"))
        restricted_res = labels.is_restricted(res.get("meta"))
        if key in sel.sent:
            items.append(
                PlanItem(key, rtype, describe(res), True, sel.sent[key], restricted_res, matches[key])
            )
        else:
            why = sel.stays.get(key) or _STAYS.get(rtype, "Niet nodig om het traject voort te zetten.")
            optional = key in sel.selectable
            items.append(PlanItem(key, rtype, describe(res), False, why, restricted_res, selectable=optional))
    items.sort(key=lambda i: (not i.send, order.get(i.resource_type, 99), i.reference))
    return TransferPlan(
        key=tkey,
        request=request,
        items=tuple(items),
        bundle=bundles.transaction(entries),
        traject_identifier=traject,
        patient_match=patient_ident,
        patient_match_kind="BSN" if patient_ident["system"] == ids.BSN else "organisatienummer",
        source_base=snap.source_base,
        source_name=snap.source_name,
        careplan_match=matches[snap.careplan],
        journal_sent=tuple(sel.journal_sent),
        consents_used=tuple(sorted(sel.consents_used)),
        practitioner_matches=tuple(matches[k] for k in sent_keys if k.startswith("Practitioner/")),
        delivery=delivery.kind,
        delivery_nl=delivery.describe_nl(request.target_name),
    )
