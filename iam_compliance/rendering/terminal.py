"""What an audit prints at the end, in 80 columns: scope, findings table, why items could not be evaluated,
the decision with its exit code, and a last line in the audit's words.

Text that comes from AWS (error messages, names, tags) may carry terminal escape sequences and control
characters: ``clean`` removes them from everything printed here.
"""

from __future__ import annotations

import re
import textwrap
from collections import defaultdict

from iam_compliance.controls import SEVERITIES
from iam_compliance.model.iam import Snapshot
from iam_compliance.results.gating import Gate
from iam_compliance.results.log import ResultLog
from iam_compliance.results.scope import RunScope, RunStatus

WIDTH = 80
COLUMNS = (("failed", "finding"), ("error", "error"), ("waived", "waived"), ("passed", "passed"),
           ("skipped", "n/a"))
SEVERITY_LABELS = {"critical": "crit", "high": "high", "medium": "med", "low": "low", "informational": "info"}
CELL = 7  # each count column
LISTED_REASONS = 10

# ESC sequences (CSI, OSC and two-character ones), then any other C0/C1 control character and the
# Unicode bidirectional overrides that can make a line read differently from what it says.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` without escape sequences and control characters (tabs become spaces; newlines stay)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\t", " ")))


def clip(line: str, width: int = WIDTH) -> str:
    line = clean(line).replace("\n", " ")
    return line if len(line) <= width else line[: width - 3] + "..."


def wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(clean(text).replace("\n", " "), WIDTH, subsequent_indent=indent, break_on_hyphens=False) or [""]


def heading_lines(snapshot: Snapshot, scope: RunScope | None) -> list[str]:
    lines = wrap(f"Account {snapshot.account_id} ({snapshot.partition}), data collected "
                 f"{snapshot.doc.get('collected_at')}" + (" (simulated demo account)" if scope and scope.simulated else ""))
    if scope is not None:
        lines += wrap(f"Scope: {scope.describe()}")
    return lines


def findings_table(results: ResultLog) -> list[str]:
    controls = results.controls()
    width = min(WIDTH - 5 - CELL * len(COLUMNS), max([len("check")] + [len(c.check_id) for c in controls]))
    header = f"{'sev':<4} {'check':<{width}}" + "".join(f"{label:>{CELL}}" for _, label in COLUMNS)
    lines = [header, "-" * len(header)]
    for control in controls:
        check = control.check_id if len(control.check_id) <= width else control.check_id[: width - 1] + "~"
        cells = "".join(f"{control.counts[outcome]:>{CELL}}" for outcome, _ in COLUMNS)
        lines.append(f"{SEVERITY_LABELS.get(control.severity, control.severity[:4]):<4} {check:<{width}}{cells}")
    return lines


def totals_line(results: ResultLog) -> str:
    per_severity = ", ".join(
        f"{results.count('failed', [s])} {s}" for s in SEVERITIES if results.count("failed", [s])
    )
    findings = results.count("failed")
    return (
        f"{findings} finding{'' if findings == 1 else 's'}" + (f" ({per_severity})" if findings else "")
        + f", {results.count('error')} could not be evaluated, {results.count('waived')} waived, "
        f"{results.count('passed')} passed, {results.count('skipped')} not applicable"
    )


def source_lines(snapshot: Snapshot) -> list[str]:
    failed = snapshot.failed_sources()
    if not failed:
        return []
    lines = ["Data sources that could not be read (their checks are errors):"]
    for status in failed:
        lines += wrap(f"  {status.describe()}", indent="    ")
    return lines


def error_lines(results: ResultLog) -> list[str]:
    """Why items could not be evaluated, one group per reason, most items first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for item in results.items.values():
        if item.outcome == "error":
            reason = clean(item.message).strip().splitlines()[0] if item.message.strip() else "no reason given"
            groups[reason].append(item.check_id)
    if not groups:
        return []
    total = sum(len(checks) for checks in groups.values())
    lines = [f"Could not be evaluated: {total} item(s), for {len(groups)} reason(s):"]
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for reason, checks in ordered[:LISTED_REASONS]:
        names = sorted(set(checks))
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        lines += wrap(f"  {len(checks)} item(s) of {shown}: {reason}", indent="    ")
    if len(ordered) > LISTED_REASONS:
        lines.append(f"  ... and {len(ordered) - LISTED_REASONS} more reason(s): see findings.json")
    return lines


def decision(gate: Gate, status: RunStatus) -> str:
    """The decision line: ``Exit N: ...`` with what made the run pass or fail."""
    if status is RunStatus.INTERRUPTED:
        return f"Exit {gate.exit_status}: interrupted; the audit is incomplete and is not a verdict"
    if status is RunStatus.INTERNAL_ERROR:
        return f"Exit {gate.exit_status}: internal error; the audit is incomplete and is not a verdict"
    return gate.describe()


def final_line(results: ResultLog, exit_status: int) -> tuple[list[tuple[str, dict[str, bool]]], str]:
    """pytest's last line ("=== 3 failed, 5 passed in 1s ===") in the audit's words."""
    counts = [("finding", results.count("failed"), "red"), ("error", results.count("error"), "red"),
              ("waived", results.count("waived"), "yellow"), ("passed", results.count("passed"), "green"),
              ("not applicable", results.count("skipped"), "yellow")]
    parts = []
    for word, count, colour in counts:
        label = f"{count} {word}{'s' if count != 1 and word in ('finding', 'error') else ''}"
        parts.append((label, {colour: True} if count else {}))
    return parts, "red" if exit_status else "green"
