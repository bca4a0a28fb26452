"""IAM user controls (catalogue section D): one item per IAM user (root excluded)."""

from __future__ import annotations

from fixtures.controls import Finding, control, not_applicable
from fixtures.model import User
from fixtures.settings import Settings


@control(
    "user_console_mfa_enabled", severity="high", sources=["credential_report"],
    refs={"seed": 10, "cis-v5.0": "1.9", "cis-v3.0": "1.10", "security-hub": "IAM.5"},
    remediation="Assign an MFA device to the user (aws iam create-virtual-mfa-device, then "
                "aws iam enable-mfa-device), or remove the console password (aws iam delete-login-profile).",
)
def test_user_console_mfa_enabled(iam_user: User) -> None:
    """Users with a console password have MFA enabled.

    Read from the credential report: fails when password_enabled is true and mfa_active is false.
    """
    credentials = iam_user.credentials
    if not credentials.password_enabled:
        not_applicable(f"user {iam_user.name} has no console password.")
    if not credentials.mfa_active:
        raise Finding(
            f"User {iam_user.name} can sign in to the console with a password but has no MFA device "
            "(credential report: password_enabled=true, mfa_active=false).",
            evidence={"password_enabled": True, "mfa_active": False},
            remediation=f"aws iam enable-mfa-device --user-name {iam_user.name} --serial-number <device-arn> "
                        "--authentication-code1 <code> --authentication-code2 <code>",
        )


@control(
    "user_at_most_one_access_key", severity="medium", sources=["credential_report"],
    refs={"seed": 17, "cis-v5.0": "1.12", "cis-v3.0": "1.13"},
    remediation="Delete the access key that is no longer needed (aws iam delete-access-key).",
)
def test_user_at_most_one_access_key(iam_user: User, settings: Settings) -> None:
    """Users have at most one active access key.

    CIS counts active keys (``users.access_key_count_mode: cis``, the default), read from the
    credential report's access_key_N_active columns. Two active keys are only justified during a
    rotation, which should take hours, not weeks.
    """
    active = iam_user.credentials.active_access_key_slots
    if len(active) > 1:
        raise Finding(
            f"User {iam_user.name} has {len(active)} active access keys "
            f"(credential report slots {', '.join(map(str, active))} active).",
            evidence={"active_key_slots": active},
            remediation=f"aws iam list-access-keys --user-name {iam_user.name}, then "
                        f"aws iam delete-access-key --user-name {iam_user.name} --access-key-id <unused key>",
        )


@control(
    "user_no_inline_policies", severity="low", sources=["authorization_details"],
    refs={"seed": 16, "cis-v5.0": "1.14", "cis-v3.0": "1.15", "security-hub": "IAM.2"},
    remediation="Move the permissions into a managed policy attached to a group, then delete the inline policy "
                "(aws iam delete-user-policy).",
)
def test_user_no_inline_policies(iam_user: User, settings: Settings) -> None:
    """Users have no inline policies.

    Inline policies cannot be reviewed or reused centrally; permissions belong on groups.
    Users listed in ``users.inline_policy_exempt_users`` (e.g. SES SMTP users) are not applicable.
    """
    if iam_user.name in settings.users.inline_policy_exempt_users:
        not_applicable(f"user {iam_user.name} is exempt by users.inline_policy_exempt_users.")
    names = sorted(iam_user.inline_policies)
    if names:
        raise Finding(
            f"User {iam_user.name} has {len(names)} inline "
            f"polic{'y' if len(names) == 1 else 'ies'}: {', '.join(names)}.",
            evidence={"inline_policies": names},
            remediation=f"aws iam delete-user-policy --user-name {iam_user.name} --policy-name {names[0]} "
                        "(after moving its permissions to a group's managed policy)",
        )
