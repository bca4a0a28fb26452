"""findings.json: one machine-readable record per check item, for pipelines, tickets and drift.

The layout is documented in the README ("Reports and exit codes"); FORMAT and VERSION identify it,
and a file of another format or version is refused as a baseline rather than misread. ``status`` says
how the run ended and ``scope`` what it evaluated: only a run that finished (complete or partial) may
serve as a baseline, since an interrupted run's missing findings would read as resolved.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from iam_compliance.jsonio import InputFileError, load_baseline_json
from iam_compliance.controls import SEVERITIES
from iam_compliance.model.iam import Snapshot
from iam_compliance.results.drift import FINDING_OUTCOMES, Drift
from iam_compliance.results.log import ResultLog
from iam_compliance.results.record import OUTCOMES
from iam_compliance.results.scope import RunScope, RunStatus, Verdict
from iam_compliance.results.waivers import Waiver, WaiverStatus, governing_waiver

FORMAT = "iam-compliance-findings"
VERSION = 2  # 2: status, scope, verdict and run_id; drift not_comparable and not_evaluated
RECORD_FIELDS = ("id", "check_id", "resource", "severity", "outcome")


class FindingsFileError(Exception):
    """A findings file (used as a baseline) cannot be read or is not in this format."""


def records(log: ResultLog) -> list[dict[str, Any]]:
    """One record per item, sorted by finding id; document() adds the waiver and drift fields."""
    out = [{
        "id": item.finding_id,
        "check_id": item.check_id,
        "title": item.title,
        "severity": item.severity,
        "resource": item.resource,
        "region": item.region,
        "variant": item.variant,
        "outcome": item.outcome,
        "finding": item.statement,
        "evidence": item.evidence if item.outcome in FINDING_OUTCOMES else None,
        "remediation": (item.remediation or None) if item.outcome in FINDING_OUTCOMES else None,
        "compliance": item.compliance,
        "test": item.nodeid,
    } for item in log.items.values()]
    return sorted(out, key=lambda r: (r["id"], r["test"]))


def _waiver_field(waiver: Waiver | None, outcome: str, today: date) -> dict[str, str] | None:
    if waiver is None:
        return None
    if waiver.expired(today):
        status = "expired"
    else:
        status = {"waived": "applied", "passed": "stale", "skipped": "stale"}.get(outcome, "unverified")
    return waiver.as_dict() | {"status": status}


def summary(items: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, Any] = {outcome: sum(1 for r in items if r["outcome"] == outcome) for outcome in OUTCOMES}
    counts["findings_by_severity"] = {
        s: sum(1 for r in items if r["outcome"] == "failed" and r["severity"] == s) for s in SEVERITIES
    }
    return counts


def document(
    snapshot: Snapshot, version: str, items: list[dict[str, Any]], *,
    waivers: list[WaiverStatus], today: date, drift: Drift | None, baseline: Mapping[str, Any] | None,
    gate: Mapping[str, Any], status: RunStatus, scope: RunScope | None, verdict: Verdict | None = None,
    run_id: str = "",
) -> dict[str, Any]:
    """The whole findings.json document: the records get their waiver and drift fields here."""
    for record in items:
        waiver = governing_waiver([s.waiver for s in waivers], record["check_id"], record["resource"],
                                  record["variant"], today)
        record["waiver"] = _waiver_field(waiver, record["outcome"], today)
        record["drift"] = drift.of(record["id"]) if drift else None
    baseline_by_id = {r["id"]: r for r in baseline["findings"]} if baseline else {}
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "suite_version": version,
        "account_id": snapshot.account_id,
        "partition": snapshot.partition,
        "collected_at": snapshot.doc["collected_at"],
        "snapshot_sha256": snapshot.sha256,
        "run_id": run_id,
        "status": status.value,
        "verdict": None if verdict is None else {"state": verdict.state, "title": verdict.title, "text": verdict.text},
        "scope": None if scope is None else scope.as_dict(),
        "summary": summary(items),
        "gate": dict(gate),
        "waivers": [s.waiver.as_dict() | {"status": s.status, "items": [r["id"] for r in s.items]}
                    for s in waivers],
        "drift": None if drift is None else {
            "baseline": drift.baseline,
            "baseline_collected_at": drift.baseline_collected_at,
            "new": len(drift.new),
            "known": len(drift.known),
            "resolved": [baseline_by_id[i] for i in drift.resolved],
            "unverified": [baseline_by_id[i] | {"reason": drift.reasons.get(i, "")} for i in drift.unverified],
            "not_comparable": [baseline_by_id[i] | {"reason": drift.reasons[i]} for i in drift.not_comparable],
            "not_evaluated": [baseline_by_id[i] | {"reason": drift.reasons[i]} for i in drift.not_evaluated],
        },
        "findings": items,
    }


def load(path: Path) -> dict[str, Any]:
    """Read a findings.json written by this suite (a baseline); FindingsFileError names what is wrong."""
    try:
        doc = load_baseline_json(Path(path))  # bounded: size, depth, number length, regular files only
    except InputFileError as exc:
        raise FindingsFileError(str(exc)) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FindingsFileError(f"{path} is not a findings file of this suite (no \"format\": \"{FORMAT}\").")
    if doc.get("version") != VERSION:
        raise FindingsFileError(f"{path} has findings format version {doc.get('version')!r}; "
                                f"this suite reads version {VERSION}.")
    findings = doc.get("findings")
    if not isinstance(findings, list):
        raise FindingsFileError(f"{path}: \"findings\" must be a list of records.")
    for index, record in enumerate(findings):
        if not isinstance(record, dict) or not all(isinstance(record.get(f), str) for f in RECORD_FIELDS):
            raise FindingsFileError(f"{path}: findings[{index}] must be a record with the text fields "
                                    f"{', '.join(RECORD_FIELDS)}.")
    if not isinstance(doc.get("account_id"), str) or not isinstance(doc.get("collected_at"), str):
        raise FindingsFileError(f"{path}: \"account_id\" and \"collected_at\" must be text.")
    finished = {s.value for s in RunStatus if s.finished}
    if doc.get("status") not in finished:
        raise FindingsFileError(
            f"{path} is from a run that did not finish (status: {doc.get('status')!r}): its missing findings would "
            "read as resolved, so it cannot serve as a baseline. Use the findings.json of a complete run."
        )
    if not isinstance(doc.get("scope"), dict):
        raise FindingsFileError(f"{path}: \"scope\" must be the run's scope (an object).")
    return doc
