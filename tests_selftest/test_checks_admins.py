"""Self-tests for the administrator checks (count, MFA, approved admins)."""

from iam_compliance.simulated.moto_account import Key
from iam_compliance.simulated.moto_account.builder import allow, service_trust

SAML_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
    "Principal": {"Federated": "arn:aws:iam::123456789012:saml-provider/idp"},
}]}
DENY_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
MFA_ONLY = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_admin_count_minimum_and_maximum(aws, audit):
    admin = aws.aws_policy("AdministratorAccess")
    aws.group("admins", managed=[admin])
    aws.user("alice", groups=["admins"])
    aws.user("reader", managed=[aws.aws_policy("ReadOnlyAccess")])
    aws.user("conditional", inline={"mfa-admin": allow("*", Condition=MFA_ONLY)})  # not counted by default
    aws.role("lambda-admin", trust=service_trust("lambda.amazonaws.com"), managed=[admin])  # machine identity

    one = audit("admin_count_minimum", "admin_count_maximum")
    assert one.outcome("admin_count_minimum", "123456789012") == "failed"
    assert one.message("admin_count_minimum", "123456789012").startswith(
        "Account 123456789012 has 1 administrator (counting users and human roles); at least 2 are required so "
        "that losing one does not leave the account without an administrator. "
        "Admins: user/alice through AWS-managed policy AdministratorAccess via group admins."
    )
    assert one.outcome("admin_count_maximum", "123456789012") == "passed"

    aws.role("break-glass", trust=SAML_TRUST, managed=[admin])
    two = audit("admin_count_minimum")
    assert two.outcome("admin_count_minimum", "123456789012") == "passed"  # exactly at the minimum
    users_only = audit("admin_count_minimum", args=["--set", "admins.scope=users"])
    assert users_only.outcome("admin_count_minimum", "123456789012") == "failed"
    assert "has 1 administrator (counting users)" in users_only.message("admin_count_minimum", "123456789012")
    counting_conditional = audit("admin_count_minimum",
                                 args=["--set", "admins.scope=users", "--set", "admins.count_conditional=true"])
    assert counting_conditional.outcome("admin_count_minimum", "123456789012") == "passed"

    aws.user("ivan", inline={"everything": allow("*:*")})
    three = audit("admin_count_maximum")
    assert three.outcome("admin_count_maximum", "123456789012") == "passed"  # exactly at the maximum

    aws.user("pat", managed=[aws.aws_policy("PowerUserAccess")])
    four = audit("admin_count_maximum")
    assert four.outcome("admin_count_maximum", "123456789012") == "failed"
    assert four.message("admin_count_maximum", "123456789012").startswith(
        "Account 123456789012 has 4 administrators (counting users and human roles); at most 3 are allowed. Admins: "
        "user/alice through AWS-managed policy AdministratorAccess via group admins; "
        'user/ivan through inline policy everything (statement 1: Allow Action "*:*" on Resource "*"); '
        "user/pat through AWS-managed policy PowerUserAccess (statement 1 allows every action except iam:*, "
        "organizations:*, account:*); role/break-glass through AWS-managed policy AdministratorAccess."
    )
    assert "lambda-admin" not in four.message("admin_count_maximum", "123456789012").split("Fix:")[0]
    not_notaction = audit("admin_count_maximum", args=["--set", "admins.notaction_is_admin=false"])
    assert not_notaction.outcome("admin_count_maximum", "123456789012") == "passed"


def test_admin_user_mfa_enabled(aws, audit):
    admin = aws.aws_policy("AdministratorAccess")
    aws.group("admins", managed=[admin])
    aws.user("with-mfa", password=True, mfa="virtual", groups=["admins"])
    aws.user("group-admin-no-mfa", password=True, groups=["admins"])
    aws.user("key-admin-no-mfa", managed=[admin], keys=[Key()])
    aws.user("not-admin", password=True)
    aws.user("denied-admin", password=True, managed=[admin], inline={"quarantine": DENY_ALL})
    result = audit("admin_user_mfa_enabled")

    assert result.outcome("admin_user_mfa_enabled", "with-mfa") == "passed"
    assert result.outcome("admin_user_mfa_enabled", "group-admin-no-mfa") == "failed"
    assert result.message("admin_user_mfa_enabled", "group-admin-no-mfa").startswith(
        "Administrator group-admin-no-mfa has no MFA device (credential report mfa_active=false; the user has a "
        "console password and 0 active access keys). It is an administrator through AWS-managed policy "
        "AdministratorAccess via group admins."
    )
    assert result.outcome("admin_user_mfa_enabled", "key-admin-no-mfa") == "failed"
    assert "the user has no console password and 1 active access key)" in result.message(
        "admin_user_mfa_enabled", "key-admin-no-mfa")
    assert result.outcome("admin_user_mfa_enabled", "not-admin") == "skipped"
    assert result.message("admin_user_mfa_enabled", "not-admin") == "Not applicable: user not-admin is not an administrator."
    assert result.outcome("admin_user_mfa_enabled", "denied-admin") == "skipped"
    assert result.message("admin_user_mfa_enabled", "denied-admin") == (
        "Not applicable: user denied-admin is not an administrator "
        "(inline policy quarantine denies every action on every resource (statement 1)).")


def test_principal_no_administrator_access(aws, audit):
    admin = aws.aws_policy("AdministratorAccess")
    boundary = aws.policy("s3-boundary", allow("s3:*"))
    aws.group("admins", managed=[admin])
    aws.group("readers", managed=[aws.aws_policy("ReadOnlyAccess")])
    aws.user("alice", groups=["admins"])
    aws.user("ivan", inline={"everything": allow("*")})
    aws.role("break-glass", trust=SAML_TRUST, managed=[admin])
    aws.role("lambda-admin", trust=service_trust("lambda.amazonaws.com"), managed=[admin])
    aws.role("bounded", managed=[admin], boundary=boundary)
    aws.role("AWSServiceRoleForSupport", trust=service_trust("support.amazonaws.com"),
             path="/aws-service-role/support.amazonaws.com/", managed=[admin])
    result = audit("principal_no_administrator_access")

    assert result.outcome("principal_no_administrator_access", "group/admins") == "failed"
    assert result.message("principal_no_administrator_access", "group/admins").startswith(
        "Group admins (members: alice) holds administrator access through AWS-managed policy AdministratorAccess, "
        "and is not listed in admins.approved.\nFix: aws iam detach-group-policy --group-name admins "
        "--policy-arn arn:aws:iam::aws:policy/AdministratorAccess (or add it to admins.approved)"
    )
    assert result.outcome("principal_no_administrator_access", "user/alice") == "passed"  # judged on the group's item
    assert result.outcome("principal_no_administrator_access", "user/ivan") == "failed"
    assert "aws iam delete-user-policy --user-name ivan --policy-name everything" in result.message("principal_no_administrator_access", "user/ivan")
    assert result.outcome("principal_no_administrator_access", "role/break-glass") == "failed"
    assert result.outcome("principal_no_administrator_access", "role/lambda-admin") == "failed"
    assert result.outcome("principal_no_administrator_access", "role/bounded") == "passed"  # the boundary allows only s3
    assert result.outcome("principal_no_administrator_access", "group/readers") == "passed"
    assert "role/AWSServiceRoleForSupport" not in result.entities("principal_no_administrator_access")

    approved = audit("principal_no_administrator_access", args=["--set", "admins.approved=[break-glass, 'group/adm*']"])
    assert approved.outcome("principal_no_administrator_access", "role/break-glass") == "passed"
    assert approved.outcome("principal_no_administrator_access", "group/admins") == "passed"
    assert approved.outcome("principal_no_administrator_access", "role/lambda-admin") == "failed"
