"""The app's settings: issuer allowlist with one registration per issuer, its signing key, its stores.

Everything is read into ``app.config`` under the ``HVOL_`` prefix (Flask tutorial layout): defaults, then a
JSON file named by ``$HVOL_CONFIG``, then ``HVOL_*`` environment variables, then the test config.

``HVOL_ISSUERS`` is a comma-separated list of FHIR bases that share the default registration
(``HVOL_CLIENT_ID``, ``private_key_jwt`` with the app key); ``HVOL_ISSUER_REGISTRATIONS`` (config file) lists
issuers with their own registration::

    {"iss": "https://ehr.example.org/fhir", "client_id": "abc", "auth": "client_secret_basic",
     "client_secret_env": "EHR_SECRET", "basic_encoding": "form", "scope_syntax": "v1",
     "name": "Voorbeeldzorg"}

``basic_encoding``: ``form`` (RFC 6749 §2.3.1, default) or ``plain`` for servers that do not form-decode.
``HVOL_FRAME_ANCESTORS`` is required outside sandbox/test mode (:func:`frame_ancestors`);
``HVOL_JOURNAL_IDLE_MINUTES`` (default 30) ends an idle launch with journal access. ``HVOL_GROUPS`` names the
provider's groups (living groups) for the presentations page, so a group without any presentation warns too: a
JSON list in the config file, or in the environment a JSON list or names separated by commas or semicolons.

Plain-http issuers are accepted only on a loopback host and only with ``HVOL_SANDBOX`` (the library checks).
The private key is generated once into ``HVOL_KEY_FILE`` (mode 0600) when it does not exist yet, and its
public half is served at ``/.well-known/jwks.json`` (R291, R299).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

from hvol_fhir.sealing.keys import FileKeyStore, KeyStore
from hvol_fhir.sealing.keys import generate as generate_ring
from hvol_fhir.sealing.vaults import Vaults
from hvol_fhir.smart import (
    ClientRegistration,
    ClientSecretBasic,
    ConfigurationError,
    IssuerRegistry,
    PrivateKeyJwt,
    load_signing_key,
)
from hvol_fhir.smart.keys import SigningKey

CALLBACK_PATH = "/launch/callback"
JWKS_PATH = "/.well-known/jwks.json"
DEFAULTS: dict[str, Any] = {
    "HVOL_APP_URL": "http://127.0.0.1:5000",
    "HVOL_CLIENT_ID": "hvol-app",
    "HVOL_ISSUERS": "",
    "HVOL_ISSUER_REGISTRATIONS": [],
    "HVOL_SANDBOX": False,
    "HVOL_KEY_FILE": "",  # default: <instance>/app-key.json
    # The organisation's sealing and signing keys (issue 12); a registration may name its own "vault_file".
    "HVOL_VAULT_FILE": "",  # default: <instance>/vault.json
    "HVOL_VAULT_FILES": {},  # {FHIR base: key file}: an app that serves several organisations (the demo)
    "HVOL_SESSION_STORE": "",  # sqlite:///path, redis://host:port/db or memory; default: instance sqlite
    "HVOL_STANDALONE_ISSUER": "",  # default: the first issuer
    # Which EHR origins may frame the app (CSP frame-ancestors): required outside sandbox/test mode.
    "HVOL_FRAME_ANCESTORS": "",
    "HVOL_PREVIOUS_KEY_FILE": "",  # default: <key file>.previous.json when it exists (published, not used)
    "HVOL_JOURNAL_IDLE_MINUTES": 30.0,  # a journal page after this long without a request: relaunch
    "HVOL_FHIR_TIMEOUT": 10.0,
    "HVOL_TRANSFER_TIMEOUT": 120.0,  # a transfer is one Bundle of up to a few thousand entries
    "HVOL_GROUPS": [],  # the provider's groups, for the presentations per group (smart_app/outreach.py)
    # The browser-session cookie (Flask's own setting names; the cookie holds only an opaque id). Empty name:
    # ``__Host-hvol_sid`` when the app runs on https with Secure cookies (no Domain, Path=/, so no sibling
    # host can set or shadow it), plain ``hvol_sid`` otherwise (the http sandbox and tests).
    "SESSION_COOKIE_NAME": "",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "None",
    "SESSION_COOKIE_PARTITIONED": True,
}
_BOOL_KEYS = {
    "HVOL_SANDBOX",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_PARTITIONED",
}


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "ja", "on"}
    return bool(value)


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings from ``$HVOL_CONFIG`` (JSON) and then ``HVOL_*`` variables; later sources win."""
    out: dict[str, Any] = {}
    path = environ.get("HVOL_CONFIG")
    if path:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ConfigurationError(f"{path}: expected a JSON object")
        out.update(data)
    for key, value in environ.items():
        if key.startswith("HVOL_") and key != "HVOL_CONFIG" and key in DEFAULTS:
            out[key] = value
    return out


def normalise(config: Mapping[str, Any]) -> dict[str, Any]:
    """Types fixed up after merging (environment values are strings)."""
    out = dict(config)
    for key in _BOOL_KEYS:
        if key in out:
            out[key] = _as_bool(out[key])
    issuers = out.get("HVOL_ISSUERS") or ""
    if isinstance(issuers, str):
        issuers = [i.strip() for i in issuers.split(",") if i.strip()]
    out["HVOL_ISSUERS"] = list(issuers)
    out["HVOL_APP_URL"] = str(out["HVOL_APP_URL"]).rstrip("/")
    out["HVOL_FHIR_TIMEOUT"] = float(out["HVOL_FHIR_TIMEOUT"])
    out["HVOL_JOURNAL_IDLE_MINUTES"] = float(out.get("HVOL_JOURNAL_IDLE_MINUTES") or 30.0)
    if not out.get("SESSION_COOKIE_NAME"):
        out["SESSION_COOKIE_NAME"] = cookie_name(out["HVOL_APP_URL"], bool(out.get("SESSION_COOKIE_SECURE")))
    out["HVOL_TRANSFER_TIMEOUT"] = float(out["HVOL_TRANSFER_TIMEOUT"])
    out["HVOL_GROUPS"] = groups(out.get("HVOL_GROUPS"))
    return out


def groups(value: Any) -> list[str]:
    """The provider's group names, in order, blanks and repeats dropped.

    An environment variable is one string: a JSON list (for a name holding a comma) or names separated by
    commas or semicolons. Anything else than names is refused at start, not when the page is first opened."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise ConfigurationError(f"HVOL_GROUPS: not a JSON list ({exc})") from exc
        else:
            value = text.replace(";", ",").split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(g, str) for g in value):
        raise ConfigurationError("HVOL_GROUPS: expected a list of group names")
    out: list[str] = []
    for name in (" ".join(g.split()) for g in value):
        if name and name not in out:
            out.append(name)
    return out


def cookie_name(app_url: str, secure: bool) -> str:
    """``__Host-`` where browsers accept it: an https app with Secure cookies (RFC 6265bis §4.1.3.2)."""
    return "__Host-hvol_sid" if secure and app_url.startswith("https://") else "hvol_sid"


def frame_ancestors(config: Mapping[str, Any]) -> str:
    """The CSP ``frame-ancestors`` list; outside sandbox/test mode an explicit list of origins is required.

    ``*`` (or nothing) would let any site frame the journal pages (clickjacking); the sandbox and the tests
    run the launcher on a loopback origin and may keep ``*``."""
    value = " ".join(str(config.get("HVOL_FRAME_ANCESTORS") or "").replace(",", " ").split())
    relaxed = bool(config.get("HVOL_SANDBOX")) or bool(config.get("TESTING"))
    if relaxed:
        return value or "*"
    if not value or "*" in value.split():
        raise ConfigurationError(
            "HVOL_FRAME_ANCESTORS must list the EHR origins that may frame the app "
            "(e.g. 'https://ehr.example.org'); '*' and an empty value are refused outside the sandbox"
        )
    return value


def previous_key_path(config: Mapping[str, Any], key_path: Path) -> Path:
    explicit = str(config.get("HVOL_PREVIOUS_KEY_FILE") or "")
    return Path(explicit) if explicit else key_path.with_name(key_path.stem + ".previous.json")


def load_previous_key(path: Path) -> SigningKey | None:
    """The key rotated out last: its public half stays in the JWK Set so EHRs that cached it still verify
    assertions signed just before the rotation (overlap); it never signs anything."""
    return load_signing_key(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def rotate_key(path: Path, previous: Path | None = None) -> SigningKey:
    """Key rotation: the current key becomes the previous one (still published), a new one is made.

    ``python -m smart_app.config rotate-key [key file]``; restart the app afterwards."""
    previous = previous or path.with_name(path.stem + ".previous.json")
    if path.exists():
        os.replace(path, previous)
    return load_or_create_key(path)


def load_or_create_key(path: Path) -> SigningKey:
    """The app's private key (a JWK file); generated on first use, kept readable by the owner only (R295)."""
    if path.exists():
        return load_signing_key(json.loads(path.read_text(encoding="utf-8")))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = RSAKey.generate_key(2048, parameters={"kid": f"hvol-app-{secrets.token_hex(4)}"}, private=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(key.as_dict(private=True), handle)
    return load_signing_key(key.as_dict(private=True))


def _client_auth(entry: Mapping[str, Any], client_id: str, key: SigningKey) -> Any:
    method = entry.get("auth", "private_key_jwt")
    if method == "private_key_jwt":
        return PrivateKeyJwt(client_id, key)
    if method == "client_secret_basic":
        secret = entry.get("client_secret") or os.environ.get(str(entry.get("client_secret_env", "")), "")
        if not secret:
            raise ConfigurationError(f"issuer {entry.get('iss')}: client_secret_basic without a secret")
        encoding = str(entry.get("basic_encoding") or "form")
        if encoding not in ("form", "plain"):
            raise ConfigurationError(f"issuer {entry.get('iss')}: basic_encoding must be 'form' or 'plain'")
        return ClientSecretBasic(client_id, secret, "plain" if encoding == "plain" else "form")
    raise ConfigurationError(f"issuer {entry.get('iss')}: unknown client authentication {method!r}")


def build_vaults(config: Mapping[str, Any], instance_path: str) -> Vaults:
    """One key ring per organisation: ``vault_file`` of its registration, else ``HVOL_VAULT_FILE``. Only the
    sandbox makes a missing ring itself; a real deployment makes it once with ``hvol-fhir keys init``, so a
    lost file is noticed instead of silently replaced by keys that open nothing."""
    default = FileKeyStore(Path(config.get("HVOL_VAULT_FILE") or Path(instance_path) / "vault.json"))
    files: dict[str, Any] = {
        str(entry["iss"]): entry["vault_file"]
        for entry in config.get("HVOL_ISSUER_REGISTRATIONS") or []
        if entry.get("vault_file")
    }
    files.update(config.get("HVOL_VAULT_FILES") or {})
    stores: dict[str, KeyStore] = {base.rstrip("/"): FileKeyStore(Path(str(p))) for base, p in files.items()}
    sandbox = bool(config.get("HVOL_SANDBOX"))
    return Vaults(stores, default, create_missing=(lambda base: generate_ring(base)) if sandbox else None)


def build_registry(config: Mapping[str, Any], key: SigningKey) -> IssuerRegistry:
    """The allowlist: every configured issuer with its registration; redirect URI = app URL + callback."""
    app_url = config["HVOL_APP_URL"]
    redirect_uri = app_url + CALLBACK_PATH
    entries: list[Mapping[str, Any]] = [{"iss": iss} for iss in config["HVOL_ISSUERS"]]
    entries += list(config.get("HVOL_ISSUER_REGISTRATIONS") or [])
    registrations = []
    for entry in entries:
        client_id = str(entry.get("client_id") or config["HVOL_CLIENT_ID"])
        registrations.append(
            ClientRegistration(
                issuer=str(entry["iss"]),
                client_id=client_id,
                redirect_uri=redirect_uri,
                auth=_client_auth(entry, client_id, key),
                scope_syntax=entry.get("scope_syntax"),
                name=str(entry.get("name") or ""),
            )
        )
    return IssuerRegistry(registrations, sandbox=bool(config["HVOL_SANDBOX"]))


if __name__ == "__main__":  # pragma: no cover - operator command
    import sys

    if len(sys.argv) >= 2 and sys.argv[1] == "rotate-key":
        target = Path(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("HVOL_KEY_FILE", "app-key.json"))
        new_key = rotate_key(target)
        print(f"nieuwe sleutel {new_key.kid} in {target}; de vorige blijft gepubliceerd")
    else:
        print("gebruik: python -m smart_app.config rotate-key [sleutelbestand]", file=sys.stderr)
        sys.exit(2)
