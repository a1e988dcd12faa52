"""The organisation's sealing and signing keys, held by the app (issue 12, design.md privacy layer 4).

A :class:`KeyRing` holds three kinds of key, each a list with one *current* key and the older ones kept so
that old data still opens and verifies after a rotation:

- ``seal``: symmetric 256-bit keys (JWK ``oct``) for ``dir`` + ``A256GCM``: every confidential element the app
  writes to the EHR. No public-key operation per entry (../shared/reference/sealing.md).
- ``sign``: P-256 keys (JWK ``EC``) for ``ES256``: programme memberships, which stay in the clear and are
  verified by the app and by the EHR's authorization server with the public half.
- ``wrap``: P-256 keys for ``ECDH-ES+A256KW``: what another organisation seals *to* us on a transfer. The
  public halves of ``sign`` and ``wrap`` are published (:meth:`KeyRing.public_jwks`).

Where the keys live is behind :class:`KeyStore`: :class:`FileKeyStore` is a JSON file with mode 0600 shared
by all app instances; a KMS or HSM can implement the same two methods. Losing every copy of the ring loses
the journal: back it up (:func:`backup`, a passphrase-protected JWE) and try the restore (``hvol-fhir keys``).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OctKey

from hvol_fhir.errors import HvolError

Purpose = Literal["seal", "sign", "wrap"]
PURPOSES: Final[tuple[Purpose, ...]] = ("seal", "sign", "wrap")
FORMAT: Final = "hvol-keyring-1"
BACKUP_ALGORITHMS: Final = ["PBES2-HS512+A256KW", "A256GCM"]


class KeysUnavailable(HvolError):
    """The app has no usable keys: journal features are refused, never served in plaintext."""

    default_code = "keys-unavailable"
    default_status = 503
    issue_type = "exception"


def _new_kid(purpose: Purpose, now: datetime) -> str:
    return f"{purpose}-{now.strftime('%Y%m%d')}-{secrets.token_hex(4)}"


def _generate(purpose: Purpose, kid: str) -> Any:
    if purpose == "seal":
        return OctKey.generate_key(256, parameters={"kid": kid, "use": "enc", "alg": "dir"}, private=True)
    use, alg = ("sig", "ES256") if purpose == "sign" else ("enc", "ECDH-ES+A256KW")
    return ECKey.generate_key("P-256", parameters={"kid": kid, "use": use, "alg": alg}, private=True)


def _import(purpose: Purpose, data: Mapping[str, Any]) -> Any:
    key = OctKey.import_key(dict(data)) if purpose == "seal" else ECKey.import_key(dict(data))
    if not key.kid:
        raise KeysUnavailable("Een sleutel in de sleutelring heeft geen kid.", code="keys-bad-file")
    return key


@dataclass(frozen=True)
class KeyRing:
    """Immutable; :func:`rotate` returns a new ring. ``keys[purpose]``: oldest first, the last is current."""

    organisation: str
    keys: Mapping[Purpose, tuple[Any, ...]] = field(default_factory=dict)

    def current(self, purpose: Purpose) -> Any:
        found = self.keys.get(purpose) or ()
        if not found:
            raise KeysUnavailable(f"De sleutelring heeft geen {purpose}-sleutel.", code="keys-incomplete")
        return found[-1]

    def find(self, purpose: Purpose, kid: str) -> Any | None:
        for key in self.keys.get(purpose) or ():
            if key.kid == kid:
                return key
        return None

    def kids(self, purpose: Purpose) -> list[str]:
        return [str(k.kid) for k in self.keys.get(purpose) or ()]

    def public_jwks(self) -> dict[str, Any]:
        """The public halves of every signing and wrapping key (old ones too: rotation has an overlap)."""
        out = [k.as_dict(private=False) for p in ("sign", "wrap") for k in self.keys.get(p) or ()]
        return {"keys": out}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "organisation": self.organisation,
            **{p: [k.as_dict(private=True) for k in self.keys.get(p) or ()] for p in PURPOSES},
        }

    @classmethod
    def from_json(cls, data: Any) -> KeyRing:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeysUnavailable("Dit is geen sleutelring van hvol-fhir.", code="keys-bad-file")
        try:
            keys = {p: tuple(_import(p, k) for k in data.get(p) or ()) for p in PURPOSES}
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise KeysUnavailable("De sleutelring is beschadigd.", code="keys-bad-file") from exc
        ring = cls(str(data.get("organisation") or ""), keys)
        for p in PURPOSES:
            ring.current(p)
        return ring


def generate(organisation: str, now: datetime | None = None) -> KeyRing:
    moment = now or datetime.now(UTC)
    return KeyRing(organisation, {p: (_generate(p, _new_kid(p, moment)),) for p in PURPOSES})


def rotate(ring: KeyRing, purposes: Iterable[Purpose] = PURPOSES, now: datetime | None = None) -> KeyRing:
    """A new current key per purpose; the old ones stay to open and verify old data."""
    moment = now or datetime.now(UTC)
    keys = dict(ring.keys)
    for p in purposes:
        keys[p] = (*keys.get(p, ()), _generate(p, _new_kid(p, moment)))
    return replace(ring, keys=keys)


def backup(ring: KeyRing, passphrase: str) -> str:
    """The ring as a compact JWE under a passphrase (PBES2, RFC 7518 §4.8). Needs 12+ characters."""
    if len(passphrase) < 12:
        raise KeysUnavailable(
            "Kies een wachtzin van minstens 12 tekens voor de back-up.", code="keys-weak-passphrase"
        )
    key = OctKey.import_key(passphrase.encode("utf-8"))
    header = {"alg": "PBES2-HS512+A256KW", "enc": "A256GCM", "cty": FORMAT}
    payload = json.dumps(ring.to_json(), sort_keys=True).encode()
    return jwe.encrypt_compact(header, payload, key, algorithms=BACKUP_ALGORITHMS)


def restore(text: str, passphrase: str) -> KeyRing:
    key = OctKey.import_key(passphrase.encode("utf-8"))
    try:
        opened = jwe.decrypt_compact(text.strip(), key, algorithms=BACKUP_ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise KeysUnavailable(
            "De back-up gaat niet open: verkeerde wachtzin, of het bestand is beschadigd.",
            code="keys-bad-backup",
        ) from exc
    return KeyRing.from_json(json.loads(opened.plaintext or b"{}"))


class KeyStore(Protocol):
    """Where the ring lives. A KMS/HSM store implements these two; the app never writes plaintext keys
    anywhere else."""

    def load(self) -> KeyRing: ...

    def save(self, ring: KeyRing) -> None: ...


@dataclass
class FileKeyStore:
    """A JSON file, mode 0600 (like the app's client key), shared by all app instances of the organisation."""

    path: Path

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> KeyRing:
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise KeysUnavailable(
                "De sleutels van de organisatie ontbreken. Het journaal kan niet worden geopend of bewaard; "
                "herstel de sleutels uit de back-up (hvol-fhir keys restore).",
                code="keys-missing",
            ) from exc
        except OSError as exc:
            raise KeysUnavailable("Het sleutelbestand is niet leesbaar.", code="keys-unreadable") from exc
        if mode & 0o077:
            raise KeysUnavailable(
                "Het sleutelbestand is leesbaar voor anderen; zet het op 0600 (chmod 600).",
                code="keys-open-mode",
            )
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise KeysUnavailable("De sleutelring is beschadigd.", code="keys-bad-file") from exc
        return KeyRing.from_json(data)

    def save(self, ring: KeyRing) -> None:
        """Atomic: a new file beside the old one, then renamed over it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(ring.to_json(), handle, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def load_or_create(self, organisation: str) -> KeyRing:
        if not self.path.exists():
            self.save(generate(organisation))
        return self.load()


def public_keyset(jwks: Mapping[str, Any]) -> KeySet:
    return KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
