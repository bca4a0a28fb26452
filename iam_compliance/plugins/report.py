"""Report plugin: default report files, the HTML compliance report and the terminal findings table.

The HTML report is written by this suite, not by pytest-html: ``--html PATH`` (pytest-html's option,
kept so that the usual command lines work) names where it goes, and pytest-html's own writer is left
out of audit runs. The page is always one self-contained file.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Generator

import pytest

from iam_compliance import __version__
from fixtures.options import check_output_paths, is_audit_run, is_worker, reports_dir
from fixtures.session import SNAPSHOT_KEY, get_settings
from iam_compliance.controls import CheckFacts
from iam_compliance.rendering import checks_table, html, overview, terminal
from iam_compliance.results.drift import DRIFT_KEY, Drift
from iam_compliance.results.log import ResultLog, shared_log
from iam_compliance.results.scope import SCOPE_KEY, STATUS_KEY, RunScope, RunStatus, SettingInForce
from iam_compliance.results.waivers import WAIVER_DATE_KEY, WAIVERS_KEY, WaiverStatus, run_date, waiver_statuses
from iam_compliance.settings import load_settings


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """An audit writes its reports unless told otherwise, and prints findings, not tracebacks.

    Listing the items (``--collect-only``) evaluates nothing, so it writes no report.
    """
    if not is_audit_run(config) or is_worker(config) or config.option.collectonly:
        return
    out = reports_dir(config)
    writes_html = hasattr(config.option, "htmlpath")  # pytest-html is installed and not disabled (-p no:html)
    if writes_html and config.option.htmlpath is None:
        config.option.htmlpath = str(out / "compliance.html")
    if writes_html:  # pytest-html writes nothing in an audit, but would create an assets folder otherwise
        config.option.self_contained_html = True
    if config.option.xmlpath is None:
        config.option.xmlpath = str(out / "junit.xml")
    check_output_paths(config)
    # pytest's failure summary repeats every finding with a traceback and is O(failures x tests);
    # the findings table replaces it. An explicit --tb or -r still wins.
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "no"
    if config.option.reportchars == "fE":
        config.option.reportchars = "N"
    config.pluginmanager.register(AuditReporter(config), "iam-compliance-reporter")
    if writes_html:
        config.pluginmanager.register(HtmlReportWriter(config), "iam-compliance-html")


def pytest_plugin_registered(plugin: object, manager: pytest.PytestPluginManager) -> None:
    """The audit writes its own HTML report: pytest-html's writer, which its pytest_configure registers
    after ours ran, is left out of audit runs."""
    if (manager.has_plugin("iam-compliance-html") and type(plugin).__module__.startswith("pytest_html.")
            and hasattr(plugin, "_write_report")):
        manager.unregister(plugin)


class AuditReporter:
    """Controller-side hooks of an audit run: the terminal findings table."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.results = shared_log(config)

    @pytest.hookimpl(wrapper=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> Generator[None, None, None]:
        yield
        if SNAPSHOT_KEY not in self.config.stash:
            return
        snapshot, tr = self.config.stash[SNAPSHOT_KEY], terminalreporter
        tr.write_sep("=", "IAM compliance findings", bold=True)
        tr.write_line(f"Account {snapshot.account_id} ({snapshot.partition}), data collected {snapshot.doc['collected_at']}")
        for line in terminal.findings_table(self.results):
            tr.write_line(line)
        tr.write_line(terminal.totals_line(self.results), bold=True)
        failed_sources = terminal.source_lines(snapshot)
        if failed_sources:
            tr.write_line("Data sources that could not be read (their checks are errors):", red=True)
            for line in failed_sources:
                tr.write_line(line, red=True)


class HtmlReportWriter:
    """Writes the HTML compliance report when the session ends, whatever way it ends."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.results = shared_log(config)
        # Where the page is written: --html as it stands when the run ends (a plugin that stages the run's
        # reports may point it elsewhere meanwhile, and may rename this once it published the file).
        self._report_path: Path | None = None
        self.interrupted = False
        self.internal_error = False

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    def pytest_internalerror(self) -> None:
        self.internal_error = True

    @pytest.hookimpl(trylast=True)  # after the governance plugin stored drift and the run's scope is known
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._report_path = Path(self.config.option.htmlpath).absolute()
        html.write_report(self._report_path, report_input(self.config, self.results, self.status(session)))

    def status(self, session: pytest.Session) -> RunStatus:
        """The run's status as the lifecycle recorded it; worked out here when it did not."""
        if STATUS_KEY in self.config.stash:
            return self.config.stash[STATUS_KEY]
        if self.internal_error:
            return RunStatus.INTERNAL_ERROR
        if self.interrupted or session.shouldstop or session.shouldfail:
            return RunStatus.INTERRUPTED
        return RunStatus.COMPLETE

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self._report_path is not None:
            terminalreporter.write_sep("-", f"Generated html report: {self._report_path.as_uri()}")


def catalogue() -> list[CheckFacts]:
    """Every check of the suite, selected in this run or not."""
    return [checks_table.declared_facts(function) for function in checks_table.check_functions()]


def fallback_scope(config: pytest.Config, results: ResultLog, checks: list[CheckFacts]) -> RunScope:
    """The scope from what this plugin can see, when the lifecycle has not recorded one."""
    settings = get_settings(config)
    defaults = load_settings().as_dict()
    in_force = tuple(SettingInForce(f"{section}.{key}", value, defaults.get(section, {}).get(key))
                     for section, values in settings.as_dict().items() for key, value in values.items())
    selection = " ".join(part for part in (
        f"-k {config.option.keyword!r}" if config.option.keyword else "",
        f"-m {config.option.markexpr!r}" if config.option.markexpr else "") if part)
    regions = config.getoption("regions")
    snapshot = config.stash.get(SNAPSHOT_KEY, None)
    collected_regions = snapshot.doc["sources"].get("regions", {}).get("data", {}) if snapshot is not None else {}
    options = {"service activity": "off (--no-service-activity)"} if config.getoption("no_service_activity", False) else {}
    selected = tuple(sorted({item.check_id for item in results.items.values()}))
    return RunScope(selected, max(len(checks), len(selected)), selection,
                    tuple(r.strip() for r in regions.split(",") if r.strip()) if regions
                    else tuple(collected_regions.get("regions") or settings.collection.regions or ()),
                    options, in_force, bool(config.getoption("demo")))


def waivers_of(config: pytest.Config, results: ResultLog) -> list[WaiverStatus]:
    """Each waiver with its status, from the items it matches in the shared result log."""
    waivers = config.stash.get(WAIVERS_KEY, [])
    if not waivers:
        return []
    checks = {w.check_id for w in waivers}
    records = [{"check_id": i.check_id, "resource": i.resource, "variant": i.variant, "outcome": i.outcome,
                "entity": i.entity} for i in results.items.values() if i.check_id in checks]
    return waiver_statuses(waivers, records, config.stash.get(WAIVER_DATE_KEY, None) or run_date())


def report_input(config: pytest.Config, results: ResultLog, status: RunStatus) -> overview.ReportInput:
    checks = catalogue()
    scope = config.stash[SCOPE_KEY] if SCOPE_KEY in config.stash else fallback_scope(config, results, checks)
    return overview.ReportInput(
        results=results, snapshot=config.stash.get(SNAPSHOT_KEY, None), status=status, scope=scope,
        catalogue=checks, version=__version__,
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        waivers=waivers_of(config, results), waivers_file=config.getoption("waivers", None), drift=drift(config),
    )


def drift(config: pytest.Config) -> Drift | None:
    """The classification against --baseline, when the governance plugin made one."""
    return config.stash.get(DRIFT_KEY, None)
