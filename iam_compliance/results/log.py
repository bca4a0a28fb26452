"""One result per check item, built on the controller from the reports pytest sends it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import pytest

from iam_compliance.controls import SEVERITIES

OUTCOMES = ("failed", "error", "waived", "passed", "skipped")


@dataclass
class ItemResult:
    nodeid: str
    check_id: str
    severity: str
    resource: str
    title: str = ""
    outcome: str = "passed"  # one of OUTCOMES
    message: str = ""
    compliance: list[str] = field(default_factory=list)
    remediation: str = ""

    @property
    def entity(self) -> str:
        """The parametrization id: the entity's name (or the account id for account-wide checks)."""
        return self.nodeid.rsplit("[", 1)[-1].rstrip("]") if self.nodeid.endswith("]") else self.resource

    @property
    def finding(self) -> str:
        """The message without the "Fix:" line that follows a finding."""
        return self.message.split("\nFix: ", 1)[0]


@dataclass
class ControlSummary:
    """One check across all its items: what the overview tables show."""

    check_id: str
    title: str
    severity: str
    compliance: list[str]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    failures: list[ItemResult] = field(default_factory=list)

    @property
    def evaluated(self) -> int:
        """Items with a verdict: passed, failed, or failed but waived."""
        return self.counts["passed"] + self.counts["failed"] + self.counts["waived"]

    def worst_first_key(self) -> tuple:
        """Controls with findings first, then those with errors; each by severity, then by count."""
        state = 0 if self.counts["failed"] else 1 if self.counts["error"] else 2
        return (state, severity_rank(self.severity), -self.counts["failed"], -self.counts["error"], self.check_id)


def properties(report: pytest.TestReport | pytest.CollectReport) -> dict[str, str]:
    """Single-valued user properties (the last one wins); collection reports have none."""
    return {name: value for name, value in getattr(report, "user_properties", [])}


def phase_outcome(report: pytest.TestReport) -> str | None:
    """This phase's contribution to the item's outcome, or None when it adds nothing."""
    if hasattr(report, "wasxfail"):
        return "waived" if report.skipped else "failed"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    if report.skipped:
        return "skipped"
    if report.when == "call":
        return "passed"
    return None


def longrepr_text(report: pytest.TestReport) -> str:
    """The finding or error text: str() of the longrepr, not longreprtext, which under xdist
    starts with the worker's platform line."""
    if report.longrepr is None:
        return ""
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, "Skipped: reason")
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr).strip()


def message_of(report: pytest.TestReport) -> str:
    """What the item says: the finding (with its Fix line), the error, the skip reason, or for a
    waived finding the finding followed by the waiver."""
    if hasattr(report, "wasxfail"):
        finding = longrepr_text(report) if report.skipped else ""
        return f"{finding}\nWaived: {report.wasxfail}" if finding else f"Waived: {report.wasxfail}"
    return longrepr_text(report)


class ResultLog:
    """Results by node id; later phases override earlier ones only to report something worse."""

    def __init__(self) -> None:
        self.items: dict[str, ItemResult] = {}

    def record(self, report: pytest.TestReport) -> None:
        props = properties(report)
        if "check_id" not in props:
            return
        outcome = phase_outcome(report)
        if outcome is None:
            return
        item = self.items.get(report.nodeid)
        if item is None:
            item = self.items[report.nodeid] = ItemResult(
                nodeid=report.nodeid, check_id=props["check_id"], severity=props.get("severity", ""),
                resource=props.get("resource", ""), title=props.get("title", ""),
                compliance=[v for k, v in report.user_properties if k == "compliance"],
            )
        elif report.when == "teardown" and outcome != "error":
            return
        item.outcome = outcome
        item.message = message_of(report)
        item.remediation = props.get("remediation", item.remediation)

    def controls(self) -> list[ControlSummary]:
        """One summary per check, worst first."""
        summaries: dict[str, ControlSummary] = {}
        for item in self.items.values():
            summary = summaries.get(item.check_id)
            if summary is None:
                summary = summaries[item.check_id] = ControlSummary(
                    item.check_id, item.title, item.severity, item.compliance)
            summary.counts[item.outcome] += 1
            if item.outcome == "failed":
                summary.failures.append(item)
        return sorted(summaries.values(), key=ControlSummary.worst_first_key)

    def count(self, outcome: str, severities: Iterable[str] = SEVERITIES) -> int:
        wanted = set(severities)
        return sum(1 for i in self.items.values() if i.outcome == outcome and i.severity in wanted)


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)
