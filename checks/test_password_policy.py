"""Account password policy controls (catalogue section B): one item per account."""

from __future__ import annotations

from fixtures.controls import Finding, control
from fixtures.model import Account
from fixtures.settings import Settings

AWS_DEFAULT_MIN_LENGTH = 8  # what applies when no custom policy is set


@control(
    "password_policy_min_length", severity="medium", sources=["password_policy"],
    refs={"seed": 23, "cis-v5.0": "1.7", "cis-v3.0": "1.8", "security-hub": "IAM.15"},
    remediation="aws iam update-account-password-policy --minimum-password-length 14 "
                "(the call replaces the whole policy: pass the other settings too)",
)
def test_password_policy_min_length(account: Account, settings: Settings) -> None:
    """The password policy requires passwords of at least 14 characters.

    The threshold is ``password_policy.min_length``. Without a custom policy the AWS default
    (8 characters) applies, which fails.
    """
    required = settings.password_policy.min_length
    policy = account.password_policy
    if policy is None:
        raise Finding(
            f"Account {account.id} has no custom password policy, so the AWS default minimum length of "
            f"{AWS_DEFAULT_MIN_LENGTH} applies; at least {required} is required.",
            evidence={"PasswordPolicy": None},
        )
    length = policy.get("MinimumPasswordLength", AWS_DEFAULT_MIN_LENGTH)
    if length < required:
        raise Finding(
            f"Account {account.id}'s password policy allows passwords of {length} characters; "
            f"at least {required} is required.",
            evidence={"MinimumPasswordLength": length, "required": required},
        )
