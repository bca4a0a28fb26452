"""The snapshot file: permissions, validation of bad input, and replay giving identical results."""

from __future__ import annotations

import json
import stat

import pytest

from iam_compliance.snapshot import document as snapshot_file
from iam_compliance.simulated.moto_account import Key
from tests_selftest.harness import audit_snapshot, collect_snapshot

VALID = {
    "schema_version": 2, "generator": "iam-compliance test", "account_id": "123456789012", "partition": "aws",
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
    (json.dumps({**VALID, "collected_at": "yesterday"}), "collected_at 'yesterday' is not an ISO 8601 timestamp"),
    (json.dumps({k: v for k, v in VALID.items() if k != "account_id"}), "field 'account_id' is missing"),
    (json.dumps({**VALID, "sources": {"x": {"status": "maybe"}}}), "source 'x' has no status 'ok' or 'error'"),
    (json.dumps({**VALID, "sources": {"x": {"status": "error"}}}), "source 'x' failed but records no error"),
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
