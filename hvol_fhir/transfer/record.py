"""What A records once B holds the traject: one transaction at A, repeatable (pure builder).

- in neither mode is A's traject closed (issue 14, P-OUTFLOW): when the girl moves on, her buddy stays
  involved, so A's CarePlan and EpisodeOfCare keep their status until the coordinator closes the traject
  itself. **Handover** means that B now leads her care (the Task and B's Provenance say so); **shared
  continuation** that both organisations keep a part. Closing A's traject on a handover (as before issue 14)
  ended the buddy's involvement at the very moment the guide asks for continuity;
- in both modes the CarePlan points at B's copy through ``supportingInfo``: a logical reference (type
  CarePlan, the traject identifier, B's name). HAPI refuses absolute references to other servers, and the
  core extension ``workflow-relatedArtifact`` is not allowed on CarePlan by R4's validator;
- a Task (R4 ``task-code#fulfill``, status completed) is the transfer's handle at A, as in the Dutch
  notified-pull pattern (reference/dutch-context.md §3): focus = A's CarePlan, owner = B, output = B's copy
  (logical reference and its URL), the coordinator as requester and the reason;
- when journal entries went along, a disclosure AuditEvent (IHE BALP, hvol-journal-auditevent) at A.

Every entry is conditional (PUT with If-Match, POST with ifNoneExist on the transfer's tag or identifier), so
the transaction may be resent after a lost answer; a repeat of the whole transfer finds the Task and stops.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import Json

from ..ehr import bundle as bundles
from ..fhirjson import dump
from ..mapping import auditevent
from . import identity as ids
from .model import MODE_NL, TransferPlan

TASK_CODE: Final = "http://hl7.org/fhir/CodeSystem/task-code"


def task_identifier(key: str) -> Json:
    return {"system": t.sid("task"), "value": key}


def pointer(plan: TransferPlan) -> Json:
    """The logical reference from A's CarePlan to B's copy."""
    return {
        "type": "CarePlan",
        "identifier": dict(plan.traject_identifier),
        "display": f"Vervolg van dit traject bij {plan.request.target_name}",
    }


def points_at_target(careplan: Mapping[str, Any], plan: TransferPlan) -> bool:
    return any(
        isinstance(info, dict) and info.get("display") == pointer(plan)["display"]
        for info in careplan.get("supportingInfo") or []
    )


def updated_careplan(careplan: Mapping[str, Any], plan: TransferPlan) -> Json:
    """A's CarePlan with the pointer to B's copy (once); its status, period and phases stay as they are."""
    out = copy.deepcopy(dict(careplan))
    out.pop("text", None)
    if not points_at_target(out, plan):
        out["supportingInfo"] = [*(out.get("supportingInfo") or []), pointer(plan)]
    return out


def transfer_task(plan: TransferPlan, patient: str, target_url: str | None, now: datetime) -> Json:
    output: list[Json] = [
        {"type": {"text": "Traject bij de ontvangende organisatie"}, "valueReference": pointer(plan)}
    ]
    if target_url:
        output.append({"type": {"text": "Adres bij de ontvangende organisatie"}, "valueUrl": target_url})
    return {
        "resourceType": "Task",
        "meta": {"tag": [{"system": ids.TRANSFER_TAG, "code": plan.key}]},
        "identifier": [task_identifier(plan.key)],
        "status": "completed",
        "intent": "order",
        "code": {"coding": [{"system": TASK_CODE, "code": "fulfill"}], "text": "Overdracht van het traject"},
        "businessStatus": {"text": MODE_NL[plan.request.mode]},
        "focus": {"reference": plan.request.careplan},
        "for": {"reference": patient},
        "authoredOn": now.isoformat(),
        "lastModified": now.isoformat(),
        "requester": {"reference": plan.request.coordinator},
        "owner": {"display": plan.request.target_name},
        "reasonCode": {"text": plan.request.reason},
        "output": output,
    }


def disclosure_event(plan: TransferPlan, patient: str, now: datetime) -> Json:
    event = dump(
        auditevent.to_fhir(
            auditevent.JournalAccess(
                interaction="disclose",
                recorded=now,
                user=plan.request.coordinator,
                purpose=t.PURPOSE_PATIENT_REQUEST,
                patient=patient,
                entities=plan.journal_sent,
            )
        )
    )
    event["meta"]["tag"] = [{"system": ids.TRANSFER_TAG, "code": plan.key}]
    return event


def record_bundle(
    plan: TransferPlan, careplan: Mapping[str, Any], target_url: str | None, now: datetime
) -> Json:
    """The transaction for A; ``careplan`` as read (its versionId drives If-Match)."""
    patient = str((careplan.get("subject") or {}).get("reference"))
    base = plan.source_base.rstrip("/")

    def put(resource: Json, version: Any) -> Json:
        entry = bundles.update_entry(resource, if_match=version)
        entry["fullUrl"] = f"{base}/{resource['resourceType']}/{resource['id']}"  # the validator wants one
        return entry

    entries = [put(updated_careplan(careplan, plan), careplan["meta"]["versionId"])]
    task = transfer_task(plan, patient, target_url, now)
    entries.append(
        bundles.create_entry(
            task, full_url=bundles.full_url(), if_none_exist=ids.condition(task_identifier(plan.key))
        )
    )
    if plan.journal_sent:
        entries.append(
            bundles.create_entry(
                disclosure_event(plan, patient, now),
                full_url=bundles.full_url(),
                if_none_exist=ids.tag_condition(plan.key),
            )
        )
    return bundles.transaction(entries)
