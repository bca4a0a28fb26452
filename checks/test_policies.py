"""IAM policy controls (catalogue section G, plus the support role of section E).

Managed policies are judged on their default version only; older versions grant nothing until
someone makes them the default (which itself needs iam:SetDefaultPolicyVersion).
"""

from __future__ import annotations

from iam_compliance.analysis.accounts import audience
from iam_compliance.analysis.administrators import PEOPLE
from iam_compliance.analysis.documents import full_admin_statements, service_wildcards
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import Account, ManagedPolicy, Principal
from iam_compliance.model.principals import (
    InlinePolicy, attached_to, aws_managed_arn, boundary_only, detach_command, principal_id,
)
from iam_compliance.settings import FullAdminScope, Settings


def _full_admin_applies(policy: ManagedPolicy | InlinePolicy, scope: FullAdminScope) -> None:
    """Skip, with the reason, policies outside ``policies.full_admin_scope``."""
    if isinstance(policy, InlinePolicy):
        if scope == "securityhub":
            not_applicable("Security Hub IAM.1 evaluates customer managed policies only "
                           "(policies.full_admin_scope: securityhub).")
    elif scope == "cis" and policy.attachment_count == 0:
        not_applicable(f"policy {policy.name} is attached to no user, group or role; CIS evaluates attached policies "
                       "(policies.full_admin_scope: cis).")
    elif scope == "securityhub" and policy.aws_managed:
        not_applicable("Security Hub IAM.1 evaluates customer managed policies only "
                       "(policies.full_admin_scope: securityhub).")
    elif scope == "securityhub" and boundary_only(policy):
        not_applicable(f"policy {policy.name} is used only as a permissions boundary, which grants nothing by itself.")


@control(
    "policy_no_full_admin", severity="high", sources=["authorization_details"],
    headline="Policy allows every action on every resource",
    refs={"cis-v5.0": "1.15", "cis-v3.0": "1.16", "security-hub": "IAM.1"},
    remediation="Replace the statement that allows `*` on `*` with the actions and resources the holders need, "
                "or detach the policy.",
)
def test_policy_no_full_admin(iam_policy: ManagedPolicy | InlinePolicy, settings: Settings) -> None:
    """No policy allows every action on every resource.

    Fails on an Allow statement with Action ``*`` or ``*:*`` (exact element; ``s3:*`` is not) on
    Resource ``*`` (or NotResource), with or without a Condition, in a managed policy's default
    version or in an inline policy. ``policies.full_admin_scope: cis`` (default) covers attached
    managed policies, AWS-managed ones included (so an attached AdministratorAccess fails), and every
    inline policy: they are always in force, and CIS 1.15's aim is that nobody holds ``*:*`` by any
    route. ``securityhub`` follows IAM.1: customer managed policies, attached or not, except those used
    only as permissions boundaries. Allow + NotAction is not full admin here (see the admin checks).
    """
    _full_admin_applies(iam_policy, settings.policies.full_admin_scope)
    if isinstance(iam_policy, InlinePolicy):
        owner = iam_policy.owner
        what, document = f"Inline policy {iam_policy.name} of {owner.kind} {owner.name}", iam_policy.document
        holders = [principal_id(owner)]
        remediation = (f"aws iam put-{owner.kind}-policy --{owner.kind}-name {owner.name} --policy-name "
                       f"{iam_policy.name} --policy-document file://narrower.json "
                       f"(or {detach_command(owner, inline_name=iam_policy.name)})")
    else:
        kind = "AWS-managed policy" if iam_policy.aws_managed else "Managed policy"
        what, document = f"{kind} {iam_policy.name}", iam_policy.default_document
        holders = attached_to(iam_policy.snapshot, iam_policy.arn)
        remediation = (f"aws iam create-policy-version --policy-arn {iam_policy.arn} --policy-document "
                       "file://narrower.json --set-as-default" if not iam_policy.aws_managed else
                       f"Detach it from {', '.join(holders) or 'every holder'} and grant narrower policies instead.")
    grants = [f"{s.label}: {s.describe()}" for s in full_admin_statements(document, what)]
    if grants:
        raise Finding(
            f"{what} allows every action on every resource ({'; '.join(grants)}). "
            f"Attached to: {', '.join(holders) or 'nothing (unattached)'}.",
            evidence={"statements": grants, "attached_to": holders},
            remediation=remediation,
        )


@control(
    "customer_policy_no_service_wildcard", severity="low", sources=["authorization_details"],
    headline="Customer managed policy grants every action of a service",
    refs={"security-hub": "IAM.21"},
    remediation="Replace `service:*` with the specific actions needed (aws iam create-policy-version "
                "--set-as-default); IAM Access Analyzer can generate a policy from CloudTrail activity.",
)
def test_customer_policy_no_service_wildcard(managed_policy: ManagedPolicy) -> None:
    """Customer managed policies do not grant every action of a service (``service:*``).

    Fails on an Allow statement with Action ``<service>:*``, or NotAction ``<service>:*`` (which grants
    every action of every *other* service), in the default version, whatever the Resource or Condition, as
    Security Hub IAM.21. Prefix wildcards such as ``ec2:Describe*`` pass; ``*`` and ``*:*`` grant every
    service's ``*`` and fail here too. AWS-managed policies and policies used only as permissions
    boundaries are not applicable (IAM.21 excludes both); inline policies are not covered by IAM.21.
    """
    if managed_policy.aws_managed:
        not_applicable(f"{managed_policy.name} is AWS-managed; Security Hub IAM.21 covers customer managed policies.")
    if boundary_only(managed_policy):
        not_applicable(f"policy {managed_policy.name} is used only as a permissions boundary.")
    found = service_wildcards(managed_policy.default_document, f"managed policy {managed_policy.name}")
    if found:
        granted = sorted({service for w in found if not w.statement.not_action for service in w.services})
        excepted = sorted({service for w in found if w.statement.not_action for service in w.services})
        named = ["every action of " + ("every service" if "*" in granted else ", ".join(granted))] if granted else []
        named += [f"every action except those of {', '.join(excepted)}"] if excepted else []
        raise Finding(
            f"Managed policy {managed_policy.name} grants {' and '.join(named)} "
            f"({'; '.join(w.describe() for w in found)}).",
            evidence={"services": granted, "all_services_except": excepted,
                      "statements": [w.describe() for w in found]},
            remediation=f"aws iam create-policy-version --policy-arn {managed_policy.arn} "
                        "--policy-document file://specific-actions.json --set-as-default",
        )


@control(
    "cloudshell_full_access_not_attached", severity="medium", sources=["authorization_details"],
    headline="AWSCloudShellFullAccess is attached",
    refs={"cis-v5.0": "1.21", "cis-v3.0": "1.22", "security-hub": "IAM.27"},
    remediation="Detach AWSCloudShellFullAccess and grant a policy without file upload/download "
                "(aws iam detach-user-policy / detach-group-policy / detach-role-policy).",
)
def test_cloudshell_full_access_not_attached(iam_principal: Principal) -> None:
    """No user, group or role has AWSCloudShellFullAccess attached.

    The policy allows uploading and downloading files through CloudShell, a data exfiltration path.
    One item per user, group and role (service-linked roles excluded), so each holder is its own
    finding; a user holding it through a group is reported on the group's item.
    """
    arn = aws_managed_arn(iam_principal.snapshot, "AWSCloudShellFullAccess")
    if arn in iam_principal.attached_policy_arns:
        raise Finding(
            f"{iam_principal.kind.capitalize()} {iam_principal.name} has AWSCloudShellFullAccess attached ({arn}).",
            evidence={"policy_arn": arn},
            remediation=detach_command(iam_principal, arn),
        )


@control(
    "support_role_exists", severity="low", sources=["authorization_details"],
    headline="No role for AWS Support incidents",
    refs={"cis-v5.0": "1.16", "cis-v3.0": "1.17", "security-hub": "IAM.18"},
    remediation="Create a role people can assume for AWS Support cases and attach AWSSupportAccess "
                "(aws iam create-role ..., then aws iam attach-role-policy --policy-arn "
                "arn:aws:iam::aws:policy/AWSSupportAccess).",
)
def test_support_role_exists(account: Account) -> None:
    """A role for managing incidents with AWS Support exists.

    Passes when a role that people can assume has AWSSupportAccess attached (read from
    GetAccountAuthorizationDetails, no extra call). Stricter than CIS's literal query: a
    service-linked role or a role only AWS services can assume does not let people open cases.
    """
    arn = aws_managed_arn(account.snapshot, "AWSSupportAccess")
    holders = {role.name: audience(role) for role in account.snapshot.roles.values() if arn in role.attached_policy_arns}
    if any(who.kind == PEOPLE for who in holders.values()):
        return
    others = "; ".join(f"role {name} is {who.reason}" for name, who in holders.items())
    raise Finding(
        f"Account {account.id} has no role people can assume with AWSSupportAccess attached"
        + (f" ({others})." if others else "."),
        evidence={"policy_arn": arn, "roles_with_policy": {name: who.reason for name, who in holders.items()}},
    )
