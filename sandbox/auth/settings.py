"""Settings of one sandbox authorization server: who it is, which clients it knows, where users come from.

Built in code (tests) or read from a JSON file (``python -m sandbox.auth --config file.json``)::

    {"issuer": "http://127.0.0.1:8801", "fhir_base": "http://127.0.0.1:8802/fhir", "port": 8801,
     "key_file": "var/org-a-key.pem", "clients": [...] or "clients_file": "clients.json",
     "directory": {"users": [...], "youths": [...]}  (optional: in memory instead of reading FHIR),
     "directory_fhir_base": "..." (optional, default fhir_base), "access_token_lifetime": 3600,
     "tenant": null, "smart_style_url": null, "enable_dev_token": false}

``enable_dev_token`` turns on the unauthenticated ``POST /dev/token`` (a token for any demo user, no login):
for tests and the demo only, off unless a settings file or the code says so.

Relative paths are resolved against the settings file's folder. The key file is created (mode 0600) when it
does not exist, so HAPI and a restarted server see the same JWKS.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

from sandbox.auth.signed import keys_from_vault
from sandbox.tokens import TokenIssuer

from .directory import Directory, FhirDirectory, InMemoryDirectory

PRIVATE_KEY_JWT = "private_key_jwt"
SECRET_BASIC = "client_secret_basic"
SECRET_POST = "client_secret_post"
PUBLIC = "none"
AUTH_METHODS = (PRIVATE_KEY_JWT, SECRET_BASIC, SECRET_POST, PUBLIC)


@dataclass(frozen=True)
class ClientRegistration:
    client_id: str
    redirect_uris: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    launch_url: str | None = None
    standalone_url: str | None = None
    name: str = ""
    auth_method: str = PUBLIC
    jwks: Mapping[str, Any] | None = None
    jwks_uri: str | None = None
    client_secret: str | None = None
    # Journal clearance for Backend Services tokens of this client (e.g. ["*"] for the transfer service).
    journal: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.auth_method not in AUTH_METHODS:
            raise ValueError(f"client {self.client_id}: unknown auth method {self.auth_method}")
        if self.auth_method == PRIVATE_KEY_JWT and not (self.jwks or self.jwks_uri):
            raise ValueError(f"client {self.client_id}: private_key_jwt needs jwks or jwks_uri")
        if self.auth_method in (SECRET_BASIC, SECRET_POST) and not self.client_secret:
            raise ValueError(f"client {self.client_id}: {self.auth_method} needs client_secret")

    @property
    def display_name(self) -> str:
        return self.name or self.client_id

    @property
    def confidential(self) -> bool:
        return self.auth_method != PUBLIC

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClientRegistration:
        method = data.get("token_endpoint_auth_method") or data.get("auth_method")
        if not method:
            method = (
                PRIVATE_KEY_JWT
                if data.get("jwks") or data.get("jwks_uri")
                else SECRET_BASIC
                if data.get("client_secret")
                else PUBLIC
            )
        scope = data.get("scope", ())
        return cls(
            client_id=data["client_id"],
            redirect_uris=tuple(data.get("redirect_uris", ())),
            scope=tuple(scope.split() if isinstance(scope, str) else scope),
            launch_url=data.get("launch_url"),
            standalone_url=data.get("standalone_url"),
            name=data.get("name", ""),
            auth_method=method,
            jwks=data.get("jwks"),
            jwks_uri=data.get("jwks_uri"),
            client_secret=data.get("client_secret"),
            journal=tuple(data.get("journal", ())),
        )


@dataclass
class AuthSettings:
    issuer: str
    fhir_base: str
    token_issuer: TokenIssuer
    directory: Directory
    clients: Sequence[ClientRegistration] = ()
    access_token_lifetime: int = 3600
    code_lifetime: int = 60
    launch_lifetime: int = 600
    pending_lifetime: int = 600
    refresh_token_lifetime: int = 30 * 24 * 3600
    tenant: str | None = None
    smart_style_url: str | None = None  # default: {issuer}/smart-style.json
    enable_dev_token: bool = False  # tests and the demo only: a token for anyone, no login
    _by_id: dict[str, ClientRegistration] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.issuer = self.issuer.rstrip("/")
        if self.token_issuer.issuer != self.issuer or self.token_issuer.audience != self.fhir_base:
            raise ValueError("token_issuer must sign for this issuer and fhir_base")
        self._by_id = {c.client_id: c for c in self.clients}
        if len(self._by_id) != len(self.clients):
            raise ValueError("duplicate client_id")

    def client(self, client_id: str | None) -> ClientRegistration | None:
        return self._by_id.get(client_id or "")

    def url(self, path: str) -> str:
        return self.issuer + path

    @property
    def token_endpoint(self) -> str:
        return self.url("/token")

    @property
    def style_url(self) -> str:
        return self.smart_style_url or self.url("/smart-style.json")


def load_or_create_key(path: Path) -> RSAKey:
    """An RS256 signing key kept in a PEM file; ``kid`` is its thumbprint so restarts keep the same JWKS."""
    if path.exists():
        key = RSAKey.import_key(path.read_bytes())
    else:
        key = RSAKey.generate_key(2048)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.as_pem(private=True))
    return RSAKey.import_key(
        key.as_pem(private=True), parameters={"kid": key.thumbprint(), "use": "sig", "alg": "RS256"}
    )


def settings_from_dict(data: Mapping[str, Any], base_dir: Path = Path(".")) -> AuthSettings:
    port = int(data.get("port", 8801))
    issuer = str(data.get("issuer") or f"http://127.0.0.1:{port}").rstrip("/")
    fhir_base = str(data["fhir_base"])
    key_file = base_dir / data.get("key_file", "auth-key.pem")
    token_issuer = TokenIssuer(issuer=issuer, audience=fhir_base, key=load_or_create_key(key_file))
    clients_data = data.get("clients")
    if clients_data is None and data.get("clients_file"):
        clients_data = json.loads((base_dir / data["clients_file"]).read_text(encoding="utf-8"))
    directory: Directory
    if data.get("directory"):
        directory = InMemoryDirectory.from_dict(data["directory"])
    else:
        vault = data.get("vault_file")
        directory = FhirDirectory(
            str(data.get("directory_fhir_base") or fhir_base),
            lambda: token_issuer.admin_token(lifetime=300),
            membership_keys=keys_from_vault(base_dir / str(vault)) if vault else None,
        )
    optional = {
        k: data[k]
        for k in (
            "access_token_lifetime",
            "code_lifetime",
            "launch_lifetime",
            "refresh_token_lifetime",
            "tenant",
            "smart_style_url",
            "enable_dev_token",
        )
        if k in data
    }
    return AuthSettings(
        issuer=issuer,
        fhir_base=fhir_base,
        token_issuer=token_issuer,
        directory=directory,
        clients=[ClientRegistration.from_dict(c) for c in clients_data or ()],
        **optional,
    )


def load_settings(path: str | Path, **overrides: Any) -> tuple[AuthSettings, dict[str, Any]]:
    """Settings from a JSON file with ``overrides`` (e.g. ``port``) applied, plus the merged document."""
    path = Path(path)
    data = {
        **json.loads(path.read_text(encoding="utf-8")),
        **{k: v for k, v in overrides.items() if v is not None},
    }
    return settings_from_dict(data, path.parent), data
