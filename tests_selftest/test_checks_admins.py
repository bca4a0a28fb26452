"""Self-tests for the administrator checks (count, MFA, approved admins), through moto and the real collector."""

from iam_compliance.simulated.moto_account import Key
from iam_compliance.simulated.moto_account.builder import allow, service_trust
from tests_selftest.harness import mask_report_time

ACCOUNT = "123456789012"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
SAML_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
    "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/idp"},
}]}
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
GITHUB_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": GITHUB},
    "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                  "StringLike": {"token.actions.githubusercontent.com:sub": "repo:example/app:*"}},
}]}
EKS = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/5C9A1E"
EKS_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": EKS},
}]}
MFA_ONLY = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def deny(actions, resources="*", field="Action") -> dict:
    return document({"Effect": "Deny", field: actions, "Resource": resources})


def seed_admin_forms(aws) -> None:
    """One administrator of each kind, and the forms that look like one but are not."""
    admin = aws.aws_policy("AdministratorAccess")
    aws.group("admins", managed=[admin])
    aws.group("mfa-admins", inline={"admin-with-mfa": allow("*:*", Condition=MFA_ONLY)})
    aws.user("alice", mfa="virtual", password=True, groups=["admins"])
    aws.user("carol", password=True, groups=["mfa-admins"])  # admin only under MFA: still an administrator
    aws.user("pat", password=True, managed=[aws.aws_policy("PowerUserAccess")])  # everything except IAM: not admin
    aws.user("denied", password=True, managed=[admin], inline={"no-iam": deny("iam:*")})
    aws.user("only-s3", password=True, managed=[admin], inline={"s3-only": deny("s3:*", field="NotAction")})
    aws.user("not-secret", inline={"all-but": document(
        {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret/*"})})
    aws.user("no-user-admin", managed=[admin], inline={"no-users": deny("iam:*User*")})  # a mid-name wildcard
    rolled_back = aws.policy("rolled-back", allow("*"))
    aws.policy_version(rolled_back, allow("s3:GetObject"), default=True)  # only the default version is in force
    aws.user("rolled", managed=[rolled_back])
    aws.role("break-glass", trust=SAML_TRUST, managed=[admin])
    aws.role("gha-deploy", trust=GITHUB_TRUST, managed=[admin])
    aws.role("eks-admin", trust=EKS_TRUST, managed=[admin])
    aws.role("lambda-admin", trust=service_trust("lambda.amazonaws.com"), managed=[admin])
    aws.role("bounded", managed=[admin], boundary=aws.policy("s3-boundary", allow("s3:*")))


def test_admin_counts_count_people_and_list_workloads_apart(aws, audit):
    seed_admin_forms(aws)
    result = audit("admin_count_minimum", "admin_count_maximum")
    # alice, carol (under MFA) and the SAML role: three people; the workload roles are not counted.
    assert result.outcome("admin_count_minimum", ACCOUNT) == "passed"
    assert result.outcome("admin_count_maximum", ACCOUNT) == "passed"  # exactly at the maximum

    tight = audit("admin_count_maximum", args=["--set", "admins.maximum=2"])
    assert tight.outcome("admin_count_maximum", ACCOUNT) == "failed"
    message = tight.message("admin_count_maximum", ACCOUNT)
    assert message.startswith(
        f"Account {ACCOUNT} has 3 administrators among people (IAM users and roles people assume); at most 2 are "
        "allowed. Administrators: user/alice through managed policy AdministratorAccess "
        f"({ADMIN_ARN}, version v1) via group admins, statement 1; "
        "user/carol through inline policy admin-with-mfa via group mfa-admins, statement 1, only when conditions on "
        "aws:MultiFactorAuthPresent hold; "
        f"role/break-glass (assumable by SAML provider arn:aws:iam::{ACCOUNT}:saml-provider/idp) through managed "
        f"policy AdministratorAccess ({ADMIN_ARN}, version v1), statement 1. "
        "Administrator roles not counted as people: "
        f"role/eks-admin (assumable only by web identity {EKS}); "
        f"role/gha-deploy (assumable only by web identity {GITHUB}); "
        "role/lambda-admin (assumable only by service lambda.amazonaws.com). "
        "IAM Identity Center assignments are outside IAM: one permission-set role may stand for many people."
    ), message
    for not_admin in ("pat", "denied", "only-s3", "not-secret", "no-user-admin", "rolled", "bounded"):
        assert f"/{not_admin} " not in message.split("Fix:")[0]

    users_only = audit("admin_count_minimum", args=["--set", "admins.scope=users", "--set", "admins.minimum=3"])
    assert users_only.outcome("admin_count_minimum", ACCOUNT) == "failed"
    message = users_only.message("admin_count_minimum", ACCOUNT)
    assert message.startswith(f"Account {ACCOUNT} has 2 administrators among IAM users (admins.scope: users); at "
                              "least 3 are required so that losing one does not leave the account without an "
                              "administrator."), message
    assert "Administrator roles not counted as people: role/break-glass (assumable by SAML provider" in message


def test_admin_count_minimum_with_none(aws, audit):
    aws.user("reader", managed=[aws.aws_policy("ReadOnlyAccess")])
    result = audit("admin_count_minimum")
    assert result.outcome("admin_count_minimum", ACCOUNT) == "failed"
    assert result.message("admin_count_minimum", ACCOUNT).startswith(
        f"Account {ACCOUNT} has no administrator among people (IAM users and roles people assume); at least 2 are "
        "required so that losing one does not leave the account without an administrator. Administrators: none. "
        "IAM Identity Center assignments are outside IAM")


def test_admin_user_mfa_enabled(aws, audit):
    seed_admin_forms(aws)
    aws.user("key-admin-no-mfa", managed=[aws.aws_policy("AdministratorAccess")], keys=[Key()])
    result = audit("admin_user_mfa_enabled")

    assert result.outcome("admin_user_mfa_enabled", "alice") == "passed"
    assert result.outcome("admin_user_mfa_enabled", "carol") == "failed"
    assert mask_report_time(result.message("admin_user_mfa_enabled", "carol")).startswith(
        "Administrator carol has no MFA device (the credential report: mfa_active=false; the user has a console password "
        "and 0 active access keys). It is an administrator through inline policy admin-with-mfa via group mfa-admins, "
        "statement 1, only when conditions on aws:MultiFactorAuthPresent hold."
    )
    assert result.outcome("admin_user_mfa_enabled", "key-admin-no-mfa") == "failed"
    assert "the user has no console password and 1 active access key)" in result.message(
        "admin_user_mfa_enabled", "key-admin-no-mfa")
    assert result.outcome("admin_user_mfa_enabled", "pat") == "skipped"
    assert result.message("admin_user_mfa_enabled", "pat").startswith(
        "Not applicable: user pat is not an administrator (no identity policy allows ")
    assert result.outcome("admin_user_mfa_enabled", "denied") == "skipped"
    assert "inline policy no-iam, statement 1: Deny Action \"iam:*\" on Resource \"*\" denies iam:*" in result.message(
        "admin_user_mfa_enabled", "denied")
    assert result.outcome("admin_user_mfa_enabled", "only-s3") == "skipped"
    assert result.outcome("admin_user_mfa_enabled", "not-secret") == "skipped"
    assert result.outcome("admin_user_mfa_enabled", "no-user-admin") == "skipped"
    assert result.outcome("admin_user_mfa_enabled", "rolled") == "skipped"


def test_principal_no_administrator_access(aws, audit):
    seed_admin_forms(aws)
    aws.group("readers", managed=[aws.aws_policy("ReadOnlyAccess")])
    aws.user("iam-all", inline={"iam-admin": allow("iam:*")})
    aws.user("attacher", inline={"attach": allow("iam:Attach*Policy")})
    aws.user("self-service", inline={"own-keys": allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")})
    aws.role("AWSServiceRoleForSupport", trust=service_trust("support.amazonaws.com"),
             path="/aws-service-role/support.amazonaws.com/", managed=[aws.aws_policy("AdministratorAccess")])
    result = audit("principal_no_administrator_access")

    assert result.outcome("principal_no_administrator_access", "group/admins") == "failed"
    assert result.message("principal_no_administrator_access", "group/admins").startswith(
        "Group admins (members: alice) holds administrator access through managed policy AdministratorAccess "
        f"({ADMIN_ARN}, version v1), statement 1, and is not listed in admins.approved.\n"
        f"Fix: aws iam detach-group-policy --group-name admins --policy-arn {ADMIN_ARN}\n"
        "Or, if it is a sanctioned administrator, add it to admins.approved."
    )
    assert result.outcome("principal_no_administrator_access", "group/mfa-admins") == "failed"
    assert "only when conditions on aws:MultiFactorAuthPresent hold" in result.message("principal_no_administrator_access", "group/mfa-admins")
    assert result.outcome("principal_no_administrator_access", "user/alice") == "passed"  # judged on the group's item
    assert result.outcome("principal_no_administrator_access", "user/denied") == "passed"
    assert result.outcome("principal_no_administrator_access", "user/pat") == "passed"
    assert result.outcome("principal_no_administrator_access", "role/bounded") == "passed"  # the boundary allows only s3
    assert result.outcome("principal_no_administrator_access", "group/readers") == "passed"
    assert result.outcome("principal_no_administrator_access", "role/gha-deploy") == "failed"
    assert result.outcome("principal_no_administrator_access", "user/iam-all") == "failed"
    assert result.message("principal_no_administrator_access", "user/iam-all").startswith(
        "User iam-all is not an administrator by its policies, but it can make itself one through IAM alone, and is "
        "not listed in admins.approved: Attach any managed policy (AdministratorAccess) to itself "
        "(iam_attach_user_policy): iam:AttachUserPolicy by inline policy iam-admin, statement 1: "
        'Allow Action "iam:*" on Resource "*"'), result.message("principal_no_administrator_access", "user/iam-all")
    assert "Fix: aws iam delete-user-policy --user-name iam-all --policy-name iam-admin" in result.message(
        "principal_no_administrator_access", "user/iam-all")
    assert result.outcome("principal_no_administrator_access", "user/attacher") == "failed"
    assert 'iam:AttachUserPolicy by inline policy attach, statement 1: Allow Action "iam:Attach*Policy"' in \
        result.message("principal_no_administrator_access", "user/attacher")
    assert result.outcome("principal_no_administrator_access", "user/self-service") == "passed"
    assert "role/AWSServiceRoleForSupport" not in result.entities("principal_no_administrator_access")

    approved = audit("principal_no_administrator_access", args=["--set", "admins.approved=[break-glass, 'group/adm*', iam-all]"])
    assert approved.outcome("principal_no_administrator_access", "role/break-glass") == "passed"
    assert approved.outcome("principal_no_administrator_access", "group/admins") == "passed"
    assert approved.outcome("principal_no_administrator_access", "user/iam-all") == "passed"
    assert approved.outcome("principal_no_administrator_access", "role/gha-deploy") == "failed"


def test_invalid_policy_document_is_an_error_naming_it(aws, audit):
    aws.user("alice", inline={"admin": allow("*")})
    # IAM refuses Principal in an identity policy; moto accepts it, as a snapshot from elsewhere might hold it.
    aws.user("broken", inline={"with-principal": document(
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"})})
    result = audit("admin_count_minimum", "admin_user_mfa_enabled", "principal_no_administrator_access")
    problem = ("inline policy with-principal of user broken, statement 1: an identity policy may not contain "
               "Principal (only resource and trust policies do).")
    assert result.outcome("admin_user_mfa_enabled", "broken") == "error"
    assert problem in result.message("admin_user_mfa_enabled", "broken")
    assert result.outcome("principal_no_administrator_access", "user/broken") == "error"
    assert result.outcome("admin_count_minimum", ACCOUNT) == "error"
    assert problem in result.message("admin_count_minimum", ACCOUNT)
    assert result.outcome("admin_user_mfa_enabled", "alice") == "failed"
