"""--fail-on SEVERITY: the exit code fails only for findings at or above a severity, and always for errors."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from iam_compliance.controls import SEVERITIES
from iam_compliance.results.log import ResultLog

# pytest's own statuses other than these (interrupted, internal error, usage error, nothing collected)
# are never rewritten: they mean the audit did not run to completion.
GATED_STATUSES = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)


def at_or_above(severity: str) -> tuple[str, ...]:
    return SEVERITIES[: SEVERITIES.index(severity) + 1]


@dataclass(frozen=True)
class Gate:
    fail_on: str | None
    findings: int  # findings that fail the run: all of them, or those at or above fail_on
    below: int  # findings below the threshold, which do not fail the run
    errors: int  # items that could not be evaluated, collection errors, crashes outside the checks
    exit_status: int

    def describe(self) -> str:
        threshold = f"at or above {self.fail_on}" if self.fail_on else "(no --fail-on: every finding counts)"
        text = f"Exit {self.exit_status}: {self.findings} finding(s) {threshold}, {self.errors} error(s)"
        return text + (f"; {self.below} finding(s) below {self.fail_on} do not fail the run" if self.below else "")

    def as_dict(self) -> dict:
        return {"fail_on": self.fail_on, "failing_findings": self.findings, "findings_below_threshold": self.below,
                "errors": self.errors, "exit_status": self.exit_status}


def decide(exit_status: int, results: ResultLog, other_errors: int, fail_on: str | None) -> Gate:
    """The run's exit status under --fail-on; without it, pytest's own status stands."""
    errors = sum(1 for item in results.items.values() if item.outcome == "error") + other_errors
    total = sum(1 for item in results.items.values() if item.outcome == "failed")
    if fail_on is None:
        return Gate(None, total, 0, errors, int(exit_status))
    failing = results.count("failed", at_or_above(fail_on))
    if exit_status in GATED_STATUSES:
        exit_status = pytest.ExitCode.TESTS_FAILED if failing or errors else pytest.ExitCode.OK
    return Gate(fail_on, failing, total - failing, errors, int(exit_status))
