"""The compact findings table that ends an audit in the terminal."""

from __future__ import annotations

from iam_compliance.controls import SEVERITIES
from iam_compliance.model.iam import Snapshot
from iam_compliance.results.log import ResultLog

COLUMNS = (("failed", "findings"), ("error", "errors"), ("waived", "waived"), ("passed", "passed"), ("skipped", "n/a"))


def findings_table(results: ResultLog) -> list[str]:
    controls = results.controls()
    width = max([len("check")] + [len(control.check_id) for control in controls])
    header = f"{'severity':<9} {'check':<{width}} " + " ".join(f"{label:>8}" for _, label in COLUMNS)
    lines = [header, "-" * len(header)]
    for control in controls:
        cells = " ".join(f"{control.counts[outcome]:>8}" for outcome, _ in COLUMNS)
        lines.append(f"{control.severity:<9} {control.check_id:<{width}} {cells}")
    return lines


def totals_line(results: ResultLog) -> str:
    per_severity = ", ".join(
        f"{results.count('failed', [s])} {s}" for s in SEVERITIES if results.count("failed", [s])
    )
    findings = results.count("failed")
    return (
        f"{findings} findings" + (f" ({per_severity})" if findings else "")
        + f", {results.count('error')} could not be evaluated, {results.count('waived')} waived, "
        f"{results.count('passed')} passed, {results.count('skipped')} not applicable"
    )


def source_lines(snapshot: Snapshot) -> list[str]:
    return [f"  {status.describe()}" for status in snapshot.failed_sources()]
