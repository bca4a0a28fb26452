"""Waivers: the file format and its errors, and waived, stale, expired and unmatched waivers on the demo account."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest

from iam_compliance.results.waivers import Waiver, WaiverError, governing_waiver, load_waivers, run_date
from tests_selftest.harness import ROOT, check_selector
from tests_selftest.test_report_findings import (
    ACCOUNT, ALICE, BOB, MFA_CHECKS, demo_document, failing_source, findings_of, record, run_audit, save_snapshot,
)

# Within the default one-year horizon of every run.
SOON = (run_date() + timedelta(days=180)).isoformat()
APPROVED = "    reason: Hardware key on order (SEC-101).\n    approver: security-lead@example.com\n"


def waivers_file(directory: Path, text: str) -> Path:
    path = directory / "waivers.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def entry(check_id: str, resource: str, expires: str) -> str:
    return f"  - check_id: {check_id}\n    resource: '{resource}'\n{APPROVED}    expires: {expires}\n"


def waiver(resource: str = "arn:aws:iam::*:user/bob", expires: date = date(2027, 3, 31)) -> Waiver:
    return Waiver("user_console_mfa_enabled", resource, "r", "a", expires, "waivers.yaml:2")


# --- the file -----------------------------------------------------------------------------------------------


def test_valid_file_is_read_with_the_line_of_each_entry(tmp_path):
    path = waivers_file(tmp_path, "# accepted risks\nwaivers:\n" + entry("user_console_mfa_enabled", BOB, "2027-03-31")
                        + entry("root_mfa_enabled", ACCOUNT, "2027-01-01"))
    first, second = load_waivers(path)
    assert first == Waiver("user_console_mfa_enabled", BOB, "Hardware key on order (SEC-101).",
                           "security-lead@example.com", date(2027, 3, 31), f"{path}:3")
    assert (second.check_id, second.resource, second.source) == ("root_mfa_enabled", ACCOUNT, f"{path}:8")


def test_empty_file_and_empty_list_mean_no_waivers(tmp_path):
    assert load_waivers(waivers_file(tmp_path, "")) == []
    assert load_waivers(waivers_file(tmp_path, "waivers:\n")) == []
    assert load_waivers(waivers_file(tmp_path, "waivers: []\n")) == []


@pytest.mark.parametrize("text, line, problem", [
    ("waivers:\n  - check_id: user_console_mfa_enabled\n    resource: x\n" + APPROVED, 2,
     "waiver has no expires (every waiver needs check_id, resource, reason, approver and expires)"),
    ("waivers:\n" + entry("user_console_mfa_enabled", "x", "2027-01-01") + "    expiry: 2027-01-01\n", 7,
     "unknown field 'expiry'"),
    ("waivers:\n" + entry("User-Console-MFA", "x", "2027-01-01"), 2, "check_id 'User-Console-MFA' is not a check id"),
    ("waivers:\n" + entry("user_console_mfa_enabled", "x", "2027-02-30"), 6,
     "expires '2027-02-30' is not a date in the form YYYY-MM-DD"),
    ("waivers:\n" + entry("user_console_mfa_enabled", "x", "31/12/2027"), 6, "expires '31/12/2027' is not a date"),
    ("waivers:\n" + entry("user_console_mfa_enabled", "x", "2027-01-01").replace("Hardware key on order (SEC-101).", "''"),
     4, "reason must be a non-empty text value"),
    ("waivers:\n" + entry("user_console_mfa_enabled", "x", "2027-01-01") + entry("user_console_mfa_enabled", "x", "2027-06-01"),
     7, "duplicate waiver for user_console_mfa_enabled on x (first at line 2)"),
    ("waivers:\n  - check_id: [a, b]\n", 2, "check_id must be a non-empty text value"),
    ("waivers:\n  - just a string\n", 2, "each waiver must be a mapping"),
    ("waivers:\n  - check_id: x\n   resource: y\n", 3, "not valid YAML"),
    ("- check_id: x\n", 1, "expected 'waivers:' followed by a list of waivers"),
    ("waivers:\n" + entry("user_console_mfa_enabled", "x", "2027-01-01") + "approvals: []\n", 1,
     "the file must have one top-level key, 'waivers'"),
], ids=["missing-field", "unknown-field", "check-id-format", "impossible-date", "date-format", "empty-reason",
        "duplicate", "not-text", "not-a-mapping", "yaml-syntax", "no-waivers-key", "extra-top-level-key"])
def test_bad_file_names_the_file_and_line(tmp_path, text, line, problem):
    path = waivers_file(tmp_path, text)
    with pytest.raises(WaiverError) as error:
        load_waivers(path)
    assert str(error.value).startswith(f"{path}, line {line}: ")
    assert problem in str(error.value)


def test_unreadable_file(tmp_path):
    with pytest.raises(WaiverError, match="Cannot read waivers file .*missing.yaml"):
        load_waivers(tmp_path / "missing.yaml")


def test_bad_file_is_a_usage_error_before_the_audit(pytester, tmp_path):
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", "x", "2027-13-01"))
    result = run_audit(pytester, save_snapshot(tmp_path), "--waivers", str(path))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {path}, line 6: expires '2027-13-01' is not a date in the form YYYY-MM-DD."])


# --- matching and expiry ------------------------------------------------------------------------------------


def test_glob_matches_resources_and_variants():
    assert waiver().matches("user_console_mfa_enabled", BOB)
    assert not waiver().matches("user_console_mfa_enabled", ALICE)
    assert not waiver().matches("user_mfa_enabled", BOB)
    assert not waiver("arn:aws:iam::*:user/BOB").matches("user_console_mfa_enabled", BOB), "case-sensitive"
    assert waiver(ACCOUNT).matches("user_console_mfa_enabled", ACCOUNT, "slot=1"), "a resource covers its variants"
    assert waiver(f"{ACCOUNT}#slot=1").matches("user_console_mfa_enabled", ACCOUNT, "slot=1")
    assert not waiver(f"{ACCOUNT}#slot=1").matches("user_console_mfa_enabled", ACCOUNT, "slot=2")


def test_waiver_applies_through_its_expiry_day():
    assert not waiver(expires=date(2027, 3, 31)).expired(date(2027, 3, 31))
    assert waiver(expires=date(2027, 3, 31)).expired(date(2027, 4, 1))


def test_unexpired_waiver_governs_before_an_expired_one():
    old, current = waiver(expires=date(2020, 1, 1)), waiver(BOB)
    assert governing_waiver([old, current], "user_console_mfa_enabled", BOB, None, date(2027, 1, 1)) is current
    assert governing_waiver([old], "user_console_mfa_enabled", BOB, None, date(2027, 1, 1)) is old
    assert governing_waiver([current], "user_console_mfa_enabled", ALICE, None, date(2027, 1, 1)) is None


# --- on the demo account ------------------------------------------------------------------------------------


@pytest.fixture
def waived_run(pytester, tmp_path):
    """Bob's finding waived, Alice (compliant) waived, root MFA waived until 2020, a waiver for a missing user."""
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, SOON)
                        + entry("user_console_mfa_enabled", ALICE, SOON)
                        + entry("root_mfa_enabled", ACCOUNT, "2020-01-31")
                        + entry("user_console_mfa_enabled", f"arn:aws:iam::{ACCOUNT}:user/nobody", SOON))
    snapshot = save_snapshot(tmp_path)
    result = run_audit(pytester, snapshot, "-m", MFA_CHECKS, "--waivers", str(path), "-rx")
    return result, findings_of(snapshot), path, snapshot.parent / "reports"


def test_waived_finding_is_an_xfail_with_the_reason(waived_run):
    result, doc, path, _ = waived_run
    bob = record(doc, f"user_console_mfa_enabled:{BOB}")
    assert bob["outcome"] == "waived"
    assert bob["finding"].startswith("User bob can sign in to the console with a password but has no MFA device")
    assert bob["evidence"] == {"mfa_active": False, "password_enabled": True}
    assert bob["waiver"]["status"] == "applied" and bob["waiver"]["source"] == f"{path}:2"
    result.stdout.fnmatch_lines([
        f"XFAIL *test_users.py::test_user_console_mfa_enabled[[]bob] - Waived until {SOON} by "
        f"security-lead@example.com: Hardware key on order (SEC-101). (waiver {path}:2)",
    ])


def test_compliant_resource_makes_the_waiver_stale_without_failing(waived_run):
    result, doc, path, _ = waived_run
    alice = record(doc, f"user_console_mfa_enabled:{ALICE}")
    assert alice["outcome"] == "passed" and alice["waiver"]["status"] == "stale"
    assert "xpassed" not in result.stdout.str() and "XPASS" not in result.stdout.str()
    result.stdout.fnmatch_lines([
        f"  stale      {path}:7  user_console_mfa_enabled {ALICE}: the 1 item(s) it matches are compliant now: "
        "remove the waiver",
    ])


def test_expired_waiver_no_longer_applies_and_the_item_says_so(waived_run):
    result, doc, path, reports = waived_run
    root = record(doc, f"root_mfa_enabled:{ACCOUNT}")
    assert root["outcome"] == "failed" and root["waiver"]["status"] == "expired"
    case = next(c for c in ElementTree.parse(reports / "junit.xml").getroot().iter("testcase")
                if c.get("name") == f"test_root_mfa_enabled[{ACCOUNT}]")
    assert case.find("failure").get("message").endswith(
        f"Waiver {path}:12 expired on 2020-01-31: this finding is no longer waived.")
    result.stdout.fnmatch_lines([f"  expired    {path}:12  root_mfa_enabled {ACCOUNT}: expired on 2020-01-31; "
                                 "1 finding(s) count again"])


def test_summary_counts_every_status(waived_run):
    result, doc, path, _ = waived_run
    result.stdout.fnmatch_lines([f"Waivers ({path}): 1 applied, 1 stale, 1 expired, 1 unmatched, 0 unverified"])
    assert [w["status"] for w in doc["waivers"]] == ["applied", "stale", "expired", "unmatched"]
    assert doc["waivers"][3]["items"] == [] and doc["waivers"][0]["items"] == [f"user_console_mfa_enabled:{BOB}"]
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the expired root waiver and the other users' findings


def test_waived_findings_do_not_fail_the_run(pytester, tmp_path):
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", f"arn:aws:iam::{ACCOUNT}:user/*",
                                                      SOON) + "    scope: all\n")
    snapshot = save_snapshot(tmp_path)
    result = run_audit(pytester, snapshot, "-m", check_selector(["user_console_mfa_enabled"]), "--waivers", str(path))
    assert result.ret == pytest.ExitCode.OK
    outcomes = {r["outcome"] for r in findings_of(snapshot)["findings"]}
    assert outcomes == {"waived", "passed", "skipped"}


def test_waiver_never_hides_an_error(pytester, tmp_path):
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, SOON))
    snapshot = save_snapshot(tmp_path, failing_source(demo_document(), "credential_report"))
    result = run_audit(pytester, snapshot, "-m", check_selector(["user_console_mfa_enabled"]), "--waivers", str(path))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    doc = findings_of(snapshot)
    assert record(doc, f"user_console_mfa_enabled:{BOB}")["outcome"] == "error"
    assert doc["waivers"][0]["status"] == "unverified"


def test_waivers_apply_on_xdist_workers(pytester, tmp_path):
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, SOON))
    snapshot = save_snapshot(tmp_path)
    run_audit(pytester, snapshot, "-m", MFA_CHECKS, "--waivers", str(path), "-n", "2", in_subprocess=True)
    doc = findings_of(snapshot)
    assert record(doc, f"user_console_mfa_enabled:{BOB}")["outcome"] == "waived"
    assert doc["waivers"][0]["status"] == "applied"


def test_documented_example_on_the_demo_account(pytester, tmp_path):
    """docs/waivers.example.yaml shows each status; the entries meant to apply do so until they expire."""
    snapshot = save_snapshot(tmp_path)
    example = ROOT / "docs" / "waivers.example.yaml"
    run_audit(pytester, snapshot, "--waivers", str(example))
    today = run_date()
    for waiver, status in zip(findings_of(snapshot)["waivers"], ["applied", "applied", "stale", "expired"]):
        expired = date.fromisoformat(waiver["expires"]) < today
        assert waiver["status"] == ("expired" if expired else status), waiver


# --- broad, long and misspelt waivers; hostile files -------------------------------------------------------

KNOWN = {"user_console_mfa_enabled", "root_mfa_enabled", "user_mfa_enabled"}


@pytest.mark.parametrize("resource", ["*", "**", "arn:aws:iam::123456789012:user/*", "arn:aws:iam::*:*", "*#*"])
def test_a_waiver_of_every_resource_needs_scope_all(tmp_path, resource):
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", resource, SOON))
    with pytest.raises(WaiverError) as error:
        load_waivers(path)
    assert str(error.value) == (
        f"{path}, line 2: resource {resource!r} covers every resource of user_console_mfa_enabled (its name part "
        "is only wildcards); name the resources, or add 'scope: all' to say so.")
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", resource, SOON) + "    scope: all\n")
    [waiver] = load_waivers(path)
    assert waiver.scope == "all" and Waiver.from_dict(waiver.as_dict()) == waiver


def test_a_named_or_partly_named_resource_needs_no_scope(tmp_path):
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, SOON)
                        + entry("user_console_mfa_enabled", "arn:aws:iam::*:user/break-glass-*", SOON))
    assert [w.scope for w in load_waivers(path)] == ["", ""]


def test_scope_says_only_all(tmp_path):
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, SOON) + "    scope: some\n")
    with pytest.raises(WaiverError, match=r"line 7: scope must be 'all' \(or left out\), not 'some'\."):
        load_waivers(path)


def test_a_waiver_beyond_the_horizon_must_say_so(tmp_path):
    """A waiver until 9999-12-31 was accepted silently; now it needs long_term: true."""
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, "9999-12-31"))
    latest = date(2026, 1, 1) + timedelta(days=365)
    with pytest.raises(WaiverError) as error:
        load_waivers(path, today=date(2026, 1, 1))
    assert str(error.value) == (
        f"{path}, line 2: expires 9999-12-31 is more than 365 days away (waivers.max_horizon_days; the latest is "
        f"{latest.isoformat()}); choose an earlier date, or add 'long_term: true' to say the risk is accepted for "
        "longer.")
    assert load_waivers(path, today=date(2026, 1, 1), max_horizon_days=3_000_000) != []  # a wider horizon
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, "9999-12-31")
                        + "    long_term: true\n")
    [waiver] = load_waivers(path, today=date(2026, 1, 1))
    assert waiver.long_term


def test_the_horizon_boundary_day_is_allowed(tmp_path):
    today = date(2026, 1, 1)
    last = (today + timedelta(days=365)).isoformat()
    assert load_waivers(waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, last)), today=today)
    late = (today + timedelta(days=366)).isoformat()
    with pytest.raises(WaiverError, match="is more than 365 days away"):
        load_waivers(waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, late)), today=today)


def test_an_unknown_check_is_named_with_the_closest_ids(tmp_path):
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enable", BOB, SOON))
    with pytest.raises(WaiverError) as error:
        load_waivers(path, known_checks=KNOWN)
    assert str(error.value) == (f"{path}, line 2: check_id 'user_console_mfa_enable' is not a check of this suite "
                                "(did you mean user_console_mfa_enabled, user_mfa_enabled, root_mfa_enabled?).")
    path = waivers_file(tmp_path, "waivers:\n" + entry("zzz", BOB, SOON))
    with pytest.raises(WaiverError, match="no check id is close; README.md's Checks section lists every check"):
        load_waivers(path, known_checks=KNOWN)


def test_an_unknown_check_is_a_usage_error(pytester, tmp_path):
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa", BOB, SOON))
    result = run_audit(pytester, save_snapshot(tmp_path), "--waivers", str(path))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [error] = [line for line in result.errlines if line.strip()]
    assert error.startswith(f"ERROR: {path}, line 2: check_id 'user_console_mfa' is not a check of this suite "
                            "(did you mean user_console_mfa_enabled")
    assert "Traceback" not in result.stdout.str()


def test_the_horizon_setting_applies_to_the_run(pytester, tmp_path):
    far = (run_date() + timedelta(days=400)).isoformat()
    path = waivers_file(tmp_path, "waivers:\n" + entry("user_console_mfa_enabled", BOB, far))
    snapshot = save_snapshot(tmp_path)
    result = run_audit(pytester, snapshot, "--waivers", str(path), "-m", MFA_CHECKS)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {path}, line 2: expires {far} is more than 365 days away*"])
    result = run_audit(pytester, snapshot, "--waivers", str(path), "-m", MFA_CHECKS,
                       "--set", "waivers.max_horizon_days=500")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # loaded: the other findings still fail the run


@pytest.mark.parametrize(("text", "problem"), [
    ("waivers:\n  - &w\n    check_id: user_console_mfa_enabled\n  - *w\n",
     "line 4: not valid YAML: aliases (*name) are not allowed in this file; write the value out."),
    ("waivers:\n  - check_id: " + "[" * 40 + "]" * 40 + "\n", "not valid YAML: values are nested more than 16 levels"),
])
def test_hostile_waiver_files_are_one_clear_error(tmp_path, text, problem):
    path = waivers_file(tmp_path, text)
    with pytest.raises(WaiverError) as error:
        load_waivers(path)
    assert problem in str(error.value) and "\n" not in str(error.value)


def test_special_and_oversized_waiver_files_are_refused(tmp_path):
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(WaiverError, match=r"it is not a regular file \(a named pipe\)\.$"):
        load_waivers(fifo)
    big = waivers_file(tmp_path, "# padding\n" * 200_000)
    with pytest.raises(WaiverError, match="more than the 1,048,576-byte limit for a waivers file"):
        load_waivers(big)
