"""Self-tests for the role trust policy checks, through the real collector on a moto account."""

from __future__ import annotations

from typing import Any

from iam_compliance.simulated.moto_account.builder import service_trust

ACCOUNT = "123456789012"
OTHER = "444455556666"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_PROVIDER = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"}
GH_AUD = {f"{GITHUB}:aud": "sts.amazonaws.com"}
SAML = {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta"}
SSO_ROLE = "AWSReservedSSO_Admin_0123456789abcdef"
UPDATE = "Fix: aws iam update-assume-role-policy --role-name {} --policy-document file://trust-policy.json"
CHECKS = ("role_trust_no_public_principal", "role_trust_cross_account_external_id",
          "role_trust_service_confused_deputy", "role_trust_federated_audience", "role_trust_github_oidc_subject")


def trust(principal: Any, condition: dict | None = None, action: str = "sts:AssumeRole", *extra: dict,
          sid: str = "") -> dict:
    statement: dict = {"Effect": "Allow", "Principal": principal, "Action": action}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement, *extra]}


def web_identity(condition: dict | None, principal: dict = GITHUB_PROVIDER) -> dict:
    return trust(principal, condition, "sts:AssumeRoleWithWebIdentity")


def test_public_principal(aws, audit):
    aws.role("open", trust=trust("*", sid="Anyone"))
    aws.role("open-mfa", trust=trust({"AWS": "*"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    aws.role("open-if-exists", trust=trust({"AWS": "*"}, {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}))
    aws.role("org-only", trust=trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}))
    aws.role("org-deny", trust=trust({"AWS": "*"}, None, "sts:AssumeRole", {
        "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}}))
    aws.role("own-account", trust=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    aws.role(SSO_ROLE, path="/aws-reserved/sso.amazonaws.com/", trust=trust("*"))
    aws.role("AWSServiceRoleForSupport", trust=trust("*"), path="/aws-service-role/support.amazonaws.com/")
    result = audit("role_trust_no_public_principal")
    assert result.outcome("role_trust_no_public_principal", "open") == "failed"
    assert result.message("role_trust_no_public_principal", "open").startswith(
        "Role open trusts any AWS principal in any account, without a condition limiting who (aws:PrincipalOrgID, "
        "aws:PrincipalAccount, aws:PrincipalArn, sts:ExternalId, ...). "
        "Statement 1 (Sid Anyone): Allow Action \"sts:AssumeRole\".\n" + UPDATE.format("open") + ", where "
        "trust-policy.json is the current trust policy (aws iam get-role --role-name open --query "
        "Role.AssumeRolePolicyDocument) with statement 1 (Sid Anyone) given \"Condition\": {\"StringEquals\": "
        "{\"aws:PrincipalOrgID\": \"<your organization id, o-...>\"}}"
    )
    assert result.outcome("role_trust_no_public_principal", "open-mfa") == "failed"
    assert result.outcome("role_trust_no_public_principal", "open-if-exists") == "failed"
    assert "with the condition StringEqualsIfExists aws:PrincipalOrgID o-abc." in result.message(
        "role_trust_no_public_principal", "open-if-exists")
    assert result.outcome("role_trust_no_public_principal", "org-only") == "passed"
    assert result.outcome("role_trust_no_public_principal", "org-deny") == "passed"
    assert result.outcome("role_trust_no_public_principal", "own-account") == "skipped"
    assert result.message("role_trust_no_public_principal", "own-account") == (
        "Not applicable: the trust policy of role own-account names no wildcard principal.")
    assert result.outcome("role_trust_no_public_principal", SSO_ROLE) == "skipped"
    assert result.message("role_trust_no_public_principal", SSO_ROLE) == (
        f"Not applicable: role {SSO_ROLE} belongs to IAM Identity Center, which manages its trust policy through "
        "the permission set.")
    assert "AWSServiceRoleForSupport" not in result.entities("role_trust_no_public_principal")


def test_cross_account_external_id(aws, audit):
    aws.role("by-root-arn", trust=trust({"AWS": f"arn:aws:iam::{OTHER}:root"}))
    aws.role("by-account-id", trust=trust({"AWS": OTHER}))
    aws.role("by-role-arn", trust=trust({"AWS": f"arn:aws:iam::{OTHER}:role/deployer"}, sid="Deployer"))
    aws.role("with-external-id", trust=trust({"AWS": f"arn:aws:iam::{OTHER}:root"},
                                             {"StringEquals": {"sts:ExternalId": "k3y"}}))
    aws.role("with-org", trust=trust({"AWS": f"arn:aws:iam::{OTHER}:root"},
                                     {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}))
    aws.role("external-id-if-exists", trust=trust({"AWS": f"arn:aws:iam::{OTHER}:root"},
                                                  {"StringEqualsIfExists": {"sts:ExternalId": "k3y"}}))
    aws.role("same-account", trust=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}))
    result = audit("role_trust_cross_account_external_id")
    for name in ("by-root-arn", "by-account-id", "external-id-if-exists"):
        assert result.item("role_trust_cross_account_external_id", name).outcome == "failed", name
    assert result.outcome("role_trust_cross_account_external_id", "by-role-arn") == "failed"
    assert result.message("role_trust_cross_account_external_id", "by-role-arn").startswith(
        f"Role by-role-arn trusts arn:aws:iam::{OTHER}:role/deployer in account {OTHER} without sts:ExternalId or "
        "an organization condition. Statement 1 (Sid Deployer): Allow Action \"sts:AssumeRole\".\n"
        + UPDATE.format("by-role-arn"))
    assert "\"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<the external id the third party gave you>\"}}" \
        in result.message("role_trust_cross_account_external_id", "by-role-arn")
    assert result.message("role_trust_cross_account_external_id", "by-account-id").startswith(
        f"Role by-account-id trusts {OTHER} in account {OTHER} without sts:ExternalId")
    assert result.outcome("role_trust_cross_account_external_id", "with-external-id") == "passed"
    assert result.outcome("role_trust_cross_account_external_id", "with-org") == "passed"
    assert result.outcome("role_trust_cross_account_external_id", "same-account") == "skipped"
    assert result.message("role_trust_cross_account_external_id", "same-account") == (
        "Not applicable: the trust policy of role same-account trusts no principal of another account.")

    trusted = audit("role_trust_cross_account_external_id", args=["--set", f"trust.trusted_accounts=['{OTHER}']"])
    assert trusted.outcome("role_trust_cross_account_external_id", "by-role-arn") == "passed"


def test_service_confused_deputy(aws, audit):
    aws.role("config-open", trust=service_trust("config.amazonaws.com"))
    aws.role("config-scoped", trust=trust({"Service": "config.amazonaws.com"},
                                          {"StringEquals": {"aws:SourceAccount": ACCOUNT}}))
    aws.role("states-arn", trust=trust({"Service": "states.amazonaws.com"},
                                       {"ArnLike": {"aws:SourceArn": f"arn:aws:states:*:{ACCOUNT}:stateMachine:*"}}))
    aws.role("codebuild-any-arn", trust=trust({"Service": "codebuild.amazonaws.com"},
                                              {"ArnLike": {"aws:SourceArn": "*"}}))
    aws.role("mixed-services", trust=trust({"Service": ["ec2.amazonaws.com", "scheduler.amazonaws.com"]}))
    aws.role("logs-regional", trust=service_trust("logs.eu-west-1.amazonaws.com"))
    aws.role("ec2-only", trust=service_trust("ec2.amazonaws.com"))
    result = audit("role_trust_service_confused_deputy")
    assert result.outcome("role_trust_service_confused_deputy", "config-open") == "failed"
    assert result.message("role_trust_service_confused_deputy", "config-open").startswith(
        "Role config-open trusts config.amazonaws.com without aws:SourceAccount or aws:SourceArn (cross-service "
        "confused deputy). Statement 1: Allow Action \"sts:AssumeRole\".\n" + UPDATE.format("config-open"))
    assert f"given \"Condition\": {{\"StringEquals\": {{\"aws:SourceAccount\": \"{ACCOUNT}\"}}}}" in result.message(
        "role_trust_service_confused_deputy", "config-open")
    assert result.outcome("role_trust_service_confused_deputy", "config-scoped") == "passed"
    assert result.outcome("role_trust_service_confused_deputy", "states-arn") == "passed"
    assert result.outcome("role_trust_service_confused_deputy", "codebuild-any-arn") == "failed"
    assert result.outcome("role_trust_service_confused_deputy", "mixed-services") == "failed"
    assert result.message("role_trust_service_confused_deputy", "mixed-services").startswith(
        "Role mixed-services trusts scheduler.amazonaws.com without")
    assert "in a statement of its own for scheduler.amazonaws.com" in result.message(
        "role_trust_service_confused_deputy", "mixed-services")
    assert result.outcome("role_trust_service_confused_deputy", "logs-regional") == "failed"
    assert result.outcome("role_trust_service_confused_deputy", "ec2-only") == "skipped"
    assert result.message("role_trust_service_confused_deputy", "ec2-only") == (
        "Not applicable: the trust policy of role ec2-only trusts no service that AWS documents source conditions "
        "for (trust.confused_deputy_services).")

    extended = audit("role_trust_service_confused_deputy",
                     args=["--set", "trust.confused_deputy_services=[ec2.amazonaws.com]"])
    assert extended.outcome("role_trust_service_confused_deputy", "ec2-only") == "failed"
    assert extended.outcome("role_trust_service_confused_deputy", "config-open") == "skipped"


def test_federated_audience_and_github_subject(aws, audit):
    aws.role("saml-no-aud", trust=trust(SAML, None, "sts:AssumeRoleWithSAML"))
    aws.role("saml-aud", trust=trust(SAML, {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                                     "sts:AssumeRoleWithSAML"))
    aws.role("eks-aud", trust=web_identity(
        {"StringEquals": {"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
                          "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:app:web"}},
        {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"}))
    aws.role("gh-no-sub", trust=web_identity({"StringEquals": GH_AUD}))
    aws.role("gh-any-repo", trust=web_identity({"StringEquals": GH_AUD, "StringLike": {f"{GITHUB}:sub": "repo:*"}}))
    aws.role("gh-any-owner", trust=web_identity({"StringEquals": GH_AUD,
                                                 "StringLike": {f"{GITHUB}:sub": "repo:*/app:*"}}))
    aws.role("gh-org", trust=web_identity({"StringEquals": GH_AUD, "StringLike": {f"{GITHUB}:sub": "repo:acme/*"}}))
    aws.role("gh-branch-no-aud", trust=web_identity(
        {"StringEquals": {f"{GITHUB}:sub": "repo:acme/app:ref:refs/heads/main"}}))
    aws.role("gh-forall", trust=web_identity({"StringEquals": GH_AUD,
                                              "ForAllValues:StringLike": {f"{GITHUB}:sub": "repo:acme/app:*"}}))
    aws.role("service-only", trust=service_trust("ec2.amazonaws.com"))
    result = audit("role_trust_federated_audience", "role_trust_github_oidc_subject")

    assert result.outcome("role_trust_federated_audience", "saml-no-aud") == "failed"
    assert result.message("role_trust_federated_audience", "saml-no-aud").startswith(
        f"Role saml-no-aud trusts SAML provider arn:aws:iam::{ACCOUNT}:saml-provider/okta without a SAML:aud "
        "condition. Statement 1: Allow Action \"sts:AssumeRoleWithSAML\".\n" + UPDATE.format("saml-no-aud"))
    assert "given \"Condition\": {\"StringEquals\": {\"SAML:aud\": \"https://signin.aws.amazon.com/saml\"}}" \
        in result.message("role_trust_federated_audience", "saml-no-aud")
    assert result.outcome("role_trust_federated_audience", "saml-aud") == "passed"
    assert result.outcome("role_trust_federated_audience", "eks-aud") == "passed"
    assert result.outcome("role_trust_federated_audience", "gh-no-sub") == "passed"
    assert result.outcome("role_trust_federated_audience", "gh-branch-no-aud") == "failed"
    assert result.message("role_trust_federated_audience", "gh-branch-no-aud").startswith(
        f"Role gh-branch-no-aud trusts OIDC provider {GITHUB} without a {GITHUB}:aud condition.")
    assert f"given \"Condition\": {{\"StringEquals\": {{\"{GITHUB}:aud\": \"sts.amazonaws.com\"}}}}" \
        in result.message("role_trust_federated_audience", "gh-branch-no-aud")
    assert result.outcome("role_trust_federated_audience", "service-only") == "skipped"
    assert result.message("role_trust_federated_audience", "service-only") == (
        "Not applicable: the trust policy of role service-only trusts no SAML or OIDC identity provider.")

    assert result.outcome("role_trust_github_oidc_subject", "gh-no-sub") == "failed"
    assert result.message("role_trust_github_oidc_subject", "gh-no-sub").startswith(
        f"Role gh-no-sub has no condition on {GITHUB}:sub, so any GitHub repository can assume it. Statement 1: "
        f"Allow Action \"sts:AssumeRoleWithWebIdentity\" with the condition StringEquals {GITHUB}:aud "
        "sts.amazonaws.com.\n" + UPDATE.format("gh-no-sub"))
    assert f"given \"Condition\": {{\"StringEquals\": {{\"{GITHUB}:sub\": \"repo:<org>/<repo>:ref:refs/heads/main\"}}}}" \
        in result.message("role_trust_github_oidc_subject", "gh-no-sub")
    assert result.outcome("role_trust_github_oidc_subject", "gh-any-repo") == "failed"
    assert result.message("role_trust_github_oidc_subject", "gh-any-repo").startswith(
        f"Role gh-any-repo allows {GITHUB}:sub repo:*, which any repository owner on GitHub can match.")
    assert result.outcome("role_trust_github_oidc_subject", "gh-any-owner") == "failed"
    assert result.outcome("role_trust_github_oidc_subject", "gh-forall") == "failed"
    assert result.message("role_trust_github_oidc_subject", "gh-forall").startswith(
        f"Role gh-forall tests {GITHUB}:sub only with ForAllValues:StringLike, which holds when the claim is "
        "missing, so it does not pin the repository.")
    assert result.outcome("role_trust_github_oidc_subject", "gh-org") == "passed"
    assert result.outcome("role_trust_github_oidc_subject", "gh-branch-no-aud") == "passed"
    assert result.outcome("role_trust_github_oidc_subject", "eks-aud") == "skipped"
    assert result.message("role_trust_github_oidc_subject", "eks-aud") == (
        "Not applicable: the trust policy of role eks-aud does not trust GitHub's OIDC provider.")
    assert result.outcome("role_trust_github_oidc_subject", "saml-aud") == "skipped"


def test_trust_checks_error_when_authorization_details_fail(aws, audit):
    aws.role("open", trust=trust("*"))
    result = audit(*CHECKS, failures={"GetAccountAuthorizationDetails": "AccessDenied"})
    for check_id in CHECKS:
        assert result.outcome(check_id, "unavailable") == "error"
