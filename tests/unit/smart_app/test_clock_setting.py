"""One clock setting: ``HVOL_CLOCK`` (seconds since the epoch) drives the pages' "now", the role decision's
"today" and the launch store alike, and "today" is the Amsterdam date, not the server's (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from hvol_fhir.programme.clock import today_at
from smart_app import context

from .conftest import make_app


class PinnedClock:
    def __init__(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("moment", "today"),
    [
        (datetime(2026, 6, 30, 22, 30, tzinfo=UTC), date(2026, 7, 1)),  # 00:30 CEST: already July in NL
        (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), date(2026, 12, 31)),  # 23:59 CET: still the old year
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), date(2027, 1, 1)),  # 00:00 CET
    ],
)
def test_today_is_taken_in_amsterdam(moment: datetime, today: date) -> None:
    assert today_at(moment.timestamp()) == today


def test_the_app_has_one_clock(key: Any, tmp_path: Path) -> None:
    moment = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # a server in UTC would still say 30 June
    app = make_app(key, tmp_path, PinnedClock(moment))  # type: ignore[arg-type]
    with app.test_request_context("/"):
        assert context.now() == moment
        assert context.today() == date(2026, 7, 1)
        assert app.extensions["hvol"].service.today() == date(2026, 7, 1)  # the role decision's "today"
        assert app.extensions["hvol"].service.clock() == moment.timestamp()
    assert "HVOL_TODAY" not in app.config and "HVOL_NOW" not in app.config
