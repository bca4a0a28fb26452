"""The controller's one result log: each check item's record, built from the reports pytest sends it.

Every report plugin reads the same log: ``shared_log`` creates it and registers it as the recorder
of test reports the first time a plugin asks, so each report is recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import pytest

from iam_compliance.controls import SEVERITIES, Reference
from iam_compliance.results.record import OUTCOMES, ItemRecord, phase_outcome


@dataclass
class ControlSummary:
    """One check across all its items: what the overview tables show."""

    check_id: str
    title: str
    severity: str
    references: tuple[Reference, ...]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    failures: list[ItemRecord] = field(default_factory=list)
    headline: str = ""  # the failure phrased as a finding; the title is the requirement

    @property
    def evaluated(self) -> int:
        """Items with a verdict: passed, failed, or failed but waived."""
        return self.counts["passed"] + self.counts["failed"] + self.counts["waived"]

    def worst_first_key(self) -> tuple[int, int, int, int, str]:
        """Controls with findings first, then those with errors; each by severity, then by count."""
        state = 0 if self.counts["failed"] else 1 if self.counts["error"] else 2
        return (state, severity_rank(self.severity), -self.counts["failed"], -self.counts["error"], self.check_id)


class ResultLog:
    """Records by node id; later phases override earlier ones only to report something worse."""

    def __init__(self) -> None:
        self.items: dict[str, ItemRecord] = {}

    def record(self, report: pytest.TestReport) -> None:
        if phase_outcome(report) is None:
            return  # a passing setup or teardown adds nothing
        found = ItemRecord.from_report(report)
        if found is None:
            return
        if report.nodeid in self.items and report.when == "teardown" and found.outcome != "error":
            return
        self.items[report.nodeid] = found

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.record(report)

    def controls(self) -> list[ControlSummary]:
        """One summary per check, worst first."""
        summaries: dict[str, ControlSummary] = {}
        for item in self.items.values():
            summary = summaries.get(item.check_id)
            if summary is None:
                summary = summaries[item.check_id] = ControlSummary(
                    item.check_id, item.title, item.severity, item.references, headline=item.headline)
            if severity_rank(item.severity) < severity_rank(summary.severity):
                summary.severity = item.severity  # a finding worse than its control (Finding(severity=...))
            summary.counts[item.outcome] += 1
            if item.outcome == "failed":
                summary.failures.append(item)
        return sorted(summaries.values(), key=ControlSummary.worst_first_key)

    def count(self, outcome: str, severities: Iterable[str] = SEVERITIES) -> int:
        wanted = set(severities)
        return sum(1 for i in self.items.values() if i.outcome == outcome and i.severity in wanted)


RESULTS_KEY = pytest.StashKey[ResultLog]()


def shared_log(config: pytest.Config) -> ResultLog:
    """The controller's result log, registered as a plugin (so it records every report once) on first use."""
    log = config.stash.get(RESULTS_KEY, None)
    if log is None:
        log = config.stash[RESULTS_KEY] = ResultLog()
        config.pluginmanager.register(log, "iam-compliance-results")
    return log


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)
