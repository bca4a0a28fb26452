"""Demo entities for the admin definition's edge cases: boundaries, Deny, old versions, machine admins."""

from __future__ import annotations

from iam_compliance.simulated.moto_account.builder import ACCOUNT_TRUST, MotoAccount, allow, service_trust

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
