"""pytest-html customisation: title, environment, outcome labels, the item table's columns and details.

pytest-html inserts table cells, row details and summary blocks as raw HTML, so every value that
comes from the account (names, tags, descriptions, policy text, messages) is escaped here. Passing
rows carry nothing but their cells, and a large run counts them instead of listing them (a 5,000-user
account has tens of thousands).
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import pytest

from iam_compliance.model.iam import Snapshot
from iam_compliance.settings import Settings
from iam_compliance.results.log import ResultLog, severity_rank
from iam_compliance.results.record import ItemRecord

STYLESHEET = Path(__file__).resolve().parent / "templates" / "report.css"

# The table: Result (pytest-html's), then these; the Test, Duration and Links columns go.
HEADERS = [
    '<th class="sortable" data-column-type="severity">Severity</th>',
    '<th class="sortable" data-column-type="check">Check</th>',
    '<th class="sortable" data-column-type="resource">Resource</th>',
    '<th data-column-type="finding">Finding</th>',
    '<th data-column-type="remediation">Remediation</th>',
]

# pytest-html's filter checkboxes, in the order and words of the audit. The keys are its outcomes.
OUTCOME_LABELS = {
    "failed": "Findings",
    "error": "Could not evaluate",
    "xfailed": "Waived",
    "xpassed": "Waived but passing",
    "skipped": "Not applicable",
    "passed": "Passed",
    "rerun": "Reruns",
}
# Outcomes whose rows are only counted, not listed, when there are more than LISTED_ROWS_LIMIT of them.
UNLISTED_WHEN_MANY = {"passed": "passing", "skipped": "not-applicable"}
LISTED_ROWS_LIMIT = 2000
EXPANDED_ROWS_LIMIT = 1000
# The order of rows within one outcome (pytest-html then sorts by outcome, keeping this order).
ROW_ORDER = {"error": 0, "failed": 1, "waived": 2, "skipped": 3, "passed": 4}


def environment(snapshot: Snapshot, settings: Settings, version: str) -> dict[str, Any]:
    """What an auditor needs to reproduce the run: the account, the data, the suite and its settings."""
    env: dict[str, Any] = {
        "Account": snapshot.account_id,
        "Partition": snapshot.partition,
        "Caller": snapshot.caller_arn,
        "Collected at": snapshot.doc["collected_at"],
        "Credential report": snapshot.credential_report_summary,
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
    # pytest-html writes the values (not the keys) into the page as HTML.
    return {key: escape(str(value)) for key, value in env.items()}


def relabel_outcomes(report_data: Any) -> None:
    """Name and order the filter checkboxes as the overview does (pytest-html keeps them in a dict)."""
    outcomes = report_data.outcomes
    for outcome, label in OUTCOME_LABELS.items():
        if outcome in outcomes:
            outcomes[outcome] = outcomes.pop(outcome) | {"label": label}


def arrange_rows(report_data: Any, results: ResultLog) -> dict[str, int]:
    """Order the item table, and keep it fast to open however large the account.

    Rows go worst severity first within each outcome. Passing and not-applicable rows are listed
    while there are at most LISTED_ROWS_LIMIT of each; beyond that they are counted in the overview
    only (every item stays in junit.xml). A table of more than EXPANDED_ROWS_LIMIT rows starts with
    every row collapsed. Returns the number of rows left out, by outcome.
    """

    def key(nodeid: str) -> tuple:
        item = results.items.get(nodeid)
        if item is None:
            return (len(ROW_ORDER), 0, "", nodeid)
        return (ROW_ORDER.get(item.outcome, len(ROW_ORDER)), severity_rank(item.severity), item.check_id, nodeid)

    unlisted = {o: results.count(o) for o in UNLISTED_WHEN_MANY if results.count(o) > LISTED_ROWS_LIMIT}
    tests = report_data.data["tests"]
    kept = [(nodeid, rows) for nodeid, rows in tests.items()
            if nodeid not in results.items or results.items[nodeid].outcome not in unlisted]
    tests.clear()
    tests.update(sorted(kept, key=lambda entry: key(entry[0])))
    for outcome in unlisted:  # the filter checkbox still counts them
        report_data.outcomes[outcome]["label"] += " (not listed)"
    if len(tests) > EXPANDED_ROWS_LIMIT:
        report_data.data["renderCollapsed"] = ["all"]
    return unlisted


def items_heading(unlisted: dict[str, int]) -> str:
    """The heading of the item table, saying which rows it leaves out."""
    text = "One row per check and resource. Click a row to show or hide its details (evidence for findings)."
    if unlisted:
        counts = " and ".join(f"{count:,} {UNLISTED_WHEN_MANY[outcome]}" for outcome, count in unlisted.items())
        text += (f" The {counts} items are counted in the overview but not listed here, which keeps this page "
                 "quick to open; junit.xml lists every item.")
    return f'<h2 id="items">All items</h2><p>{escape(text)}</p>'


def table_header(cells: list[str]) -> None:
    cells[1:] = HEADERS


def headline(report: pytest.TestReport, record: ItemRecord) -> str:
    """The one line for the Finding column: the finding, the reason for N/A or a waiver, or the error."""
    if report.passed:
        return ""
    lines = (record.finding if report.when == "call" and record.finding else record.message).splitlines()
    raised = [line[1:].strip() for line in lines if line.startswith("E ")]  # a traceback: its exception line
    return raised[-1] if raised else lines[0] if lines else ""


def table_row(report: pytest.TestReport, cells: list[str]) -> None:
    record = ItemRecord.from_report(report)
    if record is None:
        return
    severity = record.severity
    failed = report.failed and report.when == "call" and not hasattr(report, "wasxfail")
    colour = "" if report.passed else f" sev-{escape(severity)}"  # passing rows stay plain, and small
    cells[1:] = [
        # pytest-html sorts cell text; the hidden rank makes critical sort before low.
        f'<td class="col-severity{colour}"><span hidden>{severity_rank(severity)}</span>{escape(severity)}</td>',
        f'<td class="col-check">{escape(record.check_id)}</td>',
        f'<td class="col-resource">{escape(record.resource)}</td>',
        f"<td>{escape(headline(report, record))}</td>",
        f"<td>{escape(record.remediation) if failed else ''}</td>",
    ]


def row_details(report: pytest.TestReport, data: list[str]) -> None:
    """The expandable part of a row: nothing for a pass; the item, references and evidence otherwise.

    ``data`` is pytest-html's log for the row (already escaped by it); it is replaced entirely.
    """
    record = ItemRecord.from_report(report)
    if record is None:
        return
    data.clear()
    if report.passed:
        return
    parts = [f"<div><b>Item</b> <code>{escape(report.nodeid)}</code></div>"]
    if record.title:
        parts.append(f"<div><b>Control</b> {escape(record.title)}</div>")
    if record.references:
        refs = ", ".join(f"{reference.label} {reference.requirement}" for reference in record.references)
        parts.append(f"<div><b>References</b> {escape(refs)}</div>")
    if record.evidence and report.failed and report.when == "call":
        pretty = json.dumps(record.evidence, indent=2, ensure_ascii=False)
        parts.append(f"<div><b>Evidence</b></div><pre>{escape(pretty)}</pre>")
    shown = record.finding if report.failed and report.when == "call" and record.finding else record.message
    if "\n" in shown:  # more than the headline: an error's full text, or a waived finding and its waiver
        parts.append(f"<pre>{escape(record.message)}</pre>")
    data.append(f'<div class="details">{"".join(parts)}</div>')


# pytest-html's row template holds an image and a video player for screenshot extras, which an
# audit never attaches; without them a table of thousands of rows renders about 40% faster. This
# runs before pytest-html's own script builds the rows (the summary comes first in the page).
LIGHT_ROW_TEMPLATE_SCRIPT = (
    "<script>document.getElementById('template_results-table__tbody')"
    ".content.querySelectorAll('img, video').forEach((element) => element.remove())</script>"
)
