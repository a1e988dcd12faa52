"""Transfer of a traject between two real sandbox organisations (issue 6).

Each test moves its own synthetic youth (written at A only, so B starts clean for her), and checks both
servers afterwards with the loaders' admin tokens, which see everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey

from hvol_fhir.ehr import NO_RETRY, EhrDown, FhirClient, RoundTripCounter
from hvol_fhir.mapping import labels
from hvol_fhir.transfer import (
    AmbiguousAtTarget,
    JournalWithoutConsent,
    NoUsableIdentifier,
    RecordPending,
    TargetRefused,
    TargetUnreachable,
    TransferRequest,
    TransferService,
    record,
)
from hvol_fhir.transfer import identity as ids
from sandbox.hapi import free_port
from tests.conftest_proof import Proof
from tests.integration import transfer_support as ts
from tests.security.faultproxy import STANDARD_FAULTS

pytestmark = pytest.mark.integration
COORDINATOR = "Practitioner/hv-coordinator"
BSN = "http://fhir.nl/fhir/NamingSystem/bsn"


@dataclass
class Two:
    a: Any
    b: Any
    key: RSAKey


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Two]:
    key = ts.new_key()
    for a, b in ts.start_two(tmp_path_factory.mktemp("orgs"), key):
        yield Two(a, b, key)


def _service(two: Two, **kw: Any) -> TransferService:
    return ts.service(two.a, two.b, two.key, **kw)


def _bsn(two: Two, patient: str) -> str:
    res = ts.admin_get(two.a, patient)
    return next(i["value"] for i in res["identifier"] if i["system"] == BSN)


def _traject_value(two: Two, careplan: str) -> str:
    plan = ts.admin_get(two.a, careplan)
    return next(i["value"] for i in plan["identifier"] if i["system"].endswith("/sid/traject"))


def _at_b(two: Two, resource_type: str, **params: Any) -> list[dict[str, Any]]:
    bundle = ts.admin_get(two.b, resource_type, _count=1000, **params)
    return [
        e["resource"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode", "match") == "match"
    ]


def _b_patient(two: Two, patient: str) -> list[dict[str, Any]]:
    return _at_b(two, "Patient", identifier=f"{BSN}|{_bsn(two, patient)}")


def points_at_b(careplan: dict[str, Any]) -> bool:
    return any(
        "Vervolg van dit traject bij" in s.get("display", "") for s in careplan.get("supportingInfo") or []
    )


def _episodes_at_a(two: Two, patient: str) -> list[dict[str, Any]]:
    found = ts.admin_get(two.a, f"EpisodeOfCare?patient={patient}")
    return [e["resource"] for e in found.get("entry", [])]


def test_full_transfer_handover(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 60, weeks=12)
    service = _service(two)
    request = service.request_for(
        youth.careplan, COORDINATOR, "Verhuisd naar een gezinshuis in de regio van B"
    )
    plan = service.preview(request)
    assert all(
        not i.send for i in plan.items if i.resource_type == "Communication"
    )  # journal stays by default
    result = service.send(plan)

    assert result.created > 0 and result.recorded_at_source
    [patient] = _b_patient(two, youth.patient)
    traject = _traject_value(two, youth.careplan)
    [copy] = _at_b(two, "CarePlan", identifier=f"https://hvol-fhir.org/fhir/sid/traject|{traject}")
    assert f"CarePlan/{copy['id']}" == result.target_careplan
    assert copy["subject"]["reference"] == f"Patient/{patient['id']}"
    assert copy["status"] == "active"
    encounters_at_a = ts.count(two.a, "Encounter", subject=youth.patient)
    encounters = _at_b(two, "Encounter", subject=f"Patient/{patient['id']}")
    assert len(encounters) == encounters_at_a > 0
    assert all("location" not in e and e["length"]["unit"] == "min" for e in encounters)
    assert _at_b(two, "Communication", subject=f"Patient/{patient['id']}") == []
    # Practitioners are matched by identifier: B's demo buddy is reused, not duplicated.
    buddies = _at_b(two, "Practitioner", identifier="https://hvol-fhir.org/fhir/sid/practitioner|hv-buddy-1")
    assert len(buddies) == 1
    [prov] = _at_b(two, "Provenance", _tag=f"{ids.TRANSFER_TAG}|{result.key}")
    assert prov["reason"][0]["text"].startswith("Verhuisd")
    author = prov["agent"][0]
    assert author["onBehalfOf"]["display"] == "Jeugdzorg De Horizon (demo A)"
    coordinator = ts.admin_get(two.b, author["who"]["reference"])
    assert {
        "system": "https://hvol-fhir.org/fhir/sid/practitioner",
        "value": "hv-coordinator",
    } in coordinator["identifier"]
    assert f"CarePlan/{copy['id']}" in {t["reference"] for t in prov["target"]}
    # At A: still running (issue 14, P-OUTFLOW: the buddy stays involved), pointing at B's copy, with the
    # transfer's Task; the EpisodeOfCare is not finished either.
    plan_a = ts.admin_get(two.a, youth.careplan)
    assert plan_a["status"] == "active"
    assert all(ep["status"] == "active" for ep in _episodes_at_a(two, youth.patient))
    assert any("Het Anker" in s.get("display", "") for s in plan_a["supportingInfo"])
    [task] = ts.admin_get(two.a, "Task", identifier=f"https://hvol-fhir.org/fhir/sid/task|{result.key}")[
        "entry"
    ]
    assert task["resource"]["output"][-1]["valueUrl"] == result.target_careplan_url


def test_repeat_creates_nothing(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 61, weeks=8)
    service = _service(two)
    request = service.request_for(youth.careplan, COORDINATOR, "Overplaatsing")
    first = service.run(request)
    [patient] = _b_patient(two, youth.patient)
    before = {
        t: len(_at_b(two, t, subject=f"Patient/{patient['id']}"))
        for t in ("CarePlan", "Encounter", "CareTeam")
    }
    provenances = len(_at_b(two, "Provenance", _tag=f"{ids.TRANSFER_TAG}|{first.key}"))
    version_a = ts.admin_get(two.a, youth.careplan)["meta"]["versionId"]

    again = service.run(request)

    assert again.created == 0 and again.already_recorded and again.key == first.key
    assert again.target_careplan == first.target_careplan
    after = {
        t: len(_at_b(two, t, subject=f"Patient/{patient['id']}"))
        for t in ("CarePlan", "Encounter", "CareTeam")
    }
    assert after == before
    assert len(_b_patient(two, youth.patient)) == 1
    assert len(_at_b(two, "Provenance", _tag=f"{ids.TRANSFER_TAG}|{first.key}")) == provenances == 1
    assert ts.admin_get(two.a, youth.careplan)["meta"]["versionId"] == version_a


def test_refusal_at_b_leaves_both_sides_unchanged(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 62, weeks=6)
    service = _service(two)
    plan = service.preview(service.request_for(youth.careplan, COORDINATOR, "Overplaatsing"))
    entries = [dict(e) for e in plan.bundle["entry"]]
    last_encounter = max(i for i, e in enumerate(entries) if e["resource"]["resourceType"] == "Encounter")
    entries[last_encounter] = {
        **entries[last_encounter],
        "resource": {**entries[last_encounter]["resource"], "status": "not-a-status"},
    }
    broken = replace(plan, bundle={**plan.bundle, "entry": entries})
    before_a = ts.admin_get(two.a, youth.careplan)

    with pytest.raises(TargetRefused) as caught:
        service.send(broken)

    assert "Het Anker" in caught.value.message_nl and "niets" in caught.value.message_nl
    assert caught.value.ehr_status in (400, 412, 422)
    assert caught.value.details_nl  # B's OperationOutcome, in plain words
    assert _b_patient(two, youth.patient) == []
    traject = _traject_value(two, youth.careplan)
    assert _at_b(two, "CarePlan", identifier=f"https://hvol-fhir.org/fhir/sid/traject|{traject}") == []
    assert ts.admin_get(two.a, youth.careplan) == before_a
    assert ts.count(two.a, "Task", focus=youth.careplan) == 0


def test_journal_excluded_by_default_included_only_with_consent(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 63, weeks=8, consent_entries=2)
    assert len(youth.consented) == 2 and len(youth.journal) > 2
    service = _service(two)
    not_consented = next(j for j in youth.journal if j not in youth.consented)

    with pytest.raises(JournalWithoutConsent):
        service.preview(
            service.request_for(youth.careplan, COORDINATOR, "Overplaatsing", journal=(not_consented,))
        )
    assert _b_patient(two, youth.patient) == []  # refused before anything was sent

    result = service.run(
        service.request_for(
            youth.careplan, COORDINATOR, "Overplaatsing", journal=youth.consented, mode="shared"
        )
    )
    [patient] = _b_patient(two, youth.patient)
    entries = _at_b(two, "Communication", subject=f"Patient/{patient['id']}")
    assert len(entries) == 2
    originals = {
        tuple(sorted((i["system"], i["value"]) for i in ts.admin_get(two.a, j)["identifier"])): j
        for j in youth.consented
    }
    for entry in entries:
        assert labels.has_full_label_set(entry["meta"])
        source = originals[tuple(sorted((i["system"], i["value"]) for i in entry["identifier"]))]
        assert labels.labels_of(entry["meta"]) == labels.labels_of(ts.admin_get(two.a, source)["meta"])
    # The disclosure is logged at A; in shared mode A's traject keeps running.
    assert ts.count(two.a, "AuditEvent", _tag=f"{ids.TRANSFER_TAG}|{result.key}") == 1
    assert ts.admin_get(two.a, youth.careplan)["status"] == "active"
    # B's regular staff cannot count the journal through the Provenance: that one is restricted itself.
    [restricted] = _at_b(two, "Provenance", _tag=f"{ids.TRANSFER_TAG}|{result.key}-beperkt")
    assert labels.is_restricted(restricted["meta"])


def test_receiving_validator_accepts_every_resource(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 64, weeks=6, consent_entries=1)
    service = _service(two)
    result = service.run(
        service.request_for(youth.careplan, COORDINATOR, "Overplaatsing", journal=youth.consented)
    )
    [prov] = _at_b(two, "Provenance", _tag=f"{ids.TRANSFER_TAG}|{result.key}")
    [restricted] = _at_b(two, "Provenance", _tag=f"{ids.TRANSFER_TAG}|{result.key}-beperkt")
    targets = [t["reference"] for t in prov["target"] + restricted["target"]]
    targets += [f"Provenance/{prov['id']}", f"Provenance/{restricted['id']}"]
    headers = {
        "Authorization": f"Bearer {two.b.admin_token()}",
        "Content-Type": "application/fhir+json",
        "Accept": "application/fhir+json",
    }
    checked = set()
    for ref in targets:
        resource = ts.admin_get(two.b, ref)
        body: dict[str, Any] = {
            "resourceType": "Parameters",
            "parameter": [{"name": "resource", "resource": resource}],
        }
        resp = requests.post(
            f"{two.b.fhir_base}/{ref.split('/')[0]}/$validate", json=body, headers=headers, timeout=120
        )
        errors = [i for i in resp.json().get("issue", []) if i["severity"] in ("error", "fatal")]
        assert resp.status_code == 200 and errors == [], (ref, errors[:3])
        checked.add(resource["resourceType"])
    assert {
        "Patient",
        "CarePlan",
        "EpisodeOfCare",
        "CareTeam",
        "Encounter",
        "Consent",
        "Communication",
        "Observation",
        "Practitioner",
        "Provenance",
    } <= checked


def test_patient_matched_on_provider_identifier_without_bsn(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 65, weeks=4, bsn=False)
    service = _service(two)
    plan = service.preview(service.request_for(youth.careplan, COORDINATOR, "Overplaatsing"))
    assert plan.patient_match_kind == "organisatienummer"
    service.send(plan)
    ident = plan.patient_match
    assert len(_at_b(two, "Patient", identifier=f"{ident['system']}|{ident['value']}")) == 1


def test_no_usable_identifier_is_refused(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 66, weeks=4, bsn=False)
    patient = ts.admin_get(two.a, youth.patient)
    patient.pop("identifier")
    ts.put_all(two.a.fhir_base, two.a.admin_token(), [patient])
    service = _service(two)
    with pytest.raises(NoUsableIdentifier) as caught:
        service.preview(service.request_for(youth.careplan, COORDINATOR, "Overplaatsing"))
    assert "kenmerk" in caught.value.message_nl


def test_two_patients_at_b_is_refused(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 67, weeks=4)
    bsn = _bsn(two, youth.patient)
    twins = [
        {
            "resourceType": "Patient",
            "id": f"b-twin-{n}",
            "identifier": [{"system": BSN, "value": bsn}],
            "name": [{"family": f"Dubbel {n}"}],
        }
        for n in (1, 2)
    ]
    ts.put_all(two.b.fhir_base, two.b.admin_token(), twins)
    service = _service(two)
    with pytest.raises(AmbiguousAtTarget) as caught:
        service.run(service.request_for(youth.careplan, COORDINATOR, "Overplaatsing"))
    assert "meerdere jongeren" in caught.value.message_nl
    traject = _traject_value(two, youth.careplan)
    assert _at_b(two, "CarePlan", identifier=f"https://hvol-fhir.org/fhir/sid/traject|{traject}") == []
    assert ts.admin_get(two.a, youth.careplan)["status"] == "active"


def test_target_unreachable_changes_nothing(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 68, weeks=4)
    service = _service(two)
    dead = TransferService(
        source=service.source,
        target=FhirClient(f"http://127.0.0.1:{free_port()}/fhir", "token", retry=NO_RETRY),
        source_name=service.source_name,
        target_name=service.target_name,
    )
    version = ts.admin_get(two.a, youth.careplan)["meta"]["versionId"]
    with pytest.raises(TargetUnreachable) as caught:
        dead.run(dead.request_for(youth.careplan, COORDINATOR, "Overplaatsing"))
    assert "niet bereikbaar" in caught.value.message_nl
    assert ts.admin_get(two.a, youth.careplan)["meta"]["versionId"] == version


def test_token_expiring_midway_is_renewed(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 69, weeks=4)
    backend = ts.backend(two.b.fhir_base, two.key)
    current = {"token": "verlopen-token"}  # what a client holds after its token ran out

    def renew(rejected: str | None) -> None:
        current["token"] = backend.access_token()

    counter = RoundTripCounter()
    service = _service(two)
    service.target = FhirClient(
        two.b.fhir_base, lambda: current["token"], counter=counter, on_unauthorized=renew
    )
    with counter.span() as span:
        result = service.run(service.request_for(youth.careplan, COORDINATOR, "Overplaatsing"))
    assert result.created > 0 and result.recorded_at_source
    assert [t.status for t in span.trips].count(401) == 1  # rejected once, renewed, then accepted
    assert current["token"] != "verlopen-token"


class _FailingOnce(FhirClient):
    """A's real server, with the first transaction's answer lost (the record step)."""

    failed = False

    def transaction(self, bundle: Any) -> dict[str, Any]:
        if not self.failed:
            self.failed = True
            raise EhrDown()
        return super().transaction(bundle)


def test_record_failure_at_a_is_completed_by_a_retry(two: Two) -> None:
    youth = ts.synthetic_traject(two.a, 70, weeks=4)
    service = _service(two)
    auth = ts.backend(two.a.fhir_base, two.key)
    service.source = _FailingOnce(
        two.a.fhir_base, auth, on_unauthorized=auth.invalidate, codec=ts.source_codec(two.a)
    )
    request = service.request_for(youth.careplan, COORDINATOR, "Overplaatsing")

    with pytest.raises(RecordPending) as caught:
        service.run(request)
    assert caught.value.target_careplan  # B holds it
    assert not points_at_b(ts.admin_get(two.a, youth.careplan))  # A not yet recorded

    again = service.run(request)
    assert again.created == 0 and again.recorded_at_source and not again.already_recorded
    plan_a = ts.admin_get(two.a, youth.careplan)
    assert points_at_b(plan_a) and plan_a["status"] == "active"
    assert len(_b_patient(two, youth.patient)) == 1


def _cli_config(two: Two, folder: Any, **target: Any) -> Any:
    import json

    (folder / "key.json").write_text(json.dumps(two.key.as_dict(private=True)), encoding="utf-8")
    side = {"client_id": ts.CLIENT_ID, "key_file": "key.json", "scope": ts.SCOPE}
    source = {"name": "Jeugdzorg De Horizon (demo A)", "fhir_base": two.a.fhir_base}
    config = {
        "sandbox": True,
        "source": {**side, **source, "vault_file": str(two.a.vault_file)},  # A's ring opens what A sealed
        "target": {**side, "name": "Jeugdzorg Het Anker (demo B)", "fhir_base": two.b.fhir_base, **target},
    }
    path = folder / "transfer.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def test_cli_preview_send_and_repeat(two: Two, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from hvol_fhir.cli import main

    youth = ts.synthetic_traject(two.a, 71, weeks=8, consent_entries=1)
    config = str(_cli_config(two, tmp_path))
    args = ["--config", config, "--careplan", youth.careplan, "--coordinator", COORDINATOR]
    assert main(["transfer", "preview", *args]) == 0
    shown = capsys.readouterr().out
    assert (
        "Wordt verstuurd" in shown
        and "Blijft hier" in shown
        and "contactjournaal blijft hier" in shown.lower()
    )
    assert main(["transfer", "send", *args, "--reason", "Verhuizing", "--yes"]) == 0
    assert "Het traject staat nu bij" in capsys.readouterr().out
    assert main(["transfer", "send", *args, "--reason", "Verhuizing", "--yes"]) == 0
    assert "niets dubbel" in capsys.readouterr().out
    assert (
        main(["transfer", "send", *args, "--reason", "Verhuizing", "--yes", "--journal", youth.journal[-1]])
        == 1
    )
    assert "toestemming" in capsys.readouterr().err


def test_cli_export_and_import_with_report(
    two: Two, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from hvol_fhir.cli import main

    youth = ts.synthetic_traject(two.a, 72, weeks=8, consent_entries=1)
    config = str(_cli_config(two, tmp_path))
    out = tmp_path / "overdracht.json"
    assert (
        main(
            [
                "transfer",
                "export",
                "--config",
                config,
                "--careplan",
                youth.careplan,
                "--coordinator",
                COORDINATOR,
                "--reason",
                "Offline overdracht",
                "--journal",
                youth.consented[0],
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.stat().st_mode & 0o077 == 0  # the file may hold a journal entry: owner only
    version = ts.admin_get(two.a, youth.careplan)["meta"]["versionId"]
    capsys.readouterr()

    # A tampered file is refused with a report, and nothing is imported.
    tampered = json.loads(out.read_text(encoding="utf-8"))
    journal = next(e for e in tampered["entry"] if e["resource"]["resourceType"] == "Communication")
    journal["resource"]["meta"]["security"] = journal["resource"]["meta"]["security"][:2]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tampered), encoding="utf-8")
    assert main(["transfer", "import", "--config", config, "--file", str(bad)]) == 1
    report = capsys.readouterr().out
    assert "beveiligingslabels" in report and "NIET ingelezen" in report
    assert _b_patient(two, youth.patient) == []

    assert main(["transfer", "import", "--config", config, "--file", str(out), "--check-only"]) == 0
    assert "goedgekeurd" in capsys.readouterr().out
    assert _b_patient(two, youth.patient) == []
    assert main(["transfer", "import", "--config", config, "--file", str(out)]) == 0
    assert "bestonden al" in capsys.readouterr().out
    [patient] = _b_patient(two, youth.patient)
    [entry] = _at_b(two, "Communication", subject=f"Patient/{patient['id']}")
    assert labels.has_full_label_set(entry["meta"])
    assert main(["transfer", "import", "--config", config, "--file", str(out)]) == 0
    assert "0 nieuw" in capsys.readouterr().out
    assert ts.admin_get(two.a, youth.careplan)["meta"]["versionId"] == version  # export changes nothing at A


# --- fault injection on transfers (issue 8: the proof suite) -----------------------------------------------
#
# A loopback proxy (tests/security/faultproxy.py) sits between the transfer service and one organisation and
# breaks one kind of request: B's ONE transaction (the send) or A's transaction (the record). The first run
# either succeeds or raises with a plain Dutch message that must be TRUE of both servers at that moment; the
# coordinator then runs the same transfer again without faults, which must succeed. Afterwards every sent
# resource is at B exactly once and the transfer is recorded at A exactly once; anything missing or doubled is
# counted in the proof table (tests/conftest_proof.py) and fails the run.

# The standard faults except 412 (a transaction of conditional creates meets no If-Match precondition).
TRANSFER_FAULTS = [f for f in STANDARD_FAULTS if f[1].get("status") != 412]
# Youth numbers not used above; each has its own synthetic BSN (transfer_support._bsn); _fresh_youth checks
# that B holds nothing for her yet.
RECEIVER_SEEDS = (73, 74, 75, 76, 77, 78, 80, 81, 82, 83)
RECORD_SEEDS = (84, 85, 87)
TRANSFER_BUNDLE = '"type": "transaction"'  # only the transaction holds this; B's check is a "batch"
CLAIMS_NOTHING = ("niets gewijzigd", "niets opgeslagen", "niets verstuurd", "niet gelukt")
NOT_PLAIN = ("faultproxy", "http", "exception", "error", "none", "{", "traceback")


def _fresh_youth(two: Two, n: int) -> Any:
    youth = ts.synthetic_traject(two.a, n, weeks=4, consent_entries=1)
    assert _b_patient(two, youth.patient) == []  # B starts clean for her, so every count below is hers
    return youth


def _proxied(org: Any, key: RSAKey, proxy: Any, **kw: Any) -> FhirClient:
    from tests.security.faultproxy import rerouted_session

    parts = urlsplit(org.fhir_base)
    session = rerouted_session(f"{parts.scheme}://{parts.netloc}", proxy)
    return ts.fhir_client(org.fhir_base, key, session=session, **kw)


def _tally(proof: Proof, label: str, what: str, n: int, want: int = 1) -> bool:
    if n < want:
        proof.found("lost", f"transfer {label}: {what} {n}x")
    elif n > want:
        proof.found("duplicates", f"transfer {label}: {what} {n}x")
    return n == want


def _assert_plain_and_true(two: Two, plan: Any, exc: Exception, version_a: str) -> None:
    """The message of a failed first run: Dutch, no technical text, and true of both servers right now."""
    text = getattr(exc, "message_nl", "")
    assert "Het Anker" in text and "opnieuw" in text, text
    assert not any(word in text.lower() for word in NOT_PLAIN), text
    traject = ids.condition(plan.traject_identifier)
    at_b = ts.count(two.b, "CarePlan?" + traject)
    task_at_a = ts.count(two.a, "Task?" + ids.condition(record.task_identifier(plan.key)))
    if isinstance(exc, RecordPending):
        assert at_b == 1, text  # "Het traject staat bij ..."
        if task_at_a:  # A did record it: the message may not say it failed
            assert "niet gelukt" not in text and "niet zeker" in text, text
        return
    assert ts.admin_get(two.a, plan.request.careplan)["meta"]["versionId"] == version_a, text  # "hier niets"
    assert task_at_a == 0, text
    if at_b:  # B holds the traject: a message saying nothing changed there would be false
        assert not any(claim in text for claim in CLAIMS_NOTHING), text
        assert "niet zeker" in text and "niets dubbel" in text, text


def _assert_exactly_once(two: Two, proof: Proof, label: str, plan: Any, youth: Any, version_a: str) -> None:
    """Every entry of the Bundle at B once, nothing unconsented, the record at A once."""
    ok = True
    for n, entry in enumerate(plan.bundle["entry"]):
        rtype = entry["resource"]["resourceType"]
        ok &= _tally(
            proof, label, f"{rtype} #{n} at B", ts.count(two.b, f"{rtype}?" + entry["request"]["ifNoneExist"])
        )
    ok &= _tally(proof, label, "Patient at B", len(_b_patient(two, youth.patient)))
    ok &= _tally(
        proof, label, "CarePlan at B", ts.count(two.b, "CarePlan?" + ids.condition(plan.traject_identifier))
    )
    patients = _b_patient(two, youth.patient)
    if len(patients) == 1:
        subject = f"Patient/{patients[0]['id']}"
        sent = [e for e in plan.bundle["entry"] if e["resource"]["resourceType"] == "Encounter"]
        ok &= _tally(
            proof, label, "Encounters at B", len(_at_b(two, "Encounter", subject=subject)), len(sent)
        )
        journal = _at_b(two, "Communication", subject=subject)
        allowed = {
            (i["system"], i["value"])
            for ref in plan.journal_sent
            for i in ts.admin_get(two.a, ref)["identifier"]
        }
        unconsented = [
            j for j in journal if not {(i["system"], i["value"]) for i in j["identifier"]} & allowed
        ]
        if unconsented:
            proof.found("leaks", f"transfer {label}: {len(unconsented)} unconsented journal entries at B")
        ok &= not unconsented
        ok &= _tally(proof, label, "journal entries at B", len(journal), len(plan.journal_sent))
    ok &= _tally(
        proof,
        label,
        "transfer Task at A",
        ts.count(two.a, "Task?" + ids.condition(record.task_identifier(plan.key))),
    )
    if plan.journal_sent:
        ok &= _tally(
            proof,
            label,
            "disclosure AuditEvent at A",
            ts.count(two.a, "AuditEvent?" + ids.tag_condition(plan.key)),
        )
    careplan_a = ts.admin_get(two.a, plan.request.careplan)
    writes = int(careplan_a["meta"]["versionId"]) - int(version_a)
    ok &= _tally(proof, label, "record of A's CarePlan", writes)
    assert careplan_a["status"] == "active" and points_at_b(careplan_a)  # a handover keeps A running
    assert ok, proof.notes[-5:]


def _run_under_fault(
    two: Two,
    proof: Proof,
    label: str,
    service: TransferService,
    proxy: Any,
    plan: Any,
    youth: Any,
    inject: Any,
) -> None:
    version_a = ts.admin_get(two.a, plan.request.careplan)["meta"]["versionId"]
    inject()
    try:
        first: Exception | None = None
        try:
            service.send(plan)
        except (TargetUnreachable, TargetRefused, RecordPending) as exc:
            first = exc
    finally:
        proxy.clear()
    faults = len(proxy.injected)
    proof.add("faults", faults)
    proof.add("transfer_faults", faults)
    proof.add("fault_saves")
    assert faults >= 1
    if first is not None:
        _assert_plain_and_true(two, plan, first, version_a)
        again = service.run(plan.request)  # the coordinator starts it again; the proxy no longer breaks
        assert again.recorded_at_source and again.key == plan.key
    _assert_exactly_once(two, proof, label, plan, youth, version_a)


@pytest.mark.proof
@pytest.mark.parametrize(
    ("n", "kind", "options"),
    [(n, k, o) for n, (k, o) in zip(RECEIVER_SEEDS, TRANSFER_FAULTS, strict=True)],
    ids=[f"{k}-{o}" for k, o in TRANSFER_FAULTS],
)
def test_fault_at_receiver_loses_and_duplicates_nothing(
    two: Two, proof: Proof, n: int, kind: str, options: dict[str, Any]
) -> None:
    from tests.security.faultproxy import FaultProxy

    youth = _fresh_youth(two, n)
    service = _service(two)
    parts = urlsplit(two.b.fhir_base)
    with FaultProxy(f"{parts.scheme}://{parts.netloc}") as proxy:
        # The delay outlasts a 3 s read timeout; the others keep the default, so that a slow HAPI cannot
        # cause a resend while B still works on the first send (not the fault under test).
        timeout = (3.0, 3.0) if kind == "delay" else (5.0, 30.0)
        service.target = _proxied(two.b, two.key, proxy, timeout=timeout)
        plan = service.preview(
            service.request_for(youth.careplan, COORDINATOR, "Overplaatsing", journal=youth.consented)
        )
        assert plan.journal_sent

        def inject() -> None:
            proxy.inject(kind, method="POST", path=parts.path, exact=True, body=TRANSFER_BUNDLE, **options)

        _run_under_fault(two, proof, f"B {kind} {options}", service, proxy, plan, youth, inject)


RECORD_FAULTS: list[tuple[str, dict[str, Any], str]] = [
    ("drop-after", {}, TRANSFER_BUNDLE),  # A committed the record, the answer was lost
    ("drop-after", {"times": 3}, TRANSFER_BUNDLE),
    ("status", {"status": 503, "times": 3}, '"type": "batch"'),  # A's state cannot be read: nothing written
]


@pytest.mark.proof
@pytest.mark.parametrize(
    ("n", "kind", "options", "body"),
    [(n, k, o, b) for n, (k, o, b) in zip(RECORD_SEEDS, RECORD_FAULTS, strict=True)],
    ids=[f"{k}-{o}-{b.split()[-1]}" for k, o, b in RECORD_FAULTS],
)
def test_fault_recording_at_source_loses_and_duplicates_nothing(
    two: Two, proof: Proof, n: int, kind: str, options: dict[str, Any], body: str
) -> None:
    from tests.security.faultproxy import FaultProxy

    youth = _fresh_youth(two, n)
    service = _service(two)
    parts = urlsplit(two.a.fhir_base)
    with FaultProxy(f"{parts.scheme}://{parts.netloc}") as proxy:
        service.source = _proxied(two.a, two.key, proxy, codec=ts.source_codec(two.a))
        plan = service.preview(
            service.request_for(youth.careplan, COORDINATOR, "Overplaatsing", journal=youth.consented)
        )

        def inject() -> None:
            proxy.inject(kind, method="POST", path=parts.path, exact=True, body=body, **options)

        _run_under_fault(two, proof, f"A {kind} {options}", service, proxy, plan, youth, inject)


@pytest.mark.proof
def test_app_transfer_under_fault_keeps_the_form_and_sends_once(
    two: Two, proof: Proof, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The coordinator in the app: B commits the transfer but every answer is lost. The page keeps her choices
    (reason, ticked entries) with a true message; confirming again finishes it; everything is at B once."""
    import json
    import re

    from tests.integration.app_support import launch
    from tests.integration.launch_support import serve_app
    from tests.security.faultproxy import FaultProxy, rerouted_session

    youth = _fresh_youth(two, 88)
    workdir = tmp_path_factory.mktemp("transfer-app")
    (workdir / "key.json").write_text(json.dumps(two.key.as_dict(private=True)), encoding="utf-8")
    parts = urlsplit(two.b.fhir_base)
    origin = f"{parts.scheme}://{parts.netloc}"
    targets = [{"id": "anker", "name": "Jeugdzorg Het Anker (demo B)", "fhir_base": two.b.fhir_base}]
    with (
        FaultProxy(origin) as proxy,
        serve_app(
            two.a,
            workdir,
            HVOL_KEY_FILE=str(workdir / "key.json"),
            HVOL_HTTP=rerouted_session(origin, proxy),
            HVOL_TRANSFER_TARGETS=targets,
            HVOL_TRANSFER_SOURCE_NAME="Jeugdzorg De Horizon (demo A)",
        ) as running,
    ):
        coordinator = launch(running, two.a, "hv-coordinator", youth.patient.split("/")[1])
        reason = "Verhuist naar een gezinshuis in de regio van Het Anker"
        form: dict[str, Any] = {
            "naar": "anker",
            "traject": youth.careplan,
            "wijze": "handover",
            "reden": reason,
            "dagboek": list(youth.consented),
        }
        shown = coordinator.post("/overdracht/voorvertoning", form, csrf_from="/overdracht/")
        assert shown.status_code == 200, shown.text[-500:]
        form["sleutel"] = re.findall(r'name="sleutel" value="([^"]+)"', shown.text)[0]
        plan = TransferService(
            source=ts.fhir_client(two.a.fhir_base, two.key, codec=ts.source_codec(two.a)),
            target=ts.fhir_client(two.b.fhir_base, two.key),
            source_name="Jeugdzorg De Horizon (demo A)",
            target_name="Jeugdzorg Het Anker (demo B)",
        ).preview(
            TransferRequest(
                careplan=youth.careplan,
                target=two.b.fhir_base,
                target_name="Jeugdzorg Het Anker (demo B)",
                coordinator=COORDINATOR,
                reason=reason,
                journal=tuple(youth.consented),
            )
        )
        assert plan.key == form["sleutel"]  # the very plan the page shows, for the counts below
        version_a = ts.admin_get(two.a, youth.careplan)["meta"]["versionId"]
        proxy.inject("drop-after", method="POST", path=parts.path, exact=True, body=TRANSFER_BUNDLE, times=3)
        first = coordinator.post("/overdracht/", form, csrf_from="/overdracht/")
        proxy.clear()
        faults = len(proxy.injected)
        proof.add("faults", faults)
        proof.add("transfer_faults", faults)
        proof.add("fault_saves")
        assert faults == 3
        page = first.text
        assert first.status_code == 503, page[-500:]
        assert reason in page and 'data-testid="transfer-error"' in page  # her reason is still on the form
        assert all(f'value="{ref}"' in page for ref in youth.consented)  # and the entries she chose
        assert "niet zeker" in page and "niets dubbel" in page, page[-800:]
        assert ts.admin_get(two.a, youth.careplan)["meta"]["versionId"] == version_a  # not yet recorded at A
        again = coordinator.post("/overdracht/", form, csrf_from="/overdracht/")
        assert again.status_code == 200 and 'data-testid="transfer-result"' in again.text, again.text[-800:]
    _assert_exactly_once(two, proof, "app: B drop-after x3", plan, youth, version_a)


# --- sealed content on a transfer (issue 12, item 5) -------------------------------------------------------
#
# A's synthetic youth is written sealed with A's ring. To a target that runs the app, every confidential part
# arrives signed by A and sealed to B's published wrap key: B's raw resources hold no plaintext of it and no
# envelope under any of A's keys, and only B's ring (accepting A's signature) opens it. To a target without
# the app, B holds plaintext, journal entries under the full label set, and no envelope at all.


def _her_resources_at_b(two: Two, youth: Any) -> list[dict[str, Any]]:
    [patient] = _b_patient(two, youth.patient)
    ref = f"Patient/{patient['id']}"
    found = [patient]
    for rtype, param in (
        ("CarePlan", "subject"),
        ("CareTeam", "subject"),
        ("Encounter", "subject"),
        ("Communication", "subject"),
        ("Consent", "patient"),
        ("Observation", "subject"),
        ("EpisodeOfCare", "patient"),
    ):
        found += _at_b(two, rtype, **{param: ref})
    return found


def _envelopes(resources: list[dict[str, Any]]) -> list[str]:
    from hvol_fhir.sealing.codec import envelopes

    return [tok for res in resources for tok in envelopes(res).values()]


def _shared_texts(two: Two, youth: Any) -> list[str]:
    from tests.sealing_support import journal_text

    texts = [journal_text(two.a, ts.admin_get(two.a, ref)) for ref in youth.consented]
    assert all(len(t) > 20 for t in texts), texts  # the oracle opened them at A
    return texts


def _a_kids(two: Two) -> set[str]:
    ring = two.a.key_ring()
    return {kid for purpose in ("seal", "sign", "wrap") for kid in ring.kids(purpose)}


def test_sealed_transfer_to_a_target_running_the_app(two: Two) -> None:
    import json

    from hvol_fhir.mapping import communication
    from hvol_fhir.sealing.codec import SEALED, SealingCodec, status_of
    from hvol_fhir.sealing.envelope import peek_header
    from hvol_fhir.sealing.membership import is_signed

    youth = ts.synthetic_traject(two.a, 101, weeks=6, consent_entries=2)
    texts = _shared_texts(two, youth)
    service = _service(two, delivery=ts.sealed_to(two.b, two.a))
    plan = service.preview(
        service.request_for(youth.careplan, COORDINATOR, "Verhuizing", journal=youth.consented, mode="shared")
    )
    assert plan.delivery == "sealed" and "versleuteld" in plan.delivery_nl
    assert any("versleuteld" in line for line in ts_summary(plan))
    service.send(plan)

    at_b = _her_resources_at_b(two, youth)
    raw = json.dumps(at_b, ensure_ascii=False)
    assert not [t for t in texts if t in raw]  # no plaintext of the shared entries
    tokens = _envelopes(at_b)
    kinds = {peek_header(tok)["hvol"]["kind"].split(".")[0] for tok in tokens}
    assert {"Communication", "CarePlan"} <= kinds, kinds
    teams = [r for r in at_b if r["resourceType"] == "CareTeam"]
    assert teams and not any(is_signed(r) for r in teams)  # A's signature stays at A
    b_wrap = two.b.key_ring().current("wrap").kid
    assert {peek_header(tok).get("kid") for tok in tokens} == {b_wrap}  # none under any of A's keys
    assert not {peek_header(tok).get("kid") for tok in tokens} & _a_kids(two)
    assert {peek_header(tok).get("alg") for tok in tokens} == {"ECDH-ES+A256KW"}

    # B's app (a codec with B's ring that accepts A's signature) opens them, as the author's entries.
    opener = ts.receiver_codec(two.b, two.a)
    journal = [opener.decode(r) for r in at_b if r["resourceType"] == "Communication"]
    assert len(journal) == 2 and all(status_of(j) == SEALED for j in journal)
    entries = [communication.from_fhir(j) for j in journal]
    assert sorted(e.text for e in entries) == sorted(texts)
    assert all(e.written_by_app for e in entries)
    buddy = ts.admin_get(two.b, entries[0].author)
    assert {"system": "https://hvol-fhir.org/fhir/sid/practitioner", "value": "hv-buddy-1"} in buddy[
        "identifier"
    ]
    careplan_b = opener.decode(next(r for r in at_b if r["resourceType"] == "CarePlan"))
    careplan_a = ts.source_codec(two.a).decode(ts.admin_get(two.a, youth.careplan))
    assert status_of(careplan_b) == SEALED
    victim = [c for c in careplan_a.get("category", []) if "victim" in json.dumps(c)]
    assert victim and all(c in careplan_b["category"] for c in victim)

    # Nobody else opens them: A's ring, B's ring without A as an accepted sender.
    for other in (
        SealingCodec(two.a.key_ring(), opener.readable, senders=opener.senders),
        SealingCodec(two.b.key_ring(), opener.readable),
    ):
        assert all((status_of(other.decode(j)) or "").startswith("broken") for j in journal_raw(at_b))


def ts_summary(plan: Any) -> list[str]:
    from hvol_fhir.transfer import summary_lines

    return list(summary_lines(plan))


def journal_raw(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in resources if r["resourceType"] == "Communication"]


@pytest.mark.proof
def test_forged_and_copied_transfer_envelopes_do_not_open_at_b(two: Two, proof: Proof) -> None:
    """Anyone can seal to B's published key: an envelope B's staff make themselves (unsigned, or signed with a
    key B does not accept), or a real one copied into another entry or youth, never opens as the author's."""
    import base64
    import copy

    from hvol_fhir.sealing import keys
    from hvol_fhir.sealing.codec import (
        SEALED,
        SealingCodec,
        envelopes,
        status_of,
        transfer_binding_for,
    )
    from hvol_fhir.sealing.envelope import seal_to, seal_transfer
    from hvol_fhir.transfer.delivery import wrap_key

    youth = ts.synthetic_traject(two.a, 102, weeks=4, consent_entries=1)
    service = _service(two, delivery=ts.sealed_to(two.b, two.a))
    service.run(service.request_for(youth.careplan, COORDINATOR, "Verhuizing", journal=youth.consented))
    [entry] = journal_raw(_her_resources_at_b(two, youth))
    opener = ts.receiver_codec(two.b, two.a)
    assert status_of(opener.decode(entry)) == SEALED

    b_key = wrap_key(two.b.key_ring().public_jwks())
    clear = {k: v for k, v in entry.items() if k not in ("payload", "text")}
    binding = transfer_binding_for(clear, "journal")
    value = {"payload": [{"contentString": "Vervalst verslag"}]}
    rogue = keys.generate("rogue")

    def with_token(token: str, base: dict[str, Any] = entry) -> dict[str, Any]:
        out = copy.deepcopy(base)
        data = base64.b64encode(token.encode()).decode()
        out["payload"] = [{"contentAttachment": {"contentType": "application/jose", "data": data}}]
        return out

    real = next(iter(envelopes(entry).values()))
    moved = copy.deepcopy(entry)
    moved["subject"]["identifier"] = {"system": BSN, "value": "999990019"}
    renamed = copy.deepcopy(entry)
    renamed["identifier"][0]["value"] = "00000000-0000-4000-8000-000000000000"
    forged = [
        with_token(seal_to(b_key, value, binding)),  # unsigned
        with_token(seal_transfer(b_key, rogue, value, binding)),  # signed by a key B does not accept
        with_token(real, moved),  # a real envelope under another youth
        with_token(real, renamed),  # ... or another entry
    ]
    wrong_keys = [
        (SealingCodec(two.a.key_ring(), opener.readable, senders=opener.senders), entry),  # A's own ring
        (SealingCodec(two.b.key_ring(), opener.readable), entry),  # B without A as an accepted sender
    ]
    for n, (codec, res) in enumerate([*((opener, f) for f in forged), *wrong_keys]):
        status = status_of(codec.decode(res)) or ""
        proof.add("forgeries")
        if not status.startswith("broken"):
            proof.found("forgeries_accepted", f"case {n}: {status}")
        assert status.startswith("broken"), (n, status)


def test_plain_transfer_to_a_target_without_the_app(two: Two) -> None:
    import json

    youth = ts.synthetic_traject(two.a, 103, weeks=6, consent_entries=2)
    texts = _shared_texts(two, youth)
    service = _service(two)  # no runs_app: plaintext
    plan = service.preview(
        service.request_for(youth.careplan, COORDINATOR, "Verhuizing", journal=youth.consented, mode="shared")
    )
    assert plan.delivery == "plain" and "leesbaar" in plan.delivery_nl
    service.send(plan)
    at_b = _her_resources_at_b(two, youth)
    assert _envelopes(at_b) == []
    assert "sealed-content" not in json.dumps(at_b)
    journal = journal_raw(at_b)
    assert sorted(j["payload"][0]["contentString"] for j in journal) == sorted(texts)
    assert all(labels.has_full_label_set(j["meta"]) for j in journal)
    assert all("seal-status" not in json.dumps(r.get("meta", {})) for r in at_b)  # A's notes stay at A


def test_export_file_in_both_modes(two: Two) -> None:
    import json

    from hvol_fhir.sealing.envelope import peek_header
    from hvol_fhir.transfer import offline

    youth = ts.synthetic_traject(two.a, 104, weeks=4, consent_entries=1)
    texts = _shared_texts(two, youth)
    a_ring = json.dumps(two.a.key_ring().to_json())
    for delivery, code in ((ts.sealed_to(two.b, two.a), "sealed-to-recipient"), (None, "plaintext")):
        service = _service(two, **({"delivery": delivery} if delivery else {}))
        plan = service.preview(
            service.request_for(youth.careplan, COORDINATOR, "Offline", journal=youth.consented)
        )
        bundle = offline.export_bundle(plan, "2026-12-05T03:00:00Z")
        text = json.dumps(bundle, ensure_ascii=False)
        assert offline.delivery_of(bundle) == code
        report = offline.check_bundle(bundle)
        assert report.ok, report.problems
        tokens = [tok for e in bundle["entry"] for tok in _envelopes([e["resource"]])]
        assert not {peek_header(t).get("kid") for t in tokens} & _a_kids(two)
        ring = json.loads(a_ring)
        for part in ring["seal"] + ring["sign"] + ring["wrap"]:  # never A's private keys
            assert (part.get("d") or part["k"]) not in text
        if code == "sealed-to-recipient":
            assert tokens and not [t for t in texts if t in text]
        else:
            assert tokens == [] and all(t in text for t in texts)
    # A file holding A's own ciphertext (what the export wrote before this change) is refused.
    raw = ts.admin_get(two.a, youth.consented[0])
    raw.pop("id")
    bad = {**bundle, "entry": [*bundle["entry"], {**bundle["entry"][-1], "resource": raw}]}
    problems = offline.check_bundle(bad).problems
    assert any("sleutel van de afzender" in p for p in problems), problems


def test_reading_a_without_its_keys_sends_nothing(two: Two) -> None:
    """Before this change the transfer read A without a codec and copied A's ciphertext to B: now refused."""
    from hvol_fhir.transfer.errors import SealedAtSource

    youth = ts.synthetic_traject(two.a, 105, weeks=4, consent_entries=1)
    service = _service(two)
    service.source = ts.fhir_client(two.a.fhir_base, two.key)  # no codec
    with pytest.raises(SealedAtSource) as caught:
        service.run(service.request_for(youth.careplan, COORDINATOR, "Verhuizing", journal=youth.consented))
    assert "niets verstuurd" in caught.value.message_nl
    assert _b_patient(two, youth.patient) == []


def test_cli_export_sealed_to_a_target_running_the_app(
    two: Two, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's configuration: target ``runs_app`` + ``keys_file`` (B's published keys), source
    ``vault_file``. The file holds no plaintext of the shared entry and nothing under A's keys; imported at
    B, B's ring (accepting A's signature) opens the entry as the author's."""
    import json

    from hvol_fhir.cli import main
    from hvol_fhir.mapping import communication
    from hvol_fhir.transfer import offline

    youth = ts.synthetic_traject(two.a, 106, weeks=4, consent_entries=1)
    [text] = _shared_texts(two, youth)
    (tmp_path / "b-keys.json").write_text(json.dumps(two.b.key_ring().public_jwks()), encoding="utf-8")
    config = str(_cli_config(two, tmp_path, runs_app=True, keys_file="b-keys.json"))
    args = ["--config", config, "--careplan", youth.careplan, "--coordinator", COORDINATOR]
    assert main(["transfer", "preview", *args]) == 0
    assert "versleuteld" in capsys.readouterr().out
    out = tmp_path / "overdracht.json"
    export = ["transfer", "export", *args, "--reason", "Offline", "--journal", youth.consented[0]]
    assert main([*export, "--out", str(out)]) == 0
    assert "versleuteld voor de ontvanger" in capsys.readouterr().out
    written = out.read_text(encoding="utf-8")
    bundle = json.loads(written)
    assert offline.delivery_of(bundle) == "sealed-to-recipient"
    assert text not in written and not any(kid in written for kid in _a_kids(two))
    assert main(["transfer", "import", "--config", config, "--file", str(out)]) == 0
    assert "versleuteld voor de ontvanger" in capsys.readouterr().out
    [entry] = journal_raw(_her_resources_at_b(two, youth))
    opened = communication.from_fhir(ts.receiver_codec(two.b, two.a).decode(entry))
    assert opened.text == text and opened.written_by_app


def test_app_transfer_sealed_to_a_target_running_the_app(
    two: Two, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """In the app: a target configured with ``runs_app`` + ``keys_file`` (B's published keys). The preview
    says in plain Dutch that the content goes sealed; B holds no plaintext of the shared entry and nothing
    under A's keys; B's own app, accepting A's signature (its transfer target A with A's published keys),
    shows the entry to B's coordinator as the buddy's, not as "niet door de app geschreven"."""
    import json
    import re

    from tests.integration.app_support import launch, traject_ident
    from tests.integration.launch_support import serve_app

    youth = ts.synthetic_traject(two.a, 107, weeks=4, consent_entries=1)
    [text] = _shared_texts(two, youth)
    workdir = tmp_path_factory.mktemp("transfer-app-sealed")
    (workdir / "key.json").write_text(json.dumps(two.key.as_dict(private=True)), encoding="utf-8")
    (workdir / "b-keys.json").write_text(json.dumps(two.b.key_ring().public_jwks()), encoding="utf-8")
    (workdir / "a-keys.json").write_text(json.dumps(two.a.key_ring().public_jwks()), encoding="utf-8")
    anker = {"id": "anker", "name": "Jeugdzorg Het Anker (demo B)", "fhir_base": two.b.fhir_base}
    anker |= {"runs_app": True, "keys_file": str(workdir / "b-keys.json")}
    with serve_app(
        two.a,
        workdir,
        HVOL_KEY_FILE=str(workdir / "key.json"),
        HVOL_TRANSFER_TARGETS=[anker],
        HVOL_TRANSFER_SOURCE_NAME="Jeugdzorg De Horizon (demo A)",
    ) as running:
        coordinator = launch(running, two.a, "hv-coordinator", youth.patient.split("/")[1])
        form: dict[str, Any] = {
            "naar": "anker",
            "traject": youth.careplan,
            "wijze": "handover",
            "reden": "Verhuizing naar de regio van Het Anker",
            "dagboek": list(youth.consented),
        }
        shown = coordinator.post("/overdracht/voorvertoning", form, csrf_from="/overdracht/")
        assert shown.status_code == 200, shown.text[-500:]
        assert 'data-delivery="sealed"' in shown.text and "versleuteld mee" in shown.text
        assert text not in shown.text
        form["sleutel"] = re.findall(r'name="sleutel" value="([^"]+)"', shown.text)[0]
        sent = coordinator.post("/overdracht/", form, csrf_from="/overdracht/")
        assert sent.status_code == 200 and 'data-testid="transfer-result"' in sent.text, sent.text[-800:]

    at_b = _her_resources_at_b(two, youth)
    raw = json.dumps(at_b, ensure_ascii=False)
    assert text not in raw and not any(kid in raw for kid in _a_kids(two))
    assert _envelopes(journal_raw(at_b))

    horizon = {"id": "horizon", "name": "Jeugdzorg De Horizon (demo A)", "fhir_base": two.a.fhir_base}
    horizon |= {"runs_app": True, "keys_file": str(workdir / "a-keys.json")}
    b_dir = tmp_path_factory.mktemp("transfer-app-b")
    (b_dir / "key.json").write_text(json.dumps(two.key.as_dict(private=True)), encoding="utf-8")
    [patient] = _b_patient(two, youth.patient)
    with serve_app(
        two.b, b_dir, HVOL_KEY_FILE=str(b_dir / "key.json"), HVOL_TRANSFER_TARGETS=[horizon]
    ) as b_app:
        page = launch(b_app, two.b, "hv-coordinator", patient["id"])
        journal = page.get(f"/t/{traject_ident(page)}/journaal")
        assert journal.status_code == 200, journal.text[-500:]
        assert text in journal.text, journal.text[-1500:]
        assert 'data-testid="not-by-app"' not in journal.text
