"""Account password policy controls (catalogue section B): one item per account (character classes: per class).

Without a custom policy the AWS default policy applies (at least 8 characters from three of the
four character classes, no expiry, no reuse prevention); every check here then fails and says so.
"""

from __future__ import annotations

from typing import Any, Mapping

from iam_compliance.controls import Finding, control
from iam_compliance.model.iam import CHARACTER_CLASSES, Account, BadData
from iam_compliance.settings import CharacterClassName, Settings

AWS_DEFAULT_MIN_LENGTH = 8
# Omitted from a custom policy (UpdateAccountPasswordPolicy defaults): length 6, no reuse prevention, no expiry.
API_DEFAULT_MIN_LENGTH = 6

# GetAccountPasswordPolicy field -> update-account-password-policy option, in the CLI's documented order.
CLI_OPTIONS = (
    ("MinimumPasswordLength", "--minimum-password-length"),
    ("RequireSymbols", "--require-symbols"),
    ("RequireNumbers", "--require-numbers"),
    ("RequireUppercaseCharacters", "--require-uppercase-characters"),
    ("RequireLowercaseCharacters", "--require-lowercase-characters"),
    ("AllowUsersToChangePassword", "--allow-users-to-change-password"),
    ("MaxPasswordAge", "--max-password-age"),
    ("PasswordReusePrevention", "--password-reuse-prevention"),
    ("HardExpiry", "--hard-expiry"),
)


def _update_command(policy: Mapping[str, Any], **changes: Any) -> str:
    """The CLI call that applies ``changes`` and keeps every other setting of ``policy``.

    update-account-password-policy replaces the whole policy: an option left out resets to its default.
    """
    fields = {**policy, **changes}
    parts = ["aws iam update-account-password-policy"]
    for field, option in CLI_OPTIONS:
        value = fields.get(field)
        if value is True:
            parts.append(option)
        elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
            parts.append(f"{option} {value}")
    return " ".join(parts)


def _recommended_policy(settings: Settings) -> dict[str, Any]:
    """The policy these settings ask for, used as the fix when the account has none."""
    wanted = settings.password_policy
    policy: dict[str, Any] = {
        "MinimumPasswordLength": wanted.min_length,
        "PasswordReusePrevention": wanted.reuse_prevention,
        "MaxPasswordAge": wanted.max_age_days,
        "AllowUsersToChangePassword": True,
    }
    for name in settings.password_policy.character_classes:
        policy[CHARACTER_CLASSES[name].field] = True
    return policy


def _custom_policy(account: Account, settings: Settings, default_applies: str, required: str = "") -> dict[str, Any]:
    """The account's custom policy; without one, a finding that the AWS default applies."""
    policy = account.password_policy
    if policy is None:
        raise Finding(
            f"Account {account.id} has no custom password policy, so the AWS default applies: "
            f"{default_applies}{'; ' + required if required else ''}.",
            evidence={"PasswordPolicy": None},
            remediation=_update_command(_recommended_policy(settings)),
        )
    if not isinstance(policy, dict):
        raise BadData(f"GetAccountPasswordPolicy data in the snapshot is not a policy: {policy!r}.")
    return policy


def _number(policy: Mapping[str, Any], field: str, absent: int) -> int:
    value = policy.get(field, absent)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadData(f"The password policy's {field} is not a whole number: {value!r}.")
    return value


def _flag(policy: Mapping[str, Any], field: str) -> bool:
    value = policy.get(field, False)
    if not isinstance(value, bool):
        raise BadData(f"The password policy's {field} is not true or false: {value!r}.")
    return value


@control(
    "password_policy_exists", severity="medium", sources=["password_policy"],
    headline="No custom password policy: the AWS default applies",
    refs={"seed": 23},
    remediation="aws iam update-account-password-policy --minimum-password-length 14 --require-symbols "
                "--require-numbers --require-uppercase-characters --require-lowercase-characters "
                "--allow-users-to-change-password --max-password-age 90 --password-reuse-prevention 24",
)
def test_password_policy_exists(account: Account, settings: Settings) -> None:
    """The account has a custom password policy.

    Without one GetAccountPasswordPolicy answers NoSuchEntity and the AWS default applies, which
    AWS Config's iam-password-policy rule also treats as non-compliant.
    """
    _custom_policy(account, settings, f"passwords of at least {AWS_DEFAULT_MIN_LENGTH} characters from three of "
                   "the four character classes, never expiring, with no reuse prevention")


@control(
    "password_policy_min_length", severity="medium", sources=["password_policy"],
    headline="Password policy allows passwords shorter than {password_policy.min_length} characters",
    refs={"seed": 23, "cis-v5.0": "1.7", "cis-v3.0": "1.8", "security-hub": "IAM.15"},
    remediation="aws iam update-account-password-policy --minimum-password-length 14 "
                "(the call replaces the whole policy: pass the other settings too)",
)
def test_password_policy_min_length(account: Account, settings: Settings) -> None:
    """The password policy requires passwords of at least {password_policy.min_length} characters.

    The threshold is ``password_policy.min_length``; exactly that length passes.
    """
    required = settings.password_policy.min_length
    policy = _custom_policy(account, settings, f"a minimum length of {AWS_DEFAULT_MIN_LENGTH}",
                            f"at least {required} is required")
    length = _number(policy, "MinimumPasswordLength", API_DEFAULT_MIN_LENGTH)
    if length < required:
        raise Finding(
            f"Account {account.id}'s password policy allows passwords of {length} characters; "
            f"at least {required} is required.",
            evidence={"MinimumPasswordLength": length, "required": required},
            remediation=_update_command(policy, MinimumPasswordLength=required),
        )


@control(
    "password_policy_reuse_prevention", severity="medium", sources=["password_policy"],
    headline="Password policy remembers fewer than {password_policy.reuse_prevention} previous passwords",
    refs={"seed": 23, "cis-v5.0": "1.8", "cis-v3.0": "1.9", "security-hub": "IAM.16"},
    remediation="aws iam update-account-password-policy --password-reuse-prevention 24 "
                "(the call replaces the whole policy: pass the other settings too)",
)
def test_password_policy_reuse_prevention(account: Account, settings: Settings) -> None:
    """The password policy prevents reuse of the last {password_policy.reuse_prevention} passwords.

    The threshold is ``password_policy.reuse_prevention`` (24 is the API maximum, so the CIS "24"
    and "at least 24" agree). A policy without PasswordReusePrevention allows any reuse.

    Severity: medium here, low in Security Hub (IAM.16). Reuse brings back passwords that may have
    leaked before, which undoes the length rule it stands beside (CIS Level 1, Security Hub IAM.15
    medium); the password-policy rules that protect every console user are rated together.
    """
    required = settings.password_policy.reuse_prevention
    policy = _custom_policy(account, settings, "any earlier password can be reused",
                            f"the last {required} must be remembered")
    remembered = _number(policy, "PasswordReusePrevention", 0)
    if remembered < required:
        allowed = f"remembers only the last {remembered} passwords" if remembered else "does not prevent password reuse"
        raise Finding(
            f"Account {account.id}'s password policy {allowed}; at least the last {required} must be remembered.",
            evidence={"PasswordReusePrevention": remembered, "required": required},
            remediation=_update_command(policy, PasswordReusePrevention=required),
        )


@control(
    "password_policy_character_class", severity="medium", sources=["password_policy"],
    headline="Password policy does not require a configured character class",
    refs={"seed": 23, "security-hub": "IAM.7"},
    remediation="aws iam update-account-password-policy --require-uppercase-characters --require-lowercase-characters "
                "--require-numbers --require-symbols (the call replaces the whole policy: pass the other settings too)",
)
def test_password_policy_character_class(
    account: Account, character_class: CharacterClassName, settings: Settings,
) -> None:
    """The password policy requires these character classes: {password_policy.character_classes}.

    One item per class in ``password_policy.character_classes`` (uppercase, lowercase, numbers,
    symbols; Security Hub IAM.11-IAM.14). CIS dropped composition rules and NIST SP 800-63B advises
    against them, so the list can be shortened or emptied.
    """
    wanted = CHARACTER_CLASSES[character_class]
    policy = _custom_policy(account, settings, "no single character class is required (any three of four)",
                            f"every password must contain {wanted.requirement}")
    if not _flag(policy, wanted.field):
        raise Finding(
            f"Account {account.id}'s password policy does not require {wanted.requirement} "
            f"({wanted.field} is false).",
            evidence={wanted.field: False},
            remediation=_update_command(policy, **{wanted.field: True}),
        )


@control(
    "password_policy_max_age", severity="low", sources=["password_policy"],
    headline="Passwords do not expire within {password_policy.max_age_days} days",
    refs={"seed": 23, "security-hub": "IAM.17"},
    remediation="aws iam update-account-password-policy --max-password-age 90 "
                "(the call replaces the whole policy: pass the other settings too)",
)
def test_password_policy_max_age(account: Account, settings: Settings) -> None:
    """The password policy expires passwords within {password_policy.max_age_days} days.

    Passes when ExpirePasswords is true and MaxPasswordAge is at most ``password_policy.max_age_days``
    (exactly that many passes). CIS dropped this rule and NIST SP 800-63B advises against forced
    rotation; it stays for Security Hub IAM.17 and the product brief.
    """
    limit = settings.password_policy.max_age_days
    policy = _custom_policy(account, settings, "passwords never expire", f"expiry within {limit} days is required")
    max_age = _number(policy, "MaxPasswordAge", 0)
    expires = _flag(policy, "ExpirePasswords") if "ExpirePasswords" in policy else max_age > 0
    if not expires or max_age <= 0:
        raise Finding(
            f"Account {account.id}'s password policy never expires passwords; expiry within {limit} days is required.",
            evidence={"ExpirePasswords": expires, "MaxPasswordAge": max_age},
            remediation=_update_command(policy, MaxPasswordAge=limit),
        )
    if max_age > limit:
        raise Finding(
            f"Account {account.id}'s password policy expires passwords after {max_age} days; "
            f"at most {limit} is required.",
            evidence={"MaxPasswordAge": max_age, "limit_days": limit},
            remediation=_update_command(policy, MaxPasswordAge=limit),
        )
