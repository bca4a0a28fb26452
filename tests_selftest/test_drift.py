"""Drift: findings new, known, resolved (or unverified, not comparable, not evaluated) against a baseline."""

from __future__ import annotations

import json

import pytest

from iam_compliance.results.drift import classify
from tests_selftest.harness import check_selector
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
    assert drift.unverified == ("c:broken", "c:deleted")
    assert drift.not_evaluated == ("gone_check:r",), "a check that did not run resolves nothing"
    assert drift.reasons["gone_check:r"] == "gone_check was not selected in this run"
    assert drift.severities["c:was-ok"] == "low" and drift.of("c:known") == "known" and drift.of("c:fixed") is None


def test_resource_deleted_while_its_check_ran_cleanly_is_resolved():
    drift = classify([rec("c", "other", "passed")], [rec("c", "deleted-user", "failed")], "b", "t")
    assert drift.resolved == ("c:deleted-user",) and drift.unverified == ()


@pytest.fixture
def baseline_run(pytester, tmp_path):
    """A baseline written by hand: Bob's finding missing (new), Alice and a deleted user failing (resolved),
    a check that is not selected this time (not evaluated)."""
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
    assert drift["unverified"] == [] and drift["not_comparable"] == []
    assert [(r["id"], r["reason"]) for r in drift["not_evaluated"]] == [
        (f"user_no_inline_policies:{ALICE}", "user_no_inline_policies was not selected in this run")]


def test_terminal_shows_the_groups(baseline_run):
    result, doc, baseline = baseline_run
    known = doc["drift"]["known"]
    result.stdout.fnmatch_lines([
        f"Drift against {baseline}",
        f"  data collected *: 1 new, {known} known, 2 resolved, 0*",
        "*unverified, 0 not comparable, 1 not evaluated",
        f"  new            high     user_console_mfa_enabled:{BOB}",
        f"  resolved       high     user_console_mfa_enabled:{ALICE}",
        f"  resolved       high     user_console_mfa_enabled:{ALICE[:-5]}zed",
        f"  not evaluated  high     user_no_inline_policies:{ALICE}",
        "      user_no_inline_policies was not selected in this run",
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
    result.stdout.fnmatch_lines([f"Drift against {previous}", f"  data collected *: 0 new, {drift['known']} known, 0 resolved, 0*"])


@pytest.mark.parametrize("content, message", [
    ('{"format": "iam-compliance-findings",\n "version": 1,\n "findings": [}', "not valid JSON: * at line 3, column *"),
    ('{"findings": []}', "is not a findings file of this suite"),
    ('{"format": "iam-compliance-findings", "version": 1}', "has findings format version 1"),
    ('{"format": "iam-compliance-findings", "n": ' + "9" * 5000 + "}", "numbers are limited to 40 digits"),
    ("[" * 100_000 + "]" * 100_000, "nests arrays or objects more than 32 levels deep"),
], ids=["bad-json", "other-format", "other-version", "huge-number", "deep-nesting"])
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


@pytest.fixture
def baseline_with(pytester, tmp_path):
    """A real findings.json of the demo's MFA checks, written by a run with the given options, as a baseline."""
    def make(*args: str):
        snapshot = save_snapshot(tmp_path / "before")
        run_audit(pytester, snapshot, "-m", MFA_CHECKS, *args)
        baseline = tmp_path / "baseline.json"
        baseline.write_text((snapshot.parent / "reports" / "findings.json").read_text())
        return baseline
    return make


def test_a_relaxed_setting_is_not_comparable_never_resolved(pytester, tmp_path):
    """With users.mfa_scope=console (the demo requires MFA for everyone), user_mfa_enabled findings of users
    without a console password pass now: the rule changed, not the account."""
    selector = check_selector(["user_mfa_enabled"])
    snapshot = save_snapshot(tmp_path / "before")
    run_audit(pytester, snapshot, "-m", selector)
    baseline = tmp_path / "baseline.json"
    baseline.write_text((snapshot.parent / "reports" / "findings.json").read_text())
    now = save_snapshot(tmp_path / "now")
    run_audit(pytester, now, "-m", selector, "--set", "users.mfa_scope=console", "--baseline", str(baseline))
    drift = findings_of(now)["drift"]
    assert drift["resolved"] == []
    assert drift["not_comparable"], "the findings that pass under the relaxed rule are listed"
    assert {r["reason"] for r in drift["not_comparable"]} == {
        "settings changed since the baseline: users.mfa_scope all -> console"}


def test_items_not_selected_by_k_are_not_evaluated(pytester, tmp_path, baseline_with):
    baseline = baseline_with()
    now = save_snapshot(tmp_path / "now")
    run_audit(pytester, now, "-m", MFA_CHECKS, "-k", "bob", "--baseline", str(baseline))
    drift = findings_of(now)["drift"]
    assert drift["resolved"] == [] and drift["not_evaluated"]
    reasons = {r["id"]: r["reason"] for r in drift["not_evaluated"]}
    assert reasons.pop(f"root_mfa_enabled:{ACCOUNT}") == "root_mfa_enabled was not selected in this run"
    assert reasons and set(reasons.values()) == {"its item was not selected in this run (-k 'bob')"}


def test_a_baseline_from_a_run_that_did_not_finish_is_refused(pytester, tmp_path, baseline_with):
    baseline = baseline_with()
    doc = json.loads(baseline.read_text())
    for status in ("interrupted", "internal error", None):
        baseline.write_text(json.dumps(doc | {"status": status}))
        result = run_audit(pytester, save_snapshot(tmp_path), "-m", MFA_CHECKS, "--baseline", str(baseline))
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"ERROR: {baseline} is from a run that did not finish (status: {status!r})*"])
