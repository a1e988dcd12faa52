"""Launch state sealed at rest.

The session store (the sqlite file, or Redis) holds what a launch needs: access and refresh tokens that can
read a youth's journal, PKCE verifiers, ``state`` values. A copy of the file, a backup or a Redis dump must
not hand them out, so every record is sealed with AES-256-GCM (``cryptography``). The key is derived
(HKDF-SHA256) from the app's private key, so every worker and every instance that shares the key file reads
what another wrote, and nothing else needs configuring. The record's own place (table and id) is the
associated data: a sealed value copied to another launch does not open. A record that does not open (another
key, tampering, a plain record from before) reads as absent: the user starts the app again from the EHR.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "hvol-sealed-v1."
_INFO = b"hvol-fhir launch store v1"


class Sealer:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("a sealing secret needs at least 32 bytes")
        key = HKDF(algorithm=SHA256(), length=32, salt=None, info=_INFO).derive(secret)
        self._aead = AESGCM(key)

    @classmethod
    def from_signing_key(cls, key: Any) -> Sealer:
        """From the app's private key (a joserfc key): the whole private JWK is the secret."""
        return cls(json.dumps(key.as_dict(private=True), sort_keys=True).encode())

    def seal(self, data: dict[str, Any], place: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, json.dumps(data).encode(), place.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, text: str | bytes, place: str) -> dict[str, Any] | None:
        value = text.decode("ascii", "replace") if isinstance(text, bytes) else text
        if not value.startswith(PREFIX):
            return None
        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
            data = json.loads(self._aead.decrypt(raw[:12], raw[12:], place.encode()))
        except (InvalidTag, ValueError, binascii.Error):
            return None
        return data if isinstance(data, dict) else None
