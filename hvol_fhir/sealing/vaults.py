"""Which key ring serves which EHR: one per organisation (FHIR base), each in its own :class:`KeyStore`.

An app instance normally serves one organisation and has one ring; the sandbox's demo serves several
organisations from one app, each with its own ring, as separate deployments would. A ring that cannot be
loaded is remembered as its error: the programme card keeps working, and every journal feature says the keys
are missing (never a fallback to plaintext, never a fresh key that would make the old data unreadable).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwk import KeySet

from . import membership
from .keys import KeyRing, KeyStore, KeysUnavailable


@dataclass
class Vaults:
    stores: Mapping[str, KeyStore]  # FHIR base (no trailing slash) -> store
    default: KeyStore | None = None
    create_missing: Callable[[str], KeyRing] | None = None  # sandbox only: make a ring on first use
    _rings: dict[str, KeyRing | KeysUnavailable] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _store(self, fhir_base: str) -> KeyStore | None:
        return self.stores.get(fhir_base.rstrip("/"), self.default)

    def ring(self, fhir_base: str) -> KeyRing:
        """The ring of this organisation, or KeysUnavailable (with a message a coordinator can act on)."""
        with self._lock:
            found = self._rings.get(fhir_base)
            if found is None:
                found = self._load(fhir_base)
                self._rings[fhir_base] = found
        if isinstance(found, KeysUnavailable):
            raise found
        return found

    def _load(self, fhir_base: str) -> KeyRing | KeysUnavailable:
        store = self._store(fhir_base)
        if store is None:
            return KeysUnavailable("Voor dit dossier zijn geen sleutels ingesteld.", code="keys-missing")
        try:
            return store.load()
        except KeysUnavailable as exc:
            if exc.code == "keys-missing" and self.create_missing is not None:
                ring = self.create_missing(fhir_base)
                store.save(ring)
                return store.load()
            return exc

    def ring_or_none(self, fhir_base: str) -> KeyRing | None:
        try:
            return self.ring(fhir_base)
        except KeysUnavailable:
            return None

    def membership_keys(self, fhir_base: str) -> KeySet | None:
        ring = self.ring_or_none(fhir_base)
        return membership.verification_keys(ring) if ring is not None else None

    def forget(self) -> None:
        """Load the rings again on next use (after `hvol-fhir keys rotate` in another process)."""
        with self._lock:
            self._rings.clear()


def public_jwks(vaults: Vaults, fhir_bases: list[str]) -> dict[str, Any]:
    keys: list[Any] = []
    for base in fhir_bases:
        ring = vaults.ring_or_none(base)
        if ring is not None:
            keys += ring.public_jwks()["keys"]
    return {"keys": keys}
