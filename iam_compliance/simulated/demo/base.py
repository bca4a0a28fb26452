"""The demo account's core: root, password policy, policies, groups, users, roles, server certificates."""

from __future__ import annotations

from iam_compliance.simulated.moto_account.builder import Key, MotoAccount, Root, allow, service_trust

HOSTILE_TEXT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
SAML_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
    "Principal": {"Federated": "arn:aws:iam::123456789012:saml-provider/corp-idp"},
}]}


def seed_policies(account: MotoAccount) -> dict[str, str]:
    arns = {name: account.aws_policy(name) for name in (
        "AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "AWSSupportAccess", "AWSCloudShellFullAccess",
    )}
    arns["s3-reports-read"] = account.policy("s3-reports-read", allow(["s3:GetObject", "s3:ListBucket"],
                                             ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]))
    arns["ci-deploy"] = account.policy("ci-deploy", allow(["ec2:*", "s3:*", "cloudformation:*"]),
                                       description="Deployment pipeline permissions")
    arns["legacy-full-access"] = account.policy("legacy-full-access", allow("*"),
                                                description="Grants everything; kept for a 2019 migration")
    arns["unused-star"] = account.policy("unused-star", allow("*:*"))
    arns["billing-view"] = account.policy("billing-view", allow(["aws-portal:View*", "ce:Get*"]))
    return arns


def seed_groups(account: MotoAccount, arns: dict[str, str]) -> None:
    account.group("admins", managed=[arns["AdministratorAccess"]])
    account.group("developers", managed=[arns["PowerUserAccess"]],
                  inline={"deny-iam-writes": {"Version": "2012-10-17", "Statement": [
                      {"Effect": "Deny", "Action": ["iam:Create*", "iam:Delete*", "iam:Put*"], "Resource": "*"}]}})
    account.group("readonly", managed=[arns["ReadOnlyAccess"], arns["billing-view"]])
    account.group("deployers", managed=[arns["ci-deploy"]])
    account.group("contractors-2019", managed=[arns["ReadOnlyAccess"]])  # nobody left in it


def seed_users(account: MotoAccount, arns: dict[str, str]) -> None:
    u = account.user
    # People with console access.
    u("alice", password=True, password_last_used_days=1, mfa="virtual", groups=["admins"],
      keys=[Key(age_days=30, last_used_days=1)], tags={"team": "platform"})
    u("bob", password=True, password_last_used_days=2, groups=["admins"], tags={"team": "platform"})
    u("carol", password=True, password_last_used_days=3, mfa="hardware", groups=["developers"],
      keys=[Key(age_days=20, last_used_days=1), Key(age_days=5, last_used_days=2)])
    u("dave", password=True, password_last_used_days=10, groups=["developers"],
      keys=[Key(age_days=200, last_used_days=100)])
    u("erin", password=True, password_last_used_days=4, mfa="virtual", groups=["readonly"])
    u("frank", age_days=700, password=True, password_last_used_days=300, groups=["readonly"],
      keys=[Key(age_days=650, last_used_days=320, active=False)])
    u("grace", age_days=5, password=True, groups=["developers"])
    u("heidi", password=True, password_last_used_days=6, mfa="virtual", groups=["developers"],
      inline={"s3-scratch": allow("s3:*", "arn:aws:s3:::scratch/*")})
    u("ivan", password=True, password_last_used_days=8, mfa="virtual", managed=[arns["legacy-full-access"]])
    u("judy", age_days=60, password=True, password_last_used_days=2, mfa="virtual", groups=["readonly"],
      keys=[Key(age_days=60, last_used_days=None)])
    u("mallory", age_days=500, password=True, password_last_used_days=None, password_changed_days=500)
    u("niaj", password=True, password_last_used_days=44, mfa="virtual", groups=["readonly"])
    u("olivia", password=True, password_last_used_days=46, mfa="virtual", groups=["readonly"],
      signing_certificates=[(200, True)])
    u("peggy", password=True, password_last_used_days=12, mfa="virtual", groups=["readonly", "developers"],
      managed=[arns["AWSCloudShellFullAccess"]], signing_certificates=[(30, True)])
    u("rupert", password=True, password_last_used_days=20, mfa="virtual", groups=["admins"])
    u("sybil", password=True, password_last_used_days=15, mfa="virtual", groups=["admins"])
    u("trent", age_days=120, password=True, password_last_used_days=100, mfa="virtual", groups=["readonly"])
    u("walter", password=True, password_last_used_days=7, mfa="virtual", groups=["developers"],
      tags={"note": HOSTILE_TEXT, "owner": "Zoë Ångström"})
    # Machine users: access keys only.
    u("ci-github", keys=[Key(age_days=60, last_used_days=0)], groups=["deployers"])
    u("svc-backup", keys=[Key(age_days=400, last_used_days=1)], inline={"backup": allow(["s3:PutObject"])})
    u("svc-reporting", keys=[Key(age_days=89, last_used_days=3)], managed=[arns["s3-reports-read"]])
    u("svc-legacy-etl", age_days=900, keys=[Key(age_days=800, last_used_days=120), Key(age_days=300, last_used_days=None)])
    u("svc-metrics", keys=[Key(age_days=91, last_used_days=2)], groups=["readonly"])
    u("svc-old-sync", age_days=800, keys=[Key(age_days=700, last_used_days=None, active=False)])
    u("victor", age_days=30, keys=[Key(age_days=30, last_used_days=29)], groups=["readonly"])


def seed_roles(account: MotoAccount, arns: dict[str, str]) -> None:
    r = account.role
    r("OrganizationAccountAccessRole", managed=[arns["AdministratorAccess"]], last_used_days=10)
    r("break-glass-admin", trust=SAML_TRUST, managed=[arns["AdministratorAccess"]], last_used_days=200,
      description="Emergency access; use only with a ticket")
    r("support-incidents", managed=[arns["AWSSupportAccess"]], last_used_days=40, tags={"owner": "secops"})
    r("ec2-web", trust=service_trust("ec2.amazonaws.com"), managed=[arns["s3-reports-read"]], last_used_days=0)
    r("lambda-exporter", trust=service_trust("lambda.amazonaws.com"), last_used_days=1,
      inline={"logs": allow(["logs:CreateLogStream", "logs:PutLogEvents"])})
    r("ci-deploy-role", managed=[arns["ci-deploy"]], last_used_days=0)
    r("old-migration", age_days=600, managed=[arns["ReadOnlyAccess"]], last_used_days=None)
    r("data-pipeline", trust=service_trust("glue.amazonaws.com"), last_used_days=95,
      inline={"etl": allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::lake/*", Sid="Etl")},
      description=HOSTILE_TEXT, tags={"cost-center": HOSTILE_TEXT})
    r("AWSServiceRoleForSupport", trust=service_trust("support.amazonaws.com"), path="/aws-service-role/support.amazonaws.com/",
      managed=[arns["AWSSupportAccess"]], last_used_days=3)


def seed(account: MotoAccount) -> dict[str, str]:
    account.root(Root(keys=[Key(age_days=400, last_used_days=2)], mfa=None, password_last_used_days=3,
                      certificates=[(500, True)]))
    account.password_policy(MinimumPasswordLength=8, RequireUppercaseCharacters=True,
                            RequireLowercaseCharacters=True, PasswordReusePrevention=5, MaxPasswordAge=180)
    arns = seed_policies(account)
    seed_groups(account, arns)
    seed_users(account, arns)
    seed_roles(account, arns)
    account.server_certificate("legacy-www", expires_in_days=-30, age_days=400)
    account.server_certificate("www-2027", expires_in_days=200, age_days=165)
    account.server_certificate("api-internal", expires_in_days=10, age_days=355)
    return arns
