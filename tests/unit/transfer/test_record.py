from __future__ import annotations

from hvol_fhir.ehr import bundle as bundles
from hvol_fhir.transfer import build_plan, record

from .conftest import CONSENTED, NOW, disclosure, request, snapshot


def _plan(**kw: object):  # type: ignore[no-untyped-def]
    snap = snapshot(disclosure())
    return snap, build_plan(snap, request(**kw), NOW)


def test_handover_keeps_the_plan_running_and_points_at_b() -> None:
    """Issue 14 (P-OUTFLOW): the buddy stays involved after a move: a handover does not close it at A."""
    snap, plan = _plan()
    careplan = snap.resources["CarePlan/hv-traject-06"]
    out = record.updated_careplan(careplan, plan)
    assert out["status"] == "active" and out["activity"] == careplan["activity"]
    assert out.get("period") == careplan.get("period")
    assert record.points_at_target(out, plan)
    assert "reference" not in out["supportingInfo"][-1]
    assert record.updated_careplan(out, plan)["supportingInfo"] == out["supportingInfo"]  # once
    assert "supportingInfo" not in careplan or careplan["supportingInfo"] != out["supportingInfo"]


def test_shared_continuation_keeps_the_plan_running() -> None:
    snap, plan = _plan(mode="shared")
    out = record.updated_careplan(snap.resources["CarePlan/hv-traject-06"], plan)
    assert out["status"] == "active" and record.points_at_target(out, plan)


def test_record_bundle_is_repeatable_and_logs_disclosure() -> None:
    snap, plan = _plan(journal=CONSENTED)
    tx = record.record_bundle(
        plan, snap.resources["CarePlan/hv-traject-06"], "http://b.example/fhir/CarePlan/9", NOW
    )
    assert bundles.is_repeatable(tx)
    kinds = [e["resource"]["resourceType"] for e in tx["entry"]]
    assert kinds == ["CarePlan", "Task", "AuditEvent"]  # the EpisodeOfCare is not touched (issue 14)
    task = tx["entry"][1]["resource"]
    assert task["identifier"] == [record.task_identifier(plan.key)]
    assert task["output"][-1]["valueUrl"] == "http://b.example/fhir/CarePlan/9"
    audit = tx["entry"][2]["resource"]
    assert {e["what"]["reference"] for e in audit["entity"]} >= set(CONSENTED)
