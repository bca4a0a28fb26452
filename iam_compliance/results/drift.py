"""Drift against a baseline (a previous findings.json): which findings are new, known or resolved.

A finding is an item whose outcome is failed or waived: a waived resource is still non-compliant, so
waiving a finding does not resolve it. Fail closed, a baseline finding is never "resolved" unless the
same rule looked at it again:
- "unverified": its item is an error now, or its check had errors;
- "not evaluated": its check, or its item (-k, node ids), was not selected in this run;
- "not comparable": the settings its check reads changed since the baseline (a relaxed threshold is
  not a fix), or its region was not audited this time.
Each of these carries its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import pytest

FINDING_OUTCOMES = ("failed", "waived")
GROUPS = ("new", "known", "resolved", "unverified", "not_comparable", "not_evaluated")


@dataclass(frozen=True)
class Drift:
    baseline: str  # path of the baseline findings file
    baseline_collected_at: str  # when the baseline's data was collected
    new: tuple[str, ...]  # finding ids, sorted
    known: tuple[str, ...]
    resolved: tuple[str, ...]
    unverified: tuple[str, ...]
    severities: Mapping[str, str] = field(default_factory=dict)  # finding id -> severity, for every id above
    not_comparable: tuple[str, ...] = ()
    not_evaluated: tuple[str, ...] = ()
    reasons: Mapping[str, str] = field(default_factory=dict)  # baseline finding id -> why it is not resolved

    def groups(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(name, getattr(self, name)) for name in GROUPS]

    def of(self, finding_id: str) -> str | None:
        """"new" or "known" for a current finding, None for anything else."""
        return "new" if finding_id in self.new else "known" if finding_id in self.known else None


# Set on the controller at session finish, before pytest-html writes its summary.
DRIFT_KEY = pytest.StashKey[Drift]()


def _findings(records: Iterable[Mapping]) -> dict[str, Mapping]:
    return {r["id"]: r for r in records if r["outcome"] in FINDING_OUTCOMES}


def _shown(value: object) -> str:
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)


def _settings_change(check_id: str, now: Mapping | None, before: Mapping | None) -> str:
    """Why a check's results are not comparable across the two runs' settings, or ""."""
    if now is None or before is None:
        return "the baseline does not record the settings in force"
    current = (now.get("check_settings") or {}).get(check_id)
    previous = (before.get("check_settings") or {}).get(check_id)
    if previous is None and current is None:
        return ""  # neither run recorded what this check reads
    if previous is None:
        return f"the baseline does not record the settings {check_id} read"
    if current is None or current == previous:
        return ""
    changes = [f"{key} {_shown(previous.get(key))} -> {_shown(current.get(key))}"
               for key in sorted(set(current) | set(previous)) if current.get(key) != previous.get(key)]
    return "settings changed since the baseline: " + ", ".join(changes)


def _why_not_resolved(record: Mapping, current: Mapping[str, Mapping], checks_with_errors: set[str],
                      now: Mapping | None, before: Mapping | None) -> tuple[str, str]:
    """(group, reason) for a baseline finding that is not a finding now; ("resolved", "") when it is."""
    check_id = record["check_id"]
    selected = set((now or {}).get("checks_selected") or ())
    item = current.get(record["id"])
    if check_id not in selected and item is None:
        return "not_evaluated", f"{check_id} was not selected in this run"
    change = _settings_change(check_id, now, before)
    if change:
        return "not_comparable", change
    region = record.get("region")
    if region and region not in ((now or {}).get("regions") or ()):
        return "not_comparable", f"region {region} was not audited in this run"
    if item is not None:
        if item["outcome"] in ("passed", "skipped"):
            return "resolved", ""
        return "unverified", f"its item could not be evaluated now ({item['outcome']})"
    if (now or {}).get("item_selection"):
        return "not_evaluated", f"its item was not selected in this run ({now['item_selection']})"  # type: ignore[index]
    if check_id in checks_with_errors:
        return "unverified", f"{check_id} had items that could not be evaluated, so the resource may still exist"
    return "resolved", ""  # the resource no longer exists and its check ran cleanly


def classify(current: Iterable[Mapping], baseline: Iterable[Mapping], baseline_path: str,
             baseline_collected_at: str, *, current_scope: Mapping | None = None,
             baseline_scope: Mapping | None = None) -> Drift:
    """Compare this run's records with the baseline's (both in the findings.json record format); the
    scopes are the two findings.json ``scope`` objects."""
    current_by_id = {r["id"]: r for r in current}
    now, before = _findings(current_by_id.values()), _findings(baseline)
    if current_scope is None:  # without a recorded scope, every check that has an item counts as selected
        current_scope = {"checks_selected": sorted({r["check_id"] for r in current_by_id.values()}),
                         "regions": sorted({r["region"] for r in current_by_id.values() if r.get("region")}),
                         "item_selection": ""}
        baseline_scope = baseline_scope or {"check_settings": {}}
    checks_with_errors = {r["check_id"] for r in current_by_id.values() if r["outcome"] == "error"}
    groups: dict[str, list[str]] = {"resolved": [], "unverified": [], "not_comparable": [], "not_evaluated": []}
    reasons = {}
    for finding_id in before.keys() - now.keys():
        group, reason = _why_not_resolved(before[finding_id], current_by_id, checks_with_errors,
                                          current_scope, baseline_scope)
        groups[group].append(finding_id)
        if reason:
            reasons[finding_id] = reason
    severities = {i: r["severity"] for i, r in before.items()} | {i: r["severity"] for i, r in now.items()}
    return Drift(
        baseline=baseline_path,
        baseline_collected_at=baseline_collected_at,
        new=tuple(sorted(now.keys() - before.keys())),
        known=tuple(sorted(now.keys() & before.keys())),
        resolved=tuple(sorted(groups["resolved"])),
        unverified=tuple(sorted(groups["unverified"])),
        severities=severities,
        not_comparable=tuple(sorted(groups["not_comparable"])),
        not_evaluated=tuple(sorted(groups["not_evaluated"])),
        reasons=reasons,
    )
