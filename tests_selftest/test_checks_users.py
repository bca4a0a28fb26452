"""Self-tests for the IAM user checks."""

from fixtures.moto_account import Key


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
    assert result.message("user_at_most_one_access_key", "two-active").startswith(
        "User two-active has 2 active access keys (credential report slots 1, 2 active)."
    )
