from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from hvol_fhir.ehr import bundle as bundles
from hvol_fhir.errors import InvalidInput
from hvol_fhir.mapping import labels
from hvol_fhir.transfer import JournalWithoutConsent, NotATraject, NoUsableIdentifier, Snapshot, build_plan
from hvol_fhir.transfer import identity as ids

from .conftest import CONSENTED, NOW, disclosure, request, snapshot


def _refs(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    if isinstance(node, dict):
        literal = isinstance(node.get("reference"), str)
        here = [node] if literal or ("identifier" in node and "display" in node) else []
        return here + [r for v in node.values() for r in _refs(v)]
    return []


def _resources(plan: Any, rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in plan.bundle["entry"] if e["resource"]["resourceType"] == rtype]


def test_default_plan_keeps_the_journal_home(snap: Snapshot) -> None:
    plan = build_plan(snap, request(), NOW)
    journal = [i for i in plan.items if i.resource_type == "Communication"]
    assert journal and not any(i.send for i in journal)
    assert {i.reference for i in journal if i.selectable} == set(CONSENTED)
    assert all("contactjournaal blijft hier" in i.reason_nl.lower() for i in journal)
    assert _resources(plan, "Communication") == []
    assert not any(
        i.send for i in plan.items if i.resource_type == "CarePlan" and i.reference.endswith("06a")
    )


def test_every_entry_is_a_conditional_create_with_no_server_ids(snap: Snapshot) -> None:
    plan = build_plan(snap, request(), NOW)
    assert bundles.is_repeatable(plan.bundle)
    for entry in plan.bundle["entry"]:
        assert entry["request"]["method"] == "POST" and entry["request"]["ifNoneExist"]
        assert entry["fullUrl"].startswith("urn:uuid:")
        res = entry["resource"]
        assert "id" not in res and "text" not in res and "versionId" not in res.get("meta", {})
        for ref in _refs(res):
            target = ref.get("reference")
            assert target is None or "?identifier=" in target, (res["resourceType"], target)


def test_people_and_contacts_are_minimised(snap: Snapshot) -> None:
    plan = build_plan(snap, request(), NOW)
    [patient] = _resources(plan, "Patient")
    assert set(patient) <= {"resourceType", "identifier", "active", "name", "gender", "birthDate", "meta"}
    encounters = _resources(plan, "Encounter")
    assert len(encounters) == len([k for k in snap.resources if k.startswith("Encounter/")])
    assert all("location" not in e and e["length"]["unit"] == "min" for e in encounters)
    assert plan.patient_match_kind == "BSN" and plan.patient_match["system"] == ids.BSN


def test_staying_behind_has_reasons_and_old_traject_is_named_by_identifier(snap: Snapshot) -> None:
    plan = build_plan(snap, request(), NOW)
    assert all(i.reason_nl for i in plan.items)
    [careplan] = _resources(plan, "CarePlan")
    replaced = careplan["replaces"][0]
    assert "reference" not in replaced and replaced["identifier"]["system"].endswith("/sid/traject")


def test_provenance_names_source_coordinator_and_reason(snap: Snapshot) -> None:
    plan = build_plan(snap, request(reason="Verhuisd naar B"), NOW)
    provenances = _resources(plan, "Provenance")
    [prov] = [p for p in provenances if not labels.is_restricted(p.get("meta"))]
    [restricted] = [p for p in provenances if labels.is_restricted(p.get("meta"))]
    # The restricted Provenance covers what is restricted: the participation Consent and the measurements
    # (QuestionnaireResponses are labelled R + compartment), never a journal entry unless consented.
    targets = Counter(t["reference"].split("?")[0] for t in restricted["target"])
    assert targets == {"Consent": 1, "QuestionnaireResponse": len(_resources(plan, "QuestionnaireResponse"))}
    assert prov["reason"][0]["text"] == "Verhuisd naar B"
    assert prov["agent"][0]["who"]["reference"].startswith("Practitioner?identifier=")
    assert prov["agent"][0]["onBehalfOf"]["display"] == "De Horizon"
    assert plan.careplan_match in {t["reference"] for t in prov["target"]}


def test_key_is_the_same_for_a_repeat(snap: Snapshot) -> None:
    first = build_plan(snap, request(reason="a"), NOW)
    again = build_plan(snap, request(reason="b", mode="shared"), NOW.replace(hour=18))
    assert first.key == again.key
    assert build_plan(snap, request(target="http://c.example/fhir"), NOW).key != first.key


def test_journal_without_consent_is_refused(snap: Snapshot) -> None:
    with pytest.raises(JournalWithoutConsent) as caught:
        build_plan(snap, request(journal=("Communication/hv-journal-06-010",)), NOW)
    assert caught.value.rule_id == "P-SHARE-CONSENT"


def test_withdrawn_consent_does_not_cover() -> None:
    with pytest.raises(JournalWithoutConsent):
        build_plan(snapshot(disclosure(status="inactive")), request(journal=CONSENTED[:1]), NOW)


def test_consented_journal_goes_with_its_labels_and_a_restricted_provenance(snap: Snapshot) -> None:
    plan = build_plan(snap, request(journal=CONSENTED), NOW)
    sent = _resources(plan, "Communication")
    assert len(sent) == 2
    for entry in sent:
        assert labels.has_full_label_set(entry["meta"])
        compartment = next(s for s in entry["meta"]["security"] if s.get("extension"))
        assert compartment["extension"][0]["valueRelatedArtifact"]["url"].startswith("http://a.example/fhir/")
    assert "Consent/hv-disclosure-06" in plan.consents_used
    provenances = _resources(plan, "Provenance")
    [restricted] = [p for p in provenances if labels.is_restricted(p.get("meta"))]
    non_measurement = [
        t for t in restricted["target"] if not t["reference"].startswith("QuestionnaireResponse")
    ]
    assert len(non_measurement) == 4  # two entries, the disclosure and the participation Consent


def test_journal_entry_without_labels_is_refused() -> None:
    snap = snapshot(disclosure())
    snap.resources["Communication/hv-journal-06-001"]["meta"]["security"] = []
    with pytest.raises(labels.MissingSecurityLabels):
        build_plan(snap, request(journal=CONSENTED[:1]), NOW)


def test_patient_without_identifier_is_refused() -> None:
    snap = snapshot()
    snap.resources["Patient/hv-youth-06"]["identifier"] = []
    with pytest.raises(NoUsableIdentifier):
        build_plan(snap, request(), NOW)


def test_not_a_programme_traject_is_refused() -> None:
    snap = snapshot()
    snap.resources["CarePlan/hv-traject-06"]["category"] = []
    with pytest.raises(NotATraject):
        build_plan(snap, request(), NOW)


def test_coordinator_must_be_known_and_time_aware(snap: Snapshot) -> None:
    with pytest.raises(InvalidInput):
        build_plan(snap, request(coordinator="Practitioner/nobody"), NOW)
    with pytest.raises(InvalidInput):
        build_plan(snap, request(), NOW.replace(tzinfo=None))
    with pytest.raises(InvalidInput):
        request(reason="  ")
