"""Account-wide IAM data sources. Each makes a fixed number of calls, growing only by pagination."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from iam_compliance.collection import credential_report
from iam_compliance.collection.aws import AwsContext


# IAM list calls accept up to 1,000 items a page (their default is 100): fewer calls on large accounts.
PAGE_SIZE = 1000


def _paginate(client: Any, operation: str, **kwargs: Any) -> list[dict]:
    pages = client.get_paginator(operation).paginate(PaginationConfig={"PageSize": PAGE_SIZE}, **kwargs)
    return list(pages)


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


def authorization_details(ctx: AwsContext) -> dict:
    """Users, groups, roles (with RoleLastUsed) and managed policies with every version, in one paginated call."""
    users: list[dict] = []
    groups: list[dict] = []
    roles: list[dict] = []
    policies: list[dict] = []
    for page in _paginate(ctx.client("iam"), "get_account_authorization_details"):
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
        "users": [_canonical_entity(u) for u in _sorted_by(users, "UserName")],
        "groups": [_canonical_entity(g) for g in _sorted_by(groups, "GroupName")],
        "roles": [_canonical_entity(r) for r in _sorted_by(roles, "RoleName")],
        "policies": [_canonical_entity(p) for p in _sorted_by(kept, "Arn")],
    }


def credential_report_source(ctx: AwsContext) -> dict:
    return credential_report.fetch(ctx.client("iam"), ctx.options.credential_report_timeout)


def account_summary(ctx: AwsContext) -> dict:
    return ctx.client("iam").get_account_summary()["SummaryMap"]


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
    for page in _paginate(ctx.client("iam"), "list_virtual_mfa_devices"):
        for device in page.get("VirtualMFADevices", []):
            kept = {"SerialNumber": device["SerialNumber"]}
            if device.get("EnableDate"):
                kept["EnableDate"] = device["EnableDate"]
            if device.get("User"):
                kept["User"] = {k: device["User"][k] for k in ("Arn", "UserName", "UserId") if k in device["User"]}
            devices.append(kept)
    return _sorted_by(devices, "SerialNumber")


def server_certificates(ctx: AwsContext) -> list[dict]:
    certificates = []
    for page in _paginate(ctx.client("iam"), "list_server_certificates"):
        certificates += page.get("ServerCertificateMetadataList", [])
    return _sorted_by(certificates, "ServerCertificateName")


SOURCES = {
    "authorization_details": authorization_details,
    "credential_report": credential_report_source,
    "account_summary": account_summary,
    "password_policy": password_policy,
    "virtual_mfa_devices": virtual_mfa_devices,
    "server_certificates": server_certificates,
}
