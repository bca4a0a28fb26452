"""Self-tests for the IAM user checks and the access-key and signing-certificate sources."""

from __future__ import annotations

from typing import Any, Callable

from iam_compliance.collection.aws import CollectOptions
from iam_compliance.collection.collector import collect
from iam_compliance.simulated.moto_account import Key
from tests_selftest.harness import audit_snapshot, mask_report_time, moto_session
from tests_selftest.clock import SECOND, exact_collection_clock  # noqa: F401 - autouse fixture: exact ages

ACCOUNT = "123456789012"


def key_item(aws, user: str, index: int = 0) -> str:
    """The check item id of a user's access key: ``<user>/<AccessKeyId>``."""
    return f"{user}/{aws.backend.users[user].access_keys[index].access_key_id}"


def certificate_item(aws, user: str) -> str:
    (certificate_id,) = aws.backend.users[user].signing_certificates
    return f"{user}/{certificate_id}"


def test_user_console_mfa_enabled(aws, audit):
    aws.user("with-mfa", password=True, mfa="virtual")
    aws.user("hardware-mfa", password=True, mfa="hardware")
    aws.user("no-mfa", password=True)
    aws.user("no-password")
    result = audit("user_console_mfa_enabled")
    assert result.outcome("user_console_mfa_enabled", "with-mfa") == "passed"
    assert result.outcome("user_console_mfa_enabled", "hardware-mfa") == "passed"
    assert result.outcome("user_console_mfa_enabled", "no-mfa") == "failed"
    assert result.message("user_console_mfa_enabled", "no-mfa").startswith(
        "User no-mfa can sign in to the console with a password but has no MFA device"
    )
    assert result.outcome("user_console_mfa_enabled", "no-password") == "skipped"
    assert "no console password" in result.message("user_console_mfa_enabled", "no-password")


def test_user_at_most_one_access_key(aws, audit):
    aws.user("one-key", keys=[Key()])
    aws.user("two-active", keys=[Key(), Key()])
    aws.user("one-active-one-inactive", keys=[Key(), Key(active=False)])
    aws.user("no-keys")
    result = audit("user_at_most_one_access_key")
    assert result.outcome("user_at_most_one_access_key", "one-key") == "passed"
    assert result.outcome("user_at_most_one_access_key", "no-keys") == "passed"
    assert result.outcome("user_at_most_one_access_key", "one-active-one-inactive") == "passed"
    assert result.outcome("user_at_most_one_access_key", "two-active") == "failed"
    assert mask_report_time(result.message("user_at_most_one_access_key", "two-active")).startswith(
        "User two-active has 2 active access keys (the credential report: key slots 1, 2 active)."
    )


def test_user_at_most_one_access_key_strict_mode_counts_inactive_keys(aws, audit):
    aws.user("one-key", keys=[Key()])
    aws.user("one-inactive-key", keys=[Key(active=False)])
    aws.user("one-active-one-inactive", keys=[Key(age_days=30), Key(age_days=20, active=False)])
    aws.user("no-keys")
    result = audit("user_at_most_one_access_key", args=["--set", "users.access_key_count_mode=strict"])
    assert result.outcome("user_at_most_one_access_key", "one-key") == "passed"
    assert result.outcome("user_at_most_one_access_key", "one-inactive-key") == "passed"
    assert result.outcome("user_at_most_one_access_key", "no-keys") == "passed"
    assert result.outcome("user_at_most_one_access_key", "one-active-one-inactive") == "failed"
    active, inactive = (key_item(aws, "one-active-one-inactive", i).split("/")[1] for i in (0, 1))
    created = {days: aws.ago(days).strftime("%Y-%m-%d") for days in (30, 20)}
    assert result.message("user_at_most_one_access_key", "one-active-one-inactive").startswith(
        "User one-active-one-inactive has 2 access keys: "
        + ", ".join(sorted([f"{active} (active, created {created[30]})", f"{inactive} (inactive, created {created[20]})"]))
        + "; users.access_key_count_mode is strict, so keys of any status count."
    )


def test_user_has_recent_activity(aws, audit):
    aws.user("signed-in", password=True, password_last_used_days=5)
    aws.user("key-used", keys=[Key(age_days=300, last_used_days=3)])
    aws.user("latest-counts", password=True, password_last_used_days=200, keys=[Key(age_days=300, last_used_days=10)])
    aws.user("idle-90", password=True, password_last_used_days=90)
    aws.user("idle-91", keys=[Key(age_days=200, last_used_days=91)])
    aws.user("never-used-91", age_days=91)
    aws.user("new-90", age_days=90)
    aws.user("new-10", age_days=10, password=True)
    result = audit("user_has_recent_activity")
    for user in ("signed-in", "key-used", "latest-counts", "idle-90"):
        assert result.outcome("user_has_recent_activity", user) == "passed", user
    assert result.outcome("user_has_recent_activity", "idle-91") == "failed"
    assert result.message("user_has_recent_activity", "idle-91").startswith(
        "User idle-91 has had no credential created, changed or used for 91 days "
        f"(latest: access key 1 used on {aws.ago(91):%Y-%m-%d}); users inactive for more than 90 days should be "
        "removed.\nFix: aws iam delete-access-key --user-name idle-91 --access-key-id "
    )
    assert result.outcome("user_has_recent_activity", "never-used-91") == "failed"
    assert result.message("user_has_recent_activity", "never-used-91").startswith(
        "User never-used-91 has had no credential created, changed or used since it was created "
        f"91 days ago on {aws.ago(91):%Y-%m-%d}; users inactive for more than 90 days should be removed.\nFix: "
    )
    assert result.outcome("user_has_recent_activity", "new-90") == "skipped"
    assert result.message("user_has_recent_activity", "new-90") == (
        f"Not applicable: user new-90 was created 90 days ago on {aws.ago(90):%Y-%m-%d}, "
        "within the 90-day grace period for new users."
    )
    assert result.outcome("user_has_recent_activity", "new-10") == "skipped"


def test_user_has_recent_activity_counts_every_credential_event(aws, audit):
    """A long-lived user is active when a credential it holds was created or changed within the window."""
    aws.user("new-first-key", age_days=900, keys=[Key(age_days=5)])
    aws.user("password-just-set", age_days=900, password=True, password_changed_days=10)
    aws.user("certificate-uploaded", age_days=900, signing_certificates=[(20, True)])
    aws.user("old-key-only", age_days=900, keys=[Key(age_days=300)])
    result = audit("user_has_recent_activity", "user_unused_access_key_disabled")
    for user in ("new-first-key", "password-just-set", "certificate-uploaded"):
        assert result.outcome("user_has_recent_activity", user) == "passed", user
    # the key-level check agrees: the 5-day-old key is within its 45 days
    assert result.outcome("user_unused_access_key_disabled", key_item(aws, "new-first-key")) == "passed"
    assert result.message("user_has_recent_activity", "old-key-only").startswith(
        f"User old-key-only has had no credential created, changed or used for 300 days (latest: access key 1 "
        f"created on {aws.ago(300):%Y-%m-%d})"
    )


def test_user_has_recent_activity_boundaries(aws, audit):
    """Inactive means more than 90 x 24 h since the latest event; a user exactly 90 days old is in its grace."""
    aws.user("used-exactly-90", keys=[Key(age_days=200, last_used_days=90)])
    aws.user("used-90-plus-1s", keys=[Key(age_days=200, last_used_days=90 + SECOND)])
    aws.user("used-90-minus-1s", keys=[Key(age_days=200, last_used_days=90 - SECOND)])
    aws.user("created-exactly-90", age_days=90)
    aws.user("created-90-plus-1s", age_days=90 + SECOND)
    result = audit("user_has_recent_activity")
    assert result.outcome("user_has_recent_activity", "used-exactly-90") == "passed"
    assert result.outcome("user_has_recent_activity", "used-90-minus-1s") == "passed"
    assert result.outcome("user_has_recent_activity", "used-90-plus-1s") == "failed"
    assert result.message("user_has_recent_activity", "used-90-plus-1s").startswith(
        "User used-90-plus-1s has had no credential created, changed or used for 90 days")
    assert result.outcome("user_has_recent_activity", "created-exactly-90") == "skipped"
    assert result.outcome("user_has_recent_activity", "created-90-plus-1s") == "failed"


def test_user_age_rules_boundaries(aws, audit):
    """Every age rule of the user checks: exactly N days passes, N days + 1 s fails, N days - 1 s passes."""
    for label, offset in (("exact", 0), ("over", SECOND), ("under", -SECOND)):
        aws.user(f"rotated-{label}", keys=[Key(age_days=90 + offset, last_used_days=1)])
        aws.user(f"unused-{label}", keys=[Key(age_days=200, last_used_days=45 + offset)])
        aws.user(f"password-{label}", password=True, password_last_used_days=45 + offset)
        aws.user(f"cert-{label}", signing_certificates=[(90 + offset, True)])
    result = audit("user_access_key_rotated", "user_unused_access_key_disabled", "user_console_password_used",
                   "user_signing_certificate_rotated")
    expected = {"exact": "passed", "over": "failed", "under": "passed"}
    for label, outcome in expected.items():
        assert result.outcome("user_access_key_rotated", key_item(aws, f"rotated-{label}")) == outcome, label
        assert result.outcome("user_unused_access_key_disabled", key_item(aws, f"unused-{label}")) == outcome, label
        assert result.outcome("user_console_password_used", f"password-{label}") == outcome, label
        assert result.outcome("user_signing_certificate_rotated", certificate_item(aws, f"cert-{label}")) == outcome


def test_user_mfa_enabled_is_skipped_unless_every_user_needs_mfa(aws, audit):
    aws.user("no-mfa", keys=[Key()])
    result = audit("user_mfa_enabled")
    assert result.outcome("user_mfa_enabled", "no-mfa") == "skipped"
    assert result.message("user_mfa_enabled", "no-mfa").startswith(
        "Not evaluated: users.mfa_scope is console, so only users with a console password need MFA"
    )


def test_user_mfa_enabled(aws, audit):
    aws.user("console-with-mfa", password=True, mfa="virtual")
    aws.user("keys-with-mfa", keys=[Key()], mfa="hardware")
    aws.user("keys-without-mfa", keys=[Key()])
    aws.user("bare")
    result = audit("user_mfa_enabled", args=["--set", "users.mfa_scope=all"])
    assert result.outcome("user_mfa_enabled", "console-with-mfa") == "passed"
    assert result.outcome("user_mfa_enabled", "keys-with-mfa") == "passed"
    assert result.outcome("user_mfa_enabled", "keys-without-mfa") == "failed"
    assert mask_report_time(result.message("user_mfa_enabled", "keys-without-mfa")).startswith(
        "User keys-without-mfa has no MFA device (the credential report: mfa_active=false); "
        "users.mfa_scope is all, so every user needs one.\nFix: aws iam create-virtual-mfa-device "
        "--virtual-mfa-device-name keys-without-mfa --outfile keys-without-mfa-mfa.png --bootstrap-method QRCodePNG\n"
        "aws iam enable-mfa-device --user-name keys-without-mfa --serial-number "
        "arn:aws:iam::123456789012:mfa/keys-without-mfa --authentication-code1 <first code> "
        "--authentication-code2 <second code>"
    )
    assert result.outcome("user_mfa_enabled", "bare") == "failed"


def test_user_access_key_rotated(aws, audit):
    aws.user("fresh", keys=[Key(age_days=10)])
    aws.user("at-limit", keys=[Key(age_days=90)])
    aws.user("over-limit", keys=[Key(age_days=91, last_used_days=1)])
    aws.user("old-inactive", keys=[Key(age_days=400, active=False)])
    result = audit("user_access_key_rotated")
    assert result.outcome("user_access_key_rotated", key_item(aws, "fresh")) == "passed"
    assert result.outcome("user_access_key_rotated", key_item(aws, "at-limit")) == "passed"
    over = key_item(aws, "over-limit")
    key_id = over.split("/")[1]
    assert result.outcome("user_access_key_rotated", over) == "failed"
    assert result.message("user_access_key_rotated", over) == (
        f"Access key {key_id} of user over-limit is active and was created 91 days ago on {aws.ago(91):%Y-%m-%d}; "
        "active access keys must be rotated within 90 days.\n"
        "Fix: aws iam create-access-key --user-name over-limit\nMove the workload to the new key, then:\n"
        f"aws iam update-access-key --user-name over-limit --access-key-id {key_id} --status Inactive\n"
        f"aws iam delete-access-key --user-name over-limit --access-key-id {key_id}"
    )
    assert result.item("user_access_key_rotated", over).resource == (
        f"arn:aws:iam::{ACCOUNT}:user/over-limit/access-key/{key_id}"
    )
    inactive = key_item(aws, "old-inactive")
    assert result.outcome("user_access_key_rotated", inactive) == "skipped"
    assert result.message("user_access_key_rotated", inactive) == (
        f"Not applicable: access key {inactive.split('/')[1]} of user old-inactive is inactive."
    )


def test_account_without_access_keys_has_one_not_applicable_item(aws, audit):
    aws.user("console-only", password=True)
    result = audit("user_access_key_rotated", "user_signing_certificate_rotated")
    assert result.outcome("user_access_key_rotated", "none") == "skipped"
    assert result.message("user_access_key_rotated", "none") == (
        f"Not applicable: account {ACCOUNT} has no IAM user access keys."
    )
    assert result.outcome("user_signing_certificate_rotated", "none") == "skipped"


def test_user_signing_certificate_rotated(aws, audit):
    aws.user("fresh", signing_certificates=[(10, True)])
    aws.user("at-limit", signing_certificates=[(90, True)])
    aws.user("over-limit", signing_certificates=[(91, True)])
    aws.user("old-inactive", signing_certificates=[(400, False)])
    result = audit("user_signing_certificate_rotated")
    assert result.outcome("user_signing_certificate_rotated", certificate_item(aws, "fresh")) == "passed"
    assert result.outcome("user_signing_certificate_rotated", certificate_item(aws, "at-limit")) == "passed"
    over = certificate_item(aws, "over-limit")
    certificate_id = over.split("/")[1]
    assert result.outcome("user_signing_certificate_rotated", over) == "failed"
    assert result.message("user_signing_certificate_rotated", over).startswith(
        f"Signing certificate {certificate_id} of user over-limit is active and was uploaded 91 days ago on "
        f"{aws.ago(91):%Y-%m-%d}; active signing certificates must be rotated within 90 days.\nFix: "
        "aws iam upload-signing-certificate --user-name over-limit --certificate-body file://new-signing-cert.pem\n"
        "Move the certificate's users to the new one (new-signing-cert.pem is a new X.509 certificate), then:\n"
        f"aws iam delete-signing-certificate --user-name over-limit --certificate-id {certificate_id}"
    )
    assert result.item("user_signing_certificate_rotated", over).resource == (
        f"arn:aws:iam::{ACCOUNT}:user/over-limit/signing-certificate/{certificate_id}"
    )
    inactive = certificate_item(aws, "old-inactive")
    assert result.outcome("user_signing_certificate_rotated", inactive) == "skipped"
    assert "is inactive" in result.message("user_signing_certificate_rotated", inactive)


def test_user_unused_access_key_disabled(aws, audit):
    aws.user("recently-used", keys=[Key(age_days=100, last_used_days=5)])
    aws.user("used-at-limit", keys=[Key(age_days=100, last_used_days=45)])
    aws.user("used-over-limit", keys=[Key(age_days=100, last_used_days=46)])
    aws.user("new-never-used", keys=[Key(age_days=45)])
    aws.user("old-never-used", keys=[Key(age_days=46)])
    aws.user("inactive", keys=[Key(age_days=400, active=False)])
    result = audit("user_unused_access_key_disabled")
    assert result.outcome("user_unused_access_key_disabled", key_item(aws, "recently-used")) == "passed"
    assert result.outcome("user_unused_access_key_disabled", key_item(aws, "used-at-limit")) == "passed"
    assert result.outcome("user_unused_access_key_disabled", key_item(aws, "new-never-used")) == "passed"
    stale = key_item(aws, "used-over-limit")
    assert result.outcome("user_unused_access_key_disabled", stale) == "failed"
    assert result.message("user_unused_access_key_disabled", stale) == (
        f"Access key {stale.split('/')[1]} of user used-over-limit is active but was last used 46 days ago on "
        f"{aws.ago(46):%Y-%m-%d}, s3 in us-east-1 (credential report slot 1); keys unused for more than 45 days "
        "must be disabled.\n"
        f"Fix: aws iam update-access-key --user-name used-over-limit --access-key-id {stale.split('/')[1]} --status Inactive"
    )
    never = key_item(aws, "old-never-used")
    assert result.outcome("user_unused_access_key_disabled", never) == "failed"
    assert result.message("user_unused_access_key_disabled", never).startswith(
        f"Access key {never.split('/')[1]} of user old-never-used is active but has never been used since it was "
        f"created 46 days ago on {aws.ago(46):%Y-%m-%d} (credential report slot 1); keys unused for more than 45 days "
        "must be disabled."
    )
    assert result.outcome("user_unused_access_key_disabled", key_item(aws, "inactive")) == "skipped"


def test_user_no_inactive_access_keys(aws, audit):
    aws.user("recently-disabled", keys=[Key(age_days=10, active=False)])
    aws.user("disabled-at-limit", keys=[Key(age_days=90, active=False)])
    aws.user("disabled-over-limit", keys=[Key(age_days=91, active=False)])
    aws.user("active", keys=[Key(age_days=400)])
    result = audit("user_no_inactive_access_keys")
    assert result.outcome("user_no_inactive_access_keys", key_item(aws, "recently-disabled")) == "passed"
    assert result.outcome("user_no_inactive_access_keys", key_item(aws, "disabled-at-limit")) == "passed"
    old = key_item(aws, "disabled-over-limit")
    assert result.outcome("user_no_inactive_access_keys", old) == "failed"
    assert result.message("user_no_inactive_access_keys", old) == (
        f"Access key {old.split('/')[1]} of user disabled-over-limit is inactive and was created 91 days ago on "
        f"{aws.ago(91):%Y-%m-%d}; inactive keys older than 90 days must be deleted (IAM records no deactivation date, "
        "so the key's age is used).\n"
        f"Fix: aws iam delete-access-key --user-name disabled-over-limit --access-key-id {old.split('/')[1]}"
    )
    assert result.outcome("user_no_inactive_access_keys", key_item(aws, "active")) == "skipped"
    assert "is active" in result.message("user_no_inactive_access_keys", key_item(aws, "active"))


def test_user_no_inactive_access_keys_without_grace_period(aws, audit):
    aws.user("just-disabled", keys=[Key(age_days=0, active=False)])
    result = audit("user_no_inactive_access_keys", args=["--set", "users.inactive_access_key_grace_days=0"])
    item = key_item(aws, "just-disabled")
    assert result.outcome("user_no_inactive_access_keys", item) == "failed"
    assert "was created 0 days ago" in result.message("user_no_inactive_access_keys", item)
    assert "users.inactive_access_key_grace_days is 0, so inactive keys must be deleted" in result.message(
        "user_no_inactive_access_keys", item)


def test_user_console_password_used(aws, audit):
    aws.user("recent", password=True, password_last_used_days=5)
    aws.user("used-at-limit", password=True, password_last_used_days=45)
    aws.user("used-over-limit", password=True, password_last_used_days=46)
    aws.user("set-at-limit", age_days=300, password=True, password_changed_days=45)
    aws.user("set-over-limit", age_days=300, password=True, password_changed_days=46)
    aws.user("keys-only", keys=[Key()])
    result = audit("user_console_password_used")
    for user in ("recent", "used-at-limit", "set-at-limit"):
        assert result.outcome("user_console_password_used", user) == "passed", user
    assert result.outcome("user_console_password_used", "used-over-limit") == "failed"
    assert result.message("user_console_password_used", "used-over-limit") == (
        f"User used-over-limit last signed in to the console 46 days ago on {aws.ago(46):%Y-%m-%d}; "
        "passwords unused for more than 45 days must be disabled.\n"
        "Fix: aws iam delete-login-profile --user-name used-over-limit"
    )
    assert result.outcome("user_console_password_used", "set-over-limit") == "failed"
    assert result.message("user_console_password_used", "set-over-limit").startswith(
        f"User set-over-limit has a console password that has never been used since it was set 46 days ago on "
        f"{aws.ago(46):%Y-%m-%d}; passwords unused for more than 45 days must be disabled."
    )
    assert result.outcome("user_console_password_used", "keys-only") == "skipped"
    assert result.message("user_console_password_used", "keys-only") == (
        "Not applicable: user keys-only has no console password."
    )


def test_user_no_attached_managed_policies(aws, audit):
    arn = aws.policy("reports-read", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    aws.group("readers", managed=[arn])
    aws.user("via-group", groups=["readers"])
    aws.user("direct", managed=[arn])
    result = audit("user_no_attached_managed_policies")
    assert result.outcome("user_no_attached_managed_policies", "via-group") == "passed"
    assert result.outcome("user_no_attached_managed_policies", "direct") == "failed"
    assert result.message("user_no_attached_managed_policies", "direct") == (
        "User direct has 1 managed policy attached directly: reports-read; permissions should come from groups.\n"
        "Fix: aws iam add-user-to-group --user-name direct --group-name readers\n"
        f"aws iam detach-user-policy --user-name direct --policy-arn {arn}"
    )


def test_user_no_inline_policies(aws, audit):
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    aws.user("clean")
    aws.user("one-inline", inline={"scratch": document})
    aws.user("two-inline", inline={"b-policy": document, "a-policy": document})
    aws.user("ses-smtp", inline={"send": document})
    result = audit("user_no_inline_policies", args=["--set", "users.inline_policy_exempt_users=[ses-smtp]"])
    assert result.outcome("user_no_inline_policies", "clean") == "passed"
    assert result.outcome("user_no_inline_policies", "one-inline") == "failed"
    assert result.message("user_no_inline_policies", "one-inline").startswith(
        "User one-inline has 1 inline policy: scratch.\nFix: Move the permissions of scratch into a managed policy "
        "attached to a group of the user, then delete the inline policies:\n"
        "aws iam delete-user-policy --user-name one-inline --policy-name scratch"
    )
    assert result.message("user_no_inline_policies", "two-inline").startswith(
        "User two-inline has 2 inline policies: a-policy, b-policy."
    )
    assert result.outcome("user_no_inline_policies", "ses-smtp") == "skipped"
    assert result.message("user_no_inline_policies", "ses-smtp") == (
        "Not applicable: user ses-smtp is exempt by users.inline_policy_exempt_users."
    )


def test_user_no_access_keys_from_initial_setup(aws, audit):
    aws.user("console-key-used", password=True, keys=[Key(age_days=100, last_used_days=1)])
    aws.user("console-no-keys", password=True)
    aws.user("console-inactive-unused", password=True, keys=[Key(age_days=100, active=False)])
    aws.user("console-key-unused", password=True, keys=[Key(age_days=401, last_used_days=2), Key(age_days=400)])
    aws.user("machine-key-unused", keys=[Key(age_days=400)])
    result = audit("user_no_access_keys_from_initial_setup")
    for user in ("console-key-used", "console-no-keys", "console-inactive-unused"):
        assert result.outcome("user_no_access_keys_from_initial_setup", user) == "passed", user
    assert result.outcome("user_no_access_keys_from_initial_setup", "console-key-unused") == "failed"
    assert mask_report_time(result.message("user_no_access_keys_from_initial_setup", "console-key-unused")).startswith(
        "User console-key-unused has a console password and 1 active access key that was never used "
        f"(the credential report: slot 2 created {aws.ago(400):%Y-%m-%d}); keys should be created only when a user "
        "needs them.\nFix: aws iam delete-access-key --user-name console-key-unused --access-key-id "
        f"{key_item(aws, 'console-key-unused', 1).split('/')[1]}"
    )
    assert result.outcome("user_no_access_keys_from_initial_setup", "machine-key-unused") == "skipped"


# --- the access_keys and signing_certificates sources -------------------------------------------------------------


def collect_with(aws, *hooks: tuple[str, Callable[..., Any]]) -> dict:
    """Collect with botocore event handlers registered on the session (e.g. to fail one user's calls)."""
    aws.generate_credential_report()
    session = moto_session()
    for event, handler in hooks:
        session.events.register(event, handler)
    return collect(session, CollectOptions(service_activity=False))


def calls_by_user(log: list[tuple[str, str]]) -> Callable[..., None]:
    """A before-parameter-build handler logging (operation, UserName or AccessKeyId) of each call."""

    def record(model: Any, params: dict, **_: Any) -> None:
        log.append((model.name, params.get("UserName") or params.get("AccessKeyId", "")))

    return record


def test_only_users_with_credentials_are_listed_and_last_use_comes_from_the_report(aws):
    aws.user("nothing", password=True)
    aws.user("with-key", keys=[Key(last_used_days=3)])
    aws.user("inactive-key-only", keys=[Key(active=False)])
    aws.user("with-certificate", signing_certificates=[(10, True)])
    log: list[tuple[str, str]] = []
    doc = collect_with(aws, ("before-parameter-build.iam.*", calls_by_user(log)))
    per_user = sorted(call for call in log if call[0] in (
        "ListAccessKeys", "ListSigningCertificates", "GetAccessKeyLastUsed"))
    assert per_user == [
        ("ListAccessKeys", "inactive-key-only"), ("ListAccessKeys", "with-key"),
        ("ListSigningCertificates", "with-certificate"),
    ]
    keys = doc["sources"]["access_keys"]["data"]["users"]["with-key"]["AccessKeys"]
    assert keys[0]["ReportSlot"] == 1 and "LastUsed" not in keys[0]


def test_keys_the_report_cannot_tell_apart_fall_back_to_get_access_key_last_used(aws, audit):
    # Both keys were created in the same second, so neither can be matched to a report slot.
    aws.user("twins", keys=[Key(age_days=100, last_used_days=50), Key(age_days=100)])
    result = audit("user_unused_access_key_disabled")
    keys = result.snapshot["sources"]["access_keys"]["data"]["users"]["twins"]["AccessKeys"]
    assert all("ReportSlot" not in key and "LastUsed" in key for key in keys)
    used, unused = key_item(aws, "twins", 0), key_item(aws, "twins", 1)
    assert result.outcome("user_unused_access_key_disabled", used) == "failed"
    assert result.message("user_unused_access_key_disabled", used).startswith(
        f"Access key {used.split('/')[1]} of user twins is active but was last used 50 days ago on "
        f"{aws.ago(50):%Y-%m-%d}, s3 in us-east-1 (GetAccessKeyLastUsed);"
    )
    assert result.outcome("user_unused_access_key_disabled", unused) == "failed"
    assert "has never been used since it was created 100 days ago" in result.message(
        "user_unused_access_key_disabled", unused)


def test_failed_last_use_lookup_errors_only_the_last_use_check(aws, audit):
    aws.user("twins", keys=[Key(age_days=100, last_used_days=50), Key(age_days=100)])
    result = audit("user_unused_access_key_disabled", "user_access_key_rotated",
                   failures={"GetAccessKeyLastUsed": "AccessDenied"})
    item = key_item(aws, "twins", 0)
    assert result.outcome("user_unused_access_key_disabled", item) == "error"
    assert result.message("user_unused_access_key_disabled", item).startswith(
        f"Could not evaluate: GetAccessKeyLastUsed failed for access key {item.split('/')[1]} of user twins: "
        "AccessDenied: User: arn:aws:iam::123456789012:user/auditor is not authorized"
    )
    assert result.outcome("user_access_key_rotated", item) == "failed"


def test_unreadable_credential_report_fails_the_credential_sources_closed(aws, audit):
    aws.user("with-key", keys=[Key(age_days=400)], signing_certificates=[(400, True)])
    result = audit("user_access_key_rotated", "user_signing_certificate_rotated", "user_at_most_one_access_key",
                   failures={"GetCredentialReport": "AccessDenied"}, args=["--set", "users.access_key_count_mode=strict"])
    for source in ("access_keys", "signing_certificates"):
        error = result.snapshot["sources"][source]["error"]
        assert error["code"] == "DependencyUnavailable"
        assert error["message"].startswith(
            "this source is built from the credential report, which could not be read (AccessDenied: ")
    for check in ("user_access_key_rotated", "user_signing_certificate_rotated"):
        assert result.entities(check) == ["unavailable"]
        assert result.outcome(check, "unavailable") == "error"
        assert "which could not be read (AccessDenied" in result.message(check, "unavailable")
    assert result.message("user_access_key_rotated", "unavailable").startswith(
        "Could not list IAM user access keys. Data source 'access_keys' could not be read: DependencyUnavailable: "
        "this source is built from the credential report"
    )
    assert result.outcome("user_at_most_one_access_key", "with-key") == "error"


def test_one_users_failed_listing_errors_only_that_users_items(aws, pytester, tmp_path):
    aws.user("locked", keys=[Key(age_days=400), Key(age_days=10)])
    aws.user("open", keys=[Key(age_days=10)])

    def deny_locked(model: Any, params: dict, **_: Any) -> Any:
        if model.name == "ListAccessKeys" and params["body"].get("UserName") == "locked":
            from botocore.awsrequest import AWSResponse

            return AWSResponse("https://iam.amazonaws.com/", 403, {}, None), {
                "Error": {"Code": "AccessDenied", "Message": "explicit deny for user/locked"}}
        return None

    doc = collect_with(aws, ("before-call.iam.ListAccessKeys", deny_locked))
    assert doc["sources"]["access_keys"]["status"] == "ok"
    result = audit_snapshot(pytester, tmp_path, doc, ["user_access_key_rotated", "user_at_most_one_access_key"],
                            ["--set", "users.access_key_count_mode=strict"])
    assert result.entities("user_access_key_rotated") == sorted(["locked/unavailable", key_item(aws, "open")])
    assert result.outcome("user_access_key_rotated", "locked/unavailable") == "error"
    assert result.message("user_access_key_rotated", "locked/unavailable") == (
        "Could not evaluate: ListAccessKeys failed for user locked, so its access keys cannot be evaluated: "
        "AccessDenied: explicit deny for user/locked"
    )
    assert result.item("user_access_key_rotated", "locked/unavailable").resource == (
        f"arn:aws:iam::{ACCOUNT}:user/locked/access-key/unavailable"
    )
    assert result.outcome("user_access_key_rotated", key_item(aws, "open")) == "passed"
    assert result.outcome("user_at_most_one_access_key", "locked") == "error"
    assert result.outcome("user_at_most_one_access_key", "open") == "passed"
