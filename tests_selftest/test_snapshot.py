"""The snapshot file: permissions, validation of bad input, and replay giving identical results."""

from __future__ import annotations

import copy
import json
import os
import stat
import threading

import pytest

from iam_compliance.snapshot import document as snapshot_file
from iam_compliance.simulated.moto_account import Key
from tests_selftest.harness import audit_snapshot, collect_snapshot
from tests_selftest.test_report_findings import demo_document, run_audit

VALID = {
    "schema_version": 3, "generator": "iam-compliance test", "account_id": "123456789012", "partition": "aws",
    "caller_arn": "arn:aws:iam::123456789012:user/auditor", "collected_at": "2026-01-01T00:00:00+00:00",
    "sources": {"account_summary": {"status": "ok", "data": {"AccountMFAEnabled": 1}}},
}


def test_saved_snapshot_is_private_and_stable(tmp_path):
    path = snapshot_file.save(VALID, tmp_path / "out" / "snapshot.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    snapshot_file.save(json.loads(first), path)
    assert path.read_bytes() == first
    assert snapshot_file.load(path) == VALID


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
    ("[]", "the top level is not a JSON object"),
    (json.dumps({**VALID, "schema_version": 99}), "schema_version 99 is not supported"),
    (json.dumps({**VALID, "collected_at": "yesterday"}), "$.collected_at: 'yesterday' is not an ISO 8601 timestamp"),
    (json.dumps({k: v for k, v in VALID.items() if k != "account_id"}), "$.account_id is missing"),
    (json.dumps({**VALID, "sources": {"x": {"status": "maybe"}}}), "$.sources.x.status: 'maybe' is not one of"),
    (json.dumps({**VALID, "sources": {"x": {"status": "error"}}}), "$.sources.x.error is missing"),
    (json.dumps({**VALID, "sources": {"x": {"status": "ok"}}}), "$.sources.x.data is missing"),
])
def test_invalid_snapshots_are_rejected_with_the_reason(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(snapshot_file.SnapshotError) as error:
        snapshot_file.load(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_missing_snapshot_is_a_clear_error(tmp_path):
    with pytest.raises(snapshot_file.SnapshotError, match="Cannot read snapshot"):
        snapshot_file.load(tmp_path / "absent.json")


def test_corrupt_snapshot_is_a_usage_error_not_a_crash(pytester, tmp_path):
    path = tmp_path / "corrupt.json"
    path.write_bytes(b"\xff\xfe not a snapshot")
    from tests_selftest.harness import run_checks

    results, code = run_checks(pytester, path)
    assert code == pytest.ExitCode.USAGE_ERROR
    assert not results.items


def test_replay_gives_the_same_results(aws, pytester, tmp_path):
    """Replaying the written snapshot reproduces every outcome and message of the run that collected it."""
    aws.user("old-key", keys=[Key(age_days=100), Key(age_days=1)])
    aws.user("fresh", password=True, mfa="virtual")
    aws.generate_credential_report()
    doc = collect_snapshot()
    first = audit_snapshot(pytester, tmp_path / "first", doc)
    replayed = audit_snapshot(pytester, tmp_path / "second", json.loads(first.path.read_text()))
    outcomes = {n: (i.outcome, i.message) for n, i in first.results.items.items()}
    assert outcomes == {n: (i.outcome, i.message) for n, i in replayed.results.items.items()}
    assert len(outcomes) > 5


# --- damaged snapshots: every container a check reads is required where its source is ok ---------------------

DAMAGE = [
    # (what is removed, the problem named)
    (("access_keys", "data", "users"), "$.sources.access_keys.data.users is missing"),
    (("signing_certificates", "data", "users"), "$.sources.signing_certificates.data.users is missing"),
    (("authorization_details", "data", "roles"), "$.sources.authorization_details.data.roles is missing"),
    (("authorization_details", "data", "groups"), "$.sources.authorization_details.data.groups is missing"),
    (("authorization_details", "data", "policies"), "$.sources.authorization_details.data.policies is missing"),
    (("authorization_details", "data", "users", 0, "AttachedManagedPolicies"),
     "$.sources.authorization_details.data.users[0].AttachedManagedPolicies is missing"),
    (("authorization_details", "data", "roles", 0, "AssumeRolePolicyDocument", "Statement"),
     "$.sources.authorization_details.data.roles[0].AssumeRolePolicyDocument.Statement is missing"),
    (("credential_report", "data", "rows"), "$.sources.credential_report.data.rows is missing"),
    (("regions", "data", "regions"), "$.sources.regions.data.regions is missing"),
    (("load_balancers", "data", "regions", "us-east-1"),
     "$.sources.load_balancers.data.regions has no entry for region us-east-1, which the regions source selected"),
    (("acm_certificates", "data", "regions", "eu-west-1", "data"),
     "$.sources.acm_certificates.data.regions.eu-west-1.data is missing"),
    (("access_analyzers", "data", "regions"), "$.sources.access_analyzers.data.regions is missing"),
    (("service_last_accessed", "data", "entities"), "$.sources.service_last_accessed.data.entities is missing"),
    (("access_keys", "data", "users", "carol"), "$.sources.access_keys.data.users has no entry for user carol, "
                                                "whose credential report row shows an active access key"),
    (("password_policy", "data", "policy"), "$.sources.password_policy.data.policy is missing"),
    (("virtual_mfa_devices", "data"), "$.sources.virtual_mfa_devices.data is missing"),
]


def damaged(path: tuple) -> dict:
    doc = demo_document()
    parent = doc["sources"]
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return doc


@pytest.mark.parametrize(("path", "problem"), DAMAGE, ids=[".".join(map(str, p)) for p, _ in DAMAGE])
def test_a_missing_container_is_refused_with_its_json_path(path, problem):
    assert snapshot_file.validate(damaged(path)) == [problem]


def test_the_demo_snapshot_is_valid():
    assert snapshot_file.validate(demo_document()) == []


def test_collected_at_may_not_precede_the_data():
    doc = demo_document()
    doc["collected_at"] = "2001-01-01T00:00:00+00:00"  # every age would be negative: "created -8968 days ago"
    [problem] = snapshot_file.validate(doc)
    assert "is later than collected_at (2001-01-01T00:00:00+00:00): ages measured from collected_at would be " \
           "negative" in problem and problem.startswith("$.sources.")


def test_a_failed_source_needs_no_data_and_an_ok_one_all_of_it():
    doc = demo_document()
    doc["sources"]["access_keys"] = {"status": "error", "error": {"code": "AccessDenied", "message": "no"}}
    assert snapshot_file.validate(doc) == []
    doc["sources"]["access_keys"]["status"] = "ok"
    assert snapshot_file.validate(doc) == ["$.sources.access_keys.data is missing"]


def test_recorded_errors_may_not_carry_control_characters():
    doc = demo_document()
    doc["sources"]["access_keys"] = {"status": "error", "error": {"code": "X", "message": "a\x1b]0;owned\x07b"}}
    assert snapshot_file.validate(doc) == ["$.sources.access_keys.error.message contains control characters"]


def test_a_damaged_snapshot_is_a_usage_error_naming_the_path(pytester, tmp_path):
    """Without the access-key listing the key checks were 'Not applicable: no access keys'; now the run stops."""
    path = snapshot_file.save(damaged(("access_keys", "data", "users")), tmp_path / "snapshot.json")
    result = run_audit(pytester, path)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.strip()]
    assert errors == [f"ERROR: Snapshot {path} is not a valid iam-compliance snapshot: "
                      "$.sources.access_keys.data.users is missing."]
    assert "Traceback" not in result.stdout.str()


# --- hostile files ------------------------------------------------------------------------------------------


def hostile(tmp_path, text: str):
    path = tmp_path / "hostile.json"
    path.write_text(text)
    return path


def test_a_huge_number_is_refused(tmp_path):
    text = json.dumps(VALID).replace('"schema_version": 3', '"schema_version": ' + "9" * 4300)
    with pytest.raises(snapshot_file.SnapshotError) as error:
        snapshot_file.load(hostile(tmp_path, text))
    assert str(error.value).endswith("has a number of 4,300 characters; numbers are limited to 40 digits.")


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deep_nesting_is_refused(tmp_path, depth):
    inner = "[" * depth + "]" * depth
    text = json.dumps({**VALID, "sources": {}}).replace('"sources": {}', '"sources": {"x": ' + inner + "}")
    with pytest.raises(snapshot_file.SnapshotError) as error:
        snapshot_file.load(hostile(tmp_path, text))
    assert str(error.value).endswith(f"nests arrays or objects more than {snapshot_file.MAX_DEPTH} levels deep.")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot_file, "MAX_BYTES", 100)
    path = hostile(tmp_path, json.dumps(VALID))
    with pytest.raises(snapshot_file.SnapshotError, match=r"it is \d+ bytes, more than the 100-byte limit"):
        snapshot_file.load(path)


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_special_files_are_refused_without_waiting(tmp_path, kind):
    path = tmp_path / "special"
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    outcome: list = []
    reader = threading.Thread(target=lambda: outcome.append(_load_error(path)), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert outcome, "reading a special file hung"
    expected = "a named pipe" if kind == "fifo" else "a directory"
    assert outcome[0] == f"Cannot read snapshot {path}: it is not a regular file ({expected})."


def _load_error(path) -> str:
    try:
        snapshot_file.load(path)
    except snapshot_file.SnapshotError as exc:
        return str(exc)
    return "loaded"


def test_a_fifo_snapshot_is_a_usage_error(pytester, tmp_path):
    path = tmp_path / "snapshot.json"
    os.mkfifo(path)
    result = run_audit(pytester, path)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line.strip()] == [
        f"ERROR: Cannot read snapshot {path}: it is not a regular file (a named pipe)."]


def test_a_huge_number_in_a_snapshot_is_a_usage_error(pytester, tmp_path):
    doc = demo_document()
    doc["sources"]["account_summary"]["data"]["Users"] = 0
    text = snapshot_file.dumps(doc).replace('"Users": 0', '"Users": ' + "1" * 4300)
    path = tmp_path / "snapshot.json"
    path.write_text(text)
    result = run_audit(pytester, path)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert [line for line in result.errlines if line.strip()] == [
        f"ERROR: Snapshot {path} has a number of 4,300 characters; numbers are limited to 40 digits."]


def test_baseline_json_is_read_within_bounds(tmp_path):
    """The bounded reader for baselines (iam_compliance.jsonio.load_baseline_json): numbers, depth, special files."""
    from iam_compliance.jsonio import BASELINE_MAX_DEPTH, InputFileError, load_baseline_json

    path = tmp_path / "findings.json"
    path.write_text('{"findings": [' + "9" * 4300 + "]}")
    with pytest.raises(InputFileError, match="numbers are limited to 40 digits"):
        load_baseline_json(path)
    path.write_text('{"findings": ' + "[" * 40 + "]" * 40 + "}")
    with pytest.raises(InputFileError, match=f"more than {BASELINE_MAX_DEPTH} levels deep"):
        load_baseline_json(path)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match=r"Cannot read baseline .*: it is not a regular file \(a named pipe\)\."):
        load_baseline_json(fifo)
    path.write_text('{"findings": []}')
    assert load_baseline_json(path) == {"findings": []}
