"""Root user controls (catalogue section A): one item per account; root_access_keys_rotated one per key slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import pytest

from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import (
    CREDENTIAL_SLOTS, Account, BadData, CannotEvaluate, CredentialRow, CredentialUse, SlotKind,
)
from iam_compliance.settings import Settings
from iam_compliance.timeutil import age_days, older_than, short_date

NOUNS: dict[SlotKind, str] = {"access_key": "access key", "cert": "signing certificate"}
SUMMARY_KEYS: dict[SlotKind, str] = {"access_key": "AccountAccessKeysPresent", "cert": "AccountSigningCertificatesPresent"}
# Security Hub does not offer IAM.6 in China and GovCloud; hardware root MFA is assessed in the commercial partition.
NO_HARDWARE_MFA_PARTITIONS = ("aws-cn", "aws-us-gov")


def _root_arn(account: Account) -> str:
    return f"arn:{account.partition}:iam::{account.id}:root"


def _summary_source(account: Account) -> str:
    """The live source: GetAccountSummary is read during the collection that starts at ``collected_at``."""
    return f"the account summary read at {account.snapshot.collected_at:%Y-%m-%d %H:%M} UTC"


def _slots_described(root: CredentialRow, kind: SlotKind) -> str:
    """'access key 1 active, access key 2 inactive' or 'no access key': an empty slot (``*_active`` false and
    no ``*_last_rotated`` date) holds no credential and is not mentioned."""
    held = [f"{NOUNS[kind]} {slot} {'active' if root.active(kind, slot) else 'inactive'}"
            for slot in CREDENTIAL_SLOTS if root.holds(kind, slot)]
    return ", ".join(held) or f"no {NOUNS[kind]}"


@dataclass(frozen=True)
class RootCredentials:
    """What the live account summary and the (possibly hours old) credential report say about one kind of
    root credential. The collector reads GetAccountSummary after it has fetched the report, so the summary
    is never the older of the two: where they disagree on whether a credential exists, the summary decides."""

    kind: SlotKind
    present: int | None  # GetAccountSummary's count, active and inactive alike; None when it could not be read
    summary: str  # "the account summary read at ..."
    report: CredentialRow | None  # the report's root row; None when unusable
    report_problem: str  # why the report is unusable, else ""

    @property
    def report_shows(self) -> str:
        """'the credential report generated at ... shows access key 1 active' (evidence)."""
        if self.report is None:
            return f"the credential report is not usable ({self.report_problem})"
        return f"{self.report.source} shows {_slots_described(self.report, self.kind)}"

    @property
    def deleted_since_report(self) -> bool:
        """The report shows a credential that the summary, read later, no longer counts."""
        held = self.report is not None and any(self.report.holds(self.kind, slot) for slot in CREDENTIAL_SLOTS)
        return held and self.present == 0


def _root_credentials(account: Account, kind: SlotKind) -> RootCredentials:
    try:
        present: int | None = account.summary_value(SUMMARY_KEYS[kind])
    except CannotEvaluate:
        present = None  # the checks that need the summary read it themselves and ERROR
    report: CredentialRow | None = None
    problem = ""
    try:
        row = account.root_credentials
        for slot in CREDENTIAL_SLOTS:  # read every column now: a garbled one makes the report unusable
            row.active(kind, slot), row.holds(kind, slot)
        report = row
    except CannotEvaluate as exc:
        problem = str(exc)
    return RootCredentials(kind, present, _summary_source(account), report, problem)


def _passwordless_root_exempt(account: Account, settings: Settings) -> bool:
    """Under CIS v5 (``root.mfa_rule: cis-v5``) a root user without a password needs no MFA: it cannot sign in."""
    return settings.root.mfa_rule == "cis-v5" and account.summary.get("AccountPasswordPresent") == 0


def _none_present(account: Account, kind: SlotKind) -> None:
    """Fails when the live account summary counts a root credential of this kind (active or inactive).

    The credential report, up to 4 hours old, is evidence only: a credential it still shows after the
    summary stopped counting it was deleted since, and the sentence says which source decided.
    """
    key = SUMMARY_KEYS[kind]
    present = account.summary_value(key)  # the deciding source: its absence is an ERROR
    state = _root_credentials(account, kind)
    if present:
        raise Finding(
            f"According to {state.summary}, the root user of account {account.id} has {NOUNS[kind]}s "
            f"({key}={present}, active and inactive alike); {state.report_shows}.",
            evidence={key: present, "decided_by": "GetAccountSummary"},
        )


def _report_row_in_force(account: Account, kind: SlotKind) -> CredentialRow:
    """The report's root row, whose dates decide the rotation checks; not applicable when every credential
    it shows was deleted since (the live account summary, read after the report, counts none)."""
    root = account.root_credentials  # raises when the report is unusable
    state = _root_credentials(account, kind)
    if state.deleted_since_report:
        not_applicable(
            f"according to {state.summary}, the root user of account {account.id} has no {NOUNS[kind]} "
            f"({SUMMARY_KEYS[kind]}=0); {state.report_shows}, but AWS serves a report for up to 4 hours and "
            f"the {NOUNS[kind]} was deleted since.")
    return root


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
    AccountAccessKeysPresent is 0, which counts active and inactive keys alike. The summary is live
    and read after the credential report; the report (evidence in the sentence) may be up to 4 hours
    old, so a key it still shows after the summary stopped counting it was deleted since.
    """
    _none_present(account, "access_key")


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
    ``root.access_key_max_age_days``; a key exactly that old passes. A key the report shows but the
    live account summary no longer counts was deleted after the report was generated: not applicable.
    """
    root = _report_row_in_force(account, "access_key")
    if not root.active("access_key", slot):
        not_applicable(f"the root user of account {account.id} has no active access key in slot {slot} "
                       f"({root.source}).")
    limit = settings.root.access_key_max_age_days
    created = root.last_rotated("access_key", slot, f"root access key {slot} is active")
    age = age_days(created, collected_at)
    if older_than(created, collected_at, limit):
        raise Finding(
            f"The root user of account {account.id} has an active access key (slot {slot} of {root.source}) "
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
    when GetAccountSummary's AccountSigningCertificatesPresent is 0 (active and inactive alike),
    reconciled with the credential report as for root_no_access_keys.
    """
    _none_present(account, "cert")


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
    root = _report_row_in_force(account, "cert")
    slots = root.active_slots("cert")
    if not slots:
        not_applicable(f"the root user of account {account.id} has no active signing certificate ({root.source}).")
    limit = settings.root.signing_certificate_max_age_days
    uploaded = {slot: root.last_rotated("cert", slot, f"root signing certificate {slot} is active") for slot in slots}
    ages = {slot: age_days(when, collected_at) for slot, when in uploaded.items()}
    old = {slot: age for slot, age in ages.items() if older_than(uploaded[slot], collected_at, limit)}
    if old:
        details = "; ".join(f"certificate {slot} uploaded {age} days ago on {short_date(uploaded[slot])}"
                            for slot, age in old.items())
        raise Finding(
            f"The root user of account {account.id} has {len(old)} active signing "
            f"certificate{'s' if len(old) > 1 else ''} older than {limit} days ({details}; {root.source}).",
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
        f"According to {_summary_source(account)}, the root user of account {account.id} has no MFA device "
        f"(AccountMFAEnabled={mfa}, AccountPasswordPresent={password}).",
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
            f"According to {_summary_source(account)}, the root user of account {account.id} has no MFA device "
            f"at all, hardware or virtual (AccountMFAEnabled={mfa}).",
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
    if older_than(changed, collected_at, limit):
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
    Fails unless that is older than ``root.min_days_since_last_use`` days (more than N x 24 h, the
    convention of ``iam_compliance.timeutil``); a use exactly that long ago is within the window. CIS gives no number; 90 days follows ScoutSuite and Steampipe. Security Hub IAM.20 (low) is
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
    if not older_than(last, collected_at, window):
        raise Finding(
            f"The root user of account {account.id} was used {age} days ago, on {short_date(last)}, through its "
            f"{_root_credential(latest)} ({latest.column} in {root.source}); root should not have been used "
            f"in the last {window} days.",
            evidence={use.column: use.when.isoformat() for use in uses},
        )
