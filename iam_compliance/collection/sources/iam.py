"""Account-wide IAM data sources. Each makes a fixed number of calls, growing only by pagination."""

from __future__ import annotations

from botocore.exceptions import ClientError

from iam_compliance.collection import credential_report
from iam_compliance.collection.aws import AwsContext
from iam_compliance.collection.declaration import DataSource
from iam_compliance.collection.paging import IAM_PAGE_SIZE, items, pages


def _sorted_by(items: list[dict], key: str) -> list[dict]:
    return sorted(items, key=lambda item: str(item.get(key, "")))


def _canonical_entity(entity: dict) -> dict:
    """Sort an entity's own lists so that the snapshot is byte-stable between runs."""
    entity = dict(entity)
    for field, key in (
        ("UserPolicyList", "PolicyName"), ("GroupPolicyList", "PolicyName"), ("RolePolicyList", "PolicyName"),
        ("AttachedManagedPolicies", "PolicyArn"), ("Tags", "Key"), ("PolicyVersionList", "VersionId"),
        ("InstanceProfileList", "InstanceProfileName"),
    ):
        if isinstance(entity.get(field), list):
            entity[field] = _sorted_by(entity[field], key)
    if isinstance(entity.get("GroupList"), list):
        entity["GroupList"] = sorted(entity["GroupList"])
    return entity


# The lists of each entity that the API leaves out when empty: written explicitly, so that the snapshot's
# schema can require them (a missing list in a snapshot is damage, never "none").
ENTITY_LISTS = {
    "users": ("UserPolicyList", "GroupList", "AttachedManagedPolicies", "Tags"),
    "groups": ("GroupPolicyList", "AttachedManagedPolicies"),
    "roles": ("RolePolicyList", "AttachedManagedPolicies", "Tags", "InstanceProfileList"),
    "policies": ("PolicyVersionList",),
}


def _with_lists(kind: str, entity: dict) -> dict:
    return {**{name: [] for name in ENTITY_LISTS[kind]}, **entity}


def authorization_details(ctx: AwsContext) -> dict:
    """Users, groups, roles (with RoleLastUsed) and managed policies with every version, in one paginated call."""
    users: list[dict] = []
    groups: list[dict] = []
    roles: list[dict] = []
    policies: list[dict] = []
    for page in pages(ctx.client("iam"), "get_account_authorization_details", IAM_PAGE_SIZE):
        users += page.get("UserDetailList", [])
        groups += page.get("GroupDetailList", [])
        roles += page.get("RoleDetailList", [])
        policies += page.get("Policies", [])
    aws_managed_prefix = f"arn:{ctx.partition}:iam::aws:policy/"
    kept = []
    for policy in policies:
        # Unattached AWS-managed policies are catalogue noise, not account state.
        aws_managed = policy["Arn"].startswith(aws_managed_prefix)
        in_use = policy.get("AttachmentCount", 0) or policy.get("PermissionsBoundaryUsageCount", 0)
        if aws_managed and not in_use:
            continue
        policy.setdefault("PolicyName", policy["Arn"].rsplit("/", 1)[-1])
        kept.append(policy)
    return {
        "users": [_canonical_entity(_with_lists("users", u)) for u in _sorted_by(users, "UserName")],
        "groups": [_canonical_entity(_with_lists("groups", g)) for g in _sorted_by(groups, "GroupName")],
        "roles": [_canonical_entity(_with_lists("roles", r)) for r in _sorted_by(roles, "RoleName")],
        "policies": [_canonical_entity(_with_lists("policies", p)) for p in _sorted_by(kept, "Arn")],
    }


def credential_report_source(ctx: AwsContext) -> dict:
    return credential_report.fetch(ctx.client("iam"), ctx.options.credential_report_timeout)


def account_summary(ctx: AwsContext) -> dict:
    summary: dict = ctx.client("iam").get_account_summary()["SummaryMap"]
    return summary


def password_policy(ctx: AwsContext) -> dict:
    """``{"policy": null}`` when no custom policy is set: a fact about the account, not an error."""
    try:
        return {"policy": ctx.client("iam").get_account_password_policy()["PasswordPolicy"]}
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            return {"policy": None}
        raise


def virtual_mfa_devices(ctx: AwsContext) -> list[dict]:
    """Assigned and unassigned virtual MFA devices; seeds and QR codes are never kept."""
    devices = []
    for device in items(ctx.client("iam"), "list_virtual_mfa_devices", "VirtualMFADevices", IAM_PAGE_SIZE):
        kept = {"SerialNumber": device["SerialNumber"]}
        if device.get("EnableDate"):
            kept["EnableDate"] = device["EnableDate"]
        if device.get("User"):
            kept["User"] = {k: device["User"][k] for k in ("Arn", "UserName", "UserId") if k in device["User"]}
        devices.append(kept)
    return _sorted_by(devices, "SerialNumber")


def server_certificates(ctx: AwsContext) -> list[dict]:
    certificates = items(ctx.client("iam"), "list_server_certificates", "ServerCertificateMetadataList", IAM_PAGE_SIZE)
    return _sorted_by(certificates, "ServerCertificateName")


DECLARATIONS = [
    DataSource(
        "authorization_details", authorization_details,
        "Users, groups, roles (with RoleLastUsed) and managed policies with every version, in one paginated call.",
        actions=("iam:GetAccountAuthorizationDetails",),
    ),
    DataSource(
        "credential_report", credential_report_source,
        "The credential report: every user's password, MFA, access-key and certificate state.",
        actions=("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
        as_dependency="this source is built from the credential report",
    ),
    DataSource("account_summary", account_summary, "Account-wide IAM counts and the root user's flags.",
               actions=("iam:GetAccountSummary",)),
    DataSource("password_policy", password_policy, "The account password policy, or none.",
               actions=("iam:GetAccountPasswordPolicy",)),
    DataSource("virtual_mfa_devices", virtual_mfa_devices, "Virtual MFA devices and the users they are assigned to.",
               actions=("iam:ListVirtualMFADevices",)),
    DataSource("server_certificates", server_certificates, "IAM server certificates (metadata only).",
               actions=("iam:ListServerCertificates",)),
]
