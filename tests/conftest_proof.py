"""The proof suite's figures (issue 8): counters that tests increment, one table at the end of the run.

Tests take the ``proof`` fixture and count what they checked (``proof.add("leak_cells")``) and what went wrong
(``proof.add("leaks")``). The existing server-side leak matrix and launch attack tests are counted from their
outcomes (one passed test = one cell/case checked; a failed one = one found). At session end the table is
printed in the terminal summary and written to ``test-artifacts/proof-summary.md`` when the whole suite ran
(a run of some tests, with paths, ``-k``, ``-m`` or ``-x`` stopping early, writes
``proof-summary.partial.md`` instead, so the linked figures are always those of a full run); any non-zero
leak, loss, duplicate, server error or canary hit fails the run, even when the test that found it was
marked xfail.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = ROOT / "test-artifacts" / "proof-summary.md"
PARTIAL = ROOT / "test-artifacts" / "proof-summary.partial.md"

# (what was checked, what went wrong, row label); a non-zero "wrong" fails the run.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("leak_cells", "leaks", "leak matrix (roles × ways in, app + raw FHIR): cells checked / leaks found"),
    (
        "server_matrix_cells",
        "server_matrix_failed",
        "existing server + app leak tests counted: passed / failed",
    ),
    ("attacks", "attacks_accepted", "attack cases run / accepted (not refused)"),
    ("faults", "lost", "faults injected / entries lost"),
    ("fault_saves", "duplicates", "saves under faults / entries duplicated"),
    ("fuzz_examples", "server_errors", "fuzz examples run / server errors (500)"),
    ("canary_places", "canary_hits", "places searched for canaries, tokens, BSNs / hits"),
    ("concurrent_saves", "concurrency_errors", "concurrent saves / wrong record counts"),
    ("forgeries", "forgeries_accepted", "forged memberships and entries tried / accepted"),
    (
        "open_ehr_places",
        "open_ehr_plaintext_hits",
        "EHR that enforces nothing: places searched / plaintext hits",
    ),
    (
        "generated_probes",
        "generated_leaks",
        "generated probes (searches every way, conditional writes and references, paging) / leaks",
    ),
    ("self_grants", "self_grants_accepted", "self-grant and forged-author writes tried / accepted"),
    ("axe_pages", "axe_violations", "pages of every role checked by axe-core (WCAG 2.1 AA) / violations"),
    ("id_pages", "ids_on_screen", "pages of every role read for rule and record ids / ids on screen"),
    (
        "journal_accesses",
        "unaudited_journal_accesses",
        "journal reads and writes through the app / without their AuditEvent at the server",
    ),
    (
        "escalation_reads",
        "unaudited_escalation_reads",
        "escalation pages shown with kind and message / without their AuditEvent at the server (issue 15)",
    ),
    (
        "open_item_changes",
        "open_item_changes_wrong",
        "open items on start pages expected to appear or go as facts changed, in Chromium / wrong",
    ),
    (
        "caseload_probes",
        "caseload_leaks",
        "caseload token probes (another buddy's girl vs a missing one, every type and way) / differences",
    ),
    (
        "share_leak_places",
        "share_leaks",
        "shares (issue 14): places a shared marker must not reach (EHR resources, staff/recipient tokens, "
        "app pages) / reached",
    ),
    (
        "period_probes",
        "period_leaks",
        "searches of a buddy with a gap in her periods, every way / answers that differ from a girl without "
        "hidden entries (issue 14)",
    ),
    (
        "period_writes",
        "period_writes_accepted",
        "journal writes back-dated into another period or after one ended / accepted (issue 14)",
    ),
)

# Existing tests counted by outcome: path prefix -> (checked counter, failed counter).
COUNTED: tuple[tuple[str, str, str], ...] = (
    ("tests/integration/test_hapi_journal", "server_matrix_cells", "server_matrix_failed"),
    ("tests/integration/test_hapi_labels.py", "server_matrix_cells", "server_matrix_failed"),
    ("tests/integration/test_measurements_privacy.py", "server_matrix_cells", "server_matrix_failed"),
    ("tests/integration/test_app_journal_leaks.py", "server_matrix_cells", "server_matrix_failed"),
    ("tests/unit/smart_app/test_launch_attacks.py", "attacks", "attacks_accepted"),
    ("tests/unit/smart/test_idtoken.py", "attacks", "attacks_accepted"),
    ("tests/unit/smart/test_client_hardening.py", "attacks", "attacks_accepted"),
    ("tests/browser/test_shared_browser.py", "attacks", "attacks_accepted"),
)


@dataclass
class Proof:
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def found(self, name: str, note: str, n: int = 1) -> None:
        """Something that must be zero: count it and keep a short note (no secret content) for the table."""
        self.add(name, n)
        with self.lock:
            self.notes.append(f"{name}: {note}"[:300])

    @property
    def bad(self) -> int:
        return sum(self.counts[wrong] for _, wrong, _ in ROWS)

    def table(self) -> str:
        lines = ["| what | checked | found |", "|---|---:|---:|"]
        for checked, wrong, label in ROWS:
            lines.append(f"| {label} | {self.counts[checked]} | {self.counts[wrong]} |")
        for key in sorted(set(self.counts) - {k for row in ROWS for k in row[:2]}):
            lines.append(f"| {key} | {self.counts[key]} | |")
        return "\n".join(lines)


PROOF = Proof()


@pytest.fixture(scope="session")
def proof() -> Iterator[Proof]:
    yield PROOF


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: proof-suite tests that take more than a few seconds")
    config.addinivalue_line("markers", "proof: counted in the proof summary (tests/conftest_proof.py)")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.failed):
        return
    for prefix, checked, failed in COUNTED:
        if report.nodeid.startswith(prefix):
            if report.passed and not hasattr(report, "wasxfail"):
                PROOF.add(checked)
            elif report.failed:
                PROOF.add(checked)
                PROOF.found(failed, report.nodeid)
            return


def _whole_suite(session: pytest.Session) -> bool:
    """True when this was the whole test command: no paths, no selection, nothing deselected or cut off."""
    config = session.config
    default = [str(ROOT / p) for p in config.getini("testpaths")] or [str(ROOT)]
    chosen = [str(Path(a).resolve()) for a in config.args]
    return (
        sorted(chosen) == sorted(default)
        and not config.option.keyword
        and not config.option.markexpr
        and not session.shouldstop
        and not session.shouldfail
        and session.testscollected > 0
    )


WRITTEN: list[Path] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not PROOF.counts:
        return
    path = SUMMARY if _whole_suite(session) else PARTIAL
    WRITTEN.append(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    verdict = "PASS: nothing leaked, lost or duplicated" if not PROOF.bad else f"FAIL: {PROOF.bad} found"
    notes = "".join(f"- {n}\n" for n in PROOF.notes)
    scope = "the whole test command (`make test`)" if path == SUMMARY else "a partial run (some tests only)"
    path.write_text(
        f"# Proof suite summary\n\nWritten by the last run of {scope}, tests/conftest_proof.py.\n\n"
        f"{PROOF.table()}\n\n**{verdict}**\n" + (f"\n## Found\n\n{notes}" if notes else ""),
        encoding="utf-8",
    )
    if PROOF.bad and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not PROOF.counts:
        return
    terminalreporter.section("proof suite (issue 8)")
    for line in PROOF.table().splitlines():
        terminalreporter.write_line(line)
    for note in PROOF.notes:
        terminalreporter.write_line("found: " + note)
    if WRITTEN:  # pytest_sessionfinish runs before the terminal summary
        terminalreporter.write_line(f"written to {WRITTEN[-1].relative_to(ROOT)}")
