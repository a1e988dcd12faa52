"""Issue 12 against the real HAPI: the migration seals plaintext already in the EHR (dry run first, then
If-Match updates, idempotent), and the key drill runs its full round trip: rotate, re-seal, backup, restore,
verify. It works on a youth of its own with a copy of the organisation's key ring, so the rest of the suite
keeps the organisation's own keys."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from hvol_fhir import terminology as t
from hvol_fhir.cli import main as cli
from hvol_fhir.sealing import codec as cd
from hvol_fhir.sealing import fields
from hvol_fhir.sealing.envelope import peek_kid
from hvol_fhir.sealing.keys import FileKeyStore

pytestmark = pytest.mark.integration
SECRET_TEXT = "Zij vertelde over het weekend bij haar tante (synthetisch)"
SECRET_PLACE = "Het bankje achter de sporthal (synthetisch)"


def _admin(org: Any) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {org.admin_token()}",
        "Accept": "application/fhir+json",
        "Content-Type": "application/fhir+json",
    }


def _put(org: Any, res: dict[str, Any]) -> None:
    resp = requests.put(
        f"{org.fhir_base}/{res['resourceType']}/{res['id']}", json=res, headers=_admin(org), timeout=60
    )
    errors = [i.get("diagnostics") for i in resp.json().get("issue", []) if i.get("severity") == "error"]
    assert resp.status_code in (200, 201), errors


def _read(org: Any, ref: str) -> dict[str, Any]:
    resp = requests.get(f"{org.fhir_base}/{ref}", headers=_admin(org), timeout=60)
    assert resp.status_code == 200, resp.text[:500]
    return dict(resp.json())


def _plaintext_youth(org: Any) -> tuple[str, list[str]]:
    """A youth with a journal entry and a contact written in plaintext, as before issue 12."""
    n = uuid.uuid4().hex[:10]
    patient = {"resourceType": "Patient", "id": f"seal-{n}", "name": [{"text": "Test Jongere"}]}
    _put(org, patient)
    examples = Path(__file__).resolve().parents[2] / "mappings" / "examples"
    com = json.loads((examples / "Communication-hvol-ex-journal.json").read_text(encoding="utf-8"))
    enc = json.loads((examples / "Encounter-hvol-ex-contact.json").read_text(encoding="utf-8"))
    com.update(id=f"seal-com-{n}", subject={"reference": f"Patient/seal-{n}"})
    com["encounter"] = {"reference": f"Encounter/seal-enc-{n}"}
    com["basedOn"] = [{"reference": "CarePlan/hv-traject-06"}]
    com["sender"] = {"reference": "Practitioner/hv-buddy-1"}
    com["payload"] = [{"contentString": SECRET_TEXT}]
    com["identifier"][0]["value"] = str(uuid.uuid4())
    enc.update(id=f"seal-enc-{n}", subject={"reference": f"Patient/seal-{n}"})
    enc["identifier"][0]["value"] = str(uuid.uuid4())
    enc["location"] = [{"location": {"display": SECRET_PLACE}}]
    enc["episodeOfCare"] = [{"reference": "EpisodeOfCare/hv-episode-06"}]
    enc["participant"][0]["individual"] = {"reference": "Practitioner/hv-buddy-1"}
    _put(org, enc)
    _put(org, com)
    return f"Patient/seal-{n}", [f"Communication/seal-com-{n}", f"Encounter/seal-enc-{n}"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_migration_then_rotation_reseal_backup_restore_verify(
    org: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = tmp_path / "vault.json"
    shutil.copy(org.vault_file, vault)
    vault.chmod(0o600)
    monkeypatch.setenv("HVOL_FHIR_TOKEN", org.admin_token())
    monkeypatch.setenv("HVOL_KEYS_PASSPHRASE", "een lange synthetische wachtzin")
    patient, refs = _plaintext_youth(org)
    try:
        _round_trip(org, vault, patient, refs, tmp_path, capsys, monkeypatch)
    finally:
        # The contact hangs off a demo traject's episode: sealed under this test's own ring, it must not stay
        # behind for the tests that read that traject with the organisation's ring (transfers, journal).
        for ref in refs:  # the entry first: it references the contact
            gone = requests.delete(f"{org.fhir_base}/{ref}", headers=_admin(org), timeout=60)
            assert gone.status_code in (200, 204), gone.text[:300]


def _round_trip(
    org: Any,
    vault: Path,
    patient: str,
    refs: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ehr = ["--file", str(vault), "--fhir-base", org.fhir_base, "--patient", patient]
    versions = {r: _read(org, r)["meta"]["versionId"] for r in refs}

    # Dry run: says what it would do, writes nothing.
    code, out = _run(capsys, "seal", "--dry-run", *ehr)
    assert code == 0 and "te verzegelen: 2" in out, out
    assert {r: _read(org, r)["meta"]["versionId"] for r in refs} == versions
    assert SECRET_TEXT in json.dumps(_read(org, refs[0]))

    # Apply: sealed in place with If-Match; the server holds no plaintext; the app's keys open it again.
    code, out = _run(capsys, "seal", "--apply", *ehr)
    assert code == 0 and "bijgewerkt: 2" in out and "$expunge" in out, out
    ring = FileKeyStore(vault).load()
    opener = cd.SealingCodec(ring, frozenset(fields.KINDS))
    for ref in refs:
        raw = _read(org, ref)
        assert SECRET_TEXT not in json.dumps(raw) and SECRET_PLACE not in json.dumps(raw)
        assert cd.status_of(opener.decode(raw)) == cd.SEALED
        old = _read(org, f"{ref}/_history/{versions[ref]}")
        assert raw["meta"].get("security") == old["meta"].get("security")  # labels kept
    assert SECRET_TEXT in json.dumps(opener.decode(_read(org, refs[0])))
    assert SECRET_PLACE in json.dumps(opener.decode(_read(org, refs[1])))
    # ... and a second run finds nothing to do.
    code, out = _run(capsys, "seal", "--apply", *ehr)
    assert code == 0 and "bijgewerkt" not in out and "al in orde: 2" in out, out

    # Rotate: new writes use the new key; old data still opens; re-seal moves it, once.
    old_kid = ring.current("seal").kid
    assert _run(capsys, "keys", "rotate", "--file", str(vault))[0] == 0
    new_ring = FileKeyStore(vault).load()
    assert new_ring.current("seal").kid != old_kid and old_kid in new_ring.kids("seal")
    code, out = _run(capsys, "keys", "reseal", *ehr)
    assert code == 0 and "opnieuw te verzegelen (oude sleutel): 2" in out, out
    code, out = _run(capsys, "keys", "reseal", "--apply", *ehr)
    assert code == 0 and "bijgewerkt: 2" in out, out
    for ref in refs:
        tokens = cd.envelopes(_read(org, ref)).values()
        assert tokens and all(peek_kid(tok) == new_ring.current("seal").kid for tok in tokens)
    code, out = _run(capsys, "keys", "reseal", "--apply", *ehr)
    assert "bijgewerkt" not in out, out

    # Backup, lose the key file, restore, verify against the EHR.
    backup = tmp_path / "vault.backup.jwe"
    assert _run(capsys, "keys", "backup", "--file", str(vault), "--out", str(backup))[0] == 0
    assert (backup.stat().st_mode & 0o777) == 0o600
    assert "seal-" not in backup.read_text() or '"k"' not in backup.read_text()
    vault.unlink()
    code, out = _run(capsys, "keys", "verify", *ehr)
    assert code == 1 and "ontbreken" in out, out  # a missing key file fails cleanly
    monkeypatch.setenv("HVOL_KEYS_PASSPHRASE", "een verkeerde wachtzin!!")
    code, out = _run(capsys, "keys", "restore", "--from", str(backup), "--file", str(vault))
    assert code == 1 and "verkeerde wachtzin" in out and not vault.exists(), out
    monkeypatch.setenv("HVOL_KEYS_PASSPHRASE", "een lange synthetische wachtzin")
    assert _run(capsys, "keys", "restore", "--from", str(backup), "--file", str(vault))[0] == 0
    code, out = _run(capsys, "keys", "verify", *ehr)
    assert code == 0 and "geopend: 2" in out, out
    assert FileKeyStore(vault).load().kids("seal") == new_ring.kids("seal")


def test_a_key_file_others_can_read_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault = tmp_path / "vault.json"
    assert _run(capsys, "keys", "init", "--file", str(vault), "--organisation", "Test")[0] == 0
    assert (vault.stat().st_mode & 0o777) == 0o600
    code, out = _run(capsys, "keys", "init", "--file", str(vault), "--organisation", "Test")
    assert code == 1 and "nooit overschreven" in out
    vault.chmod(0o644)
    code, out = _run(capsys, "keys", "verify", "--file", str(vault))
    assert code == 1 and "chmod 600" in out
    vault.write_text("{ kapot")
    vault.chmod(0o600)
    code, out = _run(capsys, "keys", "verify", "--file", str(vault))
    assert code == 1 and "beschadigd" in out
    assert t.BASE  # the terminology (and so the CLI's codes) loaded
