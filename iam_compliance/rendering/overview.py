"""Everything in the HTML report above the item table: verdict and scope, scores and charts, what to do
first, drift, the controls, each framework's requirements, the waiver register, the run's facts.

The page is rendered by a Jinja2 template with autoescaping on: every value from the account (names,
ARNs, finding sentences, error messages, waiver texts) reaches the page as text, never as markup. The
charts are SVG built by ``svg`` (which escapes its own labels).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from iam_compliance.controls import FRAMEWORK_TABLE, SEVERITIES, CheckFacts
from iam_compliance.frameworks import described
from iam_compliance.model.iam import Snapshot
from iam_compliance.rendering import scores, svg
from iam_compliance.rendering.scores import FrameworkScore
from iam_compliance.results.drift import Drift
from iam_compliance.results.log import ControlSummary, ResultLog, severity_rank
from iam_compliance.results.record import OUTCOMES, ItemRecord
from iam_compliance.results.scope import RunScope, RunStatus, Verdict, verdict as run_verdict
from iam_compliance.results.waivers import WaiverStatus

TEMPLATES = Path(__file__).resolve().parent / "templates"
URGENT = ("critical", "high")  # every failing control of these severities is a first step
FALLBACK_STEPS = 5  # without urgent controls, the worst failing ones
NAMES_SHOWN = 8  # resources named per step before "and N more"
DRIFT_SHOWN = 25  # findings listed per drift group
ITEMS_MARKER = "<!--items-->"
# An item's outcome in the audit's words: real text in the page, so that Ctrl-F and print find it.
OUTCOME_WORDS = {"failed": "Finding", "error": "Error", "waived": "Waived", "passed": "Passed",
                 "skipped": "Not applicable"}


EXAMPLE_LENGTH = 360  # characters of a step's example finding; the item table has the whole sentence


@dataclass(frozen=True)
class Step:
    control: ControlSummary
    names: list[str]
    more: int
    example: ItemRecord

    @property
    def example_text(self) -> str:
        text = self.example.finding
        if len(text) <= EXAMPLE_LENGTH:
            return text
        return text[:EXAMPLE_LENGTH].rsplit(" ", 1)[0] + " … (the whole finding is in the items below)"


@dataclass
class ReportInput:
    """What the page states: the results and everything that qualifies them."""

    results: ResultLog
    snapshot: Snapshot | None  # None when the run stopped before any data was read
    status: RunStatus
    scope: RunScope
    catalogue: list[CheckFacts]  # every check of the suite, selected or not
    version: str
    generated_at: str
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    waivers: list[WaiverStatus] = field(default_factory=list)
    waivers_file: str | None = None
    drift: Drift | None = None


def first_steps(controls: list[ControlSummary]) -> list[tuple[str, list[Step]]]:
    """Every failing critical and high control, grouped by severity; the worst failing ones when none are."""
    failing = [c for c in controls if c.counts["failed"]]
    urgent = [c for c in failing if c.severity in URGENT]
    chosen = urgent or failing[:FALLBACK_STEPS]
    groups: dict[str, list[Step]] = {}
    for control in sorted(chosen, key=lambda c: (severity_rank(c.severity), -c.counts["failed"], c.check_id)):
        items = sorted(control.failures, key=lambda item: item.entity)
        names = [i.entity for i in items[:NAMES_SHOWN]]
        groups.setdefault(control.severity, []).append(Step(control, names, max(0, len(items) - NAMES_SHOWN), items[0]))
    return list(groups.items())


def drift_groups(drift: Drift, limit: int = DRIFT_SHOWN) -> list[dict[str, Any]]:
    """The drift classification as rows: group, count, and the first findings."""
    groups = []
    for name, ids in drift.groups():
        shown = sorted(ids, key=lambda i: (severity_rank(drift.severities.get(i, "")), i))[:limit]
        rows = [dict(zip(("check_id", "resource"), i.split(":", 1)), severity=drift.severities.get(i, "")) for i in shown]
        groups.append({"name": name, "count": len(ids), "rows": rows, "more": len(ids) - len(shown)})
    return groups


def totals(controls: list[ControlSummary]) -> dict[str, int]:
    """Items by outcome, summed over the controls (one pass over the summaries, not the items)."""
    return {outcome: sum(c.counts[outcome] for c in controls) for outcome in OUTCOMES}


def findings_by_severity(results: ResultLog) -> list[tuple[str, int]]:
    """By each finding's own severity (a control's findings may differ: an expired certificate is worse)."""
    counted = Counter(i.severity for i in results.items.values() if i.outcome == "failed")
    return [(s, counted[s]) for s in SEVERITIES]


def verdict_of(report: ReportInput, controls: list[ControlSummary]) -> Verdict:
    counted = totals(controls)
    evaluated = sum(c.evaluated for c in controls)
    unreadable = len(report.snapshot.failed_sources()) if report.snapshot is not None else 0
    said = run_verdict(report.status, report.scope, findings=counted["failed"], errors=counted["error"],
                       evaluated=evaluated, failing_controls=sum(1 for c in controls if c.counts["failed"]),
                       controls_run=len(controls), unreadable_sources=unreadable)
    # The banner states the partial scope on a line of its own, with the regions: not twice.
    text = "; ".join(part for part in said.text.split("; ") if not part.startswith("partial audit:"))
    return Verdict(said.state, said.title, text)


def environment(snapshot: Snapshot | None, version: str) -> list[tuple[str, str]]:
    """What an auditor needs to reproduce the run: the account, the data and the suite."""
    if snapshot is None:
        return [("Data", "none: the run stopped before the snapshot was read"), ("Suite version", version)]
    return [
        ("Account", snapshot.account_id),
        ("Partition", snapshot.partition),
        ("Caller", snapshot.caller_arn),
        ("Data collected at", snapshot.doc["collected_at"]),
        ("Credential report", snapshot.credential_report_summary),
        ("Snapshot", str(snapshot.path)),
        ("Snapshot SHA-256", snapshot.sha256),
        ("Suite version", version),
        ("Data sources", ", ".join(
            f"{name}: {'ok' if snapshot.status(name).ok else 'ERROR ' + snapshot.status(name).code}"
            for name in sorted(snapshot.doc["sources"]))),
    ]


def setting_text(value: Any) -> str:
    """A setting as people write it: lists comma-separated, no Python reprs."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "(empty list)"
    return str(value)


def charts(report: ReportInput, controls: list[ControlSummary], frameworks: list[FrameworkScore]) -> list[tuple[str, Markup]]:
    severity = [svg.Part(s.capitalize(), count, s) for s, count in findings_by_severity(report.results)]
    states = [scores.control_state(c) for c in controls]
    control_parts = [svg.Part(scores.CONTROL_STATE_WORDS[state], states.count(state), state)
                     for state in (scores.FAILING, scores.ERROR, scores.CLEAN, scores.NOT_APPLICABLE)]
    pictures = [("Findings by severity", svg.bar_chart("Findings by severity", severity)),
                (f"Controls by status ({len(controls)} run)",
                 svg.stacked_bar(f"Controls by status ({len(controls)} run)", control_parts))]
    if frameworks:
        rows = [(FRAMEWORK_TABLE[f.key].label if f.key in FRAMEWORK_TABLE else f.key,
                 [svg.Part(scores.STATUS_WORDS[s], f.count(s), s) for s in
                  (scores.MET, scores.NOT_MET, scores.UNKNOWN, scores.SETTINGS_CHANGED, scores.NOT_IN_SCOPE,
                   scores.NOT_AUTOMATED)],
                 f"{f.count(scores.MET)} of {f.total} met") for f in frameworks]
        pictures.append(("Requirements met per framework", svg.score_bars("Requirements met per framework", rows)))
    if report.drift is not None:
        pictures.append(("Findings against the baseline", svg.bar_chart(
            "Findings against the baseline", [svg.Part(name.capitalize(), len(ids), name) for name, ids in report.drift.groups()])))
    return [(caption, Markup(picture)) for caption, picture in pictures]


def changed_settings_by_check(scope: RunScope | None) -> dict[str, list[str]]:
    """Each check's settings in force that differ from the defaults ("key=value")."""
    if scope is None:
        return {}
    changed = {s.key: f"{s.key}={setting_text(s.value)}" for s in scope.settings_changed()}
    return {check: [changed[key] for key in keys if key in changed] for check, keys in scope.check_settings.items()}


def waiver_rows(statuses: list[WaiverStatus]) -> list[dict[str, Any]]:
    rows = []
    for status in statuses:
        covered = sorted(status.items, key=lambda r: (r["outcome"] != "waived", str(r.get("entity", r["resource"]))))
        rows.append({"waiver": status.waiver, "status": status.status, "explain": status.explain(),
                     "covered": [(r.get("entity", r["resource"]), r["resource"], r["outcome"]) for r in covered]})
    return rows


def context(report: ReportInput, controls: list[ControlSummary]) -> dict[str, Any]:
    snapshot, scope = report.snapshot, report.scope
    frameworks = scores.framework_scores(report.catalogue or scores.catalogue_of(controls), controls,
                                         changed_settings_by_check(scope))
    states = {c.check_id: scores.control_state(c) for c in controls}
    run = set(states)
    not_run = sorted((f for f in report.catalogue if f.check_id not in run), key=lambda f: f.check_id)
    account = snapshot.account_id if snapshot is not None else "unknown"
    collected = snapshot.doc["collected_at"] if snapshot is not None else ""
    simulated = scope.simulated or bool(snapshot is not None and snapshot.doc.get("demo"))
    title = f"IAM compliance report: account {account}" + (f", {collected[:10]}" if collected else "")
    if simulated:
        title = f"Simulated demo account: {title}"
    return {
        "title": title,
        "simulated": simulated,
        "account": account,
        "partition": snapshot.partition if snapshot is not None else "",
        "collected_at": collected,
        "generated_at": report.generated_at,
        "version": report.version,
        "verdict": verdict_of(report, controls),
        "status": report.status,
        "scope": scope,
        "totals": totals(controls),
        "severities": findings_by_severity(report.results),
        "state_counts": [(scores.CONTROL_STATE_WORDS[s], sum(1 for v in states.values() if v == s), s)
                         for s in (scores.FAILING, scores.ERROR, scores.CLEAN, scores.NOT_APPLICABLE)],
        "charts": charts(report, controls, frameworks),
        "failed_sources": snapshot.failed_sources() if snapshot is not None else [],
        "step_groups": first_steps(controls),
        "urgent": URGENT,
        "controls": [(c, states[c.check_id]) for c in controls],
        "state_words": scores.CONTROL_STATE_WORDS,
        "not_run": not_run,
        "frameworks": frameworks,
        "drift": report.drift,
        "drift_groups": drift_groups(report.drift) if report.drift is not None else [],
        "waivers_file": report.waivers_file,
        "waivers": waiver_rows(report.waivers),
        "settings_changed": scope.settings_changed(),
        "environment": environment(snapshot, report.version),
        "outcomes": list(OUTCOME_WORDS.items()),
        "outcome_words": OUTCOME_WORDS,
        "css": Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        "script": Markup((TEMPLATES / "report.js").read_text(encoding="utf-8")),
        "items_marker": Markup(ITEMS_MARKER),
        "described": described,
    }


def render(report: ReportInput, controls: list[ControlSummary] | None = None) -> str:
    """The whole page, with ITEMS_MARKER where the item table's rows go."""
    controls = report.results.controls() if controls is None else controls
    environment_ = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment_.filters["num"] = "{:,}".format
    environment_.filters["setting"] = setting_text
    return environment_.get_template("report.html.jinja2").render(context(report, controls))
