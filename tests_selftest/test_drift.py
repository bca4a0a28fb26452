"""Drift: findings new, known, resolved (or unverified) against a baseline findings.json."""

from __future__ import annotations

import json

import pytest

from iam_compliance.results.drift import classify
from tests_selftest.test_report_findings import (
    ACCOUNT, ALICE, BOB, MFA_CHECKS, demo_document, failing_source, findings_of, record, run_audit, save_snapshot,
)


def rec(check_id: str, resource: str, outcome: str, severity: str = "high") -> dict:
    return {"id": f"{check_id}:{resource}", "check_id": check_id, "resource": resource, "outcome": outcome,
            "severity": severity}


def test_classification():
    baseline = [rec("c", "known", "failed"), rec("c", "fixed", "failed"), rec("c", "deleted", "failed"),
                rec("c", "broken", "failed"), rec("gone_check", "r", "failed"), rec("c", "was-ok", "passed")]
    current = [rec("c", "known", "waived"), rec("c", "fixed", "passed"), rec("c", "broken", "error"),
               rec("c", "was-ok", "failed", "low"), rec("c", "brand-new", "failed")]
    drift = classify(current, baseline, "base.json", "2026-01-01T00:00:00+00:00")
    assert drift.new == ("c:brand-new", "c:was-ok")
    assert drift.known == ("c:known",), "a waived finding is still a finding"
    # c:deleted is gone although check c ran, but c had an error this time, so it cannot be confirmed
    assert drift.resolved == ("c:fixed",)
    assert drift.unverified == ("c:broken", "c:deleted", "gone_check:r")
    assert drift.severities["c:was-ok"] == "low" and drift.of("c:known") == "known" and drift.of("c:fixed") is None


def test_resource_deleted_while_its_check_ran_cleanly_is_resolved():
    drift = classify([rec("c", "other", "passed")], [rec("c", "deleted-user", "failed")], "b", "t")
    assert drift.resolved == ("c:deleted-user",) and drift.unverified == ()


@pytest.fixture
def baseline_run(pytester, tmp_path):
    """A baseline written by hand: Bob's finding missing (new), Alice and a deleted user failing (resolved),
    a check that is not selected this time (unverified)."""
    snapshot = save_snapshot(tmp_path)
    run_audit(pytester, snapshot, "-m", MFA_CHECKS)
    doc = findings_of(snapshot)
    zed = dict(record(doc, f"user_console_mfa_enabled:{BOB}"), id=f"user_console_mfa_enabled:{ALICE[:-5]}zed",
               resource=f"{ALICE[:-5]}zed")
    alice = dict(record(doc, f"user_console_mfa_enabled:{ALICE}"), outcome="failed")
    other = dict(alice, id=f"user_no_inline_policies:{ALICE}", check_id="user_no_inline_policies")
    doc["findings"] = [r for r in doc["findings"] if r["resource"] not in (BOB, ALICE)] + [zed, alice, other]
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(doc))
    result = run_audit(pytester, snapshot, "-m", MFA_CHECKS, "--baseline", str(baseline))
    return result, findings_of(snapshot), baseline


def test_findings_are_marked_new_or_known(baseline_run):
    _, doc, _ = baseline_run
    assert record(doc, f"user_console_mfa_enabled:{BOB}")["drift"] == "new"
    assert record(doc, f"root_mfa_enabled:{ACCOUNT}")["drift"] == "known"
    assert record(doc, f"user_console_mfa_enabled:{ALICE}")["drift"] is None


def test_resolved_and_unverified_findings_are_listed(baseline_run):
    _, doc, baseline = baseline_run
    drift = doc["drift"]
    assert drift["baseline"] == str(baseline) and drift["new"] == 1
    assert drift["known"] == doc["summary"]["failed"] - 1
    assert [r["resource"] for r in drift["resolved"]] == [ALICE, ALICE[:-5] + "zed"]
    assert [r["id"] for r in drift["unverified"]] == [f"user_no_inline_policies:{ALICE}"]


def test_terminal_shows_the_groups(baseline_run):
    result, doc, baseline = baseline_run
    known = doc["drift"]["known"]
    result.stdout.fnmatch_lines([
        f"Drift against {baseline} (data collected *): 1 new, {known} known, 2 resolved, 1 unverified",
        f"  new        high          user_console_mfa_enabled:{BOB}",
        f"  resolved   high          user_console_mfa_enabled:{ALICE}",
        f"  resolved   high          user_console_mfa_enabled:{ALICE[:-5]}zed",
        f"  unverified high          user_no_inline_policies:{ALICE}",
    ])


def test_findings_of_a_failed_source_are_unverified_not_resolved(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    run_audit(pytester, snapshot, "-m", MFA_CHECKS)
    baseline = tmp_path / "baseline.json"
    baseline.write_text((tmp_path / "reports" / "findings.json").read_text())
    broken = save_snapshot(tmp_path / "broken", failing_source(demo_document(), "credential_report"))
    run_audit(pytester, broken, "-m", MFA_CHECKS, "--baseline", str(baseline))
    drift = findings_of(broken)["drift"]
    assert drift["resolved"] == []
    assert f"user_console_mfa_enabled:{BOB}" in [r["id"] for r in drift["unverified"]]


def test_previous_output_as_baseline_is_read_before_it_is_replaced(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    previous = tmp_path / "reports" / "findings.json"
    run_audit(pytester, snapshot, "-m", MFA_CHECKS)
    result = run_audit(pytester, snapshot, "-m", MFA_CHECKS, "--baseline", str(previous))
    drift = findings_of(snapshot)["drift"]
    assert (drift["new"], drift["resolved"], drift["unverified"]) == (0, [], [])
    result.stdout.fnmatch_lines([f"Drift against {previous} (*): 0 new, {drift['known']} known, 0 resolved, 0 unverified"])


@pytest.mark.parametrize("content, message", [
    ('{"format": "iam-compliance-findings",\n "version": 1,\n "findings": [}', "line 3: not valid JSON"),
    ('{"findings": []}', "is not a findings file of this suite"),
    ('{"format": "iam-compliance-findings", "version": 2}', "has findings format version 2"),
], ids=["bad-json", "other-format", "other-version"])
def test_bad_baseline_is_a_usage_error(pytester, tmp_path, content, message):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content)
    result = run_audit(pytester, save_snapshot(tmp_path), "-m", MFA_CHECKS, "--baseline", str(baseline))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: *{message}*"])


def test_baseline_of_another_account_is_a_usage_error(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    run_audit(pytester, snapshot, "-m", MFA_CHECKS)
    doc = findings_of(snapshot) | {"account_id": "999999999999"}
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(doc))
    result = run_audit(pytester, snapshot, "-m", MFA_CHECKS, "--baseline", str(baseline))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: Baseline {baseline} is for account 999999999999, "
                                 f"but this run audits account {ACCOUNT}."])
