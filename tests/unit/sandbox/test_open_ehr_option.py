"""The sandbox option for an EHR that enforces no labels (issue 12.6), without starting anything: the flag
reaches HAPI's command line, only the organisations named open get it, and the demo's instructions say so in
Dutch. (The servers themselves: tests/integration/test_open_org.py.)"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sandbox import cli, org
from sandbox.hapi import command

FLAGS: dict[str, Any] = {
    "port": 1,
    "host": "127.0.0.1",
    "issuer": "http://a",
    "audience": "http://b/fhir",
    "jwks_url": "http://a/jwks",
    "authorize_url": "",
    "token_url": "",
}


def test_hapi_enforces_unless_told_otherwise() -> None:
    assert "--hvol.enforce-journal=true" in command(**FLAGS)
    assert "--hvol.enforce-journal=true" in command(**FLAGS, enforce_journal=True)
    opened = command(**FLAGS, enforce_journal=False)
    assert "--hvol.enforce-journal=false" in opened
    assert not any(a.startswith("--hvol.enforce-journal=true") for a in opened)


def test_only_the_organisations_named_open_enforce_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: dict[str, bool] = {}

    def fake(name: str, workdir: Path, *, enforce_journal: bool = True, **kw: Any) -> Any:
        started[name] = enforce_journal
        return SimpleNamespace(name=name)

    monkeypatch.setattr(org, "start_organisation", fake)
    org.start_organisations(["A", "B", "C"], tmp_path, open_ehr=["C"], demo_data=True)
    assert started == {"A": True, "B": True, "C": False}
    org.start_organisations(["A", "B"], tmp_path)
    assert started == {"A": True, "B": True, "C": False}


def _org(name: str, enforce: bool) -> Any:
    return SimpleNamespace(
        name=name,
        launcher_url=f"http://127.0.0.1:1/{name}/launcher",
        fhir_base=f"http://127.0.0.1:2/{name}/fhir",
        auth_url=f"http://127.0.0.1:1/{name}",
        workdir=Path(name),
        enforce_journal=enforce,
    )


def test_the_demo_says_which_organisation_enforces_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    cli._print_demo_help([_org("A", True), _org("B", True), _org(cli.OPEN_ORG, False)], "http://app")
    out = capsys.readouterr().out
    assert "Organisatie A:" in out and "Organisatie B:" in out
    assert f"Organisatie {cli.OPEN_ORG} (EPD dat geen labels afdwingt):" in out
    assert f"hvol-sandbox token hv-staff-1 --org {cli.OPEN_ORG}" in out
    assert f"http://127.0.0.1:2/{cli.OPEN_ORG}/fhir/Communication?subject=Patient/hv-youth-06" in out
    assert f"http://127.0.0.1:1/{cli.OPEN_ORG}/launcher" in out


def test_without_an_open_organisation_the_demo_text_has_no_such_part(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli._print_demo_help([_org("A", True), _org("B", True)], None)
    assert "geen labels" not in capsys.readouterr().out
