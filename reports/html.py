"""pytest-html customisation: title, environment, and the Check / Severity / Resource / Finding columns.

Every value that comes from the account (names, tags, descriptions, policy text, messages) is
escaped here: pytest-html inserts cells as raw HTML.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pytest

from fixtures.model import Snapshot
from fixtures.settings import Settings
from reports.results import properties, severity_rank

INSERTED_HEADERS = [
    '<th class="sortable" data-column-type="severity">Severity</th>',
    '<th class="sortable" data-column-type="check">Check</th>',
    '<th class="sortable" data-column-type="resource">Resource</th>',
    '<th data-column-type="finding">Finding</th>',
]


def environment(snapshot: Snapshot, settings: Settings, version: str) -> dict[str, Any]:
    """What an auditor needs to reproduce the run: the account, the data, the suite and its settings."""
    env: dict[str, Any] = {
        "Account": snapshot.account_id,
        "Partition": snapshot.partition,
        "Caller": snapshot.caller_arn,
        "Collected at": snapshot.doc["collected_at"],
        "Snapshot": snapshot.path,
        "Snapshot SHA-256": snapshot.sha256,
        "Suite version": version,
        "Data sources": ", ".join(
            f"{name}: {'ok' if snapshot.status(name).ok else 'ERROR ' + snapshot.status(name).code}"
            for name in sorted(snapshot.doc["sources"])
        ),
    }
    for section, values in settings.as_dict().items():
        env[f"Settings: {section}"] = ", ".join(f"{key}={value}" for key, value in values.items())
    return {key: escape(str(value)) for key, value in env.items()}


def table_header(cells: list[str]) -> None:
    cells[1:1] = INSERTED_HEADERS
    cells.pop()  # the Links column: evidence travels inside the row instead


def severity_cell(severity: str) -> str:
    # pytest-html sorts cell text; the hidden rank makes critical sort before low.
    return f'<td class="col-severity"><span hidden>{severity_rank(severity)}</span>{escape(severity)}</td>'


def finding_text(report: pytest.TestReport) -> str:
    if report.passed:
        return ""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return report.longreprtext.strip().splitlines()[0] if report.longreprtext.strip() else ""


def table_row(report: pytest.TestReport, cells: list[str]) -> None:
    props = properties(report)
    if "check_id" not in props:
        return
    cells[1:1] = [
        severity_cell(props.get("severity", "")),
        f'<td class="col-check">{escape(props["check_id"])}</td>',
        f'<td class="col-resource">{escape(props.get("resource", ""))}</td>',
        f'<td class="col-finding">{escape(finding_text(report))}</td>',
    ]
    cells[-3] = f'<td class="col-testId">{escape(report.nodeid)}</td>'
    cells.pop()
