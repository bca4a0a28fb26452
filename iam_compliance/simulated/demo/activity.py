"""The demo account's service activity: which services users and roles used and when, an IAM
Identity Center role and a role too new to judge."""

from __future__ import annotations

from iam_compliance.simulated.demo.base import SAML_TRUST
from iam_compliance.simulated.moto_account.builder import MotoAccount

SSO_PATH = "/aws-reserved/sso.amazonaws.com/eu-west-1/"

# user or role -> service namespace -> days since last used (None: never in IAM's tracking period)
ACTIVITY: dict[str, dict[str, int | None]] = {
    # Users that use what they are given.
    "alice": {"iam": 1, "s3": 2, "ec2": 5, "cloudtrail": 30},
    "erin": {"s3": 20, "ce": 45},
    "ci-github": {"ec2": 0, "s3": 0, "cloudformation": 0},
    "svc-backup": {"s3": 1},
    "svc-reporting": {"s3": 3},
    # Users holding services they stopped using, or never used.
    "dave": {"ec2": 100, "s3": 10, "lambda": None, "dynamodb": None},
    "svc-legacy-etl": {"s3": 120, "glue": 300},
    "svc-metrics": {"cloudwatch": 2, "s3": None},
    "trent": {"s3": 100, "ec2": None},
    # New users are not judged yet.
    "grace": {"ec2": None, "lambda": None},
    # Roles.
    "OrganizationAccountAccessRole": {"iam": 10, "sts": 10},
    "support-incidents": {"support": 40},
    "ec2-web": {"s3": 0},
    "lambda-exporter": {"logs": 1},
    "ci-deploy-role": {"ec2": 0, "s3": 0, "cloudformation": None},
    "old-migration": {"s3": None, "ec2": None, "iam": None},
    "data-pipeline": {"s3": 95},
    "break-glass-admin": {"iam": 200, "organizations": None},
    "AWSReservedSSO_ReadOnly_5f2a9c1e7b3d4a60": {"s3": 2, "cloudwatch": 2},
    "new-analytics": {"athena": None},
}


def seed(account: MotoAccount, arns: dict[str, str]) -> None:
    account.role("AWSReservedSSO_ReadOnly_5f2a9c1e7b3d4a60", path=SSO_PATH, trust=SAML_TRUST,
                 managed=[arns["ReadOnlyAccess"]], last_used_days=2,
                 description="Created by IAM Identity Center for the ReadOnly permission set")
    account.role("new-analytics", age_days=10, managed=[arns["s3-reports-read"]])
    for entity, services in ACTIVITY.items():
        account.service_activity(entity, services)
