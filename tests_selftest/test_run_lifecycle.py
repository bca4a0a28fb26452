"""A run's life: its scope and status in every format, its own locked folder, and what it publishes when it
finishes, is interrupted, crashes or meets another run on the same reports folder."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fixtures.publish import LOCK_NAME
from iam_compliance.results import findings as findings_json
from tests_selftest.harness import ROOT, check_selector
from tests_selftest.test_report_findings import MFA_CHECKS, demo_document, findings_of, run_audit, save_snapshot

REPORTS = ("compliance.html", "junit.xml", "findings.json", "snapshot.json")


def suite_properties(path: Path) -> dict[str, str]:
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    assert suite is not None
    props = suite.find("properties")
    return {p.get("name"): p.get("value") for p in props} if props is not None else {}  # type: ignore[misc]


def previous_reports(reports: Path) -> dict[str, str]:
    """Reports of an earlier complete run, to prove they stay as they were."""
    reports.mkdir(parents=True, exist_ok=True)
    previous = {name: f"previous complete {name}" for name in REPORTS}
    for name, text in previous.items():
        (reports / name).write_text(text)
    return previous


def current(reports: Path) -> dict[str, str]:
    return {name: (reports / name).read_text() for name in REPORTS}


def plugin(tmp_path: Path, name: str, source: str) -> dict[str, str]:
    """A pytest plugin module for a subprocess audit; the environment that makes ``-p name`` find it."""
    (tmp_path / "plugins").mkdir(exist_ok=True)
    (tmp_path / "plugins" / f"{name}.py").write_text(source)
    return {"PYTHONPATH": os.pathsep.join([str(tmp_path / "plugins"), str(ROOT)])}


def audit_process(snapshot: Path, reports: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))} | (env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "checks", "--demo", "--snapshot", str(snapshot), "--reports-dir",
         str(reports), "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def no_staging_left(reports: Path) -> bool:
    return not list(reports.glob(".run-*"))


# --- scope and status --------------------------------------------------------------------------------------


def test_a_selection_that_matches_nothing_is_never_compliant(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    result = run_audit(pytester, snapshot, "-k", "nomatch")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    doc = findings_of(snapshot)
    assert doc["status"] == "partial" and doc["verdict"]["title"] == "Nothing evaluated"
    assert doc["scope"]["checks_selected"] == [] and doc["scope"]["selection"] == "-k 'nomatch'"
    props = suite_properties(snapshot.parent / "reports" / "junit.xml")
    assert props["run_status"] == "partial" and props["verdict"].startswith("Nothing evaluated")
    assert "): Compliant" not in result.stdout.str()


def test_one_clean_control_is_a_partial_audit_not_compliant(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    result = run_audit(pytester, snapshot, "-m", check_selector(["password_policy_exists"]))
    assert result.ret == pytest.ExitCode.OK
    doc = findings_of(snapshot)
    assert doc["status"] == "partial"
    assert (doc["verdict"]["state"], doc["verdict"]["title"]) == ("unknown", "No findings in a partial audit")
    assert "partial audit: 1 of" in doc["verdict"]["text"]
    assert doc["scope"]["checks_selected"] == ["password_policy_exists"]
    assert doc["scope"]["checks_total"] > 40
    result.stdout.fnmatch_lines(["Verdict (partial run): No findings in a partial audit*", "Exit 0: *"])


def test_scope_records_settings_in_force_regions_and_options(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    run_audit(pytester, snapshot, "-m", check_selector(["password_policy_min_length"]),
              "--set", "password_policy.min_length=8")
    scope = findings_of(snapshot)["scope"]
    setting = next(s for s in scope["settings"] if s["key"] == "password_policy.min_length")
    assert setting == {"key": "password_policy.min_length", "value": 8, "default": 14, "differs": True}
    assert list(scope["check_settings"]) == ["password_policy_min_length"]
    assert scope["check_settings"]["password_policy_min_length"]["password_policy.min_length"] == 8
    assert scope["regions"] == ["eu-central-1", "eu-west-1", "us-east-1"] and scope["simulated"] is True
    assert scope["options"]["data"] == f"replayed snapshot {snapshot}"
    props = suite_properties(snapshot.parent / "reports" / "junit.xml")
    assert "password_policy.min_length=8 (default 14)" in props["settings_changed"]


def test_a_run_stopped_by_maxfail_is_interrupted(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    reports = snapshot.parent / "reports"
    previous = previous_reports(reports)
    run_audit(pytester, snapshot, "-m", MFA_CHECKS, "-x")
    assert current(reports) == previous
    doc = json.loads((reports / "incomplete" / "findings.json").read_text())
    assert doc["status"] == "interrupted" and doc["verdict"]["title"] == "Incomplete: interrupted"
    assert suite_properties(reports / "incomplete" / "junit.xml")["run_status"] == "interrupted"
    with pytest.raises(findings_json.FindingsFileError, match="did not finish"):
        findings_json.load(reports / "incomplete" / "findings.json")


# --- interruption and internal errors ----------------------------------------------------------------------

PAUSE_PLUGIN = '''
import os, pathlib, time

def pytest_runtest_setup(item):
    marker = pathlib.Path(os.environ["PAUSE_MARKER"])
    if item.nodeid.endswith("[bob]") and not marker.exists():
        marker.write_text("paused")
        time.sleep(300)
'''

CRASH_PLUGIN = '''
def pytest_runtest_logfinish(nodeid, location):
    if nodeid.endswith("[bob]"):
        raise RuntimeError("a plugin failed")
'''


def test_ctrl_c_mid_check_leaves_the_previous_reports_and_marks_the_new_ones_incomplete(tmp_path):
    snapshot = save_snapshot(tmp_path)
    reports = tmp_path / "reports"
    previous = previous_reports(reports)
    marker = tmp_path / "paused"
    env = plugin(tmp_path, "pause_audit", PAUSE_PLUGIN) | {"PAUSE_MARKER": str(marker)}
    process = audit_process(snapshot, reports, "-p", "pause_audit", "-m", MFA_CHECKS, env=env)
    deadline = time.monotonic() + 240
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), process.communicate()[0]
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=240)[0]
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output
    assert current(reports) == previous, "an interrupted run replaces no complete report"
    incomplete = reports / "incomplete"
    doc = json.loads((incomplete / "findings.json").read_text())
    assert doc["status"] == "interrupted" and doc["verdict"]["state"] == "incomplete"
    assert suite_properties(incomplete / "junit.xml")["run_status"] == "interrupted"
    assert (incomplete / "compliance.html").exists() and (incomplete / "snapshot.json").exists()
    assert "This run did not finish (interrupted)" in output
    assert no_staging_left(reports)


def test_an_internal_error_is_never_compliant_and_never_a_baseline(tmp_path):
    snapshot = save_snapshot(tmp_path)
    reports = tmp_path / "reports"
    previous = previous_reports(reports)
    process = audit_process(snapshot, reports, "-p", "crash_audit", "-m", MFA_CHECKS,
                            env=plugin(tmp_path, "crash_audit", CRASH_PLUGIN))
    output = process.communicate(timeout=240)[0]
    assert process.returncode == pytest.ExitCode.INTERNAL_ERROR, output
    assert current(reports) == previous
    doc = json.loads((reports / "incomplete" / "findings.json").read_text())
    assert doc["status"] == "internal error"
    assert doc["verdict"] == {"state": "incomplete", "title": "Incomplete: internal error",
                              "text": "the audit stopped on an error of the suite itself; these results are not a verdict"}
    assert suite_properties(reports / "incomplete" / "junit.xml")["run_status"] == "internal error"
    with pytest.raises(findings_json.FindingsFileError, match=r"did not finish \(status: 'internal error'\)"):
        findings_json.load(reports / "incomplete" / "findings.json")
    assert no_staging_left(reports)


# --- one run, one set of reports ---------------------------------------------------------------------------


def test_a_reports_folder_held_by_another_run_is_a_usage_error_naming_it(pytester, tmp_path):
    snapshot = save_snapshot(tmp_path)
    reports = snapshot.parent / "reports"
    reports.mkdir()
    with open(reports / LOCK_NAME, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write(json.dumps({"run_id": "20260101T000000Z-holder", "pid": 4242, "started": "2026-01-01T00:00:00"}))
        held.flush()
        result = run_audit(pytester, snapshot, "-m", MFA_CHECKS, "--reports-lock-wait", "0.5")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {reports} is in use by run 20260101T000000Z-holder (pid 4242, "
                                 "started 2026-01-01T00:00:00)*"])
    assert sorted(p.name for p in reports.iterdir()) == [LOCK_NAME], "nothing written"


def _variant(tmp_path: Path, name: str, collected_at: str) -> tuple[Path, str]:
    doc = demo_document() | {"collected_at": collected_at}
    path = save_snapshot(tmp_path / name, doc)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_runs_on_one_reports_folder_never_mix_their_reports(tmp_path):
    reports = tmp_path / "reports"
    base = demo_document()["collected_at"]
    first, first_sha = _variant(tmp_path, "a", base)
    second, second_sha = _variant(tmp_path, "b", base.replace(base[:4], str(int(base[:4]) + 1), 1))
    selector = check_selector(["user_console_mfa_enabled", "root_mfa_enabled", "password_policy_exists"])
    runs = [audit_process(snapshot, reports, "-m", selector, "--reports-lock-wait", "300")
            for snapshot in (first, second)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [1, 1], outputs
    doc = json.loads((reports / "findings.json").read_text())
    evidence = hashlib.sha256((reports / "snapshot.json").read_bytes()).hexdigest()
    props = suite_properties(reports / "junit.xml")
    assert doc["snapshot_sha256"] == evidence == props["snapshot_sha256"] and evidence in (first_sha, second_sha)
    assert props["run_id"] == doc["run_id"]
    assert evidence in (reports / "compliance.html").read_text()
    assert json.loads((reports / "snapshot.json").read_text())["collected_at"] == doc["collected_at"]
    assert no_staging_left(reports)


def test_a_symbolic_link_in_place_of_a_report_is_replaced_not_followed(pytester, tmp_path):
    """The check before collection refuses it; the publishing rename would replace the link itself."""
    from fixtures.publish import RunFolders

    folder = tmp_path / "reports"
    target = tmp_path / "elsewhere.json"
    target.write_text("keep me")
    run = RunFolders("test-run", wait_seconds=0)
    run.lock([folder])
    (folder / "findings.json").symlink_to(target)
    run.stage(folder / "findings.json").write_text("{}")
    run.publish()
    run.release()
    assert target.read_text() == "keep me"
    assert not (folder / "findings.json").is_symlink() and (folder / "findings.json").read_text() == "{}"


TAMPER_PLUGIN = '''
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure_node(node):
    path = node.workerinput.get("iam_compliance_snapshot")
    if path:
        with open(path, "a") as handle:
            handle.write(" ")  # still valid JSON, another content
'''


def test_xdist_workers_refuse_a_snapshot_replaced_after_collection(tmp_path):
    snapshot = save_snapshot(tmp_path)
    reports = tmp_path / "reports"
    env = plugin(tmp_path, "tamper_audit", TAMPER_PLUGIN)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))} | env
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "checks", "--demo", "--snapshot", str(snapshot), "--reports-dir",
         str(reports), "-p", "no:cacheprovider", "-p", "tamper_audit", "-n", "1", "-m", MFA_CHECKS],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=300,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, output
    assert "changed after this run collected it" in output
    assert not (reports / "findings.json").exists() or findings_of(snapshot)["status"] != "complete"


def test_a_killed_run_leaves_a_staging_folder_the_next_run_removes(tmp_path):
    from fixtures.publish import FolderBusy, RunFolders, new_run_id

    folder = tmp_path / "reports"
    abandoned, unrelated = folder / f".run-{new_run_id()}", folder / ".run-notes"
    abandoned.mkdir(parents=True)
    unrelated.mkdir()
    first = RunFolders(new_run_id(), wait_seconds=0)
    first.lock([folder])
    assert not abandoned.exists() and unrelated.exists(), "only staging folders of this suite are removed"
    second = RunFolders(new_run_id(), wait_seconds=0.3)
    with pytest.raises(FolderBusy, match=f"in use by run {first.run_id} \\(pid {os.getpid()}"):
        second.lock([folder])
    first.release()
    second.lock([folder])
    second.release()


def test_verbose_lines_name_outcomes_in_the_audit_words(pytester, tmp_path):
    result = run_audit(pytester, save_snapshot(tmp_path), "-v", "-m", check_selector(["user_console_mfa_enabled"]))
    result.stdout.fnmatch_lines(["*test_user_console_mfa_enabled?bob? FINDING*",
                                 "*test_user_console_mfa_enabled?ci-github? N/A*"], consecutive=False)
    assert " FAILED " not in result.stdout.str()
