"""Demo entities for the admin definition's edge cases (boundaries, Deny, old versions, workload admins) and for
privilege escalation."""

from __future__ import annotations

from iam_compliance.simulated.moto_account.builder import ACCOUNT_TRUST, Key, MotoAccount, allow, service_trust

GITHUB_OIDC = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
GITHUB_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": GITHUB_OIDC},
    "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                  "StringLike": {"token.actions.githubusercontent.com:sub": "repo:example-corp/infra:*"}},
}]}
DENY_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}


def seed(account: MotoAccount, arns: dict[str, str]) -> None:
    # A departed admin, still in the admins group but quarantined by an explicit Deny: not an admin.
    account.user("kevin", age_days=900, password=True, password_last_used_days=120, mfa="virtual", groups=["admins"],
                 inline={"quarantine": DENY_EVERYTHING})
    # Automation holding `*:*` inline: a machine identity (not counted as a human admin), still a finding.
    account.role("ops-automation", trust=service_trust("lambda.amazonaws.com"), last_used_days=2,
                 inline={"legacy-automation": allow("*:*")})
    # Full admin policy fenced by a permissions boundary that allows only a few services: not an admin.
    boundary = account.policy("sandbox-boundary", allow(["ec2:*", "s3:*", "cloudwatch:*"]),
                              description="Permissions boundary for sandbox roles")
    account.role("sandbox-admin", trust=ACCOUNT_TRUST, managed=[arns["AdministratorAccess"]], boundary=boundary,
                 last_used_days=5)
    # A policy whose first version granted `*`; the default version is narrow, so only that counts.
    analyst = account.policy("data-analyst", allow("*"), description="Athena and Glue read access")
    account.policy_version(analyst, allow(["athena:StartQueryExecution", "athena:GetQueryResults", "glue:Get*"]),
                           default=True)
    account.role("analyst", trust=ACCOUNT_TRUST, managed=[analyst], last_used_days=3)
    # A GitHub Actions deployment role with AdministratorAccess: an administrator, but a workload's, listed apart
    # from the people the admin counts count.
    account.role("github-deploy-prod", trust=GITHUB_TRUST, managed=[arns["AdministratorAccess"]], last_used_days=1,
                 description="Terraform apply from example-corp/infra")
    # A batch user that may pass any role to EC2 and launch instances: it can run as any role EC2 may assume.
    launcher = account.policy("ec2-launcher", allow(["iam:PassRole", "ec2:RunInstances", "ec2:Describe*"]),
                              description="Launch batch workers")
    account.user("svc-batch", keys=[Key(age_days=30, last_used_days=1)], managed=[launcher])
