"""The HTML compliance report: one self-contained page, written as a stream from the result log.

The overview (verdict, scores, charts, frameworks, waivers, scope) is a Jinja2 template with
autoescaping on; the item table, which can hold tens of thousands of items, is written here row by
row with every value escaped: names, tags, policy text and messages come from the account and reach
the page as text, never as markup. Findings, errors and waived findings get a row each; passing and
not-applicable items are aggregated into one row per control (with their names behind a disclosure),
so the page's size and its printed length follow the findings, not the account's size.

The page loads nothing: its style, script and charts are inline, and its Content-Security-Policy
forbids any request, so the file an auditor signs is the whole report.
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path
from typing import Iterable, Iterator, TextIO

from iam_compliance.rendering import overview
from iam_compliance.results.drift import Drift
from iam_compliance.results.log import ControlSummary, ResultLog
from iam_compliance.results.record import ItemRecord

OUTCOME_WORDS = overview.OUTCOME_WORDS
LISTED_OUTCOMES = ("error", "failed", "waived")  # one row per item; the others are aggregated per control
NAMES_PER_AGGREGATE = 400  # names listed behind a passing or not-applicable row before "and N more"
CHUNK = 500  # rows per write


def outcome_words(outcome: str) -> str:
    return OUTCOME_WORDS.get(outcome, outcome)


def counted(count: int, outcome: str) -> str:
    """"3 findings", "1 error", "12 passed"."""
    words = outcome_words(outcome).lower()
    plural = count != 1 and outcome in ("failed", "error")
    return f"{count:,} {words}{'s' if plural else ''}"


def finding_text(item: ItemRecord) -> str:
    """The one sentence for the Finding column: the finding, the reason for N/A, or the error."""
    if item.outcome in ("failed", "waived") and item.finding:
        return item.finding
    lines = item.message.splitlines()
    raised = [line[1:].strip() for line in lines if line.startswith("E ")]  # a traceback: its exception line
    return raised[-1] if raised else lines[0] if lines else ""


def fix_markup(text: str) -> str:
    """A remediation: a CLI line as code, prose as prose."""
    if not text:
        return ""
    return f"<code>{escape(text)}</code>" if text.startswith("aws ") else escape(text)


def resource_markup(item: ItemRecord) -> str:
    entity = item.entity
    parts = [f'<span class="entity">{escape(entity)}</span>']
    if item.resource and item.resource != entity:
        parts.append(f'<span class="arn">{escape(item.resource)}</span>')
    if item.region:
        parts.append(f'<span class="region">{escape(item.region)}</span>')
    return "".join(parts)


def evidence_text(evidence: dict) -> str:
    """The evidence as JSON, one top-level field a line (json's C encoder: indent= would use the slow one)."""
    fields = (f"  {json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False, default=str)}"
              for key, value in evidence.items())
    return "{\n" + ",\n".join(fields) + "\n}"


def item_row(item: ItemRecord, drift: Drift | None) -> str:
    """One finding, error or waived finding: its sentence, evidence, message and fix."""
    outcome = item.outcome
    label = outcome_words(outcome)
    change = drift.of(item.finding_id) if drift is not None and outcome in ("failed", "waived") else None
    if change:
        label += f' <span class="drift-tag drift-{change}">{change}</span>'
    text = finding_text(item)
    details = []
    if item.evidence and outcome in ("failed", "waived"):
        pretty = evidence_text(item.evidence)
        details.append(f"<details><summary>Evidence</summary><pre>{escape(pretty)}</pre></details>")
    if outcome == "waived":
        waiver = item.message.rsplit("\n", 1)[-1] if "\n" in item.message else item.message
        details.append(f'<div class="waiver-note">{escape(waiver)}</div>')
    elif outcome == "error" and "\n" in item.message:
        details.append(f"<details><summary>Full error</summary><pre>{escape(item.message)}</pre></details>")
    fix = fix_markup(item.remediation) if outcome in ("failed", "waived") else ""
    return (f'<tr class="item o-{outcome}" data-outcome="{outcome}" data-sev="{escape(item.severity)}">'
            f'<td class="outcome">{label}</td><td class="res">{resource_markup(item)}</td>'
            f'<td class="finding"><div class="sentence">{escape(text)}</div>{"".join(details)}</td>'
            f'<td class="fix">{fix}</td></tr>\n')


def aggregate_row(outcome: str, items: list[ItemRecord], severity: str) -> str:
    """All the passing (or not-applicable) items of one control in one row; their names on demand."""
    shown = items[:NAMES_PER_AGGREGATE]
    if outcome == "skipped":
        names = "".join(f"<li><b>{escape(i.entity)}</b>: {escape(finding_text(i).removeprefix('Not applicable: '))}</li>"
                        for i in shown)
        what = f"{len(items):,} not applicable"
    else:
        names = "".join(f"<li>{escape(i.entity)}</li>" for i in shown)
        what = f"{len(items):,} passed"
    more = f'<li class="more">and {len(items) - len(shown):,} more (findings.json lists every item)</li>' \
        if len(items) > len(shown) else ""
    return (f'<tr class="item agg o-{outcome}" data-outcome="{outcome}" data-sev="{escape(severity)}">'
            f'<td class="outcome">{outcome_words(outcome)}</td>'
            f'<td colspan="3"><details><summary>{what}<span class="screen-only">: show the resources</span></summary>'
            f'<ul class="names names-{outcome}">{names}{more}</ul></details></td></tr>\n')


def group_rows(control: ControlSummary, items: list[ItemRecord], drift: Drift | None) -> Iterator[str]:
    """One control's rows: its heading, its findings, errors and waived items, then the aggregates."""
    check = escape(control.check_id)
    failing = control.counts["failed"] > 0
    name = control.headline if failing and control.headline else control.title or control.check_id
    counts = ", ".join(counted(control.counts[o], o) for o in OUTCOME_WORDS if control.counts[o])
    yield (f'<tbody class="group" id="items-{check}" data-check="{check}">'
           f'<tr class="group-head"><th colspan="4"><span class="badge sev-{escape(control.severity)}">'
           f'{escape(control.severity)}</span> <span class="group-name">{escape(name)}</span> '
           f'<span class="check-id">{check}</span> <span class="group-counts">{counts}</span></th></tr>\n')
    listed = [i for i in items if i.outcome in LISTED_OUTCOMES]
    listed.sort(key=lambda i: (LISTED_OUTCOMES.index(i.outcome), i.entity))
    for item in listed:
        yield item_row(item, drift)
    for outcome in ("passed", "skipped"):
        of_outcome = [i for i in items if i.outcome == outcome]
        if of_outcome:
            of_outcome.sort(key=lambda i: i.entity)
            yield aggregate_row(outcome, of_outcome, control.severity)
    yield "</tbody>\n"


def item_table_rows(results: ResultLog, controls: list[ControlSummary], drift: Drift | None) -> Iterator[str]:
    """Every control's group of rows, worst control first."""
    by_check: dict[str, list[ItemRecord]] = {}
    for item in results.items.values():
        by_check.setdefault(item.check_id, []).append(item)
    for control in controls:
        yield from group_rows(control, by_check.get(control.check_id, []), drift)


def write_streamed(path: Path, head: str, rows: Iterable[str], tail: str) -> None:
    """Write the page next to its destination and move it into place: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "w", encoding="utf-8") as out:
        _write(out, head, rows, tail)
    os.replace(partial, path)


def _write(out: TextIO, head: str, rows: Iterable[str], tail: str) -> None:
    out.write(head)
    chunk: list[str] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))
    out.write(tail)


def write_report(path: Path, report: overview.ReportInput) -> None:
    """The whole report at ``path``: the overview, then the item table, streamed."""
    controls = report.results.controls()
    head, tail = overview.render(report, controls).split(overview.ITEMS_MARKER, 1)
    write_streamed(path, head, item_table_rows(report.results, controls, report.drift), tail)
