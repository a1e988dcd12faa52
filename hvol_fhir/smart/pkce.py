"""PKCE with S256, always (RFC 7636, https://www.rfc-editor.org/rfc/rfc7636; R13, R44, R45).

The challenge itself comes from authlib's ``rfc7636``; this module adds the verifier and types.
"""

from __future__ import annotations

import re
import secrets

from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]

METHOD = "S256"
VERIFIER_PATTERN = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def new_verifier() -> str:
    """86 characters from the unreserved alphabet (512 random bits)."""
    return secrets.token_urlsafe(64)


def challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))`` without padding."""
    if not VERIFIER_PATTERN.match(verifier):
        raise ValueError("PKCE verifier must be 43-128 characters of [A-Za-z0-9-._~]")
    return str(create_s256_code_challenge(verifier))
