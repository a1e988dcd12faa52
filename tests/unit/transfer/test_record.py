from __future__ import annotations

import copy
from datetime import timedelta

from hvol_fhir.ehr import bundle as bundles
from hvol_fhir.transfer import build_plan, record

from .conftest import CONSENTED, NOW, disclosure, request, snapshot


def _plan(**kw: object):  # type: ignore[no-untyped-def]
    snap = snapshot(disclosure())
    return snap, build_plan(snap, request(**kw), NOW)


def test_handover_closes_the_plan_and_points_at_b() -> None:
    snap, plan = _plan()
    careplan = snap.resources["CarePlan/hv-traject-06"]
    out = record.updated_careplan(careplan, plan, NOW)
    assert out["status"] == "completed" and out["period"]["end"] == NOW.isoformat()
    assert all(a["detail"]["status"] in ("completed", "cancelled") for a in out["activity"])
    assert record.points_at_target(out, plan)
    assert "reference" not in out["supportingInfo"][-1]
    assert record.updated_careplan(out, plan, NOW)["supportingInfo"] == out["supportingInfo"]  # once
    assert careplan["status"] == "active"  # the input is not changed


def test_a_phase_planned_after_today_is_cancelled_not_ended_before_it_starts() -> None:
    snap, plan = _plan()
    careplan = copy.deepcopy(snap.resources["CarePlan/hv-traject-06"])
    future = (NOW + timedelta(days=10)).isoformat()
    careplan["activity"][-1]["detail"].update(status="not-started", scheduledPeriod={"start": future})
    out = record.updated_careplan(careplan, plan, NOW)
    detail = out["activity"][-1]["detail"]
    assert detail["status"] == "cancelled" and detail["scheduledPeriod"]["end"] == future


def test_shared_continuation_keeps_the_plan_running() -> None:
    snap, plan = _plan(mode="shared")
    out = record.updated_careplan(snap.resources["CarePlan/hv-traject-06"], plan, NOW)
    assert out["status"] == "active" and record.points_at_target(out, plan)
    assert record.updated_episode(snap.resources["EpisodeOfCare/hv-episode-06"], plan, NOW) is None


def test_record_bundle_is_repeatable_and_logs_disclosure() -> None:
    snap, plan = _plan(journal=CONSENTED)
    tx = record.record_bundle(
        plan,
        snap.resources["CarePlan/hv-traject-06"],
        [snap.resources["EpisodeOfCare/hv-episode-06"]],
        "http://b.example/fhir/CarePlan/9",
        NOW,
    )
    assert bundles.is_repeatable(tx)
    kinds = [e["resource"]["resourceType"] for e in tx["entry"]]
    assert kinds == ["CarePlan", "EpisodeOfCare", "Task", "AuditEvent"]
    task = tx["entry"][2]["resource"]
    assert task["identifier"] == [record.task_identifier(plan.key)]
    assert task["output"][-1]["valueUrl"] == "http://b.example/fhir/CarePlan/9"
    audit = tx["entry"][3]["resource"]
    assert {e["what"]["reference"] for e in audit["entity"]} >= set(CONSENTED)
