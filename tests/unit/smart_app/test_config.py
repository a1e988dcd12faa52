"""Settings from env / file, the generated app key and the published JWK Set."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from hvol_fhir.smart import InsecureTransport
from smart_app import create_app
from smart_app.config import DEFAULTS, from_environment, load_or_create_key, normalise


def test_environment_and_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "hvol.json"
    cfg.write_text(
        json.dumps(
            {
                "HVOL_CLIENT_ID": "from-file",
                "HVOL_ISSUER_REGISTRATIONS": [
                    {
                        "iss": "https://b.example/fhir",
                        "client_id": "b",
                        "auth": "client_secret_basic",
                        "client_secret": "s",
                    }
                ],
            }
        )
    )
    env = {
        "HVOL_CONFIG": str(cfg),
        "HVOL_ISSUERS": "https://a.example/fhir, https://c.example/fhir",
        "HVOL_SANDBOX": "0",
        "PATH": "/bin",
    }
    config = normalise({**DEFAULTS, **from_environment(env)})
    assert config["HVOL_ISSUERS"] == ["https://a.example/fhir", "https://c.example/fhir"]
    assert config["HVOL_CLIENT_ID"] == "from-file" and config["HVOL_SANDBOX"] is False


def test_key_is_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "k" / "app-key.json"
    first = load_or_create_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(path).kid == first.kid


def test_jwks_publishes_the_public_key_only(tmp_path: Path) -> None:
    app = create_app(
        {
            "HVOL_ISSUERS": "https://ehr.example.org/fhir",
            "HVOL_APP_URL": "https://app.example.org",
            "HVOL_KEY_FILE": str(tmp_path / "k.json"),
            "HVOL_SESSION_STORE": "memory",
            "HVOL_FRAME_ANCESTORS": "https://ehr.example.org",
        }
    )
    resp = app.test_client().get("/.well-known/jwks.json")
    keys = resp.get_json()["keys"]
    assert resp.headers["Cache-Control"].startswith("public")  # R303
    assert [set(k) for k in keys] == [{"kty", "kid", "n", "e", "alg", "use"}]  # R313, R314: no "d"
    assert keys[0]["alg"] == "RS384"


def test_http_issuer_needs_sandbox_mode(tmp_path: Path) -> None:
    config: dict[str, Any] = {
        "HVOL_ISSUERS": "http://127.0.0.1:8080/fhir",
        "HVOL_APP_URL": "https://app.example",
        "HVOL_KEY_FILE": str(tmp_path / "k.json"),
        "HVOL_SESSION_STORE": "memory",
        "HVOL_FRAME_ANCESTORS": "https://ehr.example",
    }
    with pytest.raises(InsecureTransport):
        create_app(config)
    assert create_app({**config, "HVOL_SANDBOX": True}) is not None


def test_pages_may_be_framed_and_are_not_cached(tmp_path: Path) -> None:
    app = create_app(
        {
            "HVOL_ISSUERS": "https://ehr.example.org/fhir",
            "HVOL_APP_URL": "https://app.example.org",
            "HVOL_KEY_FILE": str(tmp_path / "k.json"),
            "HVOL_SESSION_STORE": "memory",
            "HVOL_FRAME_ANCESTORS": "https://ehr.example.org",
        }
    )
    resp = app.test_client().get("/")
    assert "frame-ancestors https://ehr.example.org" in resp.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in resp.headers and resp.headers["Cache-Control"] == "no-store"
    assert "Deze app start vanuit het dossier" in resp.get_data(as_text=True)
