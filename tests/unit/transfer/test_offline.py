from __future__ import annotations

import copy
import stat
from pathlib import Path

from hvol_fhir.transfer import build_plan, offline

from .conftest import CONSENTED, NOW, disclosure, request, snapshot


def _export() -> dict:
    plan = build_plan(snapshot(disclosure()), request(journal=CONSENTED), NOW)
    return offline.export_bundle(plan, NOW.isoformat())


def test_exported_bundle_passes_the_local_check() -> None:
    bundle = _export()
    report = offline.check_bundle(bundle)
    assert report.ok, report.problems
    assert report.counts["Communication"] == 2 and report.counts["Patient"] == 1
    assert bundle["meta"]["security"][0]["code"] == "V"  # high-water mark only


def test_unsafe_files_are_refused() -> None:
    bundle = _export()
    bad = copy.deepcopy(bundle)
    bad["entry"][0]["request"].pop("ifNoneExist")
    bad["entry"][1]["resource"]["id"] = "123"
    journal = next(e for e in bad["entry"] if e["resource"]["resourceType"] == "Communication")
    journal["resource"]["meta"]["security"] = []
    journal["resource"]["subject"] = {"reference": "Patient/hv-youth-06"}
    report = offline.check_bundle(bad)
    assert not report.ok
    text = "\n".join(report.problems)
    assert "voorwaardelijk" in text and "dossiernummer van de afzender" in text
    assert "beveiligingslabels" in text and "verwijst naar een dossiernummer" in text
    assert "NIET ingelezen" in "\n".join(report.lines())


def test_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "overdracht.json"
    offline.write_file(path, _export())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert offline.read_file(path)["type"] == "transaction"
