"""--fail-on SEVERITY: findings below the threshold pass the run, findings at or above it and errors fail it."""

from __future__ import annotations

import pytest

from iam_compliance.results.gating import at_or_above, decide
from iam_compliance.results.log import ResultLog
from iam_compliance.results.record import ItemRecord
from tests_selftest.harness import check_selector
from tests_selftest.test_report_findings import (
    decision_line, demo_document, failing_source, findings_of, run_audit, save_snapshot,
)

OK, FAILED = pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED
HIGH_CHECK = check_selector(["user_console_mfa_enabled"])  # the demo has high findings here, and no errors


def log(*items: tuple[str, str]) -> ResultLog:
    results = ResultLog()
    for index, (outcome, severity) in enumerate(items):
        results.items[str(index)] = ItemRecord(str(index), "check", severity, f"r{index}", outcome=outcome)
    return results


def test_threshold_includes_the_severities_above_it():
    assert at_or_above("critical") == ("critical",)
    assert at_or_above("medium") == ("critical", "high", "medium")


@pytest.mark.parametrize("fail_on, items, other_errors, status", [
    ("high", [("failed", "medium"), ("failed", "low"), ("passed", "high")], 0, OK),
    ("high", [("failed", "high")], 0, FAILED),
    ("high", [("failed", "critical")], 0, FAILED),
    ("medium", [("failed", "medium")], 0, FAILED),
    ("critical", [("error", "low")], 0, FAILED),
    ("critical", [("passed", "low")], 1, FAILED),
    ("critical", [("waived", "critical"), ("skipped", "high")], 0, OK),
    ("informational", [("failed", "informational")], 0, FAILED),
], ids=["below", "at", "above", "medium-at", "error-always-fails", "collection-error", "waived", "lowest"])
def test_exit_status_under_fail_on(fail_on, items, other_errors, status):
    assert decide(FAILED, log(*items), other_errors, fail_on).exit_status == status


def test_without_fail_on_pytest_decides():
    gate = decide(FAILED, log(("failed", "low"), ("error", "low")), 0, None)
    assert (gate.exit_status, gate.findings, gate.errors) == (FAILED, 1, 1)


@pytest.mark.parametrize("status", [pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR,
                                    pytest.ExitCode.NO_TESTS_COLLECTED])
def test_incomplete_runs_keep_their_status(status):
    assert decide(status, log(("passed", "low")), 0, "critical").exit_status == status


def test_describe():
    gate = decide(FAILED, log(("failed", "critical"), ("failed", "low"), ("failed", "low")), 0, "high")
    assert gate.describe() == ("Exit 1: 1 finding(s) at or above high, 0 error(s); "
                               "2 finding(s) below high do not fail the run")


# --- on the demo account ------------------------------------------------------------------------------------


def test_findings_below_the_threshold_pass_the_run(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    result = run_audit(pytester, snapshot, "-m", HIGH_CHECK, "--fail-on", "critical")
    assert result.ret == OK
    failed = findings_of(snapshot)["summary"]["failed"]
    assert failed > 0
    assert decision_line(result.stdout.lines) == (f"Exit 0: 0 finding(s) at or above critical, 0 error(s); "
                                                  f"{failed} finding(s) below critical do not fail the run")
    assert findings_of(snapshot)["gate"] == {"fail_on": "critical", "failing_findings": 0,
                                             "findings_below_threshold": failed, "errors": 0, "exit_status": 0}


def test_findings_at_the_threshold_fail_the_run(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    result = run_audit(pytester, snapshot, "-m", HIGH_CHECK, "--fail-on", "high")
    assert result.ret == FAILED
    result.stdout.fnmatch_lines(["Exit 1: * finding(s) at or above high, 0 error(s)"])


def test_any_finding_fails_without_fail_on(pytester, tmp_path):
    assert run_audit(pytester, save_snapshot(tmp_path), "-m", HIGH_CHECK).ret == FAILED


def test_errors_always_fail(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path, failing_source(demo_document(), "credential_report"))
    result = run_audit(pytester, snapshot, "-m", HIGH_CHECK, "--fail-on", "critical")
    assert result.ret == FAILED
    gate = findings_of(snapshot)["gate"]
    assert (gate["failing_findings"], gate["exit_status"]) == (0, 1) and gate["errors"] > 0


def test_unknown_severity_is_a_usage_error(pytester, tmp_path):
    result = run_audit(pytester, save_snapshot(tmp_path), "--fail-on", "severe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument --fail-on: invalid choice: 'severe'*"])
