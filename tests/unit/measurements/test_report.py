"""The cohort report on a known synthetic cohort gives the shares of the guide's §1.6 (issue 7)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta

import pytest

from hvol_fhir.errors import InvalidInput
from hvol_fhir.measurements import Measurement
from hvol_fhir.measurements.report import (
    BASIC_NEEDS,
    BUDDY_ITEMS,
    SOCIAL,
    WELLBEING,
    ReportConfig,
    build_report,
    to_csv,
    youth_result,
)

from .builders import at, measurement

DOMAIN_ITEMS = {"wellbeing": WELLBEING, "social": SOCIAL, "needs": BASIC_NEEDS, "buddy": BUDDY_ITEMS}


def girl(key: str, **levels: tuple[int, int]) -> tuple[str, list[Measurement]]:
    """Two measurements; each domain's items get the first, then the second value (mean = their average)."""
    out = []
    for k in range(2):
        scores = {i: levels[d][k] for d, items in DOMAIN_ITEMS.items() for i in items}
        out.append(measurement(at(2026, 3, 2) + timedelta(weeks=2 * k), f"{key}-{k}", **scores))
    return f"CarePlan/{key}", out


# The pilot's five (§1.6): wellbeing 2 good / 3 reasonable; social functioning 1 good / 2 reasonable / 2 poor;
# basic needs 3 good / 1 reasonable / 1 poor; 4 of 5 positive on all four buddy items; none good on both.
COHORT = [
    girl("a", wellbeing=(8, 8), social=(5, 5), needs=(8, 8), buddy=(9, 9)),
    girl("b", wellbeing=(7, 8), social=(6, 6), needs=(7, 7), buddy=(8, 8)),
    girl("c", wellbeing=(6, 6), social=(7, 7), needs=(7, 8), buddy=(8, 8)),
    girl("d", wellbeing=(6, 7), social=(6, 6), needs=(6, 6), buddy=(7, 7)),
    girl("e", wellbeing=(6, 6), social=(4, 4), needs=(4, 4), buddy=(4, 5)),
    ("CarePlan/f", []),  # no measurements yet: listed, not counted
]


def test_shares_of_the_pilot() -> None:
    report = build_report(COHORT)
    s = report.shares
    assert {k: v.count for k, v in s["wellbeing"].items()} == {"good": 2, "reasonable": 3, "poor": 0}
    assert {k: v.count for k, v in s["social-functioning"].items()} == {"good": 1, "reasonable": 2, "poor": 2}
    assert {k: v.count for k, v in s["basic-needs"].items()} == {"good": 3, "reasonable": 1, "poor": 1}
    assert s["wellbeing"]["good"].nl() == "2 van de 5 (40%)"
    assert s["social-functioning"]["poor"].nl() == "2 van de 5 (40%)"
    assert report.buddy_positive.nl() == "4 van de 5 (80%)"
    assert report.both_good.nl() == "0 van de 5 (0%)"
    assert report.not_counted == 1
    assert [r.label for r in report.rows] == [f"Jongere {n}" for n in range(1, 7)]
    assert report.rows[4].buddy_positive is False and report.rows[5].buddy_positive is None


def test_thresholds_are_configurable() -> None:
    strict = build_report(
        COHORT, ReportConfig.from_mapping({"good_from": "8", "poor_below": 6, "positive_from": 8.5})
    )
    assert strict.shares["wellbeing"]["good"].count == 1
    assert strict.shares["social-functioning"]["poor"].count == 2  # 5 and 4 are below 6
    assert strict.buddy_positive.count == 1
    assert build_report(COHORT, ReportConfig(min_measurements=3)).not_counted == 6


@pytest.mark.parametrize(
    "data",
    [
        {"good_from": 5, "poor_below": 6},
        {"good_from": 11},
        {"positive_from": -1},
        {"min_measurements": 0},
        {"good_from": "veel"},
    ],
)
def test_bad_config_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        ReportConfig.from_mapping(data)


def test_a_skipped_item_does_not_pull_the_score_down() -> None:
    m = measurement(at(2026, 3, 2), wellbeing_friends=8, wellbeing_overall=8)
    skipped = replace(m, answers=tuple(a for a in m.answers if a[0] != "wellbeing-parents"))
    assert youth_result("J", "k", [skipped], ReportConfig()).scores["wellbeing"] == 8.0


def test_period_and_status() -> None:
    key, ms = COHORT[0]
    only_first = ReportConfig(start=date(2026, 3, 1), end=date(2026, 3, 10))
    assert youth_result("J", key, ms, only_first).measurements == 1
    withdrawn = [replace(ms[0], status="entered-in-error"), ms[1]]
    assert youth_result("J", key, withdrawn, ReportConfig()).measurements == 1
    with pytest.raises(InvalidInput):
        ReportConfig(start=date(2026, 3, 10), end=date(2026, 3, 1))


def test_csv_has_no_names_and_dutch_numbers() -> None:
    text = to_csv(build_report(COHORT))
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["jongere", "metingen", "Welzijn (gemiddeld)", "Welzijn"]
    assert rows[2][:4] == ["Jongere 2", "2", "7,5", "goed"]
    assert rows[5][-5] == "nee" and rows[6][1] == "0" and rows[6][2:4] == ["", ""]
    shares = {(r[0], r[1]): r[2:] for r in rows if len(r) == 5 and r[0] != "uitkomst"}
    assert shares[("Maatje-items (alle 4)", "positief")] == ["4", "5", "80"]
    assert shares[("Maatschappelijk functioneren", "slecht")] == ["2", "5", "40"]
    assert "CarePlan/" not in text
