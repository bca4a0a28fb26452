"""Root user controls (catalogue section A): one item per account."""

from __future__ import annotations

from fixtures.controls import Finding, control
from fixtures.model import Account
from fixtures.settings import Settings


def _active_flags(account: Account, kind: str) -> str:
    """'key 1 active, key 2 inactive' from the credential report, or why it is unknown."""
    if not account.snapshot.status("credential_report").ok:
        return "credential report unavailable"
    try:
        root = account.root_credentials
        flags = [root.flag(f"{kind}_{slot}_active") for slot in (1, 2)]
    except Exception as exc:  # evidence only; the verdict does not depend on it
        return f"credential report unreadable: {exc}"
    label = "key" if kind == "access_key" else "certificate"
    return ", ".join(f"{label} {slot} {'active' if flag else 'inactive'}" for slot, flag in zip((1, 2), flags))


@control(
    "root_no_access_keys", severity="critical", sources=["account_summary"],
    refs={"seed": 1, "cis-v5.0": "1.3", "cis-v3.0": "1.4", "security-hub": "IAM.4"},
    remediation="Sign in as the root user, open Security credentials, and delete every access key "
                "(deactivate first if something may still use it).",
)
def test_root_no_access_keys(account: Account) -> None:
    """The root user has no access keys.

    Root keys cannot be restricted by any policy. Passes only when GetAccountSummary's
    AccountAccessKeysPresent is 0, which counts active and inactive keys alike.
    """
    present = account.summary_value("AccountAccessKeysPresent")
    if present:
        raise Finding(
            f"The root user of account {account.id} has access keys "
            f"(GetAccountSummary AccountAccessKeysPresent={present}; {_active_flags(account, 'access_key')}).",
            evidence={"AccountAccessKeysPresent": present},
        )


@control(
    "root_mfa_enabled", severity="critical", sources=["account_summary"],
    refs={"seed": 5, "cis-v5.0": "1.4", "cis-v3.0": "1.5", "security-hub": "IAM.9"},
    remediation="Sign in as the root user, open Security credentials, and assign an MFA device "
                "(a hardware key or passkey is preferred).",
)
def test_root_mfa_enabled(account: Account, settings: Settings) -> None:
    """The root user has MFA enabled.

    Passes when GetAccountSummary AccountMFAEnabled is 1. Under the CIS v5 rule (the default,
    ``root.mfa_rule: cis-v5``) a root user without a password (AccountPasswordPresent 0, as in
    accounts with centralized root access) also passes: it cannot sign in. ``cis-v3`` requires MFA always.
    """
    mfa = account.summary_value("AccountMFAEnabled")
    if mfa == 1:
        return
    if settings.root.mfa_rule == "cis-v5" and account.summary.get("AccountPasswordPresent") == 0:
        return
    password = account.summary.get("AccountPasswordPresent", "not reported")
    raise Finding(
        f"The root user of account {account.id} has no MFA device "
        f"(GetAccountSummary AccountMFAEnabled={mfa}, AccountPasswordPresent={password}).",
        evidence={"AccountMFAEnabled": mfa, "AccountPasswordPresent": password, "rule": settings.root.mfa_rule},
    )
