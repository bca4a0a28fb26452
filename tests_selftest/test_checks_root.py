"""Self-tests for the root user checks: each root state is seeded in moto and audited with the real collector.

One account has one root user, so every state is its own audit; each audit runs all the checks it informs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT

from iam_compliance.snapshot.credential_report import ROOT_USER
from iam_compliance.simulated.moto_account import Key, Root
from iam_compliance.timeutil import parse_timestamp, short_date, utc_now
from tests_selftest.clock import SECOND, exact_collection_clock  # noqa: F401 - autouse fixture: exact ages
from tests_selftest import stale_report
from tests_selftest.harness import audit_snapshot, collect_snapshot

KEY1, KEY2 = f"{ACCOUNT}-key1", f"{ACCOUNT}-key2"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
ROOT_CHECKS = (
    "root_no_access_keys", "root_access_keys_rotated", "root_no_signing_certificates",
    "root_signing_certificates_rotated", "root_mfa_enabled", "root_hardware_mfa_enabled",
    "root_password_rotated", "root_not_recently_used",
)
REPORT_CHECKS = (("root_access_keys_rotated", KEY1), ("root_access_keys_rotated", KEY2),
                 ("root_signing_certificates_rotated", ACCOUNT), ("root_not_recently_used", ACCOUNT))


@pytest.fixture
def audit_edited(aws, pytester, tmp_path):
    """Collect the seeded account, let ``edit(doc)`` change the snapshot (values moto cannot produce), audit it."""

    def run(edit, *check_ids, args=()):
        aws.generate_credential_report()
        doc = collect_snapshot()
        edit(doc)
        return audit_snapshot(pytester, tmp_path, doc, check_ids, args)

    return run


def set_root_columns(**values: str):
    def edit(doc: dict) -> None:
        rows = doc["sources"]["credential_report"]["data"]["rows"]
        next(row for row in rows if row["user"] == ROOT_USER).update(values)

    return edit


def summary_source(audit) -> str:
    """How a root sentence names the live account summary of this audit's snapshot."""
    return f"the account summary read at {parse_timestamp(audit.snapshot['collected_at']):%Y-%m-%d %H:%M} UTC"


def report_source(audit) -> str:
    """How a root sentence names the credential report of this audit's snapshot."""
    generated = audit.snapshot["sources"]["credential_report"]["data"]["generated_at"]
    return f"the credential report generated at {parse_timestamp(str(generated)):%Y-%m-%d %H:%M} UTC"


def days_ago(days: int) -> str:
    return short_date(utc_now() - timedelta(days=days))


def test_well_kept_root(aws, audit):
    aws.root(Root(mfa="hardware", password_last_used_days=None))
    result = audit(*ROOT_CHECKS)
    assert result.outcome("root_no_access_keys", ACCOUNT) == "passed"
    assert result.outcome("root_no_signing_certificates", ACCOUNT) == "passed"
    assert result.outcome("root_mfa_enabled", ACCOUNT) == "passed"
    assert result.outcome("root_hardware_mfa_enabled", ACCOUNT) == "passed"
    assert result.outcome("root_not_recently_used", ACCOUNT) == "passed"  # never used
    for entity in (KEY1, KEY2):
        assert result.outcome("root_access_keys_rotated", entity) == "skipped"
    assert result.message("root_access_keys_rotated", KEY1) == (
        f"Not applicable: the root user of account {ACCOUNT} has no active access key in slot 1 "
        f"({report_source(result)})."
    )
    assert result.outcome("root_signing_certificates_rotated", ACCOUNT) == "skipped"
    assert result.message("root_signing_certificates_rotated", ACCOUNT) == (
        f"Not applicable: the root user of account {ACCOUNT} has no active signing certificate "
        f"({report_source(result)})."
    )
    assert result.outcome("root_password_rotated", ACCOUNT) == "skipped"
    assert result.message("root_password_rotated", ACCOUNT) == (
        "Not evaluated: no IAM API reports when the root password was last changed (credential report "
        "password_last_changed=not_supported); set root.password_last_changed to the date of the last change."
    )


# --- access keys -------------------------------------------------------------------------------


def test_root_access_keys(aws, audit):
    aws.root(Root(keys=[Key(age_days=91), Key(age_days=90)]))
    result = audit("root_no_access_keys", "root_access_keys_rotated")
    assert result.outcome("root_no_access_keys", ACCOUNT) == "failed"
    assert result.message("root_no_access_keys", ACCOUNT).startswith(
        f"According to {summary_source(result)}, the root user of account {ACCOUNT} has access keys "
        f"(AccountAccessKeysPresent=1, active and inactive alike); {report_source(result)} shows access key 1 "
        "active, access key 2 active."
    )
    assert result.outcome("root_access_keys_rotated", KEY1) == "failed"
    assert result.message("root_access_keys_rotated", KEY1).startswith(
        f"The root user of account {ACCOUNT} has an active access key (slot 1 of {report_source(result)}) "
        f"created 91 days ago on {days_ago(91)}; the limit is 90 days, and root should have no access keys at all."
    )
    assert result.outcome("root_access_keys_rotated", KEY2) == "passed"  # exactly at the limit


def test_root_inactive_access_key(aws, audit):
    aws.root(Root(keys=[Key(age_days=400, active=False), Key(age_days=10)]))
    result = audit("root_no_access_keys", "root_access_keys_rotated")
    # GetAccountSummary counts inactive keys too: an inactive root key is still a finding.
    assert "shows access key 1 inactive, access key 2 active." in result.message("root_no_access_keys", ACCOUNT)
    assert result.outcome("root_access_keys_rotated", KEY1) == "skipped"
    assert result.outcome("root_access_keys_rotated", KEY2) == "passed"


# --- the credential report may be hours old; the account summary is live ------------------------------------


def test_root_key_deleted_after_the_report_passes_and_says_the_summary_decided(aws, pytester, tmp_path):
    aws.root(Root(mfa="hardware", keys=[Key(age_days=400)], certificates=[(400, True)]))
    report = stale_report.capture(aws, hours_ago=3)
    aws.root(Root(mfa="hardware"))  # the key and the certificate are deleted; AWS still serves the report
    doc, _ = stale_report.collect_with(report)
    result = audit_snapshot(pytester, tmp_path, doc, ROOT_CHECKS)
    assert result.outcome("root_no_access_keys", ACCOUNT) == "passed"
    assert result.outcome("root_no_signing_certificates", ACCOUNT) == "passed"
    generated = f"{report.generated:%Y-%m-%d %H:%M} UTC"
    assert result.outcome("root_access_keys_rotated", KEY1) == "skipped"
    assert result.message("root_access_keys_rotated", KEY1) == (
        f"Not applicable: according to {summary_source(result)}, the root user of account {ACCOUNT} has no access "
        f"key (AccountAccessKeysPresent=0); the credential report generated at {generated} shows access key 1 "
        "active, but AWS serves a report for up to 4 hours and the access key was deleted since.")
    assert result.outcome("root_signing_certificates_rotated", ACCOUNT) == "skipped"
    assert "has no signing certificate (AccountSigningCertificatesPresent=0)" in result.message(
        "root_signing_certificates_rotated", ACCOUNT)
    errors = [i.nodeid for i in result.results.items.values() if i.outcome in ("error", "failed")]
    assert errors == []


def test_root_key_in_the_report_and_the_summary_fails_naming_both(aws, pytester, tmp_path):
    aws.root(Root(keys=[Key(age_days=400)]))
    report = stale_report.capture(aws, hours_ago=3)
    doc, _ = stale_report.collect_with(report)
    result = audit_snapshot(pytester, tmp_path, doc, ["root_no_access_keys", "root_access_keys_rotated"])
    generated = f"{report.generated:%Y-%m-%d %H:%M} UTC"
    assert result.outcome("root_no_access_keys", ACCOUNT) == "failed"
    assert result.message("root_no_access_keys", ACCOUNT).startswith(
        f"According to {summary_source(result)}, the root user of account {ACCOUNT} has access keys "
        f"(AccountAccessKeysPresent=1, active and inactive alike); the credential report generated at {generated} "
        "shows access key 1 active.")  # slot 2 holds no key: not "access key 2 inactive"
    assert result.outcome("root_access_keys_rotated", KEY1) == "failed"
    assert f"(slot 1 of the credential report generated at {generated}) created 400 days ago" in result.message(
        "root_access_keys_rotated", KEY1)
    assert result.outcome("root_access_keys_rotated", KEY2) == "skipped"


def test_root_key_created_after_the_report_fails_on_the_summary(aws, pytester, tmp_path):
    aws.root(Root())
    report = stale_report.capture(aws, hours_ago=1)
    aws.root(Root(keys=[Key(age_days=0)]))
    doc, _ = stale_report.collect_with(report)
    result = audit_snapshot(pytester, tmp_path, doc, ["root_no_access_keys", "root_access_keys_rotated"])
    assert result.outcome("root_no_access_keys", ACCOUNT) == "failed"
    assert result.message("root_no_access_keys", ACCOUNT).startswith(
        f"According to {summary_source(result)}, the root user of account {ACCOUNT} has access keys "
        f"(AccountAccessKeysPresent=1, active and inactive alike); the credential report generated at "
        f"{report.generated:%Y-%m-%d %H:%M} UTC shows no access key.")


def test_empty_root_slots_are_not_reported_as_inactive_credentials(aws, audit):
    aws.root(Root(keys=[Key(age_days=10, active=False)], certificates=[(10, True)]))
    result = audit("root_no_access_keys", "root_no_signing_certificates")
    keys = result.message("root_no_access_keys", ACCOUNT)
    assert "shows access key 1 inactive." in keys and "access key 2" not in keys
    certificates = result.message("root_no_signing_certificates", ACCOUNT)
    assert "shows signing certificate 1 active." in certificates and "signing certificate 2" not in certificates


def test_root_access_keys_rotated_limit_is_a_setting(aws, audit):
    aws.root(Root(keys=[Key(age_days=31)]))
    result = audit("root_access_keys_rotated", args=["--set", "root.access_key_max_age_days=30"])
    assert result.outcome("root_access_keys_rotated", KEY1) == "failed"
    assert "created 31 days ago" in result.message("root_access_keys_rotated", KEY1)


def test_root_access_keys_rotated_odd_report_values(aws, audit_edited):
    aws.root(Root(keys=[Key(), Key(age_days=400)]))
    edit = set_root_columns(access_key_1_last_rotated="N/A", access_key_2_active="not_supported")
    result = audit_edited(edit, "root_access_keys_rotated")
    assert result.outcome("root_access_keys_rotated", KEY1) == "error"
    assert result.message("root_access_keys_rotated", KEY1) == (
        "Could not evaluate: Credential report column 'access_key_1_last_rotated' for <root_account> has no date "
        "(found 'N/A') although root access key 1 is active."
    )
    assert result.outcome("root_access_keys_rotated", KEY2) == "skipped"


# --- signing certificates --------------------------------------------------------------------


def test_root_signing_certificates(aws, audit):
    aws.root(Root(certificates=[(91, True), (90, True)]))
    result = audit("root_no_signing_certificates", "root_signing_certificates_rotated")
    assert result.outcome("root_no_signing_certificates", ACCOUNT) == "failed"
    assert result.message("root_no_signing_certificates", ACCOUNT).startswith(
        f"According to {summary_source(result)}, the root user of account {ACCOUNT} has signing certificates "
        f"(AccountSigningCertificatesPresent=1, active and inactive alike); {report_source(result)} shows "
        "signing certificate 1 active, signing certificate 2 active."
    )
    assert result.outcome("root_signing_certificates_rotated", ACCOUNT) == "failed"
    assert result.message("root_signing_certificates_rotated", ACCOUNT).startswith(
        f"The root user of account {ACCOUNT} has 1 active signing certificate older than 90 days "
        f"(certificate 1 uploaded 91 days ago on {days_ago(91)}; {report_source(result)})."
    )


def test_root_signing_certificates_inactive_and_at_limit(aws, audit):
    aws.root(Root(certificates=[(400, False), (90, True)]))
    result = audit("root_no_signing_certificates", "root_signing_certificates_rotated")
    assert "signing certificate 1 inactive, signing certificate 2 active" in result.message(
        "root_no_signing_certificates", ACCOUNT)
    assert result.outcome("root_signing_certificates_rotated", ACCOUNT) == "passed"


# --- MFA ---------------------------------------------------------------------------------------


def test_root_virtual_mfa(aws, audit):
    aws.root(Root(mfa="virtual"))
    result = audit("root_mfa_enabled", "root_hardware_mfa_enabled")
    assert result.outcome("root_mfa_enabled", ACCOUNT) == "passed"
    assert result.outcome("root_hardware_mfa_enabled", ACCOUNT) == "failed"
    assert result.message("root_hardware_mfa_enabled", ACCOUNT).startswith(
        f"The root user of account {ACCOUNT} uses a virtual MFA device "
        f"(arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device, assigned to {ROOT_ARN}); root needs a hardware device."
    )


def test_root_hardware_mfa_ignores_other_virtual_devices(aws, audit):
    aws.root(Root(mfa="hardware"))
    aws.user("erin", mfa="virtual")  # assigned to a user
    aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="spare")  # unassigned
    result = audit("root_hardware_mfa_enabled")
    assert result.outcome("root_hardware_mfa_enabled", ACCOUNT) == "passed"


def test_root_without_mfa(aws, audit):
    aws.root(Root(mfa=None))
    result = audit("root_mfa_enabled", "root_hardware_mfa_enabled")
    assert result.outcome("root_mfa_enabled", ACCOUNT) == "failed"
    assert result.message("root_mfa_enabled", ACCOUNT).startswith(
        f"According to {summary_source(result)}, the root user of account {ACCOUNT} has no MFA device "
        "(AccountMFAEnabled=0, AccountPasswordPresent=1)."
    )
    assert result.outcome("root_hardware_mfa_enabled", ACCOUNT) == "failed"
    assert result.message("root_hardware_mfa_enabled", ACCOUNT).startswith(
        f"According to {summary_source(result)}, the root user of account {ACCOUNT} has no MFA device at all, "
        "hardware or virtual (AccountMFAEnabled=0).\nFix: Sign in as the root user, open Security credentials, "
        "and assign a FIDO security key or hardware TOTP token."
    )


def test_root_without_password(aws, audit):
    aws.root(Root(password=False, mfa=None))
    attested = ["--set", f"root.password_last_changed={days_ago(400)}"]
    result = audit("root_mfa_enabled", "root_hardware_mfa_enabled", "root_password_rotated", args=attested)
    # CIS v5: a root user without a password cannot sign in, so it needs no MFA and has no password to rotate.
    assert result.outcome("root_mfa_enabled", ACCOUNT) == "passed"
    assert result.outcome("root_hardware_mfa_enabled", ACCOUNT) == "passed"
    assert result.outcome("root_password_rotated", ACCOUNT) == "skipped"
    assert result.message("root_password_rotated", ACCOUNT) == (
        f"Not applicable: the root user of account {ACCOUNT} has no password."
    )

    result = audit("root_mfa_enabled", "root_hardware_mfa_enabled", args=["--set", "root.mfa_rule=cis-v3"])
    assert result.outcome("root_mfa_enabled", ACCOUNT) == "failed"
    assert "AccountMFAEnabled=0, AccountPasswordPresent=0" in result.message("root_mfa_enabled", ACCOUNT)
    assert result.outcome("root_hardware_mfa_enabled", ACCOUNT) == "failed"


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_root_hardware_mfa_not_applicable_outside_commercial_partition(aws, audit_edited, partition):
    aws.root(Root(mfa="virtual"))
    result = audit_edited(lambda doc: doc.update(partition=partition), "root_hardware_mfa_enabled")
    assert result.outcome("root_hardware_mfa_enabled", ACCOUNT) == "skipped"
    assert result.message("root_hardware_mfa_enabled", ACCOUNT) == (
        f"Not applicable: hardware MFA for the root user is not assessed in the {partition} partition."
    )


def test_root_hardware_mfa_fails_closed(aws, audit):
    aws.root(Root(mfa="hardware"))
    result = audit("root_hardware_mfa_enabled", failures={"ListVirtualMFADevices": "AccessDenied"})
    assert result.outcome("root_hardware_mfa_enabled", ACCOUNT) == "error"
    assert "Data source 'virtual_mfa_devices' could not be read: AccessDenied" in result.message(
        "root_hardware_mfa_enabled", ACCOUNT)


# --- root_password_rotated -------------------------------------------------------------------


def test_root_password_rotated(aws, audit):
    aws.root(Root())
    changed = days_ago(100)
    result = audit("root_password_rotated", args=["--set", f"root.password_last_changed={changed}"])
    assert result.outcome("root_password_rotated", ACCOUNT) == "failed"
    assert result.message("root_password_rotated", ACCOUNT).startswith(
        f"The root password of account {ACCOUNT} was last changed 100 days ago on {changed} "
        "(attested in root.password_last_changed); the limit is 90 days."
    )

    at_limit = (utc_now().replace(microsecond=0) - timedelta(days=90)).isoformat()  # a full timestamp works too
    result = audit("root_password_rotated", args=["--set", f"root.password_last_changed={at_limit}"])
    assert result.outcome("root_password_rotated", ACCOUNT) == "passed"


def test_root_password_rotated_change_after_the_snapshot(aws, audit_edited):
    """A change attested after the snapshot was collected says nothing about the password the snapshot shows."""
    aws.root(Root())
    collected = utc_now() - timedelta(days=10)
    changed = short_date(collected + timedelta(days=3))

    def backdate(doc: dict) -> None:
        doc["collected_at"] = doc["sources"]["credential_report"]["data"]["generated_at"] = collected.isoformat()

    result = audit_edited(backdate, "root_password_rotated", args=["--set", f"root.password_last_changed={changed}"])
    assert result.outcome("root_password_rotated", ACCOUNT) == "error"
    assert result.message("root_password_rotated", ACCOUNT) == (
        f"Could not evaluate: The attested root password change (root.password_last_changed {changed}) is after "
        f"the audit date {short_date(collected)}, so the password's age at the audit is unknown; "
        "replay a newer snapshot."
    )


# --- root_not_recently_used ------------------------------------------------------------------


def test_root_not_recently_used(aws, audit):
    aws.root(Root(password_last_used_days=89))
    result = audit("root_not_recently_used")
    assert result.outcome("root_not_recently_used", ACCOUNT) == "failed"
    assert result.message("root_not_recently_used", ACCOUNT).startswith(
        f"The root user of account {ACCOUNT} was used 89 days ago, on {days_ago(89)}, through its password "
        f"(console sign-in) (password_last_used in {report_source(result)}); root should not have been used in "
        "the last 90 days."
    )

    # "No use in the last 90 days" means the last use is more than 90 x 24 h ago: exactly 90 days is within.
    aws.root(Root(password_last_used_days=90, keys=[Key(last_used_days=120)]))
    result = audit("root_not_recently_used")
    assert result.outcome("root_not_recently_used", ACCOUNT) == "failed"

    aws.root(Root(password_last_used_days=90 + SECOND, keys=[Key(last_used_days=120)]))
    result = audit("root_not_recently_used")
    assert result.outcome("root_not_recently_used", ACCOUNT) == "passed"


def test_root_not_recently_used_names_the_latest_credential(aws, audit):
    # An inactive key that was used recently still means root was used recently.
    aws.root(Root(password_last_used_days=200, keys=[Key(last_used_days=100), Key(last_used_days=30, active=False)]))
    result = audit("root_not_recently_used")
    assert result.outcome("root_not_recently_used", ACCOUNT) == "failed"
    assert "was used 30 days ago" in result.message("root_not_recently_used", ACCOUNT)
    assert "through its access key 2 (access_key_2_last_used_date in the credential report generated at" in result.message(
        "root_not_recently_used", ACCOUNT)


def test_root_not_recently_used_report_values(aws, audit_edited):
    aws.root(Root(password_last_used_days=1, keys=[Key(last_used_days=1)]))
    edit = set_root_columns(password_last_used="no_information", access_key_1_last_used_date="N/A",
                            access_key_2_last_used_date="not_supported")
    result = audit_edited(edit, "root_not_recently_used")
    assert result.outcome("root_not_recently_used", ACCOUNT) == "passed"

    result = audit_edited(set_root_columns(password_last_used="<script>yesterday</script>"), "root_not_recently_used")
    assert result.outcome("root_not_recently_used", ACCOUNT) == "error"
    assert result.message("root_not_recently_used", ACCOUNT) == (
        "Could not evaluate: Credential report column 'password_last_used' for <root_account> has unexpected "
        "value '<script>yesterday</script>'."
    )


# --- every credential-report check -----------------------------------------------------------


def test_missing_root_row_is_an_error(aws, audit_edited):
    aws.user("alice", password=True)

    def drop_root_row(doc: dict) -> None:  # a report with users but no <root_account> row
        report = doc["sources"]["credential_report"]["data"]
        report["rows"] = [row for row in report["rows"] if row["user"] != "<root_account>"]

    result = audit_edited(drop_root_row, *ROOT_CHECKS)
    for check_id, entity in REPORT_CHECKS:
        assert result.outcome(check_id, entity) == "error"
        assert result.message(check_id, entity) == "Could not evaluate: The credential report has no <root_account> row."


def test_root_checks_fail_closed_without_credential_report(aws, audit):
    aws.root(Root(keys=[Key()], certificates=[(10, True)], password_last_used_days=1))
    result = audit(*ROOT_CHECKS, failures={"GenerateCredentialReport": "AccessDenied"})
    for check_id, entity in REPORT_CHECKS:
        assert result.outcome(check_id, entity) == "error"
        assert "Data source 'credential_report' could not be read: AccessDenied" in result.message(check_id, entity)
    # The summary-based checks still give their verdict; their evidence says the report is missing.
    assert result.outcome("root_no_access_keys", ACCOUNT) == "failed"
    assert "the credential report is not usable (Data source 'credential_report' could not be read" in result.message(
        "root_no_access_keys", ACCOUNT)
