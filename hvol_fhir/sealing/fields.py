"""Which elements of which resource are confidential, and how they come out of and back into it (pure).

:func:`split` takes a resource as the mappers build it (plaintext) and returns the resource with the
confidential elements taken out plus those elements as one JSON value (the *secret*); :func:`join` puts a
secret back. What stays in the clear is what the programme card, the cohort overview, the timeline and the
alerts need: dates, times, contact types, phase, buddy, statuses, labels.

| resource (profile)              | sealed (`kind`)                                                     |
|---------------------------------|---------------------------------------------------------------------|
| Communication (journal entries) | ``payload``: journal, coaching journal, danger overrides (journal)   |
| Encounter (contact)             | free-text ``location``; ``participant`` other than the buddy (contact)|
| Observation (inclusion)         | victim-category and contra-indication components (assessment)      |
| CarePlan (traject)              | victim category, closure reason, ``note`` (traject);                 |
|                                 | availability notes (availability)                                   |
| Consent (disclosure)            | recipients (``actor``) and purpose text of every provision (disclosure) |
| Task (open item acknowledged)   | the coordinator's ``note`` (acknowledgement)                         |
| Task (escalation)               | ``reasonCode`` (its kind) and ``description`` (escalation)          |

A Communication keeps its sealed payload in ``payload[0].contentAttachment`` (``application/jose``); the other
types in the extension :data:`EXT_SEALED`, one per kind. The kinds are what the role policy opens
(:func:`hvol_fhir.privacy.access.sealed_kinds`): a buddy opens her availability notes, not the victim
category on the same CarePlan.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Final

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import Json
from hvol_fhir.programme import availability as a
from hvol_fhir.programme import codes as c

EXT_SEALED: Final = f"{t.BASE}/StructureDefinition/sealed-content"
KIND_JOURNAL: Final = "journal"
KIND_CONTACT: Final = "contact"
KIND_ASSESSMENT: Final = "assessment"
KIND_TRAJECT: Final = "traject"
KIND_DISCLOSURE: Final = "disclosure"
KIND_AVAILABILITY: Final = "availability"
KIND_ACKNOWLEDGEMENT: Final = "acknowledgement"
KIND_ESCALATION: Final = "escalation"
KINDS: Final = (
    KIND_JOURNAL,
    KIND_CONTACT,
    KIND_ASSESSMENT,
    KIND_TRAJECT,
    KIND_DISCLOSURE,
    KIND_AVAILABILITY,
    KIND_ACKNOWLEDGEMENT,
    KIND_ESCALATION,
)
_BUDDY_PARTICIPATION: Final = t.PARTICIPATION_PPRF
_SEALED_ITEMS: Final = frozenset({"victim-category", "contra-indication"})
_SEALED_ACTOR: Final = {"display": "Vertrouwelijk: alleen te zien in de programma-app"}


def _profiled(resource: Json, profile_id: str) -> bool:
    meta = resource.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    return isinstance(profiles, list) and t.profile_url(profile_id) in profiles


def kinds_of(resource: Json) -> tuple[str, ...]:
    """The sealing kinds of a resource the programme writes (one per envelope); () when none."""
    kind = kind_of(resource)
    if kind == KIND_TRAJECT:
        return (KIND_TRAJECT, KIND_AVAILABILITY)
    return (kind,) if kind else ()


def kind_of(resource: Json) -> str | None:
    """The main sealing kind of a resource the programme writes, or None (nothing of it is sealed)."""
    rtype = resource.get("resourceType")
    if rtype == "Communication":
        return KIND_JOURNAL if _is_journal(resource) else None
    if rtype == "Encounter":
        return KIND_CONTACT if _profiled(resource, t.P_ENCOUNTER) or _has_sid(resource, "contact") else None
    if rtype == "Observation":
        return KIND_ASSESSMENT if _has_sid(resource, "inclusion-assessment") else None
    if rtype == "CarePlan":
        return KIND_TRAJECT if _has_sid(resource, "traject") else None
    if rtype == "Consent":  # the disclosure's recipients and purpose; participation names only the team
        return KIND_DISCLOSURE if _is_disclosure(resource) else None
    if rtype == "Task":  # a coordinator's note on an open item (issue 15), an escalation (P-POLICE, ...)
        return _TASK_KINDS.get(_task_code(resource) or "")
    return None


# Which Tasks hold something confidential, and which of their fields are sealed.
_TASK_KINDS: Final[dict[str, str]] = {
    c.TASK_ITEM_ACKNOWLEDGED: KIND_ACKNOWLEDGEMENT,
    c.TASK_ESCALATION: KIND_ESCALATION,
}
_TASK_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    KIND_ACKNOWLEDGEMENT: ("note",),
    KIND_ESCALATION: ("reasonCode", "description"),
}


def _task_code(resource: Json) -> str | None:
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    for cc in codings or []:
        if isinstance(cc, dict) and cc.get("system") == t.cs_url(c.TASK_KIND):
            return str(cc.get("code") or "")
    return None


def _is_disclosure(resource: Json) -> bool:
    return _profiled(resource, t.P_DISCLOSURE_CONSENT) or any(
        cc.get("system") == t.LOINC and cc.get("code") == t.LOINC_RELEASE_OF_INFORMATION
        for cat in resource.get("category") or []
        if isinstance(cat, dict)
        for cc in cat.get("coding") or []
        if isinstance(cc, dict)
    )


def _has_sid(resource: Json, what: str) -> bool:
    return any(
        i.get("system") == t.sid(what) for i in resource.get("identifier") or [] if isinstance(i, dict)
    )


def _is_journal(resource: Json) -> bool:
    system = t.cs_url(c.JOURNAL_KIND)
    return _profiled(resource, t.P_JOURNAL) or any(
        cc.get("system") == system
        for cat in resource.get("category") or []
        if isinstance(cat, dict)
        for cc in cat.get("coding") or []
        if isinstance(cc, dict)
    )


def identifier_token(resource: Json) -> str:
    """``system|value`` of the resource's programme identifier (the first ``sid/`` one)."""
    for ident in resource.get("identifier") or []:
        if isinstance(ident, dict) and str(ident.get("system", "")).startswith(t.sid("")):
            return f"{ident.get('system')}|{ident.get('value')}"
    return ""


def patient_of(resource: Json) -> str:
    for key in ("subject", "patient", "for"):
        node = resource.get(key)
        if isinstance(node, dict) and isinstance(node.get("reference"), str):
            return str(node["reference"])
    return ""


# --- per type: split(resource) -> secret or None (resource changed in place); join(resource, secret) --------


def _split_communication(r: Json) -> Any:
    payload = r.get("payload") or []
    if not any("contentString" in p or "contentReference" in p for p in payload if isinstance(p, dict)):
        if all(_is_sealed_attachment(p) for p in payload if isinstance(p, dict)):
            return None  # already sealed (nothing in the clear)
    r["payload"] = []
    return {"payload": payload}


def _join_communication(r: Json, secret: Any) -> None:
    r["payload"] = secret.get("payload") or []


def _split_encounter(r: Json) -> Any:
    locations = [x for x in r.get("location") or [] if "reference" not in (x.get("location") or {})]
    others = [p for p in r.get("participant") or [] if not _is_buddy(p)]
    if not locations and not others:
        return None
    r["location"] = [x for x in r.get("location") or [] if x not in locations]
    r["participant"] = [p for p in r.get("participant") or [] if _is_buddy(p)]
    return {"location": locations, "participant": others}


def _is_buddy(participant: Json) -> bool:
    return any(
        cc.get("code") == _BUDDY_PARTICIPATION
        for ty in participant.get("type") or []
        for cc in ty.get("coding") or []
    )


def _join_encounter(r: Json, secret: Any) -> None:
    r["location"] = [*(r.get("location") or []), *(secret.get("location") or [])]
    r["participant"] = [*(r.get("participant") or []), *(secret.get("participant") or [])]


def _component_item(comp: Json) -> str | None:
    for cc in (comp.get("code") or {}).get("coding") or []:
        if cc.get("system") == t.cs_url("assessment-item"):
            return str(cc.get("code"))
    return None


def _split_observation(r: Json) -> Any:
    comps = r.get("component") or []
    hidden = [x for x in comps if _component_item(x) in _SEALED_ITEMS]
    note = r.get("note")
    if not hidden and not note:
        return None
    r["component"] = [x for x in comps if _component_item(x) not in _SEALED_ITEMS]
    r.pop("note", None)
    return {"component": hidden, "note": note}


def _join_observation(r: Json, secret: Any) -> None:
    r["component"] = [*(secret.get("component") or []), *(r.get("component") or [])]
    if secret.get("note"):
        r["note"] = secret["note"]


def _is_availability(activity: Json) -> bool:
    system = t.cs_url(a.CAREPLAN_ACTIVITY)
    code = (activity.get("detail") or {}).get("code") or {}
    return any(
        cc.get("system") == system and cc.get("code") == a.ACTIVITY_AVAILABILITY
        for cc in code.get("coding") or []
    )


def _split_activities(r: Json, availability: bool) -> dict[str, Json]:
    keys = ("description",) if availability else ("reasonCode", "description")
    taken: dict[str, Json] = {}
    for i, act in enumerate(r.get("activity") or []):
        if _is_availability(act) != availability:
            continue
        detail = act.get("detail") or {}
        part = {k: detail.pop(k) for k in keys if k in detail}
        if part:
            taken[str(i)] = part
    return taken


def _join_activities(r: Json, taken: Any) -> None:
    acts = list(r.get("activity") or [])
    for index, part in (taken or {}).items():
        i = int(index)
        if 0 <= i < len(acts):
            acts[i] = {**acts[i], "detail": {**(acts[i].get("detail") or {}), **part}}
    if acts:
        r["activity"] = acts


def _split_careplan(r: Json) -> Any:
    victim = t.cs_url(c.VICTIM_CATEGORY)
    cats = r.get("category") or []
    hidden_cats = [x for x in cats if any(cc.get("system") == victim for cc in x.get("coding") or [])]
    details = _split_activities(r, availability=False)
    note = r.pop("note", None)
    if not hidden_cats and not details and not note:
        return None
    r["category"] = [x for x in cats if x not in hidden_cats]
    return {"category": hidden_cats, "activity": details, "note": note}


def _join_careplan(r: Json, secret: Any) -> None:
    r["category"] = [*(r.get("category") or []), *(secret.get("category") or [])]
    _join_activities(r, secret.get("activity"))
    if secret.get("note"):
        r["note"] = secret["note"]


def _split_availability(r: Json) -> Any:
    taken = _split_activities(r, availability=True)
    return {"activity": taken} if taken else None


def _join_availability(r: Json, secret: Any) -> None:
    _join_activities(r, secret.get("activity"))


def _split_consent(r: Json) -> Any:
    taken: dict[str, Json] = {}
    for i, prov in enumerate((r.get("provision") or {}).get("provision") or []):
        actors = [a for a in prov.get("actor") or [] if (a.get("reference") or {}) != _SEALED_ACTOR]
        part: Json = {"extension": prov.pop("extension")} if "extension" in prov else {}
        if actors:
            part["actor"] = prov["actor"]
            # The role stays (the profile asks for a recipient, IRCP); who it is goes in the envelope.
            prov["actor"] = [{"role": a.get("role"), "reference": dict(_SEALED_ACTOR)} for a in actors]
        if part:
            taken[str(i)] = part
    return {"provision": taken} if taken else None


def _join_consent(r: Json, secret: Any) -> None:
    root = dict(r.get("provision") or {})
    provs = list(root.get("provision") or [])
    for index, part in (secret.get("provision") or {}).items():
        i = int(index)
        if 0 <= i < len(provs):
            provs[i] = {**provs[i], **part}
    root["provision"] = provs
    r["provision"] = root


def _task_split(kind: str) -> Callable[[Json], Any]:
    def split(r: Json) -> Any:
        taken = {k: r.pop(k) for k in _TASK_FIELDS[kind] if k in r}
        return taken or None

    return split


def _task_join(kind: str) -> Callable[[Json, Any], None]:
    def join(r: Json, secret: Any) -> None:
        r.update({k: v for k, v in secret.items() if k in _TASK_FIELDS[kind]})

    return join


_SPLIT: Final[dict[str, Callable[[Json], Any]]] = {
    KIND_JOURNAL: _split_communication,
    KIND_CONTACT: _split_encounter,
    KIND_ASSESSMENT: _split_observation,
    KIND_TRAJECT: _split_careplan,
    KIND_DISCLOSURE: _split_consent,
    KIND_AVAILABILITY: _split_availability,
    KIND_ACKNOWLEDGEMENT: _task_split(KIND_ACKNOWLEDGEMENT),
    KIND_ESCALATION: _task_split(KIND_ESCALATION),
}
_JOIN: Final[dict[str, Callable[[Json, Any], None]]] = {
    KIND_JOURNAL: _join_communication,
    KIND_CONTACT: _join_encounter,
    KIND_ASSESSMENT: _join_observation,
    KIND_TRAJECT: _join_careplan,
    KIND_DISCLOSURE: _join_consent,
    KIND_AVAILABILITY: _join_availability,
    KIND_ACKNOWLEDGEMENT: _task_join(KIND_ACKNOWLEDGEMENT),
    KIND_ESCALATION: _task_join(KIND_ESCALATION),
}


def split(resource: Json) -> tuple[Json, dict[str, Any]]:
    """(a copy without the confidential elements, {kind: secret}) for the kinds that had any in the clear."""
    out = copy.deepcopy(resource)
    secrets: dict[str, Any] = {}
    for kind in kinds_of(resource):
        secret = _SPLIT[kind](out)
        if secret is not None:
            secrets[kind] = secret
    return _pruned(out), secrets


def join(resource: Json, secrets: dict[str, Any]) -> Json:
    """A shallow copy of ``resource`` with the secrets back; nested parts it changes are copied, never
    changed in place (reading is hot: no deep copy of each entry)."""
    out = dict(resource)
    # Trajects: availability notes go back before the traject's own elements so activity indexes hold.
    for kind in sorted(secrets, key=lambda k: k != KIND_AVAILABILITY):
        if isinstance(secrets[kind], dict):
            _JOIN[kind](out, secrets[kind])
    return _pruned(out)


def _pruned(r: Json) -> Json:
    for key in ("category", "participant", "location", "component", "payload"):
        if key in r and not r[key]:
            del r[key]
    return r


def _is_sealed_attachment(p: Json) -> bool:
    att = p.get("contentAttachment") or {}
    return bool(att.get("contentType") == "application/jose" and att.get("data"))
