"""Plugin for what happens to findings after the checks: waivers, drift, exit gating and findings.json.

- Waivers are read once on the controller and handed to xdist workers as data; each worker marks the
  matching items ``xfail(strict=False, raises=<finding>)``, so only a finding is waived: a check that
  could not be evaluated stays an ERROR.
- A waived resource that is compliant now (an XPASS) is reported as a plain pass, and the waiver as
  stale in the summary and findings.json: fixing a resource never fails the run.
- Everything that needs every item's outcome (the run's status and scope, waiver status, drift, the
  exit status, findings.json, the JUnit suite properties) is decided on the controller at session
  finish, before pytest-html and junitxml write; workers write nothing.
- The terminal summary ends every audit with the findings table, why items could not be evaluated,
  the waivers and drift, and the decision line with the exit code; pytest's last line counts in the
  audit's words.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Generator

import pytest

from iam_compliance import __version__
from iam_compliance.controls import SEVERITIES, Finding
from fixtures.options import findings_json_path, is_audit_run, is_worker
from fixtures.publish import RUN_FOLDERS_KEY, staged
from fixtures.session import SNAPSHOT_KEY, get_settings
from iam_compliance.jsonio import write_json_atomic
from iam_compliance.plugins.lifecycle import build_scope
from iam_compliance.rendering import ocsf, terminal
from iam_compliance.rendering.checks_table import check_functions, declared_facts
from iam_compliance.results import findings as findings_json, waivers as waiver_file
from iam_compliance.results.drift import DRIFT_KEY, Drift, classify
from iam_compliance.results.findings import FindingsFileError
from iam_compliance.results.gating import Gate, decide
from iam_compliance.results.log import shared_log
from iam_compliance.results.stream import write_json_streaming
from iam_compliance.results.record import is_check_report
from iam_compliance.results.scope import SCOPE_KEY, STATUS_KEY, RunStatus, run_status, run_verdict
from iam_compliance.results.waivers import (
    ITEM_WAIVER_KEY, STATUSES, WAIVER_DATE_KEY, WAIVERS_KEY, Waiver, WaiverError, WaiverStatus, waiver_statuses,
)

WORKER_WAIVERS = "iam_compliance_waivers"
WORKER_WAIVER_DATE = "iam_compliance_waiver_date"
# What a waiver may turn into an expected failure: findings (and the bare asserts treated as findings).
WAIVABLE = (Finding, AssertionError)
# pytest's -v words for check items; a waived finding stays XFAIL, the word -rx lists waivers under.
AUDIT_WORDS = {"FAILED": "FINDING", "SKIPPED": "N/A"}
LISTED_PER_GROUP = 10  # the terminal lists this many ids per drift group; findings.json has them all


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("iam-compliance")
    group.addoption("--waivers", metavar="PATH", help="YAML file of accepted risks (see README, Waivers)")
    group.addoption("--baseline", metavar="PATH",
                    help="a previous findings.json: mark findings new or known and list resolved ones")
    group.addoption("--fail-on", metavar="SEVERITY", type=str.lower, choices=SEVERITIES,
                    help=f"fail only for findings at or above SEVERITY ({', '.join(SEVERITIES)}); errors always fail")
    group.addoption("--findings-json", metavar="PATH", help="where to write findings.json "
                                                            "(default: <reports-dir>/findings.json)")
    group.addoption("--ocsf", metavar="PATH", help="also write the results as OCSF Detection Findings (JSON array)")


def _load_inputs(config: pytest.Config) -> tuple[list[Waiver], dict[str, Any] | None]:
    waivers_path, baseline_path = config.getoption("waivers"), config.getoption("baseline")
    try:
        waivers = waiver_file.load_waivers(
            Path(waivers_path), known_checks={declared_facts(f).check_id for f in check_functions()},
            max_horizon_days=get_settings(config).waivers.max_horizon_days) if waivers_path else []
        baseline = findings_json.load(Path(baseline_path)) if baseline_path else None
    except (WaiverError, FindingsFileError) as exc:
        raise pytest.UsageError(str(exc)) from None
    return waivers, baseline


def pytest_configure(config: pytest.Config) -> None:
    if is_worker(config):
        workerinput: dict[str, Any] = getattr(config, "workerinput")  # set by pytest-xdist on its workers
        if WORKER_WAIVERS in workerinput:
            config.stash[WAIVERS_KEY] = [Waiver.from_dict(d) for d in workerinput[WORKER_WAIVERS]]
            config.stash[WAIVER_DATE_KEY] = date.fromisoformat(workerinput[WORKER_WAIVER_DATE])
        return
    if not is_audit_run(config):
        return
    waivers, baseline = _load_inputs(config)  # bad files are usage errors before anything runs
    config.stash[WAIVERS_KEY] = waivers
    config.stash[WAIVER_DATE_KEY] = waiver_file.run_date()
    if config.option.collectonly:
        return  # nothing is evaluated: no findings.json, no exit decision
    config.pluginmanager.register(GovernanceReporter(config, baseline), "iam-compliance-governance")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: workers get the parsed waivers and the run date, so every process agrees."""
    if WAIVERS_KEY in node.config.stash:
        node.workerinput[WORKER_WAIVERS] = [w.as_dict() for w in node.config.stash[WAIVERS_KEY]]
        node.workerinput[WORKER_WAIVER_DATE] = node.config.stash[WAIVER_DATE_KEY].isoformat()


@pytest.hookimpl(wrapper=True)  # around fixtures.gate's hook, which finds each item's waiver when it writes the record
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Generator[None, None, None]:
    """Apply the waivers: an unexpired one makes its item's finding an expected failure."""
    yield
    for item in items:
        waiver = item.stash.get(ITEM_WAIVER_KEY, None)
        if waiver is not None and not waiver.expired(item.config.stash[WAIVER_DATE_KEY]):
            item.add_marker(pytest.mark.xfail(reason=waiver.describe(), strict=False, raises=WAIVABLE))


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: sees the report after xfail and the audit plugin
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    waiver = item.stash.get(ITEM_WAIVER_KEY, None)
    if waiver is None or report.when != "call":
        return report
    if hasattr(report, "wasxfail") and report.passed:
        del report.wasxfail  # the waived resource is compliant now: a pass, and the waiver is stale
    elif report.failed and waiver.expired(item.config.stash[WAIVER_DATE_KEY]) and isinstance(report.longrepr, str):
        report.longrepr += (f"\nWaiver {waiver.source} expired on {waiver.expires.isoformat()}: "
                            "this finding is no longer waived.")
    return report


class GovernanceReporter:
    """Controller side: records every item, then decides waivers, drift, exit status and findings.json."""

    def __init__(self, config: pytest.Config, baseline: dict[str, Any] | None):
        self.config = config
        self.baseline = baseline
        self.log = shared_log(config)
        self.other_errors = 0  # failures outside the checks: collection errors, crashes in other tests
        self.statuses: list[WaiverStatus] = []
        self.gate: Gate | None = None
        self.status = RunStatus.INTERNAL_ERROR  # until the session finishes
        self.verdict: Any = None
        self.path = findings_json_path(config).absolute()  # as checked and locked: links are not followed
        self.ocsf_path = Path(config.getoption("ocsf")).absolute() if config.getoption("ocsf") else None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        account = session.config.stash[SNAPSHOT_KEY].account_id
        if self.baseline is not None and self.baseline["account_id"] != account:
            raise pytest.UsageError(
                f"Baseline {self.config.getoption('baseline')} is for account {self.baseline['account_id']}, "
                f"but this run audits account {account}."
            )

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.other_errors += 1

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and not is_check_report(report):
            self.other_errors += 1

    @pytest.hookimpl(tryfirst=True)  # before junitxml and pytest-html write, which state the status and scope
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if SNAPSHOT_KEY not in self.config.stash:
            return
        config, snapshot = self.config, self.config.stash[SNAPSHOT_KEY]
        scope = config.stash[SCOPE_KEY] = build_scope(config, snapshot)
        stopped = bool(session.shouldstop or session.shouldfail) or (
            config.option.maxfail > 0 and session.testsfailed >= config.option.maxfail)
        self.status = config.stash[STATUS_KEY] = run_status(session.exitstatus, stopped_early=stopped,
                                                            partial=scope.partial)
        waivers, today = config.stash[WAIVERS_KEY], config.stash[WAIVER_DATE_KEY]
        records = findings_json.records(self.log)
        drift = None
        if self.baseline is not None:
            drift = classify(records, self.baseline["findings"], config.getoption("baseline"),
                             self.baseline["collected_at"], current_scope=scope.as_dict(),
                             baseline_scope=self.baseline.get("scope"))
            config.stash[DRIFT_KEY] = drift
        self.statuses = waiver_statuses(waivers, records, today)
        self.gate = decide(session.exitstatus, self.log, self.other_errors, config.getoption("fail_on"))
        session.exitstatus = self.gate.exit_status
        self.verdict = run_verdict(self.status, scope, self.log, len(snapshot.failed_sources()))
        folders = config.stash.get(RUN_FOLDERS_KEY, None)
        doc = findings_json.document(
            snapshot, __version__, records,
            waivers=self.statuses, today=today, drift=drift, baseline=self.baseline, gate=self.gate.as_dict(),
            status=self.status, scope=scope, verdict=self.verdict,
            run_id=folders.run_id if folders is not None else "",
        )
        self._junit_properties(doc)
        write_json_streaming(doc, "findings", staged(config, self.path))  # one record per line
        if self.ocsf_path is not None:
            write_json_atomic(ocsf.events(doc, records), staged(config, self.ocsf_path))

    def _junit_properties(self, doc: dict[str, Any]) -> None:
        """The run's status, verdict and scope as properties of the JUnit test suite."""
        from _pytest.junitxml import xml_key

        xml = self.config.stash.get(xml_key, None)
        if xml is None:
            return
        scope = doc["scope"]
        properties = {
            "run_status": doc["status"], "run_id": doc["run_id"],
            "verdict": f"{doc['verdict']['title']}: {doc['verdict']['text']}",
            "account_id": doc["account_id"], "collected_at": doc["collected_at"],
            "snapshot_sha256": doc["snapshot_sha256"],
            "checks_selected": f"{len(scope['checks_selected'])} of {scope['checks_total']}",
            "selection": scope["selection"] or "none: every check and item",
            "regions": ", ".join(scope["regions"]) or "none",
            "settings_changed": ", ".join(f"{s['key']}={s['value']} (default {s['default']})"
                                          for s in scope["settings"] if s["differs"]) or "none",
            "simulated": str(scope["simulated"]).lower(),
        } | {f"option {name}": value for name, value in scope["options"].items()}
        for name, value in properties.items():
            xml.add_global_property(name, terminal.clean(str(value)))

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        """``-v`` names a check item's outcome in the audit's words: FINDING, N/A (letters unchanged)."""
        status = yield
        if not isinstance(report, pytest.TestReport) or not is_check_report(report) or not status:
            return status
        category, letter, word = status
        text, markup = (word if isinstance(word, tuple) else (word, None))
        text = AUDIT_WORDS.get(text, text)
        return category, letter, (text, markup) if markup is not None else text

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: printed after every other summary
    def pytest_terminal_summary(self, terminalreporter: Any) -> Generator[None, None, None]:
        yield
        if self.gate is None or SNAPSHOT_KEY not in self.config.stash:
            return
        tr, config = terminalreporter, self.config
        snapshot, scope = config.stash[SNAPSHOT_KEY], config.stash[SCOPE_KEY]
        tr.write_sep("=", "IAM compliance findings", bold=True)
        for line in terminal.heading_lines(snapshot, scope):
            tr.write_line(line)
        for line in terminal.findings_table(self.log):
            tr.write_line(line)
        for line in terminal.wrap(terminal.totals_line(self.log)):
            tr.write_line(line, bold=True)
        for line in terminal.source_lines(snapshot):
            tr.write_line(line, red=True)
        for line in terminal.error_lines(self.log):
            tr.write_line(line, red=True)
        drift = config.stash.get(DRIFT_KEY, None)
        if config.getoption("waivers") or drift is not None:
            tr.write_sep("=", "Waivers and drift", bold=True)
            for line in _waiver_lines(config.getoption("waivers"), self.statuses):
                tr.write_line(terminal.clean(line))
            for line in _drift_lines(drift) if drift is not None else []:
                tr.write_line(terminal.clean(line))
        tr.write_sep("-", f"Generated findings file: {self._published(self.path)}")
        if self.ocsf_path is not None:
            tr.write_sep("-", f"Generated OCSF file: {self._published(self.ocsf_path)}")
        for line in terminal.wrap(f"Verdict ({self.status.value} run): {self.verdict.title}; {self.verdict.text}."):
            tr.write_line(line, bold=True)
        for line in terminal.wrap(terminal.decision(self.gate, self.status)):
            tr.write_line(line, bold=True, red=bool(self.gate.exit_status), green=not self.gate.exit_status)
        tr.build_summary_stats_line = lambda: terminal.final_line(self.log, self.gate.exit_status)

    def _published(self, final: Path) -> Path:
        folders = self.config.stash.get(RUN_FOLDERS_KEY, None)
        return folders.published_path(folders.stage(final)) if folders is not None else final


def _waiver_lines(path: str | None, statuses: list[WaiverStatus]) -> list[str]:
    if not statuses:
        return [f"Waivers ({path}): none"] if path else []
    counts = ", ".join(f"{sum(1 for s in statuses if s.status == name)} {name}" for name in STATUSES)
    lines = [f"Waivers ({path}): {counts}"]
    for status in statuses:
        if status.status != "applied":
            w = status.waiver
            lines.append(f"  {status.status:<10} {w.source}  {w.check_id} {w.resource}: {status.explain()}")
    return lines


def _drift_lines(drift: Drift) -> list[str]:
    counts = ", ".join(f"{len(ids)} {name.replace('_', ' ')}" for name, ids in drift.groups())
    lines = [terminal.clean(f"Drift against {drift.baseline}")]
    lines += terminal.wrap(f"  data collected {drift.baseline_collected_at}: {counts}")
    for name, ids in drift.groups():
        if name == "known":
            continue  # known findings are in the findings table; listing them again adds nothing
        label = name.replace("_", " ")
        for finding in ids[:LISTED_PER_GROUP]:
            lines.append(f"  {label:<14} {drift.severities.get(finding, ''):<8} {finding}")
            if finding in drift.reasons:
                lines += terminal.wrap(f"      {drift.reasons[finding]}", indent="      ")
        if len(ids) > LISTED_PER_GROUP:
            lines.append(f"  {label:<14} ... and {len(ids) - LISTED_PER_GROUP} more (see findings.json)")
    return lines
