"""The hvol-fhir app as the demo runs it: its registration at each sandbox organisation, and its process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

APP_CLIENT_ID = "hvol-app"
TRANSFER_CLIENT_ID = "hvol-transfer"
# The scopes the sandbox lets the app ask for; the app asks per role for the narrowest subset.
APP_SCOPES = (
    "launch launch/patient openid fhirUser offline_access online_access "
    "patient/*.read patient/*.write user/*.read user/*.write "
    "patient/*.cruds user/*.cruds"
)


def app_clients(port: int) -> list[dict[str, Any]]:
    base = f"http://127.0.0.1:{port}"
    return [
        {
            "client_id": APP_CLIENT_ID,
            "name": "hvol-fhir (Handen vol ervaring)",
            "redirect_uris": [base + "/launch/callback"],
            "launch_url": base + "/launch",
            "standalone_url": base + "/launch/standalone",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": base + "/.well-known/jwks.json",
            "scope": APP_SCOPES,
        },
        {
            # Transfers between organisations: SMART Backend Services with the app's own key (issue 6).
            "client_id": TRANSFER_CLIENT_ID,
            "name": "hvol-fhir overdracht (Backend Services)",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": base + "/.well-known/jwks.json",
            "scope": "system/*.*",
            "journal": ["*"],  # reads journal entries at A only to send those the youth agreed to share
        },
    ]


@dataclass
class DemoApp:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)


def start_demo_app(orgs: list[Any], port: int) -> DemoApp | None:
    """Start the app when it is installed (issue 4 builds it); the sandbox runs without it."""
    try:
        import smart_app.wsgi  # noqa: F401
    except ImportError:
        print(
            "(De app zelf is nog niet gebouwd; de launcher en de FHIR-API zijn wel te gebruiken.)",
            file=sys.stderr,
        )
        return None
    # Each organisation can transfer a traject to the other (issue 6), with the app's own key.
    config = orgs[0].workdir.parent / "app-config.json"
    config.write_text(
        json.dumps(
            {
                "HVOL_TRANSFER_TARGETS": [
                    {"id": o.name, "name": f"Organisatie {o.name} (demo)", "fhir_base": o.fhir_base}
                    for o in orgs
                ],
                "HVOL_TRANSFER_SOURCE_NAME": "Jeugdzorg De Horizon (demo)",
                # each organisation's own key ring, as if each ran its own copy of the app (issue 12)
                "HVOL_VAULT_FILES": {o.fhir_base: str(o.vault_file) for o in orgs},
            }
        ),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "HVOL_CONFIG": str(config),
        "HVOL_ISSUERS": ",".join(o.fhir_base for o in orgs),
        "HVOL_SANDBOX": "1",
    }
    proc = subprocess.Popen([sys.executable, "-m", "smart_app.wsgi", "--port", str(port)], env=env)
    return DemoApp(url=f"http://127.0.0.1:{port}", process=proc)
