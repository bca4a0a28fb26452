"""The compliance overview at the top of the HTML report: verdict, findings by severity, what to fix
first, drift against a baseline, and one row per control, worst first.

The page is rendered by a Jinja2 template with autoescaping on: every value from the account
(names, ARNs, finding sentences, error messages) reaches the page as text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from iam_compliance.controls import SEVERITIES
from iam_compliance.model.iam import Snapshot
from iam_compliance.results.drift import Drift
from iam_compliance.results.log import ControlSummary, ResultLog, severity_rank
from iam_compliance.results.record import ItemRecord

TEMPLATES = Path(__file__).resolve().parent / "templates"
FIRST_STEPS = 5  # controls listed under "What to do first"
NAMES_SHOWN = 6  # resources named per step before "and N more"
DRIFT_SHOWN = 25  # findings listed per drift group


@dataclass(frozen=True)
class Step:
    control: ControlSummary
    names: list[str]
    more: int
    example: ItemRecord


def percent(part: int, whole: int) -> int | None:
    """Rounded down, so that 100% means every item and 0% none."""
    return 100 * part // whole if whole else None


def first_steps(controls: list[ControlSummary]) -> list[Step]:
    """The controls to fix first: critical and high findings, or the worst there are when none are."""
    failing = [c for c in controls if c.counts["failed"]]
    urgent = [c for c in failing if severity_rank(c.severity) <= severity_rank("high")]
    steps = []
    for control in (urgent or failing)[:FIRST_STEPS]:
        items = sorted(control.failures, key=lambda item: item.entity)
        steps.append(Step(control, [i.entity for i in items[:NAMES_SHOWN]], max(0, len(items) - NAMES_SHOWN), items[0]))
    return steps


def verdict(results: ResultLog, snapshot: Snapshot, controls: list[ControlSummary]) -> dict[str, str]:
    findings, errors = results.count("failed"), results.count("error")
    failing_controls = sum(1 for c in controls if c.counts["failed"])
    unreadable = len(snapshot.failed_sources())
    if findings:
        state, title = "bad", f"Not compliant: {findings:,} finding{'s' if findings != 1 else ''}"
        text = f"in {failing_controls} of {len(controls)} controls"
    elif errors or unreadable:
        state, title, text = "unknown", "Not fully evaluated", "no findings, but some items could not be evaluated"
    else:
        state, title, text = "good", "Compliant", "every evaluated item passed"
    if errors:
        text += f"; {errors:,} item{'s' if errors != 1 else ''} could not be evaluated"
    return {"state": state, "title": title, "text": text}


def drift_groups(drift: Drift, limit: int = DRIFT_SHOWN) -> list[dict[str, Any]]:
    """The drift classification as rows: group, count, and the first findings."""
    groups = []
    for name, ids in drift.groups():
        shown = sorted(ids, key=lambda i: (severity_rank(drift.severities.get(i, "")), i))[:limit]
        rows = [dict(zip(("check_id", "resource"), i.split(":", 1)), severity=drift.severities.get(i, "")) for i in shown]
        groups.append({"name": name, "count": len(ids), "rows": rows, "more": len(ids) - len(shown)})
    return groups


def render(results: ResultLog, snapshot: Snapshot, drift: Drift | None = None) -> str:
    controls = results.controls()
    evaluated = results.count("passed") + results.count("failed") + results.count("waived")
    steps = first_steps(controls)
    context = {
        "account": snapshot.account_id,
        "partition": snapshot.partition,
        "collected_at": snapshot.doc["collected_at"],
        "verdict": verdict(results, snapshot, controls),
        "severities": [(s, results.count("failed", [s])) for s in SEVERITIES],
        "totals": {outcome: results.count(outcome) for outcome in ("failed", "error", "waived", "passed", "skipped")},
        "evaluated": evaluated,
        "pass_rate": percent(results.count("passed"), evaluated),
        "failed_sources": snapshot.failed_sources(),
        "steps": steps,
        "more_failing": sum(1 for c in controls if c.counts["failed"]) - len(steps),
        "controls": [(c, percent(c.counts["passed"], c.evaluated)) for c in controls],
        "drift": drift,
        "drift_groups": drift_groups(drift) if drift is not None else [],
    }
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.filters["num"] = "{:,}".format
    return environment.get_template("overview.html.jinja2").render(context)
