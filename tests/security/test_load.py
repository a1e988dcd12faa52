"""The load bench (bench/load.py), small: concurrent buddies saving contacts through the library's save path
give exactly one journal entry per submission. Counts only, never time."""

from __future__ import annotations

from typing import Any

import pytest

from bench.load import run
from tests.conftest_proof import Proof

pytestmark = [pytest.mark.integration, pytest.mark.proof, pytest.mark.slow]


def test_concurrent_buddies_get_exactly_one_record_per_submission(org: Any, proof: Proof) -> None:
    figures = run(org, buddies=6, contacts=5)
    proof.add("concurrent_saves", figures["submissions"])
    if figures["stored_entries"] != figures["submissions"]:
        proof.found(
            "concurrency_errors", f"{figures['stored_entries']} entries for {figures['submissions']} saves"
        )
    assert figures["saved"] == figures["stored_entries"] == figures["submissions"] == 30
    assert figures["bare_ok"] == 30
