"""The cohort report in the spirit of the guide's §1.6: per youth good / reasonable / poor, and shares.

Per youth, over her measurements in the period (`ReportConfig`):
- a *domain score* per measurement is the mean of the domain's answered items (an optional item she skipped
  does not pull it down); her score for the period is the mean of those over her measurements ("gemiddeld
  genomen gedurende de pilot", §1.6);
- wellbeing (parents, friends, overall), social functioning (school, work or day programme), basic needs
  (autonomy, competence, relatedness) and motivation for therapy are each *good* (score >= `good_from`),
  *poor* (score < `poor_below`) or *reasonable* (in between);
- the four buddy items (programme items 2-5, §1.6 "alle 4 de items rondom de ervaringen met de
  ervaringsdeskundige") are *positive* when her mean on each of them is >= `positive_from`.
Shares count the youths with at least `min_measurements` measurements; the others are listed, not counted.

The guide gives no cut-offs, so the defaults are documented choices on the 0-10 scale Dutch readers know from
school marks: 7 and up is good ("ruim voldoende"), below 5.5 is poor ("onvoldoende"), a buddy item is positive
from 6 ("voldoende", clearly above the middle). A provider sets its own in the app config
(`HVOL_MEASUREMENT_REPORT`, see `ReportConfig.from_mapping`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean
from typing import Any, Final

from hvol_fhir.errors import InvalidInput
from hvol_fhir.measurements.model import Measurement
from hvol_fhir.programme.clock import local_date

GOOD: Final = "good"
REASONABLE: Final = "reasonable"
POOR: Final = "poor"
CATEGORY_NL: Final = {GOOD: "goed", REASONABLE: "redelijk", POOR: "slecht"}

BASIC_NEEDS: Final = ("autonomy", "competence", "relatedness")
MOTIVATION: Final = ("therapy-motivation",)
BUDDY_ITEMS: Final = (
    "buddy-adds-to-stay",
    "buddy-takes-my-side",
    "buddy-change-my-life",
    "buddy-work-together",
)
WELLBEING: Final = ("wellbeing-parents", "wellbeing-friends", "wellbeing-overall")
SOCIAL: Final = ("school-work-day-programme",)
# Domain -> (Dutch name, items). Order = column order of page and CSV.
DOMAINS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "wellbeing": ("Welzijn", WELLBEING),
    "social-functioning": ("Maatschappelijk functioneren", SOCIAL),
    "basic-needs": ("Basisbehoeften", BASIC_NEEDS),
    "therapy-motivation": ("Motivatie voor therapie", MOTIVATION),
}


@dataclass(frozen=True, slots=True)
class ReportConfig:
    good_from: float = 7.0
    poor_below: float = 5.5
    positive_from: float = 6.0
    min_measurements: int = 1
    start: date | None = None  # period (local dates, inclusive); None = from the first measurement
    end: date | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.poor_below <= self.good_from <= 10 or not 0 <= self.positive_from <= 10:
            raise InvalidInput(
                "De grenzen van de rapportage kloppen niet: 0 ≤ slecht-onder ≤ goed-vanaf ≤ 10.",
                field="HVOL_MEASUREMENT_REPORT",
                code="bad-thresholds",
            )
        if self.min_measurements < 1:
            raise InvalidInput(
                "Het minimum aantal metingen is ten minste 1.", field="min_measurements", code="bad-minimum"
            )
        if self.start and self.end and self.end < self.start:
            raise InvalidInput("De einddatum ligt voor de begindatum.", field="tot", code="bad-period")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, **override: Any) -> ReportConfig:
        """From app config, e.g. {"good_from": 7, "poor_below": 5.5, "positive_from": 6, "min_measurements":
        2}."""
        keys = ("good_from", "poor_below", "positive_from", "min_measurements")
        values: dict[str, Any] = {k: (data or {})[k] for k in keys if k in (data or {})}
        try:
            values = {k: (int(v) if k == "min_measurements" else float(v)) for k, v in values.items()}
        except (TypeError, ValueError):
            raise InvalidInput(
                "De grenzen van de rapportage zijn geen getallen.", field="HVOL_MEASUREMENT_REPORT"
            ) from None
        return cls(**values, **override)

    def category(self, score: float) -> str:
        if score >= self.good_from:
            return GOOD
        if score < self.poor_below:
            return POOR
        return REASONABLE

    def in_period(self, m: Measurement) -> bool:
        day = local_date(m.authored)
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class YouthResult:
    label: str  # "Jongere 3": the report names no one (§1.6 style); the page links to her traject
    key: str  # the traject reference, for the page's link only (never in the CSV)
    measurements: int
    scores: dict[str, float | None]  # domain -> score for the period
    categories: dict[str, str | None]  # domain -> good / reasonable / poor
    buddy_means: dict[str, float | None]
    buddy_positive: bool | None

    @property
    def counted(self) -> bool:
        return self.buddy_positive is not None or any(v is not None for v in self.scores.values())


@dataclass(frozen=True, slots=True)
class Share:
    count: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.total) if self.total else 0

    def nl(self) -> str:
        return f"{self.count} van de {self.total} ({self.percent}%)"


@dataclass(frozen=True)
class CohortReport:
    config: ReportConfig
    rows: tuple[YouthResult, ...]
    shares: dict[str, dict[str, Share]] = field(default_factory=dict)  # domain -> category -> share
    buddy_positive: Share = Share(0, 0)
    both_good: Share = Share(0, 0)  # good on wellbeing and on social functioning
    not_counted: int = 0  # youths with too few measurements


def _mean(values: Iterable[float]) -> float | None:
    found = list(values)
    return fmean(found) if found else None


def _domain_score(ms: Sequence[Measurement], items: Sequence[str]) -> float | None:
    per_moment = [_mean(s for i in items if (s := m.score(i)) is not None) for m in ms]
    return _mean(x for x in per_moment if x is not None)


def youth_result(
    label: str, key: str, measurements: Iterable[Measurement], config: ReportConfig
) -> YouthResult:
    ms = [m for m in measurements if m.counts and config.in_period(m)]
    enough = len(ms) >= config.min_measurements
    scores = {d: (_domain_score(ms, items) if enough else None) for d, (_n, items) in DOMAINS.items()}
    buddy = {i: (_domain_score(ms, (i,)) if enough else None) for i in BUDDY_ITEMS}
    positive = None
    if enough and all(v is not None for v in buddy.values()):
        positive = all(v is not None and v >= config.positive_from for v in buddy.values())
    return YouthResult(
        label=label,
        key=key,
        measurements=len(ms),
        scores=scores,
        categories={d: (config.category(s) if s is not None else None) for d, s in scores.items()},
        buddy_means=buddy,
        buddy_positive=positive,
    )


def build_report(
    cohort: Sequence[tuple[str, Sequence[Measurement]]], config: ReportConfig | None = None
) -> CohortReport:
    """`cohort`: per youth (traject reference, her measurements), in the order the page lists them."""
    config = config or ReportConfig()
    rows = tuple(youth_result(f"Jongere {n}", key, ms, config) for n, (key, ms) in enumerate(cohort, start=1))
    counted = [r for r in rows if r.counted]
    shares: dict[str, dict[str, Share]] = {}
    for domain in DOMAINS:
        rated = [r for r in counted if r.categories[domain] is not None]
        shares[domain] = {
            cat: Share(sum(r.categories[domain] == cat for r in rated), len(rated)) for cat in CATEGORY_NL
        }
    rated_buddy = [r for r in counted if r.buddy_positive is not None]
    both = [r for r in counted if r.categories["wellbeing"] and r.categories["social-functioning"]]
    return CohortReport(
        config=config,
        rows=rows,
        shares=shares,
        buddy_positive=Share(sum(bool(r.buddy_positive) for r in rated_buddy), len(rated_buddy)),
        both_good=Share(
            sum(
                r.categories["wellbeing"] == GOOD and r.categories["social-functioning"] == GOOD for r in both
            ),
            len(both),
        ),
        not_counted=len(rows) - len(counted),
    )


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def to_csv(report: CohortReport) -> str:
    """Semicolon-separated with decimal commas (what Dutch spreadsheet settings expect), UTF-8. No names, no
    identifiers: the row number matches the page. After an empty line, the shares."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    header = ["jongere", "metingen"]
    for _domain, (name, _items) in DOMAINS.items():
        header += [f"{name} (gemiddeld)", name]
    header += ["maatje-items positief", *(f"{i} (gemiddeld)" for i in BUDDY_ITEMS)]
    w.writerow(header)
    for r in report.rows:
        row = [r.label, str(r.measurements)]
        for domain in DOMAINS:
            cat = r.categories[domain]
            row += [_num(r.scores[domain]), CATEGORY_NL[cat] if cat else ""]
        row.append("" if r.buddy_positive is None else ("ja" if r.buddy_positive else "nee"))
        row += [_num(r.buddy_means[i]) for i in BUDDY_ITEMS]
        w.writerow(row)
    w.writerow([])
    w.writerow(["uitkomst", "categorie", "aantal", "van", "procent"])
    for domain, (name, _items) in DOMAINS.items():
        for cat, share in report.shares[domain].items():
            w.writerow([name, CATEGORY_NL[cat], share.count, share.total, share.percent])
    w.writerow(
        [
            "Maatje-items (alle 4)",
            "positief",
            report.buddy_positive.count,
            report.buddy_positive.total,
            report.buddy_positive.percent,
        ]
    )
    w.writerow(
        [
            "Welzijn én maatschappelijk functioneren",
            "goed",
            report.both_good.count,
            report.both_good.total,
            report.both_good.percent,
        ]
    )
    w.writerow([])
    c = report.config
    w.writerow(
        [
            "grenzen",
            f"goed vanaf {_num(c.good_from)}",
            f"slecht onder {_num(c.poor_below)}",
            f"positief vanaf {_num(c.positive_from)}",
            f"minimaal {c.min_measurements} meting(en)",
        ]
    )
    return out.getvalue()
