"""The fixes checks give: AWS CLI lines AWS accepts for the resource in the state the snapshot shows.

Every line is built from the snapshot's own names, key ids, certificate ids, serial numbers and policy ARNs.
A fix of several steps has one step per line, in the order AWS needs them. A line is one of:

- an ``aws <service> <command> --param value ...`` command;
- a list-then-delete loop, ``for id in $(aws ... --query ... --output text); do aws ... "$id"; done``, for
  credentials the snapshot does not collect (SSH public keys and service-specific credentials would cost two
  calls per user; the loop does nothing when there are none, so AWS always accepts it);
- a sentence (starting with neither ``aws`` nor ``for``) for a step outside the IAM API: a change in an IAM
  Identity Center permission set, a decision only people can take, or a file only they can write.

``<...>`` marks a value only a person can supply (an MFA code, a new certificate); it never stands for
something the snapshot knows. Roles IAM refuses to change (Identity Center and service-linked roles, which
answer every change with UnmodifiableEntity) get the fix where it lives, never an IAM command.
"""

from __future__ import annotations

import json
import shlex

from iam_compliance.model.credentials import AccessKey, SigningCertificate, signing_certificates, user_access_keys
from iam_compliance.model.iam import CannotEvaluate, Group, ManagedPolicy, Principal, Role, Snapshot, User
from iam_compliance.model.principals import IDENTITY_CENTER, AwsOwner, aws_owner, owner_of
from iam_compliance.model.regional import ListenerUse

MAX_POLICY_VERSIONS = 5  # IAM keeps at most five versions of a managed policy; a sixth is LimitExceeded


def steps(*lines: str) -> str:
    """One fix of several steps, one step per line."""
    return "\n".join(line for line in lines if line)


def _q(value: str) -> str:
    """A value quoted for the shell only when it needs it (IAM names never do)."""
    return shlex.quote(value)


def _list_then_delete(list_command: str, query: str, delete_command: str) -> str:
    return (f"for id in $({list_command} --query '{query}' --output text); "
            f"do {delete_command} \"$id\"; done")


def _delete_each(ids: list[str] | None, list_command: str, query: str, delete_command: str) -> list[str]:
    """One delete line per id the snapshot holds, or a list-then-delete loop when it could not list them."""
    if ids is None:
        return [_list_then_delete(list_command, query, delete_command)]
    return [f"{delete_command} {identifier}" for identifier in ids]


# --- roles IAM refuses to change ------------------------------------------------------------------------


def owned_role_fix(owner: AwsOwner, role: Role, change: str) -> str:
    """The fix of an Identity Center or service-linked role, where it lives (a sentence, not an IAM command)."""
    if owner.kind == IDENTITY_CENTER:
        return (f"In IAM Identity Center, {change} in permission set {owner.name} and re-provision it to account "
                f"{role.snapshot.account_id} (role {role.name} is created from it; IAM refuses to change "
                "AWSReservedSSO roles).")
    return (f"Role {role.name} is a service-linked role of {owner.name}: {change} through that service, or delete "
            f"the role once the service no longer needs it: aws iam delete-service-linked-role --role-name {role.name}")


# --- policies -------------------------------------------------------------------------------------------


def remove_policy(principal: Principal, policy_arn: str = "", inline_name: str = "") -> str:
    """The line that takes one managed (``policy_arn``) or inline policy away from a user, group or role."""
    owner = owner_of(principal)
    if owner is not None and isinstance(principal, Role):
        what = f"remove inline policy {inline_name}" if inline_name else f"remove managed policy {policy_arn}"
        return owned_role_fix(owner, principal, what)
    kind = principal.kind
    if inline_name:
        return f"aws iam delete-{kind}-policy --{kind}-name {principal.name} --policy-name {_q(inline_name)}"
    return f"aws iam detach-{kind}-policy --{kind}-name {principal.name} --policy-arn {policy_arn}"


def remove_all_policies(principal: Principal) -> list[str]:
    """Delete every inline policy, then detach every managed policy."""
    return ([remove_policy(principal, inline_name=name) for name in sorted(principal.inline_policies)]
            + [remove_policy(principal, arn) for arn in sorted(principal.attached_policy_arns)])


def put_inline_policy(principal: Principal, name: str, document_file: str) -> str:
    kind = principal.kind
    return (f"aws iam put-{kind}-policy --{kind}-name {principal.name} --policy-name {_q(name)} "
            f"--policy-document file://{document_file}")


def new_default_version(policy: ManagedPolicy, document_file: str) -> str:
    """create-policy-version --set-as-default, first deleting the oldest non-default version when five exist."""
    versions = [v for v in policy.detail.get("PolicyVersionList", []) if isinstance(v, dict)]
    lines = []
    if len(versions) >= MAX_POLICY_VERSIONS:
        old = [v for v in versions if not v.get("IsDefaultVersion")]
        oldest = min(old, key=lambda v: str(v.get("CreateDate", "")))
        lines.append(f"aws iam delete-policy-version --policy-arn {policy.arn} --version-id {oldest['VersionId']}")
    lines.append(f"aws iam create-policy-version --policy-arn {policy.arn} --policy-document file://{document_file} "
                 "--set-as-default")
    return steps(*lines)


# --- users ----------------------------------------------------------------------------------------------


def _keys_of(user: User) -> list[AccessKey] | None:
    """The user's access keys from the snapshot, or None when they could not be listed."""
    try:
        return user_access_keys(user.snapshot, user.name)
    except CannotEvaluate:
        return None


def _certificates_of(user: User) -> list[SigningCertificate] | None:
    try:
        return [c for c in signing_certificates(user.snapshot).values() if c.user_name == user.name and c.detail]
    except CannotEvaluate:
        return None


def _virtual_mfa_serials(user: User) -> list[str] | None:
    """Serial numbers of the virtual MFA devices assigned to the user, or None when they could not be listed."""
    snapshot: Snapshot = user.snapshot
    if not snapshot.status("virtual_mfa_devices").ok:
        return None
    devices = snapshot.data("virtual_mfa_devices")
    return sorted(str(d["SerialNumber"]) for d in devices
                  if isinstance(d, dict) and (d.get("User") or {}).get("UserName") == user.name)


def delete_access_key(user_name: str, key_id: str) -> str:
    return f"aws iam delete-access-key --user-name {user_name} --access-key-id {key_id}"


def deactivate_access_key(user_name: str, key_id: str) -> str:
    return f"aws iam update-access-key --user-name {user_name} --access-key-id {key_id} --status Inactive"


def delete_login_profile(user: User) -> str:
    return f"aws iam delete-login-profile --user-name {user.name}"


def enable_virtual_mfa(user: User) -> str:
    """Create a virtual MFA device named after the user and assign it (the two codes come from the device).

    An unassigned device of the same name left from an earlier attempt is deleted first (its seed is lost).
    """
    serial = f"arn:{user.snapshot.partition}:iam::{user.snapshot.account_id}:mfa/{user.name}"
    snapshot = user.snapshot
    leftover = snapshot.status("virtual_mfa_devices").ok and any(
        isinstance(d, dict) and d.get("SerialNumber") == serial and not d.get("User")
        for d in snapshot.data("virtual_mfa_devices"))
    return steps(
        # an unassigned device of that name would make create-virtual-mfa-device fail (EntityAlreadyExists)
        f"aws iam delete-virtual-mfa-device --serial-number {serial}" if leftover else "",
        f"aws iam create-virtual-mfa-device --virtual-mfa-device-name {user.name} "
        f"--outfile {user.name}-mfa.png --bootstrap-method QRCodePNG",
        f"aws iam enable-mfa-device --user-name {user.name} --serial-number {serial} "
        "--authentication-code1 <first code> --authentication-code2 <second code>",
    )


def delete_user(user: User) -> str:
    """Everything DeleteUser needs removed first, then delete-user.

    Login profile, access keys, signing certificates, MFA devices (deactivated; virtual ones deleted), inline
    and attached policies and group memberships come from the snapshot (list-then-delete loops when their
    source could not be read). SSH public keys and service-specific credentials are not collected: a
    list-then-delete loop removes whatever exists. A permissions boundary does not block DeleteUser.
    """
    name = user.name
    credentials = user.credentials
    lines = [delete_login_profile(user)] if credentials.password_enabled else []
    keys, certificates = _keys_of(user), _certificates_of(user)
    lines += _delete_each(None if keys is None else [key.id for key in keys],
                          f"aws iam list-access-keys --user-name {name}", "AccessKeyMetadata[].AccessKeyId",
                          f"aws iam delete-access-key --user-name {name} --access-key-id")
    lines += _delete_each(None if certificates is None else [c.id for c in certificates],
                          f"aws iam list-signing-certificates --user-name {name}", "Certificates[].CertificateId",
                          f"aws iam delete-signing-certificate --user-name {name} --certificate-id")
    lines.append(_list_then_delete(f"aws iam list-ssh-public-keys --user-name {name}",
                                   "SSHPublicKeys[].SSHPublicKeyId",
                                   f"aws iam delete-ssh-public-key --user-name {name} --ssh-public-key-id"))
    lines.append(_list_then_delete(f"aws iam list-service-specific-credentials --user-name {name}",
                                   "ServiceSpecificCredentials[].ServiceSpecificCredentialId",
                                   f"aws iam delete-service-specific-credential --user-name {name} "
                                   "--service-specific-credential-id"))
    if credentials.mfa_active:
        virtual = _virtual_mfa_serials(user)
        for serial in virtual or []:
            lines.append(f"aws iam deactivate-mfa-device --user-name {name} --serial-number {serial}")
            lines.append(f"aws iam delete-virtual-mfa-device --serial-number {serial}")
        if not virtual:  # a hardware or security-key device, or the listing failed
            lines.append(_list_then_delete(f"aws iam list-mfa-devices --user-name {name}",
                                           "MFADevices[].SerialNumber",
                                           f"aws iam deactivate-mfa-device --user-name {name} --serial-number"))
    lines += remove_all_policies(user)
    lines += [f"aws iam remove-user-from-group --user-name {name} --group-name {group}"
              for group in sorted(user.group_names)]
    lines.append(f"aws iam delete-user --user-name {name}")
    return steps(*lines)


# --- groups and roles -----------------------------------------------------------------------------------


def delete_group(group: Group) -> str:
    """Remove the group's members, inline and attached policies, then delete-group."""
    lines = [f"aws iam remove-user-from-group --user-name {member} --group-name {group.name}"
             for member in sorted(group.member_names)]
    lines += remove_all_policies(group)
    lines.append(f"aws iam delete-group --group-name {group.name}")
    return steps(*lines)


def delete_role(role: Role) -> str:
    """Inline policies, attached policies, instance profiles (remove-role-from-instance-profile), then delete-role.

    Identity Center roles are removed by deleting the permission set's account assignments; service-linked
    roles by delete-service-linked-role (the service checks that nothing uses the role).
    """
    owner = aws_owner(role)
    if owner is not None:
        if owner.kind == IDENTITY_CENTER:
            return owned_role_fix(owner, role, "delete the account assignments (users and groups)")
        return f"aws iam delete-service-linked-role --role-name {role.name}"
    lines = remove_all_policies(role)
    lines += [f"aws iam remove-role-from-instance-profile --instance-profile-name {profile} --role-name {role.name}"
              for profile in sorted(instance_profiles(role))]
    lines.append(f"aws iam delete-role --role-name {role.name}")
    return steps(*lines)


def instance_profiles(role: Role) -> list[str]:
    """Names of the instance profiles the role is in (GetAccountAuthorizationDetails' InstanceProfileList)."""
    return [str(p["InstanceProfileName"]) for p in role.detail.get("InstanceProfileList", [])
            if isinstance(p, dict) and p.get("InstanceProfileName")]


def support_role(snapshot: Snapshot) -> str:
    """A role the account's own people can assume, with AWSSupportAccess attached (under a name not yet taken)."""
    role_name = next(name for name in ("aws-support", "aws-support-access", "aws-support-cases")
                     if name not in snapshot.roles)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:{snapshot.partition}:iam::{snapshot.account_id}:root"},
        "Action": "sts:AssumeRole"}]}
    return steps(
        f"aws iam create-role --role-name {role_name} --assume-role-policy-document "
        f"{_q(json.dumps(trust, separators=(',', ':')))}",
        f"aws iam attach-role-policy --role-name {role_name} "
        f"--policy-arn arn:{snapshot.partition}:iam::aws:policy/AWSSupportAccess",
    )


# --- load balancer certificates -------------------------------------------------------------------------

NEW_CERTIFICATE = "<ARN of the new certificate>"


def switch_listener(use: ListenerUse, old_arn: str, new_arn: str = NEW_CERTIFICATE) -> str:
    """The lines that make one listener present ``new_arn`` instead of ``old_arn``."""
    region = f"--region {use.region}"
    if use.kind == "classic":
        return (f"aws elb set-load-balancer-listener-ssl-certificate --load-balancer-name {use.load_balancer} "
                f"--load-balancer-port {use.port} --ssl-certificate-id {new_arn} {region}")
    if use.default:
        return f"aws elbv2 modify-listener --listener-arn {use.listener_arn} --certificates CertificateArn={new_arn} {region}"
    return steps(  # an SNI certificate: add the new one, then remove the old one from the listener's list
        f"aws elbv2 add-listener-certificates --listener-arn {use.listener_arn} --certificates CertificateArn={new_arn} "
        f"{region}",
        f"aws elbv2 remove-listener-certificates --listener-arn {use.listener_arn} "
        f"--certificates CertificateArn={old_arn} {region}",
    )
