"""Root user controls (catalogue section A): one item per account; root_access_keys_rotated one per key slot."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import CREDENTIAL_SLOTS, Account, BadData, CannotEvaluate, CredentialUse, SlotKind
from iam_compliance.settings import Settings
from iam_compliance.timeutil import age_days, short_date

NOUNS: dict[SlotKind, str] = {"access_key": "access key", "cert": "signing certificate"}
# Security Hub does not offer IAM.6 in China and GovCloud; hardware root MFA is assessed in the commercial partition.
NO_HARDWARE_MFA_PARTITIONS = ("aws-cn", "aws-us-gov")


def _root_arn(account: Account) -> str:
    return f"arn:{account.partition}:iam::{account.id}:root"


def _active_flags(account: Account, kind: SlotKind) -> str:
    """'access key 1 active, access key 2 inactive' from the credential report, or why it is unknown."""
    try:
        root = account.root_credentials
        flags = [root.active(kind, slot) for slot in CREDENTIAL_SLOTS]
    except CannotEvaluate as exc:  # evidence only; the verdict does not depend on it
        return f"credential report not usable: {exc}"
    return ", ".join(f"{NOUNS[kind]} {slot} {'active' if flag else 'inactive'}"
                     for slot, flag in zip(CREDENTIAL_SLOTS, flags))


def _passwordless_root_exempt(account: Account, settings: Settings) -> bool:
    """Under CIS v5 (``root.mfa_rule: cis-v5``) a root user without a password needs no MFA: it cannot sign in."""
    return settings.root.mfa_rule == "cis-v5" and account.summary.get("AccountPasswordPresent") == 0


def _report_shows_active(account: Account, kind: SlotKind) -> bool:
    """The credential report, when readable, marks a root credential of this kind active."""
    try:
        return bool(account.root_credentials.active_slots(kind))
    except CannotEvaluate:
        return False  # the summary alone decides; the message says the report was not usable


def _none_present(account: Account, summary_key: str, kind: SlotKind) -> None:
    """Fails when GetAccountSummary counts any root credential of this kind (active or inactive), or
    when the credential report shows an active one although the summary does not: either is evidence."""
    present = account.summary_value(summary_key)
    if present or _report_shows_active(account, kind):
        raise Finding(
            f"The root user of account {account.id} has {NOUNS[kind]}s "
            f"(GetAccountSummary {summary_key}={present}; {_active_flags(account, kind)}).",
            evidence={summary_key: present},
        )


@control(
    "root_no_access_keys", severity="critical", sources=["account_summary"],
    headline="Root user has access keys",
    refs={"seed": 1, "cis-v5.0": "1.3", "cis-v3.0": "1.4", "security-hub": "IAM.4"},
    remediation="Sign in as the root user, open Security credentials, and delete every access key "
                "(deactivate first if something may still use it).",
)
def test_root_no_access_keys(account: Account) -> None:
    """The root user has no access keys.

    Root keys cannot be restricted by any policy. Passes only when GetAccountSummary's
    AccountAccessKeysPresent is 0, which counts active and inactive keys alike.
    """
    _none_present(account, "AccountAccessKeysPresent", "access_key")


@control(
    "root_access_keys_rotated", severity="high", sources=["credential_report"],
    headline="Root access key older than {root.access_key_max_age_days} days",
    refs={"seed": 2},
    remediation="Delete the root access key: sign in as the root user, open Security credentials, Access keys. "
                "If something truly needs it, move that to an IAM role or user first.",
)
@pytest.mark.parametrize("slot", CREDENTIAL_SLOTS, ids=lambda slot: f"key{slot}")
def test_root_access_keys_rotated(account: Account, slot: int, settings: Settings, collected_at: datetime) -> None:
    """Root access keys, if any, were created within the last {root.access_key_max_age_days} days.

    Root keys should not exist at all (root_no_access_keys); one that remains must at least be
    rotated. One item per credential report key slot, read from access_key_N_active and
    access_key_N_last_rotated; a slot without an active key is not applicable. The limit is
    ``root.access_key_max_age_days``; a key exactly that old passes.
    """
    root = account.root_credentials
    if not root.active("access_key", slot):
        not_applicable(f"the root user of account {account.id} has no active access key in slot {slot}.")
    limit = settings.root.access_key_max_age_days
    created = root.last_rotated("access_key", slot, f"root access key {slot} is active")
    age = age_days(created, collected_at)
    if age > limit:
        raise Finding(
            f"The root user of account {account.id} has an active access key (credential report slot {slot}) "
            f"created {age} days ago on {short_date(created)}; the limit is {limit} days, and root should have "
            "no access keys at all.",
            evidence={"slot": slot, "access_key_last_rotated": created.isoformat(), "age_days": age, "limit_days": limit},
            remediation="Sign in as the root user, open Security credentials, and delete access key "
                        f"{slot} (or run aws iam delete-access-key --access-key-id <key id> with the root "
                        "credentials); replace it with an IAM role if something still needs it.",
        )


@control(
    "root_no_signing_certificates", severity="high", sources=["account_summary"],
    headline="Root user has X.509 signing certificates",
    refs={"seed": 3},
    remediation="Sign in as the root user, open Security credentials, X.509 certificates, and delete every "
                "certificate (or run aws iam delete-signing-certificate --certificate-id <id> with the root credentials).",
)
def test_root_no_signing_certificates(account: Account) -> None:
    """The root user has no X.509 signing certificates.

    Signing certificates are long-lived root credentials for a few legacy SOAP APIs. Passes only
    when GetAccountSummary's AccountSigningCertificatesPresent is 0 (active and inactive alike).
    """
    _none_present(account, "AccountSigningCertificatesPresent", "cert")


@control(
    "root_signing_certificates_rotated", severity="medium", sources=["credential_report"],
    headline="Root signing certificate older than {root.signing_certificate_max_age_days} days",
    refs={"seed": 4},
    remediation="Sign in as the root user, open Security credentials, X.509 certificates, and delete the old "
                "certificate; upload a new one only if a legacy API still needs it.",
)
def test_root_signing_certificates_rotated(account: Account, settings: Settings, collected_at: datetime) -> None:
    """Root signing certificates, if any, were uploaded within the last {root.signing_certificate_max_age_days} days.

    Read from the credential report's cert_N_active and cert_N_last_rotated; an account whose root
    has no active signing certificate is not applicable. The limit is
    ``root.signing_certificate_max_age_days``; a certificate exactly that old passes.
    """
    root = account.root_credentials
    slots = root.active_slots("cert")
    if not slots:
        not_applicable(f"the root user of account {account.id} has no active signing certificate.")
    limit = settings.root.signing_certificate_max_age_days
    uploaded = {slot: root.last_rotated("cert", slot, f"root signing certificate {slot} is active") for slot in slots}
    ages = {slot: age_days(when, collected_at) for slot, when in uploaded.items()}
    old = {slot: age for slot, age in ages.items() if age > limit}
    if old:
        details = "; ".join(f"certificate {slot} uploaded {age} days ago on {short_date(uploaded[slot])}"
                            for slot, age in old.items())
        raise Finding(
            f"The root user of account {account.id} has {len(old)} active signing "
            f"certificate{'s' if len(old) > 1 else ''} older than {limit} days ({details}).",
            evidence={root.slot_column("cert", slot, "last_rotated"): uploaded[slot].isoformat() for slot in old},
        )


@control(
    "root_mfa_enabled", severity="critical", sources=["account_summary"],
    headline="Root user has no MFA",
    refs={"seed": 5, "cis-v5.0": "1.4", "cis-v3.0": "1.5", "security-hub": "IAM.9"},
    remediation="Sign in as the root user, open Security credentials, and assign an MFA device "
                "(a hardware key or passkey is preferred).",
)
def test_root_mfa_enabled(account: Account, settings: Settings) -> None:
    """The root user has MFA enabled{root.mfa_rule}.

    Passes when GetAccountSummary AccountMFAEnabled is 1. Under the CIS v5 rule (the default,
    ``root.mfa_rule: cis-v5``) a root user without a password (AccountPasswordPresent 0, as in
    accounts with centralized root access) also passes: it cannot sign in. ``cis-v3`` requires MFA always.
    """
    mfa = account.summary_value("AccountMFAEnabled")
    if _passwordless_root_exempt(account, settings) or mfa == 1:
        return
    password = account.summary.get("AccountPasswordPresent", "not reported")
    raise Finding(
        f"The root user of account {account.id} has no MFA device "
        f"(GetAccountSummary AccountMFAEnabled={mfa}, AccountPasswordPresent={password}).",
        evidence={"AccountMFAEnabled": mfa, "AccountPasswordPresent": password, "rule": settings.root.mfa_rule},
    )


def _virtual_root_devices(account: Account) -> list[str]:
    """Serial numbers of the virtual MFA devices assigned to the root user."""
    devices = account.snapshot.data("virtual_mfa_devices")
    if not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
        raise BadData("ListVirtualMFADevices data in the snapshot is not a list of devices.")
    root_arn = _root_arn(account)
    # Matched by the assigned user, not the legacy serial name root-account-mfa-device: root may hold 8 devices.
    return [str(d.get("SerialNumber")) for d in devices if (d.get("User") or {}).get("Arn") == root_arn]


@control(
    "root_hardware_mfa_enabled", severity="high", sources=["account_summary", "virtual_mfa_devices"],
    headline="Root user has no hardware MFA device",
    refs={"cis-v5.0": "1.5", "cis-v3.0": "1.6", "security-hub": "IAM.6"},
    remediation="Sign in as the root user, open Security credentials, assign a FIDO security key or hardware "
                "TOTP token, then remove the virtual device (deactivate it, then "
                "aws iam delete-virtual-mfa-device --serial-number <serial>).",
)
def test_root_hardware_mfa_enabled(account: Account, settings: Settings) -> None:
    """The root user's MFA is a hardware device, not a virtual one{root.mfa_rule}.

    Fails when the root user has no MFA at all (GetAccountSummary AccountMFAEnabled 0) or when
    ListVirtualMFADevices shows a device assigned to arn:<partition>:iam::<account>:root. Under the
    CIS v5 rule (``root.mfa_rule: cis-v5``) a root user without a password passes, as for
    root_mfa_enabled. Not applicable in the aws-cn and aws-us-gov partitions (no Security Hub IAM.6 there).

    Severity: high here, critical in Security Hub (IAM.6). A root user without any MFA is already
    root_mfa_enabled's critical finding; what this check adds is the kind of device, and a virtual
    device still stops a stolen password on its own (CIS rates it Level 2, beyond the baseline).
    """
    if account.partition in NO_HARDWARE_MFA_PARTITIONS:
        not_applicable(f"hardware MFA for the root user is not assessed in the {account.partition} partition.")
    if _passwordless_root_exempt(account, settings):
        return
    mfa = account.summary_value("AccountMFAEnabled")
    if mfa != 1:
        raise Finding(
            f"The root user of account {account.id} has no MFA device at all, hardware or virtual "
            f"(GetAccountSummary AccountMFAEnabled={mfa}).",
            evidence={"AccountMFAEnabled": mfa},
            remediation="Sign in as the root user, open Security credentials, and assign a FIDO security key "
                        "or hardware TOTP token.",
        )
    virtual = _virtual_root_devices(account)
    if virtual:
        raise Finding(
            f"The root user of account {account.id} uses a virtual MFA device "
            f"({', '.join(virtual)}, assigned to {_root_arn(account)}); root needs a hardware device.",
            evidence={"virtual_mfa_devices": virtual},
        )


def _attested_change(value: date | None, now: datetime) -> datetime | None:
    """``root.password_last_changed`` (a date, or a timestamp) as aware UTC; None when not attested.

    A change after the audit is not evidence about the account the snapshot shows.
    """
    if value is None:
        return None
    changed = value if isinstance(value, datetime) else datetime.combine(value, time(), tzinfo=timezone.utc)
    if changed > now:
        raise CannotEvaluate(
            f"The attested root password change (root.password_last_changed {short_date(changed)}) is after the "
            f"audit date {short_date(now)}, so the password's age at the audit is unknown; replay a newer snapshot."
        )
    return changed


@control(
    "root_password_rotated", severity="low", sources=["account_summary"],
    headline="Root password older than {root.password_max_age_days} days",
    refs={"seed": 6},
    remediation="Sign in as the root user, open Security credentials, change the password, and record the date "
                "in root.password_last_changed.",
)
def test_root_password_rotated(account: Account, settings: Settings, collected_at: datetime) -> None:
    """The root password was changed within the last {root.password_max_age_days} days.

    No IAM API tells when the root password was changed (the credential report says not_supported),
    so the date is attested in ``root.password_last_changed``; without it the check is skipped with
    that reason. Fails when the attested date is more than ``root.password_max_age_days`` ago.
    A root user without a password (GetAccountSummary AccountPasswordPresent 0) is not applicable.
    """
    changed = _attested_change(settings.root.password_last_changed, collected_at)
    if account.summary.get("AccountPasswordPresent") == 0:
        not_applicable(f"the root user of account {account.id} has no password.")
    if changed is None:
        pytest.skip(
            "Not evaluated: no IAM API reports when the root password was last changed (credential report "
            "password_last_changed=not_supported); set root.password_last_changed to the date of the last change."
        )
    limit = settings.root.password_max_age_days
    age = age_days(changed, collected_at)
    if age > limit:
        raise Finding(
            f"The root password of account {account.id} was last changed {age} days ago on {short_date(changed)} "
            f"(attested in root.password_last_changed); the limit is {limit} days.",
            evidence={"password_last_changed": changed.isoformat(), "age_days": age, "limit_days": limit},
        )


def _root_credential(use: CredentialUse) -> str:
    return "password (console sign-in)" if use.slot is None else use.credential


@control(
    "root_not_recently_used", severity="high", sources=["credential_report"],
    headline="Root user used in the last {root.min_days_since_last_use} days",
    refs={"cis-v5.0": "1.6", "cis-v3.0": "1.7", "security-hub": "IAM.20"},
    remediation="Find out who used root and why (CloudTrail events with userIdentity.type Root), move that task "
                "to an IAM role or Identity Center user, delete root access keys and lock the root password away.",
)
def test_root_not_recently_used(account: Account, settings: Settings, collected_at: datetime) -> None:
    """The root user is not used for everyday tasks: no use in the last {root.min_days_since_last_use} days.

    The last use is the latest of the credential report's password_last_used and
    access_key_N_last_used_date (values such as no_information or N/A mean no recorded use).
    Fails when that is fewer than ``root.min_days_since_last_use`` days ago; exactly that many days
    passes. CIS gives no number; 90 days follows ScoutSuite and Steampipe. Security Hub IAM.20 (low) is
    retired; the reference is kept, marked retired, for accounts that still report it.
    """
    root = account.root_credentials
    uses = root.last_uses()
    if not uses:
        return
    latest = max(uses, key=lambda use: use.when)
    last = latest.when
    window = settings.root.min_days_since_last_use
    age = max(age_days(last, collected_at), 0)  # a clock a little ahead of the audit still means "just used"
    if age < window:
        raise Finding(
            f"The root user of account {account.id} was used {age} days ago, on {short_date(last)}, through its "
            f"{_root_credential(latest)} (credential report {latest.column}); root should not have been used "
            f"in the last {window} days.",
            evidence={use.column: use.when.isoformat() for use in uses},
        )
