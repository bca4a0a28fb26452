"""IAM user controls (catalogue section D): one item per IAM user (root excluded), per access key or per
signing certificate.

Ages are measured from a timestamp to the snapshot's collected_at with the suite's one convention
(``iam_compliance.timeutil``): "older than N days" means more than N x 24 hours, so a credential exactly
N days old passes and one N days and one second old fails. Sentences state completed days.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from iam_compliance import remediation
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.activity import user_credential_events
from iam_compliance.model.iam import CannotEvaluate, CredentialRow, User
from iam_compliance.model.credentials import AccessKey, SigningCertificate, UserCredential, user_access_keys
from iam_compliance.settings import Settings
from iam_compliance.timeutil import age_days, older_than, short_date


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def _last_activity_of(key: AccessKey) -> datetime:
    """When the key was last used, else created: the key to keep is the one most recently in use."""
    try:
        return key.last_used or key.created
    except CannotEvaluate:
        return key.created


def _delete_all_keys_but_one(user: User, active_only: bool) -> str:
    """Delete every (active) key but the one used most recently; a listing line when the keys are unknown."""
    try:
        keys = [key for key in user_access_keys(user.snapshot, user.name) if key.active or not active_only]
    except CannotEvaluate:
        keys = []
    if len(keys) < 2:
        return (f"aws iam list-access-keys --user-name {user.name}\n"
                f"aws iam delete-access-key --user-name {user.name} --access-key-id <id of the key no longer needed>")
    keep = max(keys, key=_last_activity_of)
    return remediation.steps(*(remediation.delete_access_key(user.name, key.id) for key in keys if key is not keep))


def _require_active(credential: UserCredential) -> None:
    if not credential.active:
        not_applicable(f"{credential.noun} {credential.id} of user {credential.user_name} is inactive.")


def _require_rotated(
    credential: UserCredential, since: datetime, verb: str, limit: int, now: datetime, remediation: str,
) -> None:
    """Fail when an active credential was created (or uploaded) more than ``limit`` days ago."""
    age = age_days(since, now)
    if older_than(since, now, limit):
        raise Finding(
            f"{credential.noun.capitalize()} {credential.id} of user {credential.user_name} is active and was {verb} "
            f"{_days(age)} ago on {short_date(since)}; active {credential.noun}s must be rotated within {limit} days.",
            evidence={verb: since.isoformat(), "age_days": age, "limit_days": limit},
            remediation=remediation,
        )


@control(
    "user_console_mfa_enabled", severity="high", sources=["credential_report"],
    headline="Console user has no MFA",
    refs={"seed": 10, "cis-v5.0": "1.9", "cis-v3.0": "1.10", "security-hub": "IAM.5"},
    remediation="Assign an MFA device to the user (aws iam create-virtual-mfa-device, then "
                "aws iam enable-mfa-device), or remove the console password (aws iam delete-login-profile).",
)
def test_user_console_mfa_enabled(iam_user: User) -> None:
    """Users with a console password have MFA enabled.

    Read from the credential report: fails when password_enabled is true and mfa_active is false.

    Severity: high here, medium in Security Hub (IAM.5). A console password without MFA is one
    phished or reused password away from the console with all of the user's permissions, and console
    sign-in is exactly what attackers try first.
    """
    credentials = iam_user.credentials
    if not credentials.password_enabled:
        not_applicable(f"user {iam_user.name} has no console password.")
    if not credentials.mfa_active:
        raise Finding(
            f"User {iam_user.name} can sign in to the console with a password but has no MFA device "
            f"({credentials.source}: password_enabled=true, mfa_active=false).",
            evidence={"password_enabled": True, "mfa_active": False},
            remediation=remediation.enable_virtual_mfa(iam_user),
        )


@control(
    "user_at_most_one_access_key", severity="medium", sources=["credential_report"],
    headline="User has more than one {users.access_key_count_mode}",
    refs={"seed": 17, "cis-v5.0": "1.12", "cis-v3.0": "1.13"},
    remediation="Delete the access key that is no longer needed (aws iam delete-access-key).",
)
def test_user_at_most_one_access_key(iam_user: User, settings: Settings) -> None:
    """Users have at most one {users.access_key_count_mode}.

    CIS counts active keys (``users.access_key_count_mode: cis``, the default), read from the
    credential report's access_key_N_active columns. Two active keys are only justified during a
    rotation, which should take hours, not weeks. ``strict`` counts keys of any status, as listed
    by ListAccessKeys (an inactive key left behind is still a credential that can be re-enabled).
    The fix deletes every key but the one used most recently (by id, from ListAccessKeys).
    """
    if settings.users.access_key_count_mode == "strict":
        keys = user_access_keys(iam_user.snapshot, iam_user.name)
        if len(keys) > 1:
            listed = ", ".join(f"{k.id} ({k.status.lower()}, created {short_date(k.created)})" for k in keys)
            raise Finding(
                f"User {iam_user.name} has {len(keys)} access keys: {listed}; "
                "users.access_key_count_mode is strict, so keys of any status count.",
                evidence={"access_keys": {k.id: k.status for k in keys}},
                remediation=_delete_all_keys_but_one(iam_user, active_only=False),
            )
        return
    active = iam_user.credentials.active_access_key_slots
    if len(active) > 1:
        raise Finding(
            f"User {iam_user.name} has {len(active)} active access keys "
            f"({iam_user.credentials.source}: key slots {', '.join(map(str, active))} active).",
            evidence={"active_key_slots": active},
            remediation=_delete_all_keys_but_one(iam_user, active_only=True),
        )


@control(
    "user_no_inline_policies", severity="low", sources=["authorization_details"],
    headline="User has inline policies",
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
            remediation=remediation.steps(
                f"Move the permissions of {', '.join(names)} into a managed policy attached to a group of the user, "
                "then delete the inline policies:",
                *(remediation.remove_policy(iam_user, inline_name=name) for name in names)),
        )


@control(
    "user_has_recent_activity", severity="medium", sources=["credential_report"],
    headline="User inactive for more than {users.inactivity_days} days",
    refs={"seed": 9},
    remediation="Delete the user once nobody needs it: remove its login profile, access keys, signing certificates, "
                "SSH public keys, service-specific credentials, MFA devices, policies and group memberships, then "
                "aws iam delete-user.",
)
def test_user_has_recent_activity(iam_user: User, settings: Settings, collected_at: datetime) -> None:
    """Users with no console sign-in and no access-key use for {users.inactivity_days} days are removed.

    A user is inactive only when nothing it holds was created, changed or used within
    ``users.inactivity_days``: read from its credential report row, the latest of the user's creation,
    password_last_changed and password_last_used, each access key's last_rotated (created) and
    last_used_date, and each signing certificate's last_rotated (uploaded). So a long-lived user whose
    first access key was issued last week is active. A user created within the window is not applicable
    (the grace period for new users). Ages follow the suite's convention: inactive means the latest
    event is more than N x 24 h before collected_at.

    The fix is the whole sequence DeleteUser needs (``iam_compliance.remediation.delete_user``): the login
    profile, access keys and signing certificates by id, virtual MFA devices by serial number, inline and
    attached policies and group memberships from the snapshot; SSH public keys, service-specific
    credentials (not collected) and MFA devices the snapshot cannot name (hardware, or an unreadable
    listing) by list-then-delete loops that do nothing when there are none.
    """
    credentials = iam_user.credentials
    limit = settings.users.inactivity_days
    created = credentials.created
    age = age_days(created, collected_at)
    if not older_than(created, collected_at, limit):
        not_applicable(f"user {iam_user.name} was created {_days(age)} ago on {short_date(created)}, "
                       f"within the {limit}-day grace period for new users.")
    latest = user_credential_events(credentials)[0]  # the user's creation is always one
    if older_than(latest.when, collected_at, limit):
        idle = age_days(latest.when, collected_at)
        if latest.what == "user created":
            sentence = (f"User {iam_user.name} has had no credential created, changed or used since it was created "
                        f"{_days(idle)} ago on {short_date(created)}")
        else:
            sentence = (f"User {iam_user.name} has had no credential created, changed or used for {_days(idle)} "
                        f"(latest: {latest.what} on {short_date(latest.when)})")
        raise Finding(
            f"{sentence}; users inactive for more than {limit} days should be removed.",
            evidence={"latest_event": latest.what, "latest_event_time": latest.when.isoformat(),
                      "user_creation_time": created.isoformat(), "idle_days": idle, "limit_days": limit},
            remediation=remediation.delete_user(iam_user),
        )


@control(
    "user_mfa_enabled", severity="medium", sources=["credential_report"],
    headline="User has no MFA",
    refs={"seed": 10, "security-hub": "IAM.19"},
    remediation="Assign an MFA device to the user (aws iam create-virtual-mfa-device, then aws iam enable-mfa-device).",
)
def test_user_mfa_enabled(iam_user: User, settings: Settings) -> None:
    """Every user has MFA enabled, with or without a console password.

    The strict reading of the practice (Security Hub IAM.19), read from the credential report's
    mfa_active. Evaluated only with ``users.mfa_scope: all``; with the default ``console`` every item
    is skipped with that reason, and user_console_mfa_enabled covers the users who can sign in.
    """
    if settings.users.mfa_scope != "all":
        pytest.skip("Not evaluated: users.mfa_scope is console, so only users with a console password need MFA "
                    "(user_console_mfa_enabled); set users.mfa_scope: all to require it for every user.")
    if not iam_user.credentials.mfa_active:
        raise Finding(
            f"User {iam_user.name} has no MFA device ({iam_user.credentials.source}: mfa_active=false); "
            "users.mfa_scope is all, so every user needs one.",
            evidence={"mfa_active": False, "password_enabled": iam_user.credentials.password_enabled},
            remediation=remediation.enable_virtual_mfa(iam_user),
        )


@control(
    "user_access_key_rotated", severity="medium", sources=["access_keys"],
    headline="Active access key older than {users.access_key_max_age_days} days",
    refs={"seed": 11, "cis-v5.0": "1.13", "cis-v3.0": "1.14", "security-hub": "IAM.3"},
    remediation="Create a new access key, move the workload to it, then deactivate and delete the old key "
                "(aws iam create-access-key, aws iam update-access-key --status Inactive, aws iam delete-access-key).",
)
def test_user_access_key_rotated(access_key: AccessKey, settings: Settings, collected_at: datetime) -> None:
    """Active access keys are rotated at least every {users.access_key_max_age_days} days.

    One item per access key (ListAccessKeys); an inactive key is not applicable. Fails when an
    active key's CreateDate is more than ``users.access_key_max_age_days`` ago.
    """
    user = access_key.user_name
    _require_active(access_key)
    _require_rotated(
        access_key, access_key.created, "created", settings.users.access_key_max_age_days, collected_at,
        remediation=remediation.steps(
            f"aws iam create-access-key --user-name {user}",
            "Move the workload to the new key, then:",
            remediation.deactivate_access_key(user, access_key.id),
            remediation.delete_access_key(user, access_key.id)),
    )


@control(
    "user_signing_certificate_rotated", severity="low", sources=["signing_certificates"],
    headline="Active signing certificate older than {users.signing_certificate_max_age_days} days",
    refs={"seed": 12},
    remediation="Upload a new signing certificate, move its users to it, then deactivate and delete the old one "
                "(aws iam upload-signing-certificate, aws iam delete-signing-certificate).",
)
def test_user_signing_certificate_rotated(
    signing_certificate: SigningCertificate, settings: Settings, collected_at: datetime,
) -> None:
    """Active X.509 signing certificates are rotated at least every {users.signing_certificate_max_age_days} days.

    One item per user signing certificate (ListSigningCertificates); an inactive certificate is not
    applicable. Fails when an active certificate's UploadDate is more than
    ``users.signing_certificate_max_age_days`` ago.
    """
    certificate, user = signing_certificate, signing_certificate.user_name
    _require_active(certificate)
    _require_rotated(
        certificate, certificate.uploaded, "uploaded", settings.users.signing_certificate_max_age_days, collected_at,
        remediation=remediation.steps(
            f"aws iam upload-signing-certificate --user-name {user} --certificate-body file://new-signing-cert.pem",
            "Move the certificate's users to the new one (new-signing-cert.pem is a new X.509 certificate), then:",
            f"aws iam delete-signing-certificate --user-name {user} --certificate-id {certificate.id}"),
    )


@control(
    "user_unused_access_key_disabled", severity="medium", sources=["access_keys", "credential_report"],
    headline="Active access key unused for more than {users.unused_access_key_days} days",
    refs={"seed": 13, "cis-v5.0": "1.11", "cis-v3.0": "1.12", "security-hub": "IAM.22"},
    remediation="Deactivate the unused access key (aws iam update-access-key --status Inactive), "
                "then delete it once nothing breaks.",
)
def test_user_unused_access_key_disabled(access_key: AccessKey, settings: Settings, collected_at: datetime) -> None:
    """Active access keys unused for {users.unused_access_key_days} days are disabled.

    One item per access key; an inactive key is not applicable. Last use comes from the key's
    credential report slot (or GetAccessKeyLastUsed for a key the report does not show). A key
    that was never used is judged by its creation date, as CIS requires, so an unused key cannot
    stay active forever. The limit is ``users.unused_access_key_days``.
    """
    user = access_key.user_name
    _require_active(access_key)
    limit = settings.users.unused_access_key_days
    last_used = access_key.last_used
    fix = remediation.deactivate_access_key(user, access_key.id)
    if last_used is None:
        age = age_days(access_key.created, collected_at)
        if older_than(access_key.created, collected_at, limit):
            raise Finding(
                f"Access key {access_key.id} of user {user} is active but has never been used since it was created "
                f"{_days(age)} ago on {short_date(access_key.created)} ({access_key.last_used_from}); keys unused "
                f"for more than {limit} days must be disabled.",
                evidence={"created": access_key.created.isoformat(), "last_used": None, "limit_days": limit},
                remediation=fix,
            )
        return
    idle = age_days(last_used, collected_at)
    if older_than(last_used, collected_at, limit):
        where = f", {access_key.last_used_where}" if access_key.last_used_where else ""
        raise Finding(
            f"Access key {access_key.id} of user {user} is active but was last used {_days(idle)} ago on "
            f"{short_date(last_used)}{where} ({access_key.last_used_from}); keys unused for more than {limit} days "
            "must be disabled.",
            evidence={"last_used": last_used.isoformat(), "idle_days": idle, "limit_days": limit},
            remediation=fix,
        )


@control(
    "user_no_inactive_access_keys", severity="low", sources=["access_keys"],
    headline="Inactive access key older than {users.inactive_access_key_grace_days} days is kept",
    refs={"seed": 13},
    remediation="Delete access keys that were deactivated and are no longer needed (aws iam delete-access-key).",
)
def test_user_no_inactive_access_keys(access_key: AccessKey, settings: Settings, collected_at: datetime) -> None:
    """Inactive access keys older than {users.inactive_access_key_grace_days} days are deleted.

    One item per access key; an active key is not applicable. IAM records no deactivation date,
    so the key's age stands in for it: an inactive key created more than
    ``users.inactive_access_key_grace_days`` ago fails. With 0, every inactive key fails.
    """
    user = access_key.user_name
    if access_key.active:
        not_applicable(f"access key {access_key.id} of user {user} is active.")
    grace = settings.users.inactive_access_key_grace_days
    age = age_days(access_key.created, collected_at)
    if grace == 0 or older_than(access_key.created, collected_at, grace):
        rule = ("users.inactive_access_key_grace_days is 0, so inactive keys must be deleted" if grace == 0 else
                f"inactive keys older than {grace} days must be deleted")
        raise Finding(
            f"Access key {access_key.id} of user {user} is inactive and was created {_days(age)} ago on "
            f"{short_date(access_key.created)}; {rule} (IAM records no deactivation date, so the key's age is used).",
            evidence={"status": access_key.status, "created": access_key.created.isoformat(), "grace_days": grace},
            remediation=remediation.delete_access_key(user, access_key.id),
        )


@control(
    "user_console_password_used", severity="medium", sources=["credential_report"],
    headline="Console password unused for more than {users.unused_password_days} days",
    refs={"seed": 14, "cis-v5.0": "1.11", "cis-v3.0": "1.12", "security-hub": "IAM.22"},
    remediation="Remove the unused console password (aws iam delete-login-profile).",
)
def test_user_console_password_used(iam_user: User, settings: Settings, collected_at: datetime) -> None:
    """Console passwords unused for {users.unused_password_days} days are disabled.

    Read from the credential report; a user without a password is not applicable. A password that
    was never used (password_last_used no_information) is judged by password_last_changed, as CIS
    requires. The limit is ``users.unused_password_days``.
    """
    credentials = iam_user.credentials
    if not credentials.password_enabled:
        not_applicable(f"user {iam_user.name} has no console password.")
    limit = settings.users.unused_password_days
    fix = remediation.delete_login_profile(iam_user)
    last_used = credentials.password_last_used
    if last_used is None:
        changed = credentials.password_last_changed("password_enabled is true")
        age = age_days(changed, collected_at)
        if older_than(changed, collected_at, limit):
            raise Finding(
                f"User {iam_user.name} has a console password that has never been used since it was set {_days(age)} "
                f"ago on {short_date(changed)}; passwords unused for more than {limit} days must be disabled.",
                evidence={"password_last_used": credentials.text(CredentialRow.PASSWORD_LAST_USED),
                          "password_last_changed": changed.isoformat(), "limit_days": limit},
                remediation=fix,
            )
        return
    idle = age_days(last_used, collected_at)
    if older_than(last_used, collected_at, limit):
        raise Finding(
            f"User {iam_user.name} last signed in to the console {_days(idle)} ago on {short_date(last_used)}; "
            f"passwords unused for more than {limit} days must be disabled.",
            evidence={"password_last_used": last_used.isoformat(), "idle_days": idle, "limit_days": limit},
            remediation=fix,
        )


@control(
    "user_no_attached_managed_policies", severity="low", sources=["authorization_details"],
    headline="User has managed policies attached directly",
    refs={"cis-v5.0": "1.14", "cis-v3.0": "1.15", "security-hub": "IAM.2"},
    remediation="Add the user to a group that grants the permissions, then detach the policy from the user "
                "(aws iam detach-user-policy).",
)
def test_user_no_attached_managed_policies(iam_user: User) -> None:
    """Users get permissions only through groups, with no managed policy attached directly.

    Read from GetAccountAuthorizationDetails AttachedManagedPolicies; inline policies are covered by
    user_no_inline_policies. The fix adds the user to a group that already has the policy attached when
    the account has one (named from the snapshot), else attaches the policy to a group (whose name only
    people can choose), then detaches the policy from the user.
    """
    arns = sorted(iam_user.attached_policy_arns)
    if arns:
        names = ", ".join(arn.rsplit("/", 1)[-1] for arn in arns)
        raise Finding(
            f"User {iam_user.name} has {len(arns)} managed "
            f"polic{'y' if len(arns) == 1 else 'ies'} attached directly: {names}; permissions should come from groups.",
            evidence={"attached_policies": arns},
            remediation=remediation.steps(*_move_to_groups(iam_user, arns)),
        )


def _move_to_groups(user: User, arns: list[str]) -> list[str]:
    """For each policy: join a group that has it (or give it to one), then detach it from the user."""
    groups = user.snapshot.groups
    lines: list[str] = []
    for arn in arns:
        holders = sorted(name for name, group in groups.items() if arn in group.attached_policy_arns)
        if not holders:
            lines.append(f"aws iam attach-group-policy --group-name <group for {user.name}'s job> --policy-arn {arn}")
            holders = [f"<group for {user.name}'s job>"]
        if holders[0] not in user.group_names:
            lines.append(f"aws iam add-user-to-group --user-name {user.name} --group-name {holders[0]}")
        lines.append(remediation.remove_policy(user, arn))
    return list(dict.fromkeys(lines))


def _delete_never_used_keys(user: User, count: int) -> str:
    """Delete the user's active keys that were never used (by id, from ListAccessKeys and their last use)."""
    try:
        keys = [key for key in user_access_keys(user.snapshot, user.name) if key.active and key.last_used is None]
    except CannotEvaluate:
        keys = []
    if len(keys) != count:
        return (f"aws iam list-access-keys --user-name {user.name}\n"
                f"aws iam delete-access-key --user-name {user.name} --access-key-id <id of the never used key>")
    return remediation.steps(*(remediation.delete_access_key(user.name, key.id) for key in keys))


@control(
    "user_no_access_keys_from_initial_setup", severity="low", sources=["credential_report"],
    headline="Console user has an access key that was never used",
    refs={"cis-v5.0": "1.10", "cis-v3.0": "1.11"},
    remediation="Delete access keys that console users never used (aws iam delete-access-key); "
                "create keys only when the user needs them.",
)
def test_user_no_access_keys_from_initial_setup(iam_user: User) -> None:
    """Console users have no access keys that were created at setup and never used.

    The CIS rule on the credential report: a user with a console password fails when an active key
    has access_key_N_last_used_date N/A (never used). A user without a password is not applicable.
    """
    credentials = iam_user.credentials
    if not credentials.password_enabled:
        not_applicable(f"user {iam_user.name} has no console password.")
    unused = [slot for slot in credentials.active_access_key_slots if credentials.access_key_last_used(slot) is None]
    if unused:
        created = ", ".join(
            f"slot {slot} created {short_date(credentials.last_rotated('access_key', slot, 'the key is active'))}"
            for slot in unused
        )
        raise Finding(
            f"User {iam_user.name} has a console password and {len(unused)} active access "
            f"key{'s' if len(unused) > 1 else ''} that {'were' if len(unused) > 1 else 'was'} never used "
            f"({credentials.source}: {created}); keys should be created only when a user needs them.",
            evidence={"password_enabled": True, "unused_active_key_slots": unused},
            remediation=_delete_never_used_keys(iam_user, len(unused)),
        )
