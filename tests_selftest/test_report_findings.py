"""findings.json: one record per check item, stable ids, the documented fields, identical under xdist.

The helpers here (the demo snapshot, made once per session, and ``run_audit``) serve the waiver,
drift and gating self-tests too.
"""

from __future__ import annotations

import copy
import functools
import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from iam_compliance.snapshot import document as snapshot_file
from iam_compliance.collection.aws import CollectOptions
from iam_compliance.simulated.demo import collect_demo
from iam_compliance.rendering import ocsf
from iam_compliance.results import findings as findings_json
from tests_selftest.harness import ROOT, check_selector, mask_report_time

ACCOUNT = "123456789012"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"  # demo user: console password, no MFA
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"  # demo user: console password and MFA
MFA_CHECKS = check_selector(["user_console_mfa_enabled", "root_mfa_enabled"])  # high and critical findings
RECORD_KEYS = {"id", "check_id", "title", "severity", "resource", "region", "variant", "outcome", "finding", "evidence",
               "remediation", "compliance", "test", "waiver", "drift"}


@functools.cache
def _demo_document() -> str:
    return json.dumps(collect_demo(CollectOptions(service_activity=False)))


def demo_document() -> dict:
    """The demo account's snapshot document (collected once per session; each caller gets its own copy)."""
    return json.loads(_demo_document())


def save_snapshot(directory: Path, doc: dict | None = None) -> Path:
    return snapshot_file.save(doc if doc is not None else demo_document(), directory / "snapshot.json")


def failing_source(doc: dict, source: str) -> dict:
    """A copy of the snapshot in which one data source could not be read."""
    doc = copy.deepcopy(doc)
    doc["sources"][source] = {"status": "error", "error": {"code": "AccessDenied", "message": "not authorized"}}
    return doc


def run_audit(pytester: pytest.Pytester, snapshot: Path, *args: str, in_subprocess: bool = False) -> pytest.RunResult:
    """``pytest checks --demo --snapshot PATH --reports-dir <next to it>/reports ARGS`` (a demo snapshot)."""
    run = pytester.runpytest_subprocess if in_subprocess else pytester.runpytest
    return run(
        str(ROOT / "checks"), "-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), "--demo", "--snapshot",
        str(snapshot), "--reports-dir", str(snapshot.parent / "reports"), "-p", "no:cacheprovider", *args,
    )


def findings_of(snapshot: Path) -> dict:
    return json.loads((snapshot.parent / "reports" / "findings.json").read_text())


def decision_line(lines: list[str]) -> str:
    """The terminal's decision line (``Exit N: ...``), joined again where it was wrapped at 80 columns."""
    start = max(i for i, line in enumerate(lines) if line.startswith("Exit "))
    text = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        text.append(line.strip())
    return " ".join(text)


def record(doc: dict, finding_id: str) -> dict:
    (found,) = [r for r in doc["findings"] if r["id"] == finding_id]
    return found


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every check on the demo account, run once for this module's read-only assertions."""
    directory = tmp_path_factory.mktemp("full")
    snapshot = save_snapshot(directory)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "checks", "--demo", "--snapshot", str(snapshot), "--reports-dir",
         str(directory / "reports"), "-p", "no:cacheprovider", "-q"],
        cwd=ROOT, capture_output=True, text=True,
    )
    return {"exit": completed.returncode, "doc": findings_of(snapshot), "junit": directory / "reports" / "junit.xml",
            "stdout": completed.stdout}


def test_one_record_per_item_with_unique_sorted_ids(full_run):
    doc, junit = full_run["doc"], ElementTree.parse(full_run["junit"])
    testcases = junit.getroot().iter("testcase")
    assert len(doc["findings"]) == sum(1 for _ in testcases)
    ids = [r["id"] for r in doc["findings"]]
    assert len(ids) == len(set(ids)), "finding ids must be unique"
    assert ids == sorted(ids)
    assert all(set(r) == RECORD_KEYS for r in doc["findings"])
    analyzers = [r for r in doc["findings"] if r["check_id"] == "access_analyzer_enabled"]
    assert analyzers and all(r["region"] and r["test"].endswith(f"[{r['region']}]") for r in analyzers)
    assert record(doc, f"user_console_mfa_enabled:{BOB}")["region"] is None, "IAM is global"
    assert doc["format"] == findings_json.FORMAT and doc["version"] == findings_json.VERSION
    assert doc["account_id"] == ACCOUNT and doc["collected_at"] == demo_document()["collected_at"]
    assert doc["summary"]["failed"] == sum(1 for r in doc["findings"] if r["outcome"] == "failed")
    assert doc["gate"] == {"fail_on": None, "failing_findings": doc["summary"]["failed"],
                           "findings_below_threshold": 0, "errors": doc["summary"]["error"],
                           "exit_status": full_run["exit"]}


def test_items_of_one_resource_are_told_apart_by_their_variant(full_run):
    by_resource: dict[tuple[str, str], list[dict]] = {}
    for r in full_run["doc"]["findings"]:
        by_resource.setdefault((r["check_id"], r["resource"]), []).append(r)
    for group in by_resource.values():
        if len(group) > 1:
            variants = [r["variant"] for r in group]
            assert None not in variants and len(set(variants)) == len(variants)
            assert all(r["id"] == f"{r['check_id']}:{r['resource']}#{r['variant']}" for r in group)


def test_failed_record_has_sentence_evidence_fix_and_references(full_run):
    bob = record(full_run["doc"], f"user_console_mfa_enabled:{BOB}")
    assert bob["outcome"] == "failed" and bob["severity"] == "high"
    assert mask_report_time(bob["finding"]) == ("User bob can sign in to the console with a password but has no MFA device "
                              "(the credential report: password_enabled=true, mfa_active=false).")
    assert bob["evidence"] == {"mfa_active": False, "password_enabled": True}
    assert "aws iam enable-mfa-device --user-name bob " in bob["remediation"]
    assert "cis-v5.0:1.9" in bob["compliance"] and bob["title"] == "Users with a console password have MFA enabled."
    assert bob["test"] == "checks/test_users.py::test_user_console_mfa_enabled[bob]"
    assert bob["waiver"] is None and bob["drift"] is None


def test_passed_and_not_applicable_records(full_run):
    alice = record(full_run["doc"], f"user_console_mfa_enabled:{ALICE}")
    assert (alice["outcome"], alice["finding"], alice["evidence"], alice["remediation"]) == ("passed", "", None, None)
    victor = record(full_run["doc"], f"user_console_mfa_enabled:arn:aws:iam::{ACCOUNT}:user/victor")
    assert victor["outcome"] == "skipped"
    assert victor["finding"] == "Not applicable: user victor has no console password."


def test_error_record_names_the_source(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path, failing_source(demo_document(), "credential_report"))
    run_audit(pytester, snapshot, "-m", MFA_CHECKS)
    bob = record(findings_of(snapshot), f"user_console_mfa_enabled:{BOB}")
    assert bob["outcome"] == "error"
    assert "credential_report" in bob["finding"] and "AccessDenied" in bob["finding"]


def test_findings_json_option_and_terminal_line(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    target = tmp_path / "out" / "audit.json"
    result = run_audit(pytester, snapshot, "-m", MFA_CHECKS, "--findings-json", str(target))
    result.stdout.fnmatch_lines([f"*Generated findings file: {target}*"])
    assert json.loads(target.read_text())["summary"]["failed"] >= 2
    assert not (tmp_path / "reports" / "findings.json").exists()


def test_xdist_run_writes_the_same_records(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    run_audit(pytester, snapshot, "-m", MFA_CHECKS)
    serial = findings_of(snapshot)["findings"]
    run_audit(pytester, snapshot, "-m", MFA_CHECKS, "-n", "2", in_subprocess=True)
    parallel = findings_of(snapshot)["findings"]
    assert parallel == serial
    assert not any("[gw" in r["finding"] for r in parallel)


def test_bad_baseline_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "findings.json"
    path.write_text('{\n "format": "iam-compliance-findings",\n "version": 1,\n "findings": [,]\n}\n')
    with pytest.raises(findings_json.FindingsFileError, match=r"findings.json is not valid JSON: .* at line 4, column"):
        findings_json.load(path)
    path.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(findings_json.FindingsFileError, match="is not a findings file of this suite"):
        findings_json.load(path)
    path.write_text(json.dumps({"format": findings_json.FORMAT, "version": findings_json.VERSION, "account_id": ACCOUNT,
                                "collected_at": "2026-01-01T00:00:00+00:00", "findings": [{"id": "x"}]}))
    with pytest.raises(findings_json.FindingsFileError, match=r"findings\[0\] must be a record"):
        findings_json.load(path)


def test_ocsf_export(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    target = tmp_path / "ocsf.json"
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(f"waivers:\n  - {{check_id: user_console_mfa_enabled, resource: '{BOB}', reason: r, "
                       "approver: a, expires: 2099-01-01, long_term: true}\n")
    result = run_audit(pytester, snapshot, "-m", MFA_CHECKS, "--ocsf", str(target), "--waivers", str(waivers))
    result.stdout.fnmatch_lines([f"*Generated OCSF file: {target}*"])
    events = {e["finding_info"]["uid"]: e for e in json.loads(target.read_text())}
    records = {r["id"]: r for r in findings_of(snapshot)["findings"] if r["outcome"] != "skipped"}
    assert events.keys() == records.keys(), "one event per evaluated item; not-applicable items are left out"
    root = events[f"root_mfa_enabled:{ACCOUNT}"]
    assert (root["class_uid"], root["type_uid"], root["severity_id"], root["severity"]) == (2004, 200401, 5, "Critical")
    assert (root["status_id"], root["status_code"]) == (1, "FAIL")
    assert root["resources"] == [{"uid": ACCOUNT, "type": "AWS::::Account", "cloud_partition": "aws"}]
    assert root["cloud"]["account"] == {"uid": ACCOUNT, "type_id": 10, "type": "AWS Account"}
    assert "cis-v5.0:1.4" in root["unmapped"]["compliance"]
    bob = events[f"user_console_mfa_enabled:{BOB}"]
    assert (bob["status"], bob["status_code"], bob["resources"][0]["type"]) == ("Suppressed", "FAIL", "AWS::IAM::User")
    alice = events[f"user_console_mfa_enabled:{ALICE}"]
    assert (alice["status_code"], alice["severity_id"]) == ("PASS", 4)


def test_ocsf_events_are_valid_detection_findings_with_real_types_and_regions(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    target = tmp_path / "ocsf.json"
    selector = check_selector(["acm_certificate_renewed", "access_analyzer_enabled", "user_console_mfa_enabled",
                               "role_recently_used", "iam_server_certificate_not_expired", "root_mfa_enabled",
                               "customer_policy_no_service_wildcard", "group_no_inline_policies"])
    run_audit(pytester, snapshot, "-m", selector, "--ocsf", str(target))
    events = json.loads(target.read_text())
    assert events and {ocsf.missing_required(e) == [] for e in events} == {True}, \
        [(e["finding_info"]["uid"], ocsf.missing_required(e)) for e in events if ocsf.missing_required(e)]
    types = {e["finding_info"]["types"][0]: {r["type"] for r in e["resources"]} for e in events}
    assert types["acm_certificate_renewed"] == {"AWS::ACM::Certificate"}
    assert types["access_analyzer_enabled"] == {"AWS::AccessAnalyzer::Analyzer"}
    assert types["role_recently_used"] == {"AWS::IAM::Role"}
    assert types["iam_server_certificate_not_expired"] == {"AWS::IAM::ServerCertificate"}
    assert types["customer_policy_no_service_wildcard"] == {"AWS::IAM::ManagedPolicy"}
    assert types["group_no_inline_policies"] == {"AWS::IAM::Group"}
    assert types["root_mfa_enabled"] == {"AWS::::Account"}
    regional = [e for e in events if e["finding_info"]["types"][0] in ("acm_certificate_renewed", "access_analyzer_enabled")]
    assert {r.get("region") for e in regional for r in e["resources"]} <= {"eu-central-1", "eu-west-1", "us-east-1"}
    assert all("region" not in r for e in events if e not in regional for r in e["resources"]), "IAM is global"
    assert {e["unmapped"]["run_status"] for e in events} == {"partial"}


def test_ocsf_validation_names_what_is_missing():
    assert ocsf.missing_required({"class_uid": 2004, "category_uid": 2, "activity_id": 1, "type_uid": 200401,
                                  "severity_id": 3, "time": 1}) == [
        "metadata.version is missing", "metadata.product is missing", "finding_info.uid is missing",
        "cloud.provider is missing"]


# --- the terminal ------------------------------------------------------------------------------------------


def test_full_run_is_complete_and_the_terminal_ends_with_the_decision_in_audit_words(full_run):
    doc, lines = full_run["doc"], full_run["stdout"].splitlines()
    assert doc["status"] == "complete" and doc["verdict"]["title"] == f"Not compliant: {doc['summary']['failed']} findings"
    assert doc["scope"]["selection"] == "" and len(doc["scope"]["checks_selected"]) == doc["scope"]["checks_total"]
    assert decision_line(lines) == (f"Exit 1: {doc['summary']['failed']} finding(s) (no --fail-on: every finding "
                                    "counts), 0 error(s)")
    summary = doc["summary"]
    assert lines[-1].startswith(f"{summary['failed']} findings, 0 errors, {summary['waived']} waived, "
                                f"{summary['passed']} passed, {summary['skipped']} not applicable in ")
    assert "failed" not in lines[-1] and "xfailed" not in lines[-1]
    section = lines[next(i for i, line in enumerate(lines) if "IAM compliance findings" in line):]
    too_wide = [line for line in section if len(line) > 80 and not line.startswith(("-", "="))]
    assert too_wide == []


def test_items_that_could_not_be_evaluated_are_listed_by_reason_without_direction_overrides(pytester, tmp_path):
    doc = failing_source(demo_document(), "credential_report")
    # The snapshot refuses C0 and C1 control characters in AWS text; a bidirectional override gets through to here.
    doc["sources"]["credential_report"]["error"]["message"] = "not authorized \u202eyes"
    snapshot = save_snapshot(tmp_path, doc)
    result = run_audit(pytester, snapshot, "-m", MFA_CHECKS)
    output = result.stdout.str()
    assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
    errors = findings_of(snapshot)["summary"]["error"]
    result.stdout.fnmatch_lines([f"Could not be evaluated: {errors} item(s), for 1 reason(s):",
                                 f"  {errors} item(s) of user_console_mfa_enabled: *credential_report*"])
    assert "not authorized" in output


def test_clean_removes_escape_sequences_and_control_characters():
    from iam_compliance.rendering.terminal import clean

    assert clean("a\x1b[2J\x1b[31mb\x1b[0m\x07c\x1b]0;title\x07d\x9b1me\x00f\tg\nh") == "abcdef g\nh"
