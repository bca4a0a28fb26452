"""The credential report AWS serves can be up to 4 hours old: users deleted or created since, through the real collector.

Each test captures the report moto writes for the seeded account, changes IAM, and collects with the captured
report served by GetCredentialReport (tests_selftest.stale_report), as AWS serves a cached report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iam_compliance.model.iam import Snapshot
from iam_compliance.simulated.moto_account import MotoAccount
from iam_compliance.simulated.moto_account.builder import Key, Root
from tests_selftest.harness import Audit, audit_snapshot, collect_snapshot
from tests_selftest.stale_report import capture, collect_with

PER_USER_CALLS = ("GetUser", "GetLoginProfile", "ListMFADevices", "ListSigningCertificates")


def delete_user(aws: MotoAccount, name: str) -> None:
    """Delete a user the way IAM requires: its keys, password and MFA devices first."""
    for key in aws.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        aws.iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    if aws.backend.users[name].password:
        aws.iam.delete_login_profile(UserName=name)
    for device in aws.iam.list_mfa_devices(UserName=name)["MFADevices"]:
        aws.iam.deactivate_mfa_device(UserName=name, SerialNumber=device["SerialNumber"])
    for group in aws.iam.list_groups_for_user(UserName=name)["Groups"]:
        aws.iam.remove_user_from_group(GroupName=group["GroupName"], UserName=name)
    for policy in aws.iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        aws.iam.detach_user_policy(UserName=name, PolicyArn=policy["PolicyArn"])
    aws.iam.delete_user(UserName=name)


def audit_in(pytester: pytest.Pytester, directory: Path, doc: dict) -> Audit:
    directory.mkdir()
    return audit_snapshot(pytester, directory, doc)


def outcomes(audit: Audit) -> dict[str, str]:
    return {item.nodeid: item.outcome for item in audit.results.items.values()}


# --- users deleted after the report ---------------------------------------------------------------------------


def test_user_deleted_after_the_report_is_left_out_of_every_check(aws, pytester, tmp_path):
    """The deleted user had an old key, a password without MFA and admin rights: none of it may be reported."""
    admin = aws.aws_policy("AdministratorAccess")
    aws.root(Root(mfa="hardware"))
    aws.group("admins", managed=[admin])
    aws.user("stays", password=True, password_last_used_days=1, mfa="virtual", groups=["admins"])
    aws.user("leaver", age_days=400, password=True, keys=[Key(age_days=300, last_used_days=200)], managed=[admin])
    report = capture(aws)
    delete_user(aws, "leaver")

    stale_doc, calls = collect_with(report)
    snapshot = Snapshot(stale_doc)
    assert snapshot.credential_report_stale_users == ["leaver"]
    assert "leaver" not in snapshot.users
    assert calls.get("ListAccessKeys", 0) == 0  # no per-user call for a user that is gone
    assert not stale_doc["sources"]["unreported_users"]["data"]["users"]
    stale = audit_in(pytester, tmp_path / "stale", stale_doc)

    aws.generate_credential_report()  # moto's own report is as of the request: what AWS gives 4 hours later
    fresh = audit_in(pytester, tmp_path / "fresh", collect_snapshot())

    assert outcomes(stale) == outcomes(fresh)
    for item in stale.results.items.values():
        assert "leaver" not in item.nodeid and "leaver" not in item.message, item.nodeid
    errors = [item.nodeid for item in stale.results.items.values() if item.outcome == "error"]
    assert errors == [i.nodeid for i in fresh.results.items.values() if i.outcome == "error"]


def test_user_recreated_after_the_report_is_not_given_the_old_users_row(aws, audit, pytester, tmp_path):
    """Same name, new user: the report row (an old password without MFA) describes the deleted one."""
    aws.user("reused", age_days=400, password=True, password_last_used_days=300)
    report = capture(aws)
    delete_user(aws, "reused")
    aws.user("reused", age_days=0)  # no password, no keys

    doc, calls = collect_with(report)
    snapshot = Snapshot(doc)
    assert snapshot.credential_report_stale_users == ["reused"]
    assert snapshot.credential_report_unreported_users == ["reused"]
    assert calls["GetLoginProfile"] == 1
    assert snapshot.users["reused"].credentials.password_enabled is False
    result = audit_snapshot(pytester, tmp_path, doc, ["user_console_mfa_enabled", "user_console_password_used"])
    assert result.outcome("user_console_mfa_enabled", "reused") == "skipped"
    assert result.outcome("user_console_password_used", "reused") == "skipped"


# --- users created after the report -----------------------------------------------------------------------------


def test_user_created_after_the_report_is_evaluated_from_per_user_calls(aws, pytester, tmp_path):
    aws.user("old-hand", age_days=300, keys=[Key(age_days=10, last_used_days=1)])
    report = capture(aws)
    aws.user("newcomer", age_days=0, password=True, keys=[Key(age_days=0, last_used_days=0, service="ec2")],
             signing_certificates=[(0, True)])
    aws.user("careful", age_days=0, password=True, mfa="virtual")

    doc, calls = collect_with(report)
    snapshot = Snapshot(doc)
    assert snapshot.credential_report_unreported_users == ["careful", "newcomer"]
    assert snapshot.credential_report_stale_users == []
    for operation in PER_USER_CALLS:
        assert calls[operation] == 2, operation  # only for the two users the report lacks
    assert calls["ListAccessKeys"] == 3  # old-hand (its report row shows a key) and the two newcomers, once each
    assert calls["GetAccessKeyLastUsed"] == 1  # newcomer's key; old-hand's last use is in its report slot

    row = snapshot.users["newcomer"].credentials
    assert row.source.startswith("per-user IAM calls")
    assert (row.password_enabled, row.mfa_active, row.active_access_key_slots) == (True, False, [1])
    assert row.active_slots("cert") == [1]
    assert row.text("access_key_1_last_used_service") == "ec2"
    assert row.text("access_key_2_active") == "false" and row.text("access_key_2_last_rotated") == "N/A"
    assert snapshot.users["careful"].credentials.mfa_active is True

    key_id = aws.backend.users["newcomer"].access_keys[0].access_key_id
    result = audit_snapshot(pytester, tmp_path, doc, [
        "user_console_mfa_enabled", "user_at_most_one_access_key", "user_access_key_rotated",
        "user_no_access_keys_from_initial_setup", "user_console_password_used",
    ])
    assert result.outcome("user_console_mfa_enabled", "newcomer") == "failed"
    assert result.message("user_console_mfa_enabled", "newcomer").startswith(
        "User newcomer can sign in to the console with a password but has no MFA device")
    assert result.outcome("user_console_mfa_enabled", "careful") == "passed"
    assert result.outcome("user_at_most_one_access_key", "newcomer") == "passed"
    assert result.outcome("user_access_key_rotated", f"newcomer/{key_id}") == "passed"
    assert result.outcome("user_console_password_used", "newcomer") == "passed"
    assert result.outcome("user_console_password_used", "careful") == "passed"
    errors = [item.nodeid for item in result.results.items.values() if item.outcome == "error"]
    assert errors == []


@pytest.mark.parametrize("operation", ["GetLoginProfile", "ListMFADevices", "GetAccessKeyLastUsed"])
def test_a_failing_per_user_call_is_an_error_naming_it(aws, pytester, tmp_path, operation):
    aws.user("old-hand", age_days=300, password=True, mfa="virtual", password_last_used_days=1)
    report = capture(aws)
    aws.user("newcomer", age_days=0, password=True, keys=[Key(age_days=0)])

    doc, _ = collect_with(report, failures={operation: "AccessDenied"})
    result = audit_snapshot(pytester, tmp_path, doc, [
        "user_console_mfa_enabled", "user_at_most_one_access_key", "user_access_key_rotated"])
    assert result.outcome("user_access_key_rotated", "newcomer/unavailable") == "error"
    assert result.message("user_access_key_rotated", "newcomer/unavailable").startswith(
        f"Could not evaluate: {operation} failed for user newcomer, so its access keys cannot be evaluated: "
        "AccessDenied: ")
    for check in ("user_console_mfa_enabled", "user_at_most_one_access_key"):
        assert result.outcome(check, "newcomer") == "error"
        message = result.message(check, "newcomer")
        assert message.startswith("Could not evaluate: The credential report generated at ")
        assert (f"has no row for user newcomer (created after it was generated), and {operation} for its "
                f"credentials failed: AccessDenied: User: arn:aws:iam::123456789012:user/auditor is not authorized "
                f"to perform: {operation}") in message
        assert result.outcome(check, "old-hand") == "passed"  # only the user that needed the call


def test_a_fresh_report_makes_no_per_user_credential_calls(aws):
    for n in range(5):
        aws.user(f"user-{n}", password=True)
    report = capture(aws, hours_ago=0)
    doc, calls = collect_with(report)
    assert doc["sources"]["unreported_users"] == {"status": "ok", "data": {"users": {}}}
    for operation in PER_USER_CALLS:
        assert operation not in calls


def test_the_report_header_line_says_when_the_report_was_generated_and_who_was_left_out(aws):
    aws.user("stays")
    aws.user("leaver")
    report = capture(aws, hours_ago=2)
    delete_user(aws, "leaver")
    aws.user("newcomer", age_days=0)
    doc, _ = collect_with(report)
    assert Snapshot(doc).credential_report_summary == (
        f"generated at {report.generated:%Y-%m-%d %H:%M} UTC; left out, no longer in IAM: leaver; "
        "newer than the report, read through per-user calls: newcomer")


# --- users the report lists, changed since -----------------------------------------------------------------------


def test_credentials_changed_since_the_report_are_read_as_listed_during_the_audit(aws, pytester, tmp_path):
    """The fix-then-re-audit loop: a virtual MFA device assigned, a key deleted or deactivated, a key created."""
    aws.user("got-mfa", password=True, password_last_used_days=1)
    aws.user("deleted-key", keys=[Key(age_days=30, last_used_days=1), Key(age_days=20, last_used_days=1)])
    aws.user("deactivated-key", keys=[Key(age_days=30, last_used_days=1), Key(age_days=20, last_used_days=1)])
    aws.user("rotating", keys=[Key(age_days=30, last_used_days=1)])
    report = capture(aws)
    serial = aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="got-mfa")["VirtualMFADevice"]["SerialNumber"]
    aws.iam.enable_mfa_device(UserName="got-mfa", SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")
    keys = {name: aws.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
            for name in ("deleted-key", "deactivated-key")}
    aws.iam.delete_access_key(UserName="deleted-key", AccessKeyId=keys["deleted-key"][0]["AccessKeyId"])
    aws.iam.update_access_key(UserName="deactivated-key", AccessKeyId=keys["deactivated-key"][1]["AccessKeyId"],
                              Status="Inactive")
    aws.iam.create_access_key(UserName="rotating")

    doc, _ = collect_with(report)
    rows = {row["user"]: row for row in doc["sources"]["credential_report"]["data"]["rows"]}
    assert rows["got-mfa"]["mfa_active"] == "false" and rows["deleted-key"]["access_key_2_active"] == "true"
    result = audit_snapshot(pytester, tmp_path, doc, ["user_console_mfa_enabled", "user_at_most_one_access_key"])
    assert result.outcome("user_console_mfa_enabled", "got-mfa") == "passed"
    assert result.outcome("user_at_most_one_access_key", "deleted-key") == "passed"
    assert result.outcome("user_at_most_one_access_key", "deactivated-key") == "passed"
    assert result.outcome("user_at_most_one_access_key", "rotating") == "failed"  # its new key is active too
    row = Snapshot(doc).users["rotating"].credentials
    assert row.active_access_key_slots == [1, 2]
    assert row.text("access_key_2_last_used_date") == "N/A"  # from GetAccessKeyLastUsed: not used yet
