"""The audit as a user runs it: `pytest checks ...` in a subprocess, its terminal output and report files."""

from __future__ import annotations

import json

import pytest

from iam_compliance.snapshot import document as snapshot_file
from iam_compliance.simulated.demo import collect_demo
from tests_selftest.harness import junit_outcomes, run_pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory):
    return snapshot_file.save(collect_demo(), tmp_path_factory.mktemp("demo") / "snapshot.json")


def replay(snapshot, reports, *args, env=None):
    """Replay a demo snapshot: ``--demo --snapshot PATH`` (the demo organisation's settings apply)."""
    return run_pytest("checks", "--demo", "--snapshot", str(snapshot), "--reports-dir", str(reports),
                      "-p", "no:cacheprovider", *args, env=env)


def test_demo_audit_prints_findings_not_tracebacks(tmp_path):
    # Credentials and an endpoint are present: the demo must ignore both and never leave the process.
    env = {"AWS_ACCESS_KEY_ID": "AKIAREALLOOKINGKEY00", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_PROFILE": "does-not-exist"}
    run = run_pytest("checks", "--demo", "--reports-dir", str(tmp_path), "-p", "no:cacheprovider", env=env)
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "IAM compliance findings" in out
    assert "crit root_no_access_keys" in out
    assert "Traceback" not in out and "def test_" not in out and "Error" not in run.stderr
    assert out.rstrip().splitlines()[-1].startswith("=") and " findings, " in out.rstrip().splitlines()[-1]
    for name in ("compliance.html", "junit.xml", "snapshot.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "snapshot.json").stat().st_mode & 0o777 == 0o600


def test_replaying_the_demo_snapshot_reproduces_the_demo_run(tmp_path):
    demo = run_pytest("checks", "--demo", "--reports-dir", str(tmp_path / "demo"), "-p", "no:cacheprovider")
    replayed = replay(tmp_path / "demo" / "snapshot.json", tmp_path / "replay")
    assert demo.returncode == replayed.returncode == 1
    assert junit_outcomes(tmp_path / "demo" / "junit.xml") == junit_outcomes(tmp_path / "replay" / "junit.xml")
    demo_findings = json.loads((tmp_path / "demo" / "findings.json").read_text())["findings"]
    assert demo_findings == json.loads((tmp_path / "replay" / "findings.json").read_text())["findings"]


def test_demo_snapshot_replayed_without_demo_is_a_usage_error(demo_snapshot, tmp_path):
    """The demo's settings come with --demo: a demo snapshot replayed without it would silently differ."""
    run = run_pytest("checks", "--snapshot", str(demo_snapshot), "--reports-dir", str(tmp_path), "-p", "no:cacheprovider")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert run.stderr.strip() == (
        f"ERROR: {demo_snapshot} is a snapshot of the demo account: replay it with --demo --snapshot {demo_snapshot}, "
        "so that the demo organisation's settings apply as when it was collected."
    )
    assert "Traceback" not in run.stdout + run.stderr


def test_demo_option_with_another_snapshot_is_a_usage_error(demo_snapshot, tmp_path):
    doc = json.loads(demo_snapshot.read_text())
    del doc["demo"]
    other = snapshot_file.save(doc, tmp_path / "other.json")
    run = run_pytest("checks", "--demo", "--snapshot", str(other), "--reports-dir", str(tmp_path / "r"),
                     "-p", "no:cacheprovider")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert f"--demo --snapshot replays a snapshot of the demo account, and {other} is not one" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_every_junit_testcase_carries_check_resource_and_severity(demo_snapshot, tmp_path):
    replay(demo_snapshot, tmp_path)
    cases = junit_outcomes(tmp_path / "junit.xml")
    assert len(cases) > 50
    for name, (_, props) in cases.items():
        assert props.get("check_id") and props.get("resource") and props.get("severity"), name
    outcomes = {outcome for outcome, _ in cases.values()}
    assert {"failure", "passed", "skipped"} <= outcomes


def test_xdist_gives_the_same_items_and_outcomes(demo_snapshot, tmp_path):
    serial = replay(demo_snapshot, tmp_path / "serial")
    parallel = replay(demo_snapshot, tmp_path / "parallel", "-n", "2")
    assert serial.returncode == parallel.returncode == 1
    assert "2 workers" in parallel.stdout
    assert junit_outcomes(tmp_path / "serial" / "junit.xml") == junit_outcomes(tmp_path / "parallel" / "junit.xml")
    assert "IAM compliance findings" in parallel.stdout
    serial_findings = json.loads((tmp_path / "serial" / "findings.json").read_text())["findings"]
    assert serial_findings == json.loads((tmp_path / "parallel" / "findings.json").read_text())["findings"]
    assert "[gw" not in (tmp_path / "parallel" / "compliance.html").read_text()  # no worker banner in findings


def test_selection_by_severity_and_framework(demo_snapshot, tmp_path):
    critical = replay(demo_snapshot, tmp_path / "a", "-m", "critical", "-q")
    cases = junit_outcomes(tmp_path / "a" / "junit.xml")
    assert cases and {props["severity"][0] for _, props in cases.values()} == {"critical"}, critical.stdout
    replay(demo_snapshot, tmp_path / "b", "-m", "compliance(framework='cis-v5.0', id='1.4')")
    cases = junit_outcomes(tmp_path / "b" / "junit.xml")
    assert {props["check_id"][0] for _, props in cases.values()} == {"root_mfa_enabled"}


def test_last_failed_reruns_only_findings(demo_snapshot, tmp_path):
    cache = ["-o", f"cache_dir={tmp_path / 'cache'}"]
    first = run_pytest("checks", "--demo", "--snapshot", str(demo_snapshot), "--reports-dir", str(tmp_path / "1"),
                       *cache)
    again = run_pytest("checks", "--demo", "--snapshot", str(demo_snapshot), "--reports-dir", str(tmp_path / "2"),
                       "--lf", *cache)
    assert first.returncode == again.returncode == 1
    cases = junit_outcomes(tmp_path / "2" / "junit.xml")
    assert cases and all(outcome in ("failure", "error") for outcome, _ in cases.values())


def test_live_audit_without_credentials_is_a_usage_error(tmp_path):
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true"}
    run = run_pytest("checks", "--reports-dir", str(tmp_path), env=env)
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert "Cannot identify the AWS account" in run.stderr and "--demo" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_bare_pytest_collects_only_the_self_tests():
    run = run_pytest("--collect-only", "-q", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert run.returncode == 0, run.stdout + run.stderr
    items = [line for line in run.stdout.splitlines() if "::" in line]
    assert items and all(line.startswith("tests_selftest/") for line in items)


def test_demo_shows_every_control_and_both_outcomes_per_entity(demo_snapshot, tmp_path):
    """Every check runs on the demo; each one parametrized over entities has a passing and a failing one."""
    from iam_compliance.rendering.checks_table import check_functions, declared_facts

    replay(demo_snapshot, tmp_path)
    outcomes: dict[str, set[str]] = {}
    per_entity: set[str] = set()
    account_id = json.loads(demo_snapshot.read_text())["account_id"]
    for outcome, props in junit_outcomes(tmp_path / "junit.xml").values():
        check_id = props["check_id"][0]
        outcomes.setdefault(check_id, set()).add(outcome)
        if props["resource"][0] != account_id:
            per_entity.add(check_id)
    assert set(outcomes) == {declared_facts(f).check_id for f in check_functions()}
    lacking = {c: sorted(outcomes[c]) for c in per_entity if not {"passed", "failure"} <= outcomes[c]}
    assert not lacking, lacking
    assert len(per_entity) >= 25
