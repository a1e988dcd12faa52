"""The demo measurements (sandbox/demo_measurements.py): valid, deterministic, on the schedule (issue 7)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hvol_fhir.measurements import fhir as mf
from hvol_fhir.measurements.report import ReportConfig, build_report
from hvol_fhir.measurements.schedule import is_due_date
from sandbox import demo_measurements, demo_scenario

TODAY = date(2026, 11, 30)


def test_demo_measurements() -> None:
    scenario = demo_scenario.build(TODAY)
    resources = demo_measurements.resources(scenario)
    assert resources == demo_measurements.resources(demo_scenario.build(TODAY))  # deterministic
    by_type = Counter(r["resourceType"] for r in resources)
    assert by_type["QuestionnaireResponse"] >= 40
    plans = {f"CarePlan/{s.traject.id}": s.traject for s in scenario.stories}
    cohort: dict[str, list[object]] = {}
    for r in resources:
        if r["resourceType"] == "QuestionnaireResponse":
            m = mf.response_from_fhir(r)
            assert plans[m.traject].patient == m.patient
            cohort.setdefault(m.traject, []).append(m)
        else:
            task = mf.task_from_fhir(r)
            assert is_due_date(plans[task.traject], task.due)
            assert (task.status == "completed") == (task.response is not None)
    assert len({r["id"] for r in resources}) == len(resources)
    report = build_report(sorted(cohort.items()), ReportConfig())  # type: ignore[arg-type]
    assert report.buddy_positive.total == 7 and 0 < report.buddy_positive.count < 7
