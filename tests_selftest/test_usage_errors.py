"""Mistakes a newcomer makes are usage errors (exit 4) with one clear line, before any AWS call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests_selftest.harness import run_pytest

USAGE_ERROR = 4


def usage_error(*args: str, env: dict[str, str] | None = None) -> str:
    """Run an audit that must stop with a usage error; its one-line message."""
    result = run_pytest("checks", "-p", "no:cacheprovider", *args, env=env, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == USAGE_ERROR, output
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    return next(line for line in output.splitlines() if line.startswith("ERROR: "))


def test_a_folder_given_as_an_output_file(tmp_path: Path):
    message = usage_error("--demo", "--reports-dir", str(tmp_path / "r"), "--findings-json", str(tmp_path))
    assert message == f"ERROR: Cannot write the audit's reports: --findings-json {tmp_path} is a folder, not a file."


def test_an_output_that_would_overwrite_the_evidence(tmp_path: Path):
    message = usage_error("--demo", "--reports-dir", str(tmp_path), "--findings-json", str(tmp_path / "snapshot.json"))
    assert message.endswith(f"--findings-json {tmp_path / 'snapshot.json'} is the same file as --snapshot-out.")


def test_a_reports_folder_below_a_file(tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    message = usage_error("--demo", "--reports-dir", str(blocker / "reports"))
    assert f"cannot be written: {blocker} is not a folder" in message


def test_an_output_path_that_is_a_symbolic_link(tmp_path: Path):
    target = tmp_path / "elsewhere.xml"
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "junit.xml").symlink_to(target)
    message = usage_error("--demo", "--reports-dir", str(tmp_path / "r"))
    assert "--junitxml" in message and "is a symbolic link" in message
    assert not target.exists()


def test_an_unknown_aws_profile(tmp_path: Path):
    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = eu-west-1\n")
    message = usage_error("--aws-profile", "adit", "--reports-dir", str(tmp_path / "r"),
                          env={"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")})
    assert message == ("ERROR: AWS profile 'adit' is not configured "
                       "(profiles in ~/.aws/config and ~/.aws/credentials: audit).")


@pytest.mark.parametrize("option, unknown", [
    (["--regions", "mars-north-9"], "mars-north-9"),
    (["--set", "collection.regions=[eu-west-1, eu-wst-2]"], "eu-wst-2"),
])
def test_an_unknown_region(option: list[str], unknown: str, tmp_path: Path):
    message = usage_error(*option, "--reports-dir", str(tmp_path))
    assert message.startswith(f"ERROR: Unknown AWS region {unknown} (from --regions or collection.regions)")


def test_severities_are_case_insensitive(tmp_path: Path):
    message = usage_error("--fail-on", "HIGH", "--snapshot", str(tmp_path / "missing.json"), "--reports-dir", str(tmp_path))
    assert "Cannot read snapshot" in message


def test_an_output_that_would_overwrite_the_replayed_snapshot(tmp_path: Path):
    replay = tmp_path / "evidence.json"
    replay.write_text("{}")
    message = usage_error("--demo", "--snapshot", str(replay), "--reports-dir", str(tmp_path / "r"),
                          "--findings-json", str(replay))
    assert f"--findings-json {replay} is the same file as --snapshot" in message
    assert replay.read_text() == "{}"


def test_an_output_that_is_a_hard_link_to_another_output(tmp_path: Path):
    reports = tmp_path / "r"
    reports.mkdir()
    (reports / "findings.json").write_text("old")
    os.link(reports / "findings.json", tmp_path / "audit.html")
    message = usage_error("--demo", "--reports-dir", str(reports), "--html", str(tmp_path / "audit.html"))
    assert f"--html {tmp_path / 'audit.html'} is the same file as --findings-json" in message


def test_an_output_that_is_a_special_file(tmp_path: Path):
    reports = tmp_path / "r"
    reports.mkdir()
    os.mkfifo(reports / "junit.xml")
    message = usage_error("--demo", "--reports-dir", str(reports))
    assert f"--junitxml {reports / 'junit.xml'} is not a regular file" in message


def test_a_reports_folder_that_is_a_file(tmp_path: Path):
    blocker = tmp_path / "reports"
    blocker.write_text("x")
    message = usage_error("--demo", "--reports-dir", str(blocker))
    assert f"--reports-dir {blocker} is not a folder" in message
