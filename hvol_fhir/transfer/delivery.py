"""How the confidential content of a transfer reaches the receiving organisation (issue 12, item 5).

At A the traject is read through a codec that opens everything (A's own ring), so the plan is built from
plaintext. What was sealed at A (journal entries, contact places and who else was present, victim category,
closure reason, availability notes, assessment details, disclosure recipients: ``sealing.fields``)
then goes to B in one of two ways, chosen per target in the configuration:

- ``sealed`` (B runs the app: ``"runs_app": true`` and where B publishes its keys, ``keys_url`` = B's app
  ``/.well-known/hvol-keys.json?iss=<B base>`` or ``keys_file``): every confidential part is signed with A's
  ``sign`` key and sealed to B's published ``wrap`` key (:func:`hvol_fhir.sealing.envelope.seal_transfer`).
  Only B's ring opens it, and B's app opens it only when A's signature verifies.

  *Binding.* B's server ids are unknown to A (B resolves the conditional references inside the transaction),
  so the envelope is bound to what the transfer keeps: the resource's own identifier, the youth's identifier
  and (journal) the author's identifier, carried as ``Reference.identifier`` beside each conditional
  reference to a youth or a practitioner, and the time (:func:`hvol_fhir.sealing.codec.transfer_binding_for`,
  which B's codec checks). Known limit: B's codec checks the identifier on the reference, not that the
  reference and its identifier name the same record at B; B's app re-seals under its own key and literal
  references on its first write of the resource.
- ``plain`` (B does not run the app): as plaintext, a journal entry under its full label set (B's server
  must enforce the labels, as before sealing).

Never A's own ciphertext, never A's keys: a part that did not open at A stops the transfer
(:class:`~.errors.SealedAtSource`). A's signature on the CareTeam stays at A too: it is A's act, verifies only
with A's keys, and grants nothing at B, where B's coordinator confirms the team (``hvol-fhir seal``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import requests
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from hvol_fhir import terminology as t
from hvol_fhir.fhirjson import Json

from ..sealing import codec as cd
from ..sealing import fields, membership
from ..sealing.envelope import ALG_WRAP, seal_transfer
from ..sealing.keys import KeyRing
from .errors import RecipientKeysUnavailable, SealedAtSource

Kind = Literal["sealed", "plain"]
SEALED: Final = "sealed"
PLAIN: Final = "plain"
TAG_SYSTEM: Final = t.sid("transfer-delivery")


@dataclass(frozen=True)
class Delivery:
    """``kind``: sealed to B, or plaintext. ``recipient_key``: B's public wrap key; ``sender``: A's ring
    (only its ``sign`` key is used, to sign what is sealed to B; nothing of it is sent)."""

    kind: Kind = PLAIN
    recipient_key: Any = None
    sender: KeyRing | None = None

    def __post_init__(self) -> None:
        if self.kind == SEALED and (self.recipient_key is None or self.sender is None):
            raise ValueError("sealed delivery needs the recipient's wrap key and the sender's ring")

    def describe_nl(self, target_name: str) -> str:
        if self.kind == SEALED:
            return (
                f"{target_name} gebruikt de programma-app: de vertrouwelijke inhoud (verslagen "
                f"uit het contactjournaal, "
                "plaats van contacten, slachtoffercategorie, reden van afsluiten, afspraken over "
                f"bereikbaarheid, beoordeling, ontvangers van toestemmingen) gaat versleuteld mee, zo dat "
                f"alleen {target_name} die kan openen."
            )
        return (
            f"{target_name} gebruikt de programma-app niet: de vertrouwelijke inhoud gaat leesbaar mee; "
            "verslagen uit het contactjournaal met alle beveiligingslabels, zodat het dossier "
            "daar ze afschermt."
        )

    def tag(self) -> Json:
        code = "sealed-to-recipient" if self.kind == SEALED else "plaintext"
        return {"system": TAG_SYSTEM, "code": code, "display": self.describe_nl("De ontvanger")}


PLAINTEXT: Final = Delivery()


def wrap_key(jwks: Mapping[str, Any]) -> Any:
    """The receiver's current transfer key: the last ``ECDH-ES+A256KW`` key it publishes (oldest first)."""
    found = [
        k
        for k in jwks.get("keys") or []
        if isinstance(k, dict) and k.get("alg") == ALG_WRAP and k.get("use", "enc") == "enc" and k.get("kid")
    ]
    if not found:
        raise RecipientKeysUnavailable(
            "De ontvangende organisatie publiceert geen sleutel voor overdrachten. Er is niets verstuurd."
        )
    key = dict(found[-1])
    if "d" in key:  # only ever the public half
        del key["d"]
    try:
        return ECKey.import_key(key)
    except (JoseError, ValueError, TypeError) as exc:
        raise RecipientKeysUnavailable(
            "De sleutel van de ontvangende organisatie is onbruikbaar. Er is niets verstuurd."
        ) from exc


def load_jwks(
    *, keys_file: str | Path | None = None, keys_url: str | None = None, http: Any = None, timeout: float = 10
) -> Json:
    try:
        if keys_file:
            data = json.loads(Path(keys_file).read_text(encoding="utf-8"))
        elif keys_url:
            resp = (http or requests).get(keys_url, timeout=timeout)
            resp.raise_for_status()
            data = resp.json()
        else:
            raise RecipientKeysUnavailable(
                "Voor deze ontvanger is niet ingesteld waar haar sleutels staan (keys_url of keys_file)."
            )
    except (OSError, ValueError, requests.RequestException) as exc:
        raise RecipientKeysUnavailable(
            "De sleutels van de ontvangende organisatie konden niet worden gelezen. Er is niets verstuurd."
        ) from exc
    if not isinstance(data, dict):
        raise RecipientKeysUnavailable("De sleutels van de ontvangende organisatie zijn onleesbaar.")
    return data


def delivery_for(
    target: Mapping[str, Any], sender: KeyRing | None, *, folder: Path | None = None, http: Any = None
) -> Delivery:
    """From a target's configuration: ``runs_app`` with ``keys_url`` or ``keys_file`` (relative to
    ``folder``), else plaintext."""
    if not target.get("runs_app"):
        return PLAINTEXT
    if sender is None:
        raise RecipientKeysUnavailable(
            "Om versleuteld te versturen zijn de sleutels van deze organisatie nodig (vault_file)."
        )
    keys_file = target.get("keys_file")
    path = (folder / str(keys_file)) if keys_file and folder else keys_file
    jwks = load_jwks(keys_file=path, keys_url=target.get("keys_url"), http=http)
    return Delivery(SEALED, wrap_key(jwks), sender)


def ensure_opened(resource: Json, label_nl: str) -> None:
    """Refuse a resource that still holds an envelope: A's ciphertext must never reach B."""
    status = cd.status_of(resource) or ""
    if cd.envelopes(resource) or status.startswith(cd.BROKEN) or status == cd.WITHHELD:
        raise SealedAtSource(
            f"{label_nl}: de versleutelde inhoud kan hier niet worden geopend, dus ook niet worden "
            "doorgegeven. Er is niets verstuurd. Vraag de beheerder de sleutels van deze organisatie te "
            "controleren."
        )


def outgoing(body: Json, delivery: Delivery) -> Json:
    """The copy B receives: plaintext, or every confidential part signed and sealed to B."""
    body = cd.without_status(body)
    if body.get("resourceType") == "CareTeam":
        body = _without_signature(body)
    if delivery.kind == PLAIN:
        return body
    clear, secrets = fields.split(body)
    if not secrets:
        return body
    sender = delivery.sender
    assert sender is not None  # __post_init__
    tokens = [
        seal_transfer(delivery.recipient_key, sender, secret, cd.transfer_binding_for(clear, kind))
        for kind, secret in secrets.items()
    ]
    return cd.with_envelopes(clear, tokens)


def _without_signature(careteam: Json) -> Json:
    exts = [e for e in careteam.get("extension") or [] if e.get("url") != membership.EXT_SIGNATURE]
    out = {k: v for k, v in careteam.items() if k != "extension"}
    return {**out, "extension": exts} if exts else out
