"""Sealing at the edge of the FHIR client: every resource the app sends is sealed, every one it receives is
opened for the kinds the user's role may read.

:class:`SealingCodec` sits inside :class:`hvol_fhir.ehr.FhirClient` (``codec=``), so no write path can forget
to seal and none can fall back to plaintext: without keys there is no codec, and the app refuses the journal
features instead (``KeysUnavailable``). Mappers keep building and reading plaintext FHIR.

On the way out (:meth:`encode`): the confidential elements (:mod:`.fields`) go into one envelope
(:mod:`.envelope`) bound to youth, kind, identifier, and for a journal entry author and time; a short Dutch
narrative says the content opens only in the programme app; a CareTeam the coordinator writes is signed
(:mod:`.membership`).

On the way in (:meth:`decode`): an envelope of a kind the role may open is opened and put back. The outcome
is noted in memory as the ``meta.extension`` :data:`EXT_STATUS` (never sent: :meth:`encode` removes it):

- ``sealed``: opened and its binding verified (for a journal entry: written by the app as this author);
- ``plain``: nothing sealed in it: written outside the app (or before the migration);
- ``withheld``: sealed, and this role may not open it; the envelope stays as it is;
- ``broken:<code>``: does not open (tampered, unknown key, bound elsewhere); the envelope stays, nothing is
  overwritten, and the reader shows "kan niet worden geopend" with the reason.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from hvol_fhir import terminology as t
from hvol_fhir.errors import InvalidInput
from hvol_fhir.fhirjson import Json

from . import fields, membership
from .envelope import ALG_WRAP, HEADER, MEDIA_TYPE, Binding, SealBroken, open_json, peek_header, seal_json
from .keys import KeyRing, KeysUnavailable

EXT_STATUS: Final = f"{t.BASE}/StructureDefinition/seal-status"
SEALED, PLAIN, WITHHELD, BROKEN = "sealed", "plain", "withheld", "broken"
# Hundreds of these on one journal page: a narrative on each would cost the EHR (which parses and renders
# the XHTML of every one) more than the 5% the sealed page may cost; the others carry it (bench/: sealing).
HIGH_VOLUME: Final = frozenset({"Communication", "Encounter"})
NARRATIVE: Final = (
    '<div xmlns="http://www.w3.org/1999/xhtml"><p>Vertrouwelijk (Handen vol ervaring): dit gegeven is '
    "versleuteld en alleen te lezen in de programma-app, door wie daar recht op heeft.</p></div>"
)


def binding_for(resource: Json, kind: str) -> Binding:
    """What a sealed part of ``resource`` is bound to (read from the resource's clear elements)."""
    if kind == fields.KIND_JOURNAL:
        return Binding(
            patient=fields.patient_of(resource),
            kind="Communication.payload",
            identifier=fields.identifier_token(resource),
            author=str((resource.get("sender") or {}).get("reference") or ""),
            time=str(resource.get("sent") or ""),
        )
    return Binding(
        patient=fields.patient_of(resource),
        kind=f"{resource.get('resourceType')}.{kind}",
        identifier=fields.identifier_token(resource),
    )


def _identifier_of_reference(node: Any) -> str:
    ident = node.get("identifier") if isinstance(node, dict) else None
    if isinstance(ident, dict) and ident.get("system") and ident.get("value"):
        return f"{ident['system']}|{ident['value']}"
    return ""


def transfer_binding_for(resource: Json, kind: str) -> Binding:
    """What a part sealed by another organisation on a transfer is bound to. The sender cannot know the
    receiver's server ids, so the binding names what the transfer keeps: the youth's identifier and the
    author's identifier as the references carry them (``Reference.identifier`` beside the conditional
    reference the receiver resolves), the resource's own identifier, and the time. Still enforced: a copy
    into another entry (other identifier) or under another youth or author identifier does not open."""
    patient = ""
    for key in ("subject", "patient", "for"):
        if isinstance(resource.get(key), dict):
            patient = _identifier_of_reference(resource[key])
            break
    journal = kind == fields.KIND_JOURNAL
    return Binding(
        patient=f"identifier:{patient}" if patient else "",
        kind="Communication.payload" if journal else f"{resource.get('resourceType')}.{kind}",
        identifier=fields.identifier_token(resource),
        author=f"identifier:{_identifier_of_reference(resource.get('sender'))}" if journal else "",
        time=str(resource.get("sent") or "") if journal else "",
    )


def is_transfer_envelope(token: str) -> bool:
    return peek_header(token).get("alg") == ALG_WRAP


def status_of(resource: Mapping[str, Any]) -> str | None:
    """The in-memory seal status :meth:`SealingCodec.decode` left on ``resource`` (None: not decoded)."""
    meta = resource.get("meta")
    exts = meta.get("extension") if isinstance(meta, dict) else None
    for ext in exts if isinstance(exts, list) else []:
        if isinstance(ext, dict) and ext.get("url") == EXT_STATUS:
            value = ext.get("valueString")
            return value if isinstance(value, str) else None
    return None


def _set_status(resource: Json, status: str) -> None:
    """In place on ``resource`` itself, with a new ``meta`` (the caller's copy shares nothing deeper)."""
    found = resource.get("meta")
    meta = dict(found) if isinstance(found, dict) else {}  # a malformed meta is the mapper's to refuse
    found_exts = meta.get("extension")
    old: list[Any] = found_exts if isinstance(found_exts, list) else []
    exts = [e for e in old if not (isinstance(e, dict) and e.get("url") == EXT_STATUS)]
    meta["extension"] = [*exts, {"url": EXT_STATUS, "valueString": status}]
    resource["meta"] = meta


def _strip_status(resource: Json) -> None:
    """Takes the status note off ``resource`` with a new ``meta``, so a shallow copy never changes the
    resource it was copied from."""
    meta = resource.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("extension"), list):
        meta = dict(meta)
        exts = [e for e in meta["extension"] if not (isinstance(e, dict) and e.get("url") == EXT_STATUS)]
        if exts:
            meta["extension"] = exts
        else:
            del meta["extension"]
        resource["meta"] = meta


def take_status(resource: Any) -> tuple[str | None, Any]:
    """(the seal status, a shallow copy without it): mappers read the status first, so the in-memory note
    never goes through model validation (100 µs an entry on a 300-entry journal page)."""
    if not isinstance(resource, Mapping):
        return None, resource
    status = status_of(resource)
    if status is None:
        return None, resource
    out = dict(resource)
    _strip_status(out)
    return status, out


def without_status(resource: Mapping[str, Any]) -> Json:
    """A copy without the in-memory seal status (before anything leaves: a transfer, an export)."""
    out = copy.deepcopy(dict(resource))
    _strip_status(out)
    return out


def with_envelopes(resource: Json, tokens: Iterable[str]) -> Json:
    """``resource`` with these envelopes in their places and the placeholder narrative."""
    return _with_envelopes(copy.deepcopy(resource), tokens)


def _attachment(token: str) -> Json:
    return {"contentType": MEDIA_TYPE, "data": base64.b64encode(token.encode("ascii")).decode("ascii")}


def _token_of(attachment: Any) -> str | None:
    if not isinstance(attachment, dict) or attachment.get("contentType") != MEDIA_TYPE:
        return None
    try:
        return base64.b64decode(str(attachment.get("data") or ""), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""


def _kind_in(token: str) -> str:
    """The sealing kind named in an envelope's (authenticated) binding header; '' when unreadable."""
    header = peek_header(token)
    binding = header.get(HEADER) if isinstance(header, dict) else None
    kind = binding.get("kind") if isinstance(binding, dict) else None
    return kind.rpartition(".")[2] if isinstance(kind, str) else ""


def envelopes(resource: Json) -> dict[str, str]:
    """{kind: envelope} of a resource ('' for an envelope that is not even base64)."""
    if resource.get("resourceType") == "Communication":
        for p in resource.get("payload") or []:
            if isinstance(p, dict) and "contentAttachment" in p:
                return {fields.KIND_JOURNAL: _token_of(p["contentAttachment"]) or ""}
        return {}
    out: dict[str, str] = {}
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == fields.EXT_SEALED:
            token = _token_of(ext.get("valueAttachment")) or ""
            out[_kind_in(token) or f"?{len(out)}"] = token
    return out


def without_envelopes(resource: Json) -> Json:
    """A shallow copy without the envelopes (reading is hot: 300 entries a journal page, so no deep copy)."""
    out = dict(resource)
    if out.get("resourceType") == "Communication":
        out["payload"] = [p for p in out.get("payload") or [] if "contentAttachment" not in p]
        if not out["payload"]:
            del out["payload"]
    else:
        exts = [e for e in out.get("extension") or [] if e.get("url") != fields.EXT_SEALED]
        if exts:
            out["extension"] = exts
        else:
            out.pop("extension", None)
    return out


def _with_envelopes(resource: Json, tokens: Iterable[str]) -> Json:
    tokens = list(tokens)
    if not tokens:
        return resource
    if resource.get("resourceType") == "Communication":
        resource["payload"] = [{"contentAttachment": _attachment(tokens[0])}]
    else:
        exts = [e for e in resource.get("extension") or [] if e.get("url") != fields.EXT_SEALED]
        resource["extension"] = [
            *exts,
            *({"url": fields.EXT_SEALED, "valueAttachment": _attachment(tok)} for tok in tokens),
        ]
    if resource.get("resourceType") not in HIGH_VOLUME:
        resource["text"] = {"status": "generated", "div": NARRATIVE}
    return resource


@dataclass
class SealingCodec:
    """``ring``: the organisation's keys (None: keys unavailable, every seal and open is refused).
    ``readable``: the kinds this user's role may open. ``signer``: when set (the coordinator), CareTeams
    written through this client are signed as her act. ``on_broken``: called with (resource, reason code)
    for each envelope that does not open (the audit). ``senders``: the public signing keys (a joserfc KeySet)
    of the organisations whose transfers we accept; a transfer envelope from anyone else does not open."""

    ring: KeyRing | None
    readable: frozenset[str] = frozenset()
    signer: str | None = None
    on_broken: Callable[[Json, str], None] | None = None
    unavailable: KeysUnavailable | None = None
    senders: Any = None
    broken: list[tuple[str, str]] = field(default_factory=list)

    def _keys(self) -> KeyRing:
        if self.ring is None:
            raise self.unavailable or KeysUnavailable(
                "De sleutels van de organisatie ontbreken: dit kan nu niet worden opgeslagen.",
                code="keys-missing",
            )
        return self.ring

    # --- out ---------------------------------------------------------------------------------------------

    def encode(self, resource: Mapping[str, Any]) -> Json:
        data = copy.deepcopy(dict(resource))
        _strip_status(data)
        if data.get("resourceType") == "CareTeam" and self.signer:
            return membership.sign_careteam(self._keys(), data, self.signer)
        if not fields.kinds_of(data):
            return data
        existing = envelopes(data)
        clear, secrets = fields.split(without_envelopes(data))
        if not secrets:
            return data  # nothing confidential in the clear: envelopes we did not open stay as they are
        if set(secrets) & set(existing):
            # That envelope was not opened (withheld or broken) yet plaintext of its kind was added: merging
            # would lose what it holds, and so would overwriting. Refuse; nothing is sent.
            raise InvalidInput(
                "Dit bevat versleutelde inhoud die u niet kunt openen; het kan niet worden gewijzigd.",
                code="sealed-not-opened",
            )
        ring = self._keys()
        fresh = [seal_json(ring, secret, binding_for(clear, kind)) for kind, secret in secrets.items()]
        kept = [tok for kind, tok in existing.items() if kind not in secrets]
        return _with_envelopes(clear, [*fresh, *kept])

    def encode_bundle(self, bundle: Mapping[str, Any]) -> Json:
        out = dict(bundle)
        out["entry"] = [
            {**e, "resource": self.encode(e["resource"])} if isinstance(e.get("resource"), dict) else e
            for e in bundle.get("entry") or []
        ]
        return out

    # --- in ----------------------------------------------------------------------------------------------

    def decode(self, resource: Mapping[str, Any]) -> Json:
        data = dict(resource)
        if data.get("resourceType") == "Bundle":
            return self._decode_bundle(data)
        if data.get("resourceType") == "CareTeam" and self.ring is not None:
            return membership.without_unsigned(data, membership.verification_keys(self.ring))
        if not fields.kinds_of(data):
            return data
        found = envelopes(data)
        if not found:
            out = dict(data)
            _set_status(out, PLAIN)
            return out
        clear = without_envelopes(data)
        opened: dict[str, Any] = {}
        kept: list[str] = []
        problems: list[str] = []
        for kind, token in found.items():
            if kind not in self.readable or self.ring is None:
                kept.append(token)
                problems.append(WITHHELD)
                continue
            try:
                expected = (
                    transfer_binding_for(clear, kind)
                    if is_transfer_envelope(token)
                    else binding_for(clear, kind)
                )
                opened[kind] = open_json(self.ring, token, expected, self.senders)
            except SealBroken as exc:
                kept.append(token)
                problems.append(f"{BROKEN}:{exc.code}")
                self.broken.append((f"{data.get('resourceType')}/{data.get('id')}", exc.code))
                if self.on_broken is not None:
                    self.on_broken(data, exc.code)
        out = fields.join(clear, opened)
        out.pop("text", None)
        out = _with_envelopes(out, kept)
        broken = [p for p in problems if p.startswith(BROKEN)]
        _set_status(out, broken[0] if broken else WITHHELD if problems else SEALED)
        return out

    def _decode_bundle(self, bundle: Json) -> Json:
        entries = bundle.get("entry")
        if not isinstance(entries, list):
            return bundle
        out = dict(bundle)
        out["entry"] = [self._decode_entry(e) for e in entries]
        return out

    def _decode_entry(self, entry: Any) -> Any:
        if not isinstance(entry, dict):
            return entry
        res = entry.get("resource")
        if isinstance(res, dict):
            return {**entry, "resource": self.decode(res)}
        return entry


def readable_for(kinds: Iterable[str]) -> frozenset[str]:
    unknown = set(kinds) - set(fields.KINDS)
    if unknown:
        raise ValueError(f"unknown sealing kinds {sorted(unknown)}")
    return frozenset(kinds)
