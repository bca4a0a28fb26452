"""Drift against a baseline (a previous findings.json): which findings are new, known or resolved.

A finding is an item whose outcome is failed or waived: a waived resource is still non-compliant, so
waiving a finding does not resolve it. Fail closed: a baseline finding whose item could not be
evaluated this time (an error, or its check did not run) is "unverified", never "resolved".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import pytest

FINDING_OUTCOMES = ("failed", "waived")
GROUPS = ("new", "known", "resolved", "unverified")


@dataclass(frozen=True)
class Drift:
    baseline: str  # path of the baseline findings file
    baseline_collected_at: str  # when the baseline's data was collected
    new: tuple[str, ...]  # finding ids, sorted
    known: tuple[str, ...]
    resolved: tuple[str, ...]
    unverified: tuple[str, ...]
    severities: Mapping[str, str] = field(default_factory=dict)  # finding id -> severity, for every id above

    def groups(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(name, getattr(self, name)) for name in GROUPS]

    def of(self, finding_id: str) -> str | None:
        """"new" or "known" for a current finding, None for anything else."""
        return "new" if finding_id in self.new else "known" if finding_id in self.known else None


# Set on the controller at session finish, before pytest-html writes its summary.
DRIFT_KEY = pytest.StashKey[Drift]()


def _findings(records: Iterable[Mapping]) -> dict[str, Mapping]:
    return {r["id"]: r for r in records if r["outcome"] in FINDING_OUTCOMES}


def _gone(record: Mapping, current: Mapping[str, Mapping], checks_run: set[str], checks_with_errors: set[str]) -> bool:
    """Whether a baseline finding is resolved now: its item passed or was not applicable, or its
    resource no longer exists although its check ran cleanly."""
    now = current.get(record["id"])
    if now is not None:
        return now["outcome"] in ("passed", "skipped")
    return record["check_id"] in checks_run and record["check_id"] not in checks_with_errors


def classify(current: Iterable[Mapping], baseline: Iterable[Mapping], baseline_path: str,
             baseline_collected_at: str) -> Drift:
    """Compare this run's records with the baseline's (both in the findings.json record format)."""
    current_by_id = {r["id"]: r for r in current}
    now, before = _findings(current_by_id.values()), _findings(baseline)
    checks_run = {r["check_id"] for r in current_by_id.values()}
    checks_with_errors = {r["check_id"] for r in current_by_id.values() if r["outcome"] == "error"}
    gone = {i for i in before.keys() - now.keys() if _gone(before[i], current_by_id, checks_run, checks_with_errors)}
    severities = {i: r["severity"] for i, r in before.items()} | {i: r["severity"] for i, r in now.items()}
    return Drift(
        baseline=baseline_path,
        baseline_collected_at=baseline_collected_at,
        new=tuple(sorted(now.keys() - before.keys())),
        known=tuple(sorted(now.keys() & before.keys())),
        resolved=tuple(sorted(gone)),
        unverified=tuple(sorted(before.keys() - now.keys() - gone)),
        severities=severities,
    )
