"""Role trust policy rules, each passing and failing."""

from __future__ import annotations

from typing import Any

import pytest

from iam_compliance.analysis.trust import (
    CONFUSED_DEPUTY, CROSS_ACCOUNT, FEDERATED_AUDIENCE, GITHUB_SUBJECT, PUBLIC, evaluate_trust,
)

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/r"
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
GH_AUD = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}


def trust(principal: Any, condition: dict | None = None, action: str = "sts:AssumeRole", *extra: dict) -> dict:
    statement: dict = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement, *extra]}


def verdict(document: dict, rule: str, path: str = "/") -> bool | None:
    return evaluate_trust(document, role_name="r", role_arn=ROLE_ARN, path=path).passed(rule)


CASES = [
    # rule, document, expected (True pass, False fail, None not applicable)
    (PUBLIC, trust("*"), False),
    (PUBLIC, trust({"AWS": "*"}), False),
    (PUBLIC, trust({"AWS": ["*"]}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}), True),
    (PUBLIC, trust({"AWS": "*"}, {"StringLike": {"aws:PrincipalArn": "*"}}), False),
    (PUBLIC, trust({"AWS": "*"}, {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}), False),
    (PUBLIC, trust({"AWS": "*"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}), False),
    (PUBLIC, trust({"AWS": "*"}, None, "sts:AssumeRole",
                   {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}}), True),
    (PUBLIC, {"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                             "Action": "sts:AssumeRole"}]}, False),
    (PUBLIC, trust({"AWS": "*"}, None, "sts:TagSession"), None),
    (PUBLIC, trust({"Service": "ec2.amazonaws.com"}), None),
    (CROSS_ACCOUNT, trust({"AWS": f"arn:aws:iam::{OTHER}:root"}), False),
    (CROSS_ACCOUNT, trust({"AWS": OTHER}), False),
    (CROSS_ACCOUNT, trust({"AWS": f"arn:aws:iam::{OTHER}:role/deployer"}), False),
    (CROSS_ACCOUNT, trust({"AWS": f"arn:aws:iam::{OTHER}:root"}, {"StringEquals": {"sts:ExternalId": "k3y"}}), True),
    (CROSS_ACCOUNT, trust({"AWS": f"arn:aws:iam::{OTHER}:root"}, {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}), True),
    (CROSS_ACCOUNT, trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), None),
    (CONFUSED_DEPUTY, trust({"Service": "config.amazonaws.com"}), False),
    (CONFUSED_DEPUTY, trust({"Service": "config.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": ACCOUNT}}), True),
    (CONFUSED_DEPUTY, trust({"Service": ["states.amazonaws.com"]},
                            {"ArnLike": {"aws:SourceArn": f"arn:aws:states:*:{ACCOUNT}:stateMachine:*"}}), True),
    (CONFUSED_DEPUTY, trust({"Service": "codebuild.amazonaws.com"}, {"ArnLike": {"aws:SourceArn": "*"}}), False),
    (CONFUSED_DEPUTY, trust({"Service": "config.amazonaws.com"},
                            {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}), False),
    (CONFUSED_DEPUTY, trust({"Service": "ec2.amazonaws.com"}), None),
    (CONFUSED_DEPUTY, trust({"Service": "lambda.amazonaws.com"}), None),
    (FEDERATED_AUDIENCE, trust({"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta"}, None,
                               "sts:AssumeRoleWithSAML"), False),
    (FEDERATED_AUDIENCE, trust({"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta"},
                               {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                               "sts:AssumeRoleWithSAML"), True),
    (FEDERATED_AUDIENCE, trust({"Federated": GITHUB}, {"StringLike": {
        "token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}, "sts:AssumeRoleWithWebIdentity"), False),
    (FEDERATED_AUDIENCE, trust({"Federated": GITHUB}, {"StringEquals": GH_AUD}, "sts:AssumeRoleWithWebIdentity"), True),
    (FEDERATED_AUDIENCE, trust({"Federated": "cognito-identity.amazonaws.com"},
                               {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:pool"}},
                               "sts:AssumeRoleWithWebIdentity"), True),
    (FEDERATED_AUDIENCE, trust({"Service": "ec2.amazonaws.com"}), None),
    (GITHUB_SUBJECT, trust({"Federated": GITHUB}, {"StringEquals": GH_AUD}, "sts:AssumeRoleWithWebIdentity"), False),
    (GITHUB_SUBJECT, trust({"Federated": GITHUB}, {"StringEquals": GH_AUD, "StringLike": {
        "token.actions.githubusercontent.com:sub": "repo:*"}}, "sts:AssumeRoleWithWebIdentity"), False),
    (GITHUB_SUBJECT, trust({"Federated": GITHUB}, {"StringEquals": GH_AUD, "StringLike": {
        "token.actions.githubusercontent.com:sub": ["repo:acme/app:ref:refs/heads/main", "repo:*/app:*"]}},
        "sts:AssumeRoleWithWebIdentity"), False),
    (GITHUB_SUBJECT, trust({"Federated": GITHUB}, {"StringEquals": GH_AUD, "StringLike": {
        "token.actions.githubusercontent.com:sub": "repo:acme*/app:*"}}, "sts:AssumeRoleWithWebIdentity"), False),
    (GITHUB_SUBJECT, trust({"Federated": GITHUB}, {"StringEquals": GH_AUD, "StringLike": {
        "token.actions.githubusercontent.com:sub": "repo:acme/*"}}, "sts:AssumeRoleWithWebIdentity"), True),
    (GITHUB_SUBJECT, trust({"Federated": GITHUB}, {"StringEquals": {
        **GH_AUD, "token.actions.githubusercontent.com:sub": "repo:acme/app:environment:prod"}},
        "sts:AssumeRoleWithWebIdentity"), True),
    (GITHUB_SUBJECT, trust({"Federated": GITHUB}, {"StringEquals": GH_AUD, "ForAllValues:StringLike": {
        "token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}, "sts:AssumeRoleWithWebIdentity"), False),
    (GITHUB_SUBJECT, trust({"Federated": GITHUB}, {"StringEquals": GH_AUD, "StringLikeIfExists": {
        "token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}, "sts:AssumeRoleWithWebIdentity"), False),
    (CONFUSED_DEPUTY, trust({"Service": "logs.eu-west-1.amazonaws.com"}), False),
    (CONFUSED_DEPUTY, trust({"Service": "sns.amazonaws.com"}), None),
    (GITHUB_SUBJECT, trust({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X"},
                           None, "sts:AssumeRoleWithWebIdentity"), None),
]


@pytest.mark.parametrize("rule, document, expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(rule: str, document: dict, expected: bool | None) -> None:
    assert verdict(document, rule) is expected


def test_finding_has_a_sentence_and_the_statement() -> None:
    report = evaluate_trust(trust({"AWS": f"arn:aws:iam::{OTHER}:root"}), role_name="vendor", role_arn=ROLE_ARN)
    (finding,) = report.failures(CROSS_ACCOUNT)
    assert finding.sentence.startswith("Role vendor trusts") and OTHER in finding.sentence
    assert "statement 1" in finding.describe()


def test_service_linked_roles_are_skipped() -> None:
    report = evaluate_trust(trust("*"), role_name="AWSServiceRoleForX", role_arn=ROLE_ARN,
                            path="/aws-service-role/x.amazonaws.com/")
    assert report.skipped and report.passed(PUBLIC) is None


def test_custom_confused_deputy_list() -> None:
    report = evaluate_trust(trust({"Service": "lambda.amazonaws.com"}), role_name="r", role_arn=ROLE_ARN,
                            confused_deputy_services=["lambda.amazonaws.com"])
    assert report.passed(CONFUSED_DEPUTY) is False


def test_trusted_accounts_pass_without_external_id() -> None:
    document = trust({"AWS": [f"arn:aws:iam::{OTHER}:root", "777788889999"]})
    report = evaluate_trust(document, role_name="r", role_arn=ROLE_ARN, trusted_accounts=[OTHER])
    (finding,) = report.failures(CROSS_ACCOUNT)
    assert "777788889999" in finding.sentence
    both = evaluate_trust(document, role_name="r", role_arn=ROLE_ARN, trusted_accounts=[OTHER, "777788889999"])
    assert both.passed(CROSS_ACCOUNT) is True
