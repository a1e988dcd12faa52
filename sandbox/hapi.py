"""Build, start and stop the sandbox EHR: HAPI FHIR JPA (R4, in-memory H2) from ``sandbox/hapi``.

The Maven module is built without a fat jar (classes + ``target/lib/*``); :func:`start_hapi` runs it on a free
loopback port, polls ``/fhir/metadata`` until ready and keeps its log. See docs/sandbox-contract.md for the
flags and the enforcement it implements (bearer JWT, SMART scopes, journal labels, validation).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

HAPI_DIR = Path(__file__).resolve().parent / "hapi"
TARGET = HAPI_DIR / "target"
MAIN_CLASS = "org.hvol.sandbox.SandboxEhr"
READY_TIMEOUT = 180.0
JVM_FLAGS = ("-Xmx1g", "-Xss1m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData")
INSTALL_HINT = (
    "Installeer Java 17 (apt-get install openjdk-17-jdk-headless) en Maven (apt-get install maven)."
)

# Upload order: what a resource may refer to comes first.
CONFORMANCE_ORDER = ("CodeSystem", "ValueSet", "StructureDefinition", "Questionnaire")


class HapiError(RuntimeError):
    """The sandbox EHR could not be built or started; the message says why (with the log tail)."""


def _require_tools() -> None:
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        raise HapiError(f"{' en '.join(missing)} niet gevonden. {INSTALL_HINT}")


def _newest_mtime(paths: Iterable[Path]) -> float:
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def needs_build() -> bool:
    """True when target/ is missing or older than pom.xml or any source file."""
    marker = TARGET / "classes" / "org" / "hvol" / "sandbox" / "SandboxEhr.class"
    lib = TARGET / "lib"
    if not marker.is_file() or not lib.is_dir() or not any(lib.glob("hapi-fhir-jpaserver-base-*.jar")):
        return True
    sources = [HAPI_DIR / "pom.xml", *(HAPI_DIR / "src").rglob("*")]
    return _newest_mtime(sources) > marker.stat().st_mtime


def ensure_built() -> Path:
    """Build the Maven module if needed; returns the module directory."""
    _require_tools()
    if needs_build():
        cmd = ["mvn", "-q", "-B", "-f", str(HAPI_DIR / "pom.xml"), "-DskipTests", "package"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stdout + done.stderr)[-4000:]
            raise HapiError(f"Bouwen van de sandbox-EHR mislukt ({' '.join(cmd)}):\n{tail}")
        # mvn leaves class mtimes untouched when nothing changed; mark the build as fresh.
        (TARGET / "classes" / "org" / "hvol" / "sandbox" / "SandboxEhr.class").touch()
    return HAPI_DIR


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def free_port(preferred: int | None = None, host: str = "127.0.0.1") -> int:
    """The preferred port if it is free, otherwise one the OS hands out."""
    if preferred and port_is_free(preferred, host):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def log_tail(path: Path, lines: int = 60) -> str:
    """The last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(geen log)"


@dataclass
class HapiServer:
    """A running sandbox EHR process."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    log_path: Path
    started_in: float = 0.0
    _log_file: Any = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/fhir"

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM by PID, then SIGKILL if it lingers."""
        if self.running():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def command(
    *,
    port: int,
    host: str,
    issuer: str,
    audience: str,
    jwks_url: str,
    authorize_url: str,
    token_url: str,
    enforce_journal: bool = True,
) -> list[str]:
    classpath = f"{TARGET / 'classes'}{os.pathsep}{TARGET / 'lib' / '*'}"
    return [
        "java",
        *JVM_FLAGS,
        "-cp",
        classpath,
        MAIN_CLASS,
        f"--server.port={port}",
        f"--server.address={host}",
        f"--hvol.issuer={issuer}",
        f"--hvol.audience={audience}",
        f"--hvol.jwks-url={jwks_url}",
        f"--hvol.authorize-url={authorize_url}",
        f"--hvol.token-url={token_url}",
        f"--hvol.enforce-journal={'true' if enforce_journal else 'false'}",
    ]


def start_hapi(
    *,
    issuer: str,
    audience_host: str = "127.0.0.1",
    jwks_url: str,
    authorize_url: str = "",
    token_url: str = "",
    port: int | None = None,
    log_path: Path,
    timeout: float = READY_TIMEOUT,
    enforce_journal: bool = True,
) -> HapiServer:
    """Start the sandbox EHR and wait until ``/fhir/metadata`` answers 200.

    ``enforce_journal=False`` starts an EHR that enforces no labels: bearer tokens and SMART scopes are still
    checked, but nothing hides the journal or looks at the clearance claims (issue 12: privacy must then
    hold by the app's sealing alone).

    The token audience is the FHIR base ``http://{audience_host}:{port}/fhir``; callers that mint tokens
    should choose ``port`` first (see :func:`free_port`) and check ``server.base_url`` afterwards, since a
    taken port is replaced by a free one.
    """
    ensure_built()
    port = free_port(port, audience_host)
    audience = f"http://{audience_host}:{port}/fhir"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = open(log_path, "wb")  # noqa: SIM115 - closed by HapiServer.stop()
    cmd = command(
        port=port,
        host=audience_host,
        issuer=issuer,
        audience=audience,
        jwks_url=jwks_url,
        authorize_url=authorize_url,
        token_url=token_url,
        enforce_journal=enforce_journal,
    )
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=log_file, stderr=subprocess.STDOUT, cwd=HAPI_DIR, start_new_session=True
    )
    server = HapiServer(proc, audience_host, port, log_path, _log_file=log_file)
    try:
        _wait_ready(server, started, timeout)
    except BaseException:
        server.stop()
        raise
    server.started_in = time.monotonic() - started
    return server


def _wait_ready(server: HapiServer, started: float, timeout: float) -> None:
    url = server.base_url + "/metadata"
    while time.monotonic() < started + timeout:
        if not server.running():
            raise HapiError(
                f"HAPI stopte tijdens het opstarten (exit {server.process.returncode}). "
                f"Laatste regels van {server.log_path}:\n{log_tail(server.log_path)}"
            )
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise HapiError(
        f"HAPI was na {timeout:.0f} s niet klaar ({url}). "
        f"Laatste regels van {server.log_path}:\n{log_tail(server.log_path)}"
    )


# --- conformance resources -------------------------------------------------------------------------------


def _conformance_files(mappings_dir: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(mappings_dir.rglob("*.json")):
        # examples are data; supplements only give the app Dutch words for FHIR's own status codes, whose
        # base systems the server has built in (HAPI refuses a supplement of them).
        if {"examples", "supplements"} & set(path.relative_to(mappings_dir).parts):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("resourceType") in CONFORMANCE_ORDER and data.get("id"):
            yield data


def conformance_order(resources: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """CodeSystems, ValueSets, StructureDefinitions (extensions and bases before what derives from them),
    then Questionnaires."""
    by_type: dict[str, list[dict[str, Any]]] = {t: [] for t in CONFORMANCE_ORDER}
    for r in resources:
        by_type[r["resourceType"]].append(r)
    out: list[dict[str, Any]] = []
    for t in CONFORMANCE_ORDER:
        group = by_type[t]
        out.extend(
            _structure_order(group) if t == "StructureDefinition" else sorted(group, key=lambda r: r["id"])
        )
    return out


def _structure_order(defs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_url = {d.get("url"): d for d in defs}
    done: set[str] = set()
    out: list[dict[str, Any]] = []

    def visit(d: dict[str, Any], trail: frozenset[str]) -> None:
        if d["id"] in done or d["id"] in trail:
            return
        base = by_url.get(d.get("baseDefinition"))
        if base is not None:
            visit(base, trail | {d["id"]})
        done.add(d["id"])
        out.append(d)

    # Extensions first: profiles use them.
    for d in sorted(defs, key=lambda d: (d.get("type") != "Extension", d["id"])):
        visit(d, frozenset())
    return out


def load_conformance(
    base_url: str, token: str, mappings_dir: Path | str, extra: Iterable[dict[str, Any]] = ()
) -> list[str]:
    """PUT every CodeSystem, ValueSet, StructureDefinition and Questionnaire under ``mappings_dir`` (skipping
    ``examples/``) on its id, in dependency order. Returns the references written."""
    mappings_dir = Path(mappings_dir)
    found = list(_conformance_files(mappings_dir)) if mappings_dir.is_dir() else []
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/fhir+json",
        "Accept": "application/fhir+json",
    }
    written: list[str] = []
    with requests.Session() as http:
        for res in conformance_order([*found, *extra]):
            ref = f"{res['resourceType']}/{res['id']}"
            resp = http.put(f"{base_url}/{ref}", data=json.dumps(res), headers=headers, timeout=120)
            if resp.status_code not in (200, 201):
                raise HapiError(f"Uploaden van {ref} mislukt ({resp.status_code}): {resp.text[:2000]}")
            written.append(ref)
    return written
