"""Listing the items evaluates nothing, so it writes no report: no "Compliant" page, no empty findings.json."""

from __future__ import annotations

from pathlib import Path

from tests_selftest.harness import run_pytest


def test_collect_only_writes_no_report_and_keeps_the_previous_ones(tmp_path: Path):
    reports = tmp_path / "reports"
    reports.mkdir()
    previous = {name: f"previous {name}" for name in ("compliance.html", "junit.xml", "findings.json", "snapshot.json")}
    for name, text in previous.items():
        (reports / name).write_text(text)

    result = run_pytest("checks", "--demo", "--collect-only", "-q", "-p", "no:cacheprovider",
                        "--reports-dir", str(reports), timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "checks/test_users.py::test_user_console_mfa_enabled[bob]" in result.stdout
    assert {p.name: p.read_text() for p in reports.iterdir()} == previous
