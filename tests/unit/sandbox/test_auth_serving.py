"""Settings files, the persistent signing key, and serving over real HTTP on a free loopback port."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.auth import load_settings, make_auth_server, request_dev_token
from sandbox.auth.directory import InMemoryDirectory
from sandbox.auth.testing import FHIR_BASE, public_jwks, rsa_client_key


def settings_file(tmp_path: Path, **extra: Any) -> Path:
    path = tmp_path / "org-a.json"
    path.write_text(
        json.dumps(
            {
                "port": 8811,
                "fhir_base": FHIR_BASE,
                "enable_dev_token": True,
                "key_file": "keys/org-a.pem",
                "clients": [
                    {
                        "client_id": "hvol-app",
                        "redirect_uris": ["http://127.0.0.1:5000/callback"],
                        "launch_url": "http://127.0.0.1:5000/launch",
                        "client_secret": "s3cret-s3cret",
                        "scope": "launch openid fhirUser patient/*.rs",
                    },
                    {
                        "client_id": "transfer",
                        "jwks": public_jwks(rsa_client_key()),
                        "scope": ["system/*.rs"],
                    },
                ],
                "directory": {
                    "users": [
                        {"id": "b1", "name": "Bo Maatje", "teams": [{"patient": "y1", "role": "buddy"}]},
                        {"id": "c1", "name": "Carla", "roles": ["coordinator"], "coordinator": True},
                    ],
                    "youths": [{"id": "y1", "name": "Sanne", "birth_date": "2010-03-14"}],
                },
                **extra,
            }
        ),
        encoding="utf-8",
    )
    return path


def test_settings_file_builds_clients_directory_and_a_persistent_key(tmp_path: Path) -> None:
    path = settings_file(tmp_path)
    settings, raw = load_settings(path)
    assert settings.issuer == "http://127.0.0.1:8811"
    assert settings.client("hvol-app").auth_method == "client_secret_basic"  # type: ignore[union-attr]
    assert settings.client("transfer").auth_method == "private_key_jwt"  # type: ignore[union-attr]
    assert isinstance(settings.directory, InMemoryDirectory)
    key_file = tmp_path / "keys" / "org-a.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    again, _ = load_settings(path)
    assert again.token_issuer.jwks() == settings.token_issuer.jwks()  # HAPI and restarts agree
    overridden, raw = load_settings(path, port=9911)
    assert overridden.issuer == "http://127.0.0.1:9911" and raw["port"] == 9911


def test_settings_without_directory_read_fhir(tmp_path: Path) -> None:
    from sandbox.auth.directory import FhirDirectory

    path = settings_file(tmp_path, directory=None)
    settings, _ = load_settings(path)
    assert isinstance(settings.directory, FhirDirectory) and settings.directory.base_url == FHIR_BASE


def test_bad_client_registration_is_refused(tmp_path: Path) -> None:
    path = settings_file(tmp_path, clients=[{"client_id": "x", "auth_method": "private_key_jwt"}])
    with pytest.raises(ValueError):
        load_settings(path)


def test_served_over_http_without_logging_secrets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings, _ = load_settings(settings_file(tmp_path))
    server = make_auth_server(settings, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with caplog.at_level(logging.INFO):
            doc = requests.get(base + "/.well-known/smart-configuration", timeout=5).json()
            assert doc["token_endpoint"] == settings.token_endpoint
            body = request_dev_token(base, "b1", patient="y1")
            assert settings.token_issuer.decode(body["access_token"])["hvol_journal"] == ["y1"]
            launched = requests.post(
                base + "/launcher",
                data={"user": "c1", "patient": "y1", "client_id": "hvol-app"},
                allow_redirects=False,
                timeout=5,
            )
            launch = launched.headers["Location"].split("launch=")[1]
            requests.get(
                base + "/authorize",
                params={"client_id": "hvol-app", "launch": launch},
                allow_redirects=False,
                timeout=5,
            )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    logged = caplog.text
    assert "dev token issued user=b1" in logged
    assert '"GET /authorize" 400' in logged  # the access log shows the path only
    assert body["access_token"] not in logged and launch not in logged
