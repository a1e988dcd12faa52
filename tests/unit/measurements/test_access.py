"""Who sees scores, who records them, who gets the report (issue 7)."""

from __future__ import annotations

import pytest

from hvol_fhir.measurements import access


@pytest.mark.parametrize(
    ("role", "scores", "record", "report"),
    [
        ("buddy", True, True, False),
        ("coach", True, False, False),
        ("coordinator", True, False, True),
        ("behavioural-scientist", True, False, True),
        ("mentor", False, False, False),
        ("staff", False, False, False),
        ("", False, False, False),
    ],
)
def test_role_table(role: str, scores: bool, record: bool, report: bool) -> None:
    assert (access.may_see_scores(role), access.may_record(role), access.may_see_report(role)) == (
        scores,
        record,
        report,
    )
