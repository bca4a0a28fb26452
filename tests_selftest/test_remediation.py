"""Every fix is accepted by AWS's API model and removes its finding.

Each test seeds a failing state in moto, audits it with the real collector and check, runs the finding's fix
line by line through ``tests_selftest.cli_runner`` (botocore's service model parses and validates each line;
IAM's DeleteConflict and UnmodifiableEntity rules are enforced where moto is lenient), audits again and
asserts that the finding is gone.

Fixes not run here, and why:
- user_no_unused_service_permissions, role_no_unused_service_permissions: the fix is a policy document
  only people can write (which statements to narrow); moto also has no service-last-accessed jobs.
- elb_certificate_not_expiring, and acm_certificate_renewed for certificates in use or issued by ACM: the
  fix needs a new certificate from a certificate authority, or ACM's own renewal.
- admin_count_minimum, admin_count_maximum: who should (or should no longer) be an administrator is a
  decision, not a command.
- IAM Identity Center roles: their fix is a change to a permission set in Identity Center (a sentence,
  checked below to contain no IAM command).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from iam_compliance.simulated.moto_account import Key
from iam_compliance.simulated.moto_account.builder import allow
from iam_compliance.simulated.moto_account.certs import self_signed
from tests_selftest.cli_runner import CliRunner, FixRun, RejectedFix
from tests_selftest.harness import moto_session

SSO_ROLE = "AWSReservedSSO_PowerUsers_0123456789abcdef"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/eu-west-1/"
CODES = {"<first code>": "123456", "<second code>": "654321"}
NARROW = allow(["s3:GetObject"], "arn:aws:s3:::reports/*")


def fix_and_reaudit(aws, audit, tmp_path: Path, check_id: str, entity: str, *, args=(), placeholders=None,
                    files=None) -> tuple[str, FixRun]:
    """Audit, run the entity's fix against moto, audit again: the finding must be gone."""
    before = audit(check_id, args=args)
    assert before.outcome(check_id, entity) == "failed", before.message(check_id, entity)
    fix = before.item(check_id, entity).remediation
    workdir = tmp_path / "fix"
    workdir.mkdir(exist_ok=True)
    for name, text in (files or {}).items():
        (workdir / name).write_text(text)
    run = CliRunner(moto_session(), workdir, placeholders or {}).run(fix)
    assert run.calls, f"the fix of {check_id}[{entity}] made no AWS call:\n{fix}"
    after = audit(check_id, args=args)
    left = [i for i in after.results.items.values() if i.check_id == check_id and i.nodeid.endswith(f"[{entity}]")]
    assert all(i.outcome != "failed" for i in left), f"{check_id}[{entity}] still fails after:\n{fix}\n" + \
        "\n".join(i.message for i in left)
    return fix, run


def key_id(aws, user: str, index: int = 0) -> str:
    return aws.backend.users[user].access_keys[index].access_key_id


# --- users ------------------------------------------------------------------------------------------------


def test_delete_user_removes_everything_delete_user_needs(aws, audit, tmp_path):
    aws.group("readers", managed=[aws.policy("read", allow("s3:GetObject"))])
    aws.user("leaver", age_days=400, password=True, password_last_used_days=200, password_changed_days=300,
             mfa="virtual", keys=[Key(age_days=300, last_used_days=200), Key(age_days=250, active=False)],
             signing_certificates=[(300, True)], groups=["readers"], inline={"extra": allow("sqs:SendMessage")},
             managed=[aws.policy("direct", allow("sns:Publish"))])
    aws.iam.upload_ssh_public_key(UserName="leaver", SSHPublicKeyBody=_ssh_key())
    fix, run = fix_and_reaudit(aws, audit, tmp_path, "user_has_recent_activity", "leaver")
    assert "leaver" not in aws.backend.users
    commands = [call.split(" --")[0] for call in run.calls]
    for needed in ("aws iam delete-login-profile", "aws iam delete-access-key", "aws iam delete-signing-certificate",
                   "aws iam list-ssh-public-keys", "aws iam delete-ssh-public-key",
                   "aws iam list-service-specific-credentials", "aws iam deactivate-mfa-device",
                   "aws iam delete-virtual-mfa-device", "aws iam delete-user-policy", "aws iam detach-user-policy",
                   "aws iam remove-user-from-group", "aws iam delete-user"):
        assert needed in commands, f"{needed} missing from:\n{fix}"
    assert commands.count("aws iam delete-access-key") == 2
    assert run.for_people == []


def test_delete_user_with_hardware_mfa_lists_then_deactivates(aws, audit, tmp_path):
    aws.user("old-admin", age_days=400, password=True, password_last_used_days=300, mfa="hardware")
    fix, run = fix_and_reaudit(aws, audit, tmp_path, "user_has_recent_activity", "old-admin")
    assert "for id in $(aws iam list-mfa-devices --user-name old-admin --query 'MFADevices[].SerialNumber'" in fix
    assert any(call.startswith("aws iam deactivate-mfa-device --user-name old-admin") for call in run.calls)


def test_an_incomplete_delete_user_sequence_is_refused(aws):
    aws.user("leaver", keys=[Key()])
    with pytest.raises(RejectedFix, match="DeleteConflict.*access keys"):
        CliRunner(moto_session(), Path(".")).run("aws iam delete-user --user-name leaver")


@pytest.mark.parametrize("check_id, args", [
    ("user_console_mfa_enabled", ()),
    ("user_mfa_enabled", ("--set", "users.mfa_scope=all")),
    ("admin_user_mfa_enabled", ()),
])
def test_mfa_fix(aws, audit, tmp_path, check_id, args):
    aws.user("alice", password=True, password_last_used_days=1,
             managed=[aws.aws_policy("AdministratorAccess")] if check_id.startswith("admin") else [])
    fix, run = fix_and_reaudit(aws, audit, tmp_path, check_id, "alice", args=args, placeholders=CODES)
    assert fix.startswith("aws iam create-virtual-mfa-device --virtual-mfa-device-name alice --outfile alice-mfa.png")
    assert "--serial-number arn:aws:iam::123456789012:mfa/alice" in fix


@pytest.mark.parametrize("mode", ["cis", "strict"])
def test_user_at_most_one_access_key(aws, audit, tmp_path, mode):
    aws.user("two-keys", keys=[Key(age_days=20, last_used_days=1), Key(age_days=10, last_used_days=5,
                                                                       active=mode == "cis")])
    kept, other = key_id(aws, "two-keys", 0), key_id(aws, "two-keys", 1)
    args = ("--set", f"users.access_key_count_mode={mode}")
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "user_at_most_one_access_key", "two-keys", args=args)
    assert fix == f"aws iam delete-access-key --user-name two-keys --access-key-id {other}"  # the one used last stays
    assert [k.access_key_id for k in aws.backend.users["two-keys"].access_keys] == [kept]


def test_user_no_inline_policies(aws, audit, tmp_path):
    aws.user("inline", inline={"a": allow("s3:GetObject"), "b": allow("sqs:SendMessage")})
    fix, run = fix_and_reaudit(aws, audit, tmp_path, "user_no_inline_policies", "inline")
    assert len(run.calls) == 2 and len(run.for_people) == 1


def test_user_access_key_rotated(aws, audit, tmp_path):
    aws.user("old-key", keys=[Key(age_days=120, last_used_days=1)])
    old = key_id(aws, "old-key")
    fix_and_reaudit(aws, audit, tmp_path, "user_access_key_rotated", f"old-key/{old}")
    assert [k.access_key_id for k in aws.backend.users["old-key"].access_keys] != [old]


def test_user_signing_certificate_rotated(aws, audit, tmp_path):
    aws.user("signer", signing_certificates=[(120, True)])
    (old,) = aws.backend.users["signer"].signing_certificates
    new_body, _ = self_signed("signer-new", aws.now - timedelta(days=1), aws.now + timedelta(days=365))
    fix_and_reaudit(aws, audit, tmp_path, "user_signing_certificate_rotated", f"signer/{old}",
                    files={"new-signing-cert.pem": new_body})
    assert old not in aws.backend.users["signer"].signing_certificates
    assert len(aws.backend.users["signer"].signing_certificates) == 1


def test_user_unused_and_inactive_access_keys(aws, audit, tmp_path):
    aws.user("idle", keys=[Key(age_days=200, last_used_days=100)])
    aws.user("left-over", keys=[Key(age_days=200, active=False)])
    fix_and_reaudit(aws, audit, tmp_path, "user_unused_access_key_disabled", f"idle/{key_id(aws, 'idle')}")
    fix_and_reaudit(aws, audit, tmp_path, "user_no_inactive_access_keys", f"left-over/{key_id(aws, 'left-over')}")


def test_user_console_password_used(aws, audit, tmp_path):
    aws.user("dormant", password=True, password_last_used_days=100)
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "user_console_password_used", "dormant")
    assert fix == "aws iam delete-login-profile --user-name dormant"


def test_user_no_attached_managed_policies(aws, audit, tmp_path):
    shared = aws.policy("shared", allow("s3:GetObject"))
    own = aws.policy("own", allow("sqs:SendMessage"))
    aws.group("readers", managed=[shared])
    aws.group("queue-writers")
    aws.user("direct", managed=[shared, own])
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "user_no_attached_managed_policies", "direct",
                             placeholders={"<group for direct's job>": "queue-writers"})
    assert "aws iam add-user-to-group --user-name direct --group-name readers" in fix


def test_user_no_access_keys_from_initial_setup(aws, audit, tmp_path):
    aws.user("console", password=True, password_last_used_days=1,
             keys=[Key(age_days=30, last_used_days=2), Key(age_days=30)])
    never_used = key_id(aws, "console", 1)
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "user_no_access_keys_from_initial_setup", "console")
    assert fix == f"aws iam delete-access-key --user-name console --access-key-id {never_used}"


# --- roles and groups ---------------------------------------------------------------------------------


def test_delete_role_removes_policies_and_instance_profiles(aws, audit, tmp_path):
    aws.role("old-app", age_days=400, last_used_days=200, inline={"logs": allow("logs:PutLogEvents")},
             managed=[aws.policy("app", allow("s3:GetObject"))])
    aws.iam.create_instance_profile(InstanceProfileName="old-app-profile")
    aws.iam.add_role_to_instance_profile(InstanceProfileName="old-app-profile", RoleName="old-app")
    fix, run = fix_and_reaudit(aws, audit, tmp_path, "role_recently_used", "old-app")
    assert fix.splitlines() == [
        "aws iam delete-role-policy --role-name old-app --policy-name logs",
        "aws iam detach-role-policy --role-name old-app --policy-arn arn:aws:iam::123456789012:policy/app",
        "aws iam remove-role-from-instance-profile --instance-profile-name old-app-profile --role-name old-app",
        "aws iam delete-role --role-name old-app",
    ]


def test_role_no_inline_policies(aws, audit, tmp_path):
    aws.role("inline-role", inline={"a": allow("s3:GetObject")})
    fix_and_reaudit(aws, audit, tmp_path, "role_no_inline_policies", "inline-role")


def test_identity_center_role_fixes_name_the_permission_set_and_no_iam_command(aws, audit):
    admin = aws.aws_policy("AdministratorAccess")
    cloudshell = aws.aws_policy("AWSCloudShellFullAccess")
    aws.role(SSO_ROLE, path=SSO_PATH, age_days=400, inline={"extra": allow("*")}, managed=[admin, cloudshell])
    checks = ("role_no_inline_policies", "role_recently_used", "cloudshell_full_access_not_attached",
              "principal_no_administrator_access")
    result = audit(*checks)
    runner = CliRunner(moto_session(), Path("."))
    for check_id in checks:
        entity = SSO_ROLE if check_id.startswith("role_") else f"role/{SSO_ROLE}"
        assert result.outcome(check_id, entity) == "failed", check_id
        fix = result.item(check_id, entity).remediation
        assert "permission set PowerUsers" in fix, (check_id, fix)
        run = runner.run(fix)
        assert run.calls == [], (check_id, fix)  # nothing IAM would refuse with UnmodifiableEntity
    inline_key = f"role/{SSO_ROLE}/extra"
    full_admin = audit("policy_no_full_admin")
    assert "permission set PowerUsers" in full_admin.item("policy_no_full_admin", inline_key).remediation
    aws_managed = full_admin.item("policy_no_full_admin", "aws/AdministratorAccess").remediation
    assert "detach-role-policy" not in aws_managed and "permission set PowerUsers" in aws_managed


def test_writes_to_aws_owned_roles_are_refused(aws):
    aws.role(SSO_ROLE, path=SSO_PATH, inline={"extra": allow("s3:GetObject")})
    with pytest.raises(RejectedFix, match="UnmodifiableEntity"):
        CliRunner(moto_session(), Path(".")).run(f"aws iam delete-role-policy --role-name {SSO_ROLE} "
                                                 "--policy-name extra")


def test_group_fixes(aws, audit, tmp_path):
    aws.group("empty", inline={"x": allow("s3:GetObject")}, managed=[aws.policy("g", allow("sqs:SendMessage"))])
    aws.group("with-inline", inline={"y": allow("s3:GetObject")})
    aws.user("member", groups=["with-inline"])
    fix_and_reaudit(aws, audit, tmp_path, "group_has_users", "empty")
    assert "empty" not in aws.backend.groups
    fix_and_reaudit(aws, audit, tmp_path, "group_no_inline_policies", "with-inline")


# --- policies, admins, certificates ---------------------------------------------------------------------


def test_policy_no_full_admin_fixes(aws, audit, tmp_path):
    full = allow("*")
    customer = aws.policy("too-broad", full)
    for _ in range(4):  # five versions: the fix must delete one before creating another
        aws.policy_version(customer, full, default=True)
    aws.role("app", managed=[customer])
    aws.user("bob", inline={"god": full})
    aws.group("admins", managed=[aws.aws_policy("AdministratorAccess")])
    aws.user("carol", managed=[aws.aws_policy("AdministratorAccess")])
    files = {"narrower.json": json.dumps(NARROW)}
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "policy_no_full_admin", "too-broad", files=files)
    assert fix.splitlines()[1].startswith("aws iam delete-policy-version --policy-arn arn:aws:iam::123456789012:"
                                          "policy/too-broad --version-id v1")
    fix_and_reaudit(aws, audit, tmp_path, "policy_no_full_admin", "user/bob/god", files=files)
    fix, run = fix_and_reaudit(aws, audit, tmp_path, "policy_no_full_admin", "aws/AdministratorAccess")
    assert len(run.calls) == 2  # detached from group admins and user carol


def test_customer_policy_no_service_wildcard(aws, audit, tmp_path):
    aws.role("app", managed=[aws.policy("s3-all", allow("s3:*"))])
    fix_and_reaudit(aws, audit, tmp_path, "customer_policy_no_service_wildcard", "s3-all",
                    files={"specific-actions.json": json.dumps(NARROW)})


def test_cloudshell_and_administrator_access(aws, audit, tmp_path):
    aws.user("shell", managed=[aws.aws_policy("AWSCloudShellFullAccess")])
    aws.user("root-like", inline={"all": allow("*")})
    aws.group("ops", managed=[aws.aws_policy("AdministratorAccess")])
    fix_and_reaudit(aws, audit, tmp_path, "cloudshell_full_access_not_attached", "user/shell")
    fix_and_reaudit(aws, audit, tmp_path, "principal_no_administrator_access", "user/root-like")
    fix, run = fix_and_reaudit(aws, audit, tmp_path, "principal_no_administrator_access", "group/ops")
    assert run.for_people == ["Or, if it is a sanctioned administrator, add it to admins.approved."]


def test_support_role_exists(aws, audit, tmp_path):
    aws.aws_policy("AWSSupportAccess")  # AWS always has it; moto loads AWS-managed policies on demand
    aws.role("aws-support", trust={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "support_role_exists", "123456789012")
    assert fix.startswith("aws iam create-role --role-name aws-support-access ")


def test_iam_server_certificate_not_expired(aws, audit, tmp_path):
    aws.server_certificate("old-www", expires_in_days=-3)
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "iam_server_certificate_not_expired", "old-www")
    assert fix == "aws iam delete-server-certificate --server-certificate-name old-www"


def _ssh_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def test_mfa_fix_deletes_an_abandoned_device_of_the_same_name_first(aws, audit, tmp_path):
    aws.user("bob", password=True, password_last_used_days=1)
    aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")  # created, never enabled
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "user_console_mfa_enabled", "bob", placeholders=CODES)
    assert fix.startswith("aws iam delete-virtual-mfa-device --serial-number arn:aws:iam::123456789012:mfa/bob\n")


def test_server_certificate_in_use_is_replaced_on_its_listeners_then_deleted(aws, audit, tmp_path):
    old = aws.server_certificate("old-www", expires_in_days=-3)
    new = aws.server_certificate("new-www", expires_in_days=300)
    aws.classic_load_balancer("us-east-1", "legacy", {443: old})
    aws.load_balancer("us-east-1", "www", [aws.server_certificate("shop", expires_in_days=300), old])  # old: SNI
    aws.load_balancer("us-east-1", "api", [old])
    fix, run = fix_and_reaudit(aws, audit, tmp_path, "iam_server_certificate_not_expired", "old-www",
                               placeholders={"<ARN of the new certificate>": new})
    assert sorted(call.split(" --")[0] for call in run.calls) == [
        "aws elb set-load-balancer-listener-ssl-certificate", "aws elbv2 add-listener-certificates",
        "aws elbv2 modify-listener", "aws elbv2 remove-listener-certificates", "aws iam delete-server-certificate",
    ]
    assert run.calls[-1] == "aws iam delete-server-certificate --server-certificate-name old-www"


def test_password_policy_fixes(aws, audit, tmp_path):
    """The password-policy fixes keep every other setting of the policy (the call replaces the whole policy)."""
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "password_policy_exists", "123456789012")
    aws.password_policy(MinimumPasswordLength=8, PasswordReusePrevention=24, MaxPasswordAge=90, RequireSymbols=True)
    fix, _ = fix_and_reaudit(aws, audit, tmp_path, "password_policy_min_length", "123456789012")
    assert "--require-symbols" in fix and "--password-reuse-prevention 24" in fix
