"""Plugin for what happens to findings after the checks: waivers, drift, exit gating and findings.json.

- Waivers are read once on the controller and handed to xdist workers as data; each worker marks the
  matching items ``xfail(strict=False, raises=<finding>)``, so only a finding is waived: a check that
  could not be evaluated stays an ERROR.
- A waived resource that is compliant now (an XPASS) is reported as a plain pass, and the waiver as
  stale in the summary and findings.json: fixing a resource never fails the run.
- Everything that needs every item's outcome (waiver status, drift, the exit status, findings.json)
  is decided on the controller at session finish; workers write nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Generator

import pytest

from iam_compliance import __version__
from iam_compliance.controls import SEVERITIES, Finding
from fixtures.options import findings_json_path, is_audit_run, is_worker
from fixtures.session import SNAPSHOT_KEY, get_settings
from iam_compliance.jsonio import write_json_atomic
from iam_compliance.rendering import ocsf
from iam_compliance.rendering.checks_table import check_functions, declared_facts
from iam_compliance.results import findings as findings_json, waivers as waiver_file
from iam_compliance.results.drift import DRIFT_KEY, Drift, classify
from iam_compliance.results.findings import FindingsFileError
from iam_compliance.results.gating import Gate, decide
from iam_compliance.results.log import shared_log
from iam_compliance.results.stream import write_json_streaming
from iam_compliance.results.record import is_check_report
from iam_compliance.results.waivers import (
    ITEM_WAIVER_KEY, STATUSES, WAIVER_DATE_KEY, WAIVERS_KEY, Waiver, WaiverError, WaiverStatus, waiver_statuses,
)

WORKER_WAIVERS = "iam_compliance_waivers"
WORKER_WAIVER_DATE = "iam_compliance_waiver_date"
# What a waiver may turn into an expected failure: findings (and the bare asserts treated as findings).
WAIVABLE = (Finding, AssertionError)
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
        self.path = findings_json_path(config).resolve()
        self.ocsf_path = Path(config.getoption("ocsf")).resolve() if config.getoption("ocsf") else None

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

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Runs before pytest-html's (trylast) summary, which renders the drift stored here."""
        if SNAPSHOT_KEY not in self.config.stash:
            return
        waivers, today = self.config.stash[WAIVERS_KEY], self.config.stash[WAIVER_DATE_KEY]
        records = findings_json.records(self.log)
        drift = None
        if self.baseline is not None:
            drift = classify(records, self.baseline["findings"], self.config.getoption("baseline"),
                             self.baseline["collected_at"])
            self.config.stash[DRIFT_KEY] = drift
        self.statuses = waiver_statuses(waivers, records, today)
        self.gate = decide(session.exitstatus, self.log, self.other_errors, self.config.getoption("fail_on"))
        session.exitstatus = self.gate.exit_status
        doc = findings_json.document(
            self.config.stash[SNAPSHOT_KEY], __version__, records,
            waivers=self.statuses, today=today, drift=drift, baseline=self.baseline, gate=self.gate.as_dict(),
        )
        write_json_streaming(doc, "findings", self.path)  # one record per line, never the whole text in memory
        if self.ocsf_path is not None:
            write_json_atomic(ocsf.events(doc, records), self.ocsf_path)

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: printed after the findings table
    def pytest_terminal_summary(self, terminalreporter: Any) -> Generator[None, None, None]:
        yield
        if self.gate is None:
            return
        tr = terminalreporter
        drift = self.config.stash.get(DRIFT_KEY, None)
        if self.config.getoption("waivers") or drift is not None or self.gate.fail_on:
            tr.write_sep("=", "Waivers, drift and exit status", bold=True)
            for line in _waiver_lines(self.config.getoption("waivers"), self.statuses):
                tr.write_line(line)
            for line in _drift_lines(drift) if drift is not None else []:
                tr.write_line(line)
            tr.write_line(self.gate.describe(), bold=True, red=bool(self.gate.exit_status))
        tr.write_sep("-", f"Generated findings file: {self.path}")
        if self.ocsf_path is not None:
            tr.write_sep("-", f"Generated OCSF file: {self.ocsf_path}")


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
    counts = ", ".join(f"{len(ids)} {name}" for name, ids in drift.groups())
    lines = [f"Drift against {drift.baseline} (data collected {drift.baseline_collected_at}): {counts}"]
    for name, ids in drift.groups():
        if name == "known":
            continue  # known findings are in the findings table; listing them again adds nothing
        for finding in ids[:LISTED_PER_GROUP]:
            lines.append(f"  {name:<10} {drift.severities.get(finding, ''):<13} {finding}")
        if len(ids) > LISTED_PER_GROUP:
            lines.append(f"  {name:<10} ... and {len(ids) - LISTED_PER_GROUP} more (see findings.json)")
    return lines
