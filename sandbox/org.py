"""One sandbox organisation = its own authorization server, its own HAPI FHIR server, its own keys and data.

:func:`start_organisation` starts both processes on free loopback ports, uploads the conformance resources of
``mappings/`` before any data and (optionally) loads the demo data. Several organisations can run side by side
(transfer tests use two; the demo three, one of them an EHR that enforces no labels). Logs go to
``<workdir>/<name>/``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from hvol_fhir.sealing.keys import FileKeyStore
from sandbox.auth.settings import load_or_create_key
from sandbox.hapi import HapiError, HapiServer, free_port, load_conformance, log_tail, start_hapi
from sandbox.tokens import TokenIssuer

REPO = Path(__file__).resolve().parent.parent
MAPPINGS = REPO / "mappings"
AUTH_READY_TIMEOUT = 30.0


@dataclass
class Organisation:
    name: str
    workdir: Path
    auth_url: str
    issuer: TokenIssuer
    hapi: HapiServer
    auth_process: subprocess.Popen[bytes]
    auth_log: Path
    settings: dict[str, Any] = field(default_factory=dict)
    app_port: int | None = None  # where the registered app is served (tests and demo)
    scenario: Any = None  # the demo scenario loaded, if any (sandbox.demo_scenario.Scenario)
    enforce_journal: bool = True  # False: an EHR that enforces no labels (tokens and scopes only)

    @property
    def fhir_base(self) -> str:
        return self.hapi.base_url

    @property
    def vault_file(self) -> Path:
        """The organisation's sealing and signing keys (issue 12), as the app that runs for it holds them."""
        return self.workdir / "vault.json"

    def key_ring(self) -> Any:
        from hvol_fhir.sealing.keys import FileKeyStore

        return FileKeyStore(self.vault_file).load_or_create(self.name)

    @property
    def launcher_url(self) -> str:
        return self.auth_url + "/launcher"

    def admin_token(self) -> str:
        return self.issuer.admin_token()

    def token_for(self, user: str, patient: str | None = None, scope: str | None = None) -> str:
        """A token as the authorization server would give ``user`` (journal clearance derived from FHIR)."""
        from sandbox.auth import request_dev_token

        return str(request_dev_token(self.auth_url, user, patient, scope)["access_token"])

    def log_paths(self) -> list[Path]:
        return [self.auth_log, self.hapi.log_path]

    def stop(self) -> None:
        self.hapi.stop()
        _stop_process(self.auth_process)


def _stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HapiError(
                f"De autorisatieserver stopte bij het opstarten. Laatste regels van {log}:\n{log_tail(log)}"
            )
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise HapiError(f"De autorisatieserver was na {timeout:.0f} s niet klaar ({url}).\n{log_tail(log)}")


def auth_settings_document(
    name: str,
    auth_url: str,
    fhir_base: str,
    auth_port: int,
    clients: Iterable[Mapping[str, Any]] = (),
    *,
    dev_token: bool = False,
    vault_file: Path | None = None,
) -> dict[str, Any]:
    """Pure: the authorization server's settings file for one organisation (``/dev/token`` off by default)."""
    doc: dict[str, Any] = {
        "issuer": auth_url,
        "fhir_base": fhir_base,
        "port": auth_port,
        "host": "127.0.0.1",
        "key_file": "auth-key.pem",
        "clients": list(clients),
        "enable_dev_token": bool(dev_token),
        "organisation": name,
    }
    if vault_file is not None:
        # the app's key ring: the authorization server grants clearance only for signed memberships
        doc["vault_file"] = str(vault_file)
    return doc


def start_organisation(
    name: str,
    workdir: Path,
    *,
    auth_port: int | None = None,
    hapi_port: int | None = None,
    clients: Iterable[Mapping[str, Any]] = (),
    demo_data: bool = False,
    today: Any = None,
    extra_conformance: Iterable[Mapping[str, Any]] = (),
    app_port: int | None = None,
    enforce_journal: bool = True,
    dev_token: bool = False,
) -> Organisation:
    """Start one organisation and wait until both servers answer; stops what it started on failure.

    ``enforce_journal=False``: its HAPI checks tokens and scopes but hides nothing and ignores the clearance
    claims, like an EHR that knows nothing of the programme's labels. Its authorization server, discovery and
    CapabilityStatement are the same as an enforcing organisation's.

    ``dev_token=True`` turns on the authorization server's unauthenticated ``/dev/token`` (tokens for any demo
    user without a login): only the tests and ``make demo`` ask for it.
    """
    home = (workdir / name).resolve()
    home.mkdir(parents=True, exist_ok=True)
    auth_port = free_port(auth_port)
    hapi_port = free_port(hapi_port)
    if hapi_port == auth_port:
        hapi_port = free_port(None)
    auth_url = f"http://127.0.0.1:{auth_port}"
    fhir_base = f"http://127.0.0.1:{hapi_port}/fhir"
    settings = auth_settings_document(
        name, auth_url, fhir_base, auth_port, clients, dev_token=dev_token, vault_file=home / "vault.json"
    )
    FileKeyStore(home / "vault.json").load_or_create(name)
    config = home / "auth.json"
    config.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    issuer = TokenIssuer(issuer=auth_url, audience=fhir_base, key=load_or_create_key(home / "auth-key.pem"))

    auth_log = home / "auth.log"
    auth_out = open(auth_log, "wb")  # noqa: SIM115 - the child process owns it
    auth_proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.auth", "--config", str(config)],
        stdout=auth_out,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        start_new_session=True,
    )
    auth_out.close()
    try:
        _wait_http(auth_url + "/jwks", auth_proc, auth_log, AUTH_READY_TIMEOUT)
        hapi = start_hapi(
            issuer=auth_url,
            jwks_url=auth_url + "/jwks",
            authorize_url=auth_url + "/authorize",
            token_url=auth_url + "/token",
            port=hapi_port,
            log_path=home / "hapi.log",
            enforce_journal=enforce_journal,
        )
    except BaseException:
        _stop_process(auth_proc)
        raise
    org = Organisation(
        name=name,
        workdir=home,
        auth_url=auth_url,
        issuer=issuer,
        hapi=hapi,
        auth_process=auth_proc,
        auth_log=auth_log,
        settings=settings,
        app_port=app_port,
        enforce_journal=enforce_journal,
    )
    try:
        if hapi.base_url != fhir_base:  # port was taken between our check and the start: restart cleanly
            raise HapiError(f"HAPI kreeg poort {hapi.port} in plaats van {hapi_port}; probeer opnieuw.")
        load_conformance(fhir_base, org.admin_token(), MAPPINGS, extra=[dict(r) for r in extra_conformance])
        if demo_data:
            from sandbox.demo_data import load_demo_data

            org.scenario = load_demo_data(org, today=today)
    except BaseException:
        org.stop()
        raise
    return org


def start_organisations(
    names: Iterable[str], workdir: Path, *, open_ehr: Iterable[str] = (), **kwargs: Any
) -> list[Organisation]:
    """Start several organisations at once (their JVMs start in parallel); those named in ``open_ehr`` are
    EHRs that enforce no labels (``enforce_journal=False``)."""
    names = list(names)
    unenforced = set(open_ehr)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        futures = [
            pool.submit(start_organisation, n, workdir, enforce_journal=n not in unenforced, **kwargs)
            for n in names
        ]
        orgs, errors = [], []
        for f in futures:
            try:
                orgs.append(f.result())
            except BaseException as exc:  # noqa: BLE001 - collected, re-raised after cleanup
                errors.append(exc)
    if errors:
        for org in orgs:
            org.stop()
        raise errors[0]
    return orgs
