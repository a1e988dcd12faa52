"""Dutch dates, months and signal counts for pages and the timeline (issue 15)."""

from __future__ import annotations

from datetime import date

from hvol_fhir.programme.text_nl import month_nl, short_date_nl, signal_counts_nl


def test_month_labels_are_dutch() -> None:
    assert month_nl(date(2026, 3, 1)) == "mrt 2026"
    assert short_date_nl(date(2026, 10, 4)) == "4 okt 2026"


def test_signals_are_counted_per_kind_in_plain_dutch() -> None:
    lines = signal_counts_nl(["P-2H-WEEK", "P-F2F-WEEK", "P-2H-WEEK", "P-NIEUW"])
    assert lines == ["2× week onder 2 uur contact", "1× signaal", "1× week zonder face-to-face contact"]
    assert not any("P-" in line for line in lines)
