"""Self-tests for the policy checks: full admin, service wildcards, CloudShell, support role."""

from iam_compliance.simulated.moto_account.builder import allow, service_trust

MFA_ONLY = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_policy_no_full_admin(aws, audit):
    admin = aws.aws_policy("AdministratorAccess")
    readonly = aws.aws_policy("ReadOnlyAccess")
    legacy = aws.policy("legacy", allow("*"))
    conditioned = aws.policy("mfa-admin", allow(["s3:GetObject", "*:*"], Condition=MFA_ONLY))
    aws.policy("unattached-star", allow("*"))  # unattached: not applicable under cis, fails under securityhub
    s3_all = aws.policy("s3-all", allow("s3:*"))
    rolled_back = aws.policy("rolled-back", allow("*"))
    aws.policy_version(rolled_back, allow("s3:GetObject"), default=True)
    boundary = aws.policy("boundary-star", allow("*"))
    aws.group("admins", managed=[admin])
    aws.user("ivan", managed=[legacy, conditioned, s3_all, rolled_back, readonly],
             inline={"everything": allow("*:*"), "reports": allow("s3:GetObject")})
    aws.role("bounded", managed=[readonly], boundary=boundary)

    cis = audit("policy_no_full_admin")
    assert cis.outcome("policy_no_full_admin", "aws/AdministratorAccess") == "failed"
    assert cis.message("policy_no_full_admin", "aws/AdministratorAccess").startswith(
        'AWS-managed policy AdministratorAccess allows every action on every resource (statement 1: Allow Action "*" '
        'on Resource "*"). Attached to: group/admins.'
    )
    assert cis.outcome("policy_no_full_admin", "legacy") == "failed"
    assert cis.message("policy_no_full_admin", "legacy").startswith(
        'Managed policy legacy allows every action on every resource (statement 1: Allow Action "*" on Resource "*"). '
        "Attached to: user/ivan.\nFix: Write narrower.json with only the actions and resources the holders need, "
        "then:\naws iam create-policy-version --policy-arn arn:aws:iam::123456789012:policy/legacy"
    )
    assert cis.outcome("policy_no_full_admin", "mfa-admin") == "failed"
    assert 'Allow Action "s3:GetObject", "*:*" on Resource "*" when aws:MultiFactorAuthPresent' in cis.message("policy_no_full_admin", "mfa-admin")
    assert cis.outcome("policy_no_full_admin", "user/ivan/everything") == "failed"
    assert cis.message("policy_no_full_admin", "user/ivan/everything").startswith(
        'Inline policy everything of user ivan allows every action on every resource (statement 1: Allow Action "*:*" '
        'on Resource "*"). Attached to: user/ivan.'
    )
    assert cis.outcome("policy_no_full_admin", "user/ivan/reports") == "passed"
    assert cis.outcome("policy_no_full_admin", "s3-all") == "passed"
    assert cis.outcome("policy_no_full_admin", "rolled-back") == "passed"  # only the default version counts
    assert cis.outcome("policy_no_full_admin", "aws/ReadOnlyAccess") == "passed"
    assert cis.outcome("policy_no_full_admin", "unattached-star") == "skipped"
    assert cis.message("policy_no_full_admin", "unattached-star") == (
        "Not applicable: policy unattached-star is attached to no user, group or role; CIS evaluates attached "
        "policies (policies.full_admin_scope: cis).")

    hub = audit("policy_no_full_admin", args=["--set", "policies.full_admin_scope=securityhub"])
    assert hub.outcome("policy_no_full_admin", "unattached-star") == "failed"
    assert hub.message("policy_no_full_admin", "unattached-star").startswith(
        "Managed policy unattached-star allows every action on every resource")
    assert "Attached to: nothing (unattached)." in hub.message("policy_no_full_admin", "unattached-star")
    assert hub.outcome("policy_no_full_admin", "legacy") == "failed"
    assert hub.outcome("policy_no_full_admin", "aws/AdministratorAccess") == "skipped"
    assert hub.outcome("policy_no_full_admin", "user/ivan/everything") == "skipped"
    assert hub.message("policy_no_full_admin", "user/ivan/everything") == (
        "Not applicable: Security Hub IAM.1 evaluates customer managed policies only "
        "(policies.full_admin_scope: securityhub).")
    assert hub.outcome("policy_no_full_admin", "boundary-star") == "skipped"
    assert "used only as a permissions boundary" in hub.message("policy_no_full_admin", "boundary-star")

def test_customer_policy_no_service_wildcard(aws, audit):
    aws.aws_policy("PowerUserAccess")
    aws.user("u", managed=["arn:aws:iam::aws:policy/PowerUserAccess"])
    aws.policy("ci-deploy", allow(["ec2:*", "S3:*", "cloudformation:Describe*"]))
    aws.policy("describe-only", allow(["ec2:Describe*", "s3:Get*"], "arn:aws:s3:::x/*"))
    aws.policy("all-but-iam", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})
    aws.policy("everything", allow("*"))
    aws.policy("deny-kms", {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}]})
    boundary = aws.policy("boundary-s3", allow("s3:*"))
    aws.role("bounded", boundary=boundary)
    result = audit("customer_policy_no_service_wildcard")

    assert result.outcome("customer_policy_no_service_wildcard", "ci-deploy") == "failed"
    assert result.message("customer_policy_no_service_wildcard", "ci-deploy").startswith(
        "Managed policy ci-deploy grants every action of ec2, s3 (statement 1 allows ec2:*, S3:*)."
    )
    assert result.outcome("customer_policy_no_service_wildcard", "describe-only") == "passed"
    assert result.outcome("customer_policy_no_service_wildcard", "deny-kms") == "passed"
    assert result.outcome("customer_policy_no_service_wildcard", "all-but-iam") == "failed"
    assert result.message("customer_policy_no_service_wildcard", "all-but-iam").startswith(
        "Managed policy all-but-iam grants every action except those of iam (statement 1 allows every action "
        "except iam:*).")
    assert result.outcome("customer_policy_no_service_wildcard", "everything") == "failed"
    assert result.message("customer_policy_no_service_wildcard", "everything").startswith(
        'Managed policy everything grants every action of every service (statement 1 allows *).')
    assert result.outcome("customer_policy_no_service_wildcard", "aws/PowerUserAccess") == "skipped"
    assert "AWS-managed" in result.message("customer_policy_no_service_wildcard", "aws/PowerUserAccess")
    assert result.outcome("customer_policy_no_service_wildcard", "boundary-s3") == "skipped"
    assert result.message("customer_policy_no_service_wildcard", "boundary-s3") == "Not applicable: policy boundary-s3 is used only as a permissions boundary."


def test_cloudshell_full_access_not_attached(aws, audit):
    cloudshell = aws.aws_policy("AWSCloudShellFullAccess")
    aws.group("shell-users", managed=[cloudshell])
    aws.group("readers", managed=[aws.aws_policy("ReadOnlyAccess")])
    aws.user("peggy", managed=[cloudshell], groups=["readers"])
    aws.user("member", groups=["shell-users"])
    aws.role("ops", managed=[cloudshell])
    result = audit("cloudshell_full_access_not_attached")

    assert result.outcome("cloudshell_full_access_not_attached", "user/peggy") == "failed"
    assert result.message("cloudshell_full_access_not_attached", "user/peggy").startswith(
        "User peggy has AWSCloudShellFullAccess attached (arn:aws:iam::aws:policy/AWSCloudShellFullAccess).\n"
        "Fix: aws iam detach-user-policy --user-name peggy --policy-arn arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
    )
    assert result.outcome("cloudshell_full_access_not_attached", "group/shell-users") == "failed"
    assert result.outcome("cloudshell_full_access_not_attached", "role/ops") == "failed"
    assert result.outcome("cloudshell_full_access_not_attached", "user/member") == "passed"  # reported on the group's item
    assert result.outcome("cloudshell_full_access_not_attached", "group/readers") == "passed"


def test_support_role_exists(aws, audit):
    support = aws.aws_policy("AWSSupportAccess")
    aws.role("AWSServiceRoleForSupport", trust=service_trust("support.amazonaws.com"),
             path="/aws-service-role/support.amazonaws.com/", managed=[support])
    aws.role("support-bot", trust=service_trust("lambda.amazonaws.com"), managed=[support])
    aws.user("helpdesk", managed=[support])

    machine_only = audit("support_role_exists")
    assert machine_only.outcome("support_role_exists", "123456789012") == "failed"
    assert machine_only.message("support_role_exists", "123456789012").startswith(
        "Account 123456789012 has no role people can assume with AWSSupportAccess attached "
        "(role AWSServiceRoleForSupport is a service-linked role; role support-bot is assumable only by "
        "service lambda.amazonaws.com)."
    )

    aws.role("support-incidents", managed=[support])
    human = audit("support_role_exists")
    assert human.outcome("support_role_exists", "123456789012") == "passed"

    denied = audit("support_role_exists", failures={"GetAccountAuthorizationDetails": "AccessDenied"})
    assert denied.outcome("support_role_exists", "123456789012") == "error"
    assert "Data source 'authorization_details' could not be read: AccessDenied" in denied.message("support_role_exists", "123456789012")
