"""The timeline's range switch: the last 3 months, the last 12 months, or the whole traject.

Pure. The views take the range from one query parameter (`bereik`) and pass it on unchanged to the SVG's own
URL, so the page, the stand-alone SVG (print) and the coordinator's stacked view show the same period. An
unknown value means the whole traject: a typo in a link shows more, never an error.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from hvol_fhir.programme.clock import IsoWeek

RANGE_PARAM: Final = "bereik"
ALL: Final = "alles"
# key -> (label on the switch, weeks back from the running week; None: from the start of the traject)
RANGES: Final[dict[str, tuple[str, int | None]]] = {
    "3m": ("3 maanden", 13),
    "12m": ("12 maanden", 52),
    ALL: ("alles", None),
}


def parse_range(value: str | None) -> str:
    return value if value in RANGES else ALL


def range_start(key: str, now: datetime) -> datetime | None:
    """Monday 00:00 (Amsterdam) of the first week in range; None for the whole traject. Whole weeks, so the
    first bar of the hours lane is never a cut-off week."""
    weeks = RANGES[parse_range(key)][1]
    if weeks is None:
        return None
    return IsoWeek.of_date(IsoWeek.of(now).monday - timedelta(weeks=weeks - 1)).start


def range_options(current: str) -> list[tuple[str, str, bool]]:
    """(key, Dutch label, is the current one) for each range, in the switch's order."""
    key = parse_range(current)
    return [(k, label, k == key) for k, (label, _) in RANGES.items()]
