"""The demo account's role trust policies: each trust rule passing and failing once.

A wildcard principal with and without an organization condition, another account with and without an external
ID, a service that AWS documents source conditions for with and without them, SAML with an audience, and GitHub
Actions with and without a repository in the subject. (``break-glass-admin`` in the base part trusts SAML without
an audience.)
"""

from __future__ import annotations

from typing import Any

from iam_compliance.simulated.moto_account.builder import MotoAccount

VENDOR_ACCOUNT = "999988887777"  # a monitoring vendor
PARTNER_ACCOUNT = "210987654321"  # a partner's deployment pipeline
GITHUB = "token.actions.githubusercontent.com"


def _trust(principal: Any, action: str = "sts:AssumeRole", condition: dict | None = None, sid: str = "") -> dict:
    statement: dict = {"Effect": "Allow", "Principal": principal, "Action": action}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def seed(account: MotoAccount, arns: dict[str, str]) -> None:
    own = account.account_id
    github = {"Federated": f"arn:aws:iam::{own}:oidc-provider/{GITHUB}"}
    audience = {f"{GITHUB}:aud": "sts.amazonaws.com"}
    roles = {
        "public-debug": _trust("*", sid="DebugFromAnywhere"),
        "org-readers": _trust({"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalOrgID": "o-demo1234ab"}}),
        "vendor-monitoring": _trust({"AWS": f"arn:aws:iam::{VENDOR_ACCOUNT}:root"},
                                    condition={"StringEquals": {"sts:ExternalId": "demo-3f9c1a"}}),
        "partner-deploy": _trust({"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT}:role/deployer"}, sid="PartnerPipeline"),
        "config-recorder": _trust({"Service": "config.amazonaws.com"},
                                  condition={"StringEquals": {"aws:SourceAccount": own}}),
        "orders-state-machine": _trust({"Service": "states.amazonaws.com"}),
        "sso-engineers": _trust({"Federated": f"arn:aws:iam::{own}:saml-provider/corp-idp"}, "sts:AssumeRoleWithSAML",
                                {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}),
        "github-deploy": _trust(github, "sts:AssumeRoleWithWebIdentity", {"StringEquals": {
            **audience, f"{GITHUB}:sub": "repo:acme/app:ref:refs/heads/main"}}),
        "github-any-repo": _trust(github, "sts:AssumeRoleWithWebIdentity", {
            "StringEquals": audience, "StringLike": {f"{GITHUB}:sub": "repo:*"}}),
    }
    for name, trust in roles.items():
        account.role(name, trust=trust, last_used_days=3, tags={"owner": "platform"})
