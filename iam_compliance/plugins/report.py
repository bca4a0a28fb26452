"""Report plugin: default report files, JUnit properties and HTML columns (the terminal summary: plugins.governance)."""

from __future__ import annotations

from typing import Any, Generator

import pytest

from iam_compliance import __version__
from fixtures.options import check_output_paths, is_audit_run, is_worker, reports_dir
from fixtures.session import SNAPSHOT_KEY, get_settings
from iam_compliance.rendering import html, overview, terminal
from iam_compliance.results.drift import DRIFT_KEY, Drift
from iam_compliance.results.log import shared_log


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """An audit writes its reports unless told otherwise, and prints findings, not tracebacks.

    Listing the items (``--collect-only``) evaluates nothing, so it writes no report.
    """
    if not is_audit_run(config) or is_worker(config) or config.option.collectonly:
        return
    out = reports_dir(config)
    if getattr(config.option, "htmlpath", None) is None:
        config.option.htmlpath = str(out / "compliance.html")
        config.option.self_contained_html = True
    if config.option.xmlpath is None:
        config.option.xmlpath = str(out / "junit.xml")
    if hasattr(config.option, "css"):
        config.option.css.append(str(html.STYLESHEET))
    check_output_paths(config)
    # pytest's failure summary repeats every finding with a traceback and is O(failures x tests);
    # the findings table replaces it. An explicit --tb or -r still wins.
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "no"
    if config.option.reportchars == "fE":
        config.option.reportchars = "N"
    config.pluginmanager.register(AuditReporter(config), "iam-compliance-reporter")


@pytest.hookimpl(optionalhook=True)  # valid with -p no:html too
def pytest_html_results_table_header(cells: list[str]) -> None:
    html.table_header(cells)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    html.table_row(report, cells)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    html.row_details(report, data)


class AuditReporter:
    """Controller-side hooks of an audit run: results, the HTML overview and environment, terminal table."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.results = shared_log(config)
        self.html_report: Any = None  # pytest-html's report data, once it asks for a title

    def environment(self) -> dict[str, Any]:
        return html.environment(self.config.stash[SNAPSHOT_KEY], get_settings(self.config), __version__)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:  # pytest-html absent: no environment table to fill
            return
        metadata = self.config.stash[metadata_key]
        metadata.clear()
        metadata.update(self.environment())

    @pytest.hookimpl(trylast=True, optionalhook=True)
    def pytest_testnodedown(self, node: Any) -> None:
        """pytest-metadata merges each xdist worker's Python and plugin versions in: the table describes the audit."""
        from pytest_metadata.plugin import metadata_key

        metadata = self.config.stash[metadata_key]
        metadata.clear()
        metadata.update(self.environment())

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        snapshot = self.config.stash[SNAPSHOT_KEY]
        report.title = f"IAM compliance report: account {snapshot.account_id}, {snapshot.doc['collected_at'][:10]}"
        html.relabel_outcomes(report)
        self.html_report = report

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        unlisted = html.arrange_rows(self.html_report, self.results) if self.html_report is not None else {}
        prefix.append(overview.render(self.results, self.config.stash[SNAPSHOT_KEY], drift(self.config)))
        postfix.append(html.items_heading(unlisted))
        summary.append(html.LIGHT_ROW_TEMPLATE_SCRIPT)


def drift(config: pytest.Config) -> Drift | None:
    """The classification against --baseline, when the governance plugin made one."""
    return config.stash.get(DRIFT_KEY, None)
