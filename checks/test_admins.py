"""Administrator controls (catalogue section C): how many admins there are, and who may be one.

The admin definition (README "Who counts as an administrator"): a user or role is an administrator when its
effective permissions allow every action on every resource, after its permissions boundary and every Deny,
under conditions or not (the finding names the condition keys). The counts count people; roles assumed only
by workloads (AWS services, OIDC web identity such as GitHub Actions or EKS) are listed apart.
"""

from __future__ import annotations

from iam_compliance.analysis.accounts import (
    IDENTITY_CENTER_NOTE, Admin, administrators, counted, escalation_refs, own_permissions, removal_commands,
    self_admin_paths, verdict_how,
)
from iam_compliance import remediation
from iam_compliance.analysis.administrators import admin_verdict
from iam_compliance.analysis.escalation import Escalation
from iam_compliance.analysis.inputs import principal_permissions
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import Account, Group, Principal, User
from iam_compliance.model.principals import is_approved, principal_id
from iam_compliance.settings import Settings


def _people(settings: Settings) -> str:
    return "people (IAM users and roles people assume)" if settings.admins.scope == "users_and_human_roles" \
        else "IAM users (admins.scope: users)"


def _count_finding(account: Account, settings: Settings, verdict: str, limit: str, key: str, value: int) -> Finding:
    """The count finding: the verdict, who is counted, who is listed apart and why, and the Identity Center caveat."""
    people, apart = counted(administrators(account.snapshot),
                            people_roles=settings.admins.scope == "users_and_human_roles")
    listed = "; ".join(admin.describe() for admin in people) or "none"
    text = f"Account {account.id} has {verdict} among {_people(settings)}; {limit}. Administrators: {listed}."
    if apart:
        text += (" Administrator roles not counted as people: "
                 + "; ".join(f"{principal_id(a.principal)} ({a.audience.reason if a.audience else ''})" for a in apart)
                 + ".")
    return Finding(text + f" {IDENTITY_CENTER_NOTE}.", evidence={
        "administrators": {principal_id(a.principal): verdict_how(a.verdict) for a in people},
        "not_counted": {principal_id(a.principal): a.audience.reason if a.audience else "" for a in apart},
        "scope": settings.admins.scope, key: value,
    })


def _counted_admins(account: Account, settings: Settings) -> list[Admin]:
    return counted(administrators(account.snapshot), people_roles=settings.admins.scope == "users_and_human_roles")[0]


def _plural(count: int) -> str:
    return f"{count} administrator{'' if count == 1 else 's'}" if count else "no administrator"


@control(
    "admin_count_minimum", severity="low", sources=["authorization_details"],
    headline="Fewer than {admins.minimum} administrators",
    refs={"seed": 7},
    remediation="Give a second, named person administrator access (e.g. aws iam add-user-to-group "
                "--group-name <admin group> --user-name <user>) or create a break-glass role for emergencies.",
)
def test_admin_count_minimum(account: Account, settings: Settings) -> None:
    """The account has at least {admins.minimum} administrators.

    One administrator is a single point of failure: if that person leaves or loses their MFA device,
    nobody can administer the account without the root user. Counted: IAM users and, under
    ``admins.scope: users_and_human_roles`` (default), roles people assume (IAM users or accounts, SAML,
    IAM Identity Center). Roles assumed only by workloads (AWS services, OIDC web identity) never count as
    people and are listed apart; service-linked roles are AWS's. An administrator under a condition (e.g. MFA)
    counts. One Identity Center role may stand for many people: IAM cannot tell how many.
    """
    minimum = settings.admins.minimum
    found = len(_counted_admins(account, settings))
    if found < minimum:
        raise _count_finding(account, settings, _plural(found), f"at least {minimum} are required so that losing "
                             "one does not leave the account without an administrator", "minimum", minimum)


@control(
    "admin_count_maximum", severity="medium", sources=["authorization_details"],
    headline="More than {admins.maximum} administrators",
    refs={"seed": 8},
    remediation="Remove administrator access from everyone who does not need it: detach AdministratorAccess or "
                "the `*` policy, or remove the user from the admin group (aws iam remove-user-from-group).",
)
def test_admin_count_maximum(account: Account, settings: Settings) -> None:
    """The account has at most {admins.maximum} administrators.

    Every administrator can do anything, including erasing the audit trail; the fewer, the smaller the
    blast radius of one stolen credential. The finding lists each admin and how it is one (the policy, its
    version, the group it comes through, the statement, the condition keys). Counted as in
    admin_count_minimum; administrator roles of workloads are listed apart.
    """
    maximum = settings.admins.maximum
    found = len(_counted_admins(account, settings))
    if found > maximum:
        raise _count_finding(account, settings, _plural(found), f"at most {maximum} are allowed", "maximum", maximum)


@control(
    "admin_user_mfa_enabled", severity="high", sources=["authorization_details", "credential_report"],
    headline="Administrator user has no MFA",
    refs={"prowler": "iam_administrator_access_with_mfa",
          "steampipe": "iam_user_with_administrator_access_mfa_enabled"},
    remediation="Assign an MFA device to the administrator (aws iam create-virtual-mfa-device, then "
                "aws iam enable-mfa-device), or remove its administrator access.",
)
def test_admin_user_mfa_enabled(iam_user: User) -> None:
    """Every administrator IAM user has MFA enabled.

    Read from the credential report's mfa_active. Applies to administrators by the suite's definition
    (effective permissions, groups included, conditional or not); other users are not applicable. An admin
    without a console password still needs MFA: its access keys can be used to create one.
    """
    verdict = admin_verdict(principal_permissions(iam_user))
    if not verdict.is_admin:
        not_applicable(f"user {iam_user.name} is not an administrator ({'; '.join(verdict.limits)}).")
    credentials = iam_user.credentials
    if not credentials.mfa_active:
        keys = len(credentials.active_access_key_slots)
        access = "a console password" if credentials.password_enabled else "no console password"
        raise Finding(
            f"Administrator {iam_user.name} has no MFA device ({credentials.source}: mfa_active=false; the user has "
            f"{access} and {keys} active access key{'' if keys == 1 else 's'}). "
            f"It is an administrator through {verdict_how(verdict)}.",
            evidence={"mfa_active": False, "admin_through": [ref.describe() for ref in verdict.granted_by]},
            remediation=remediation.enable_virtual_mfa(iam_user),
        )


def _grants(escalation: Escalation) -> str:
    """'Attach any managed policy to itself (iam_attach_user_policy): iam:AttachUserPolicy by <statement>'."""
    steps = "; ".join(f"{step.action} by " + "; ".join(ref.describe() for ref in step.decision.granted_by)
                      for step in escalation.steps)
    return f"{escalation.method.name} ({escalation.method.id}): {steps}"


@control(
    "principal_no_administrator_access", severity="high", sources=["authorization_details"],
    headline="Principal holds administrator access that is not approved",
    refs={"prowler": ("iam_user_administrator_access_policy", "iam_group_administrator_access_policy",
                      "iam_role_administratoraccess_policy")},
    remediation="Detach the administrator policy (aws iam detach-user-policy / detach-group-policy / "
                "detach-role-policy), or list the principal in admins.approved if it is a sanctioned admin.",
)
def test_principal_no_administrator_access(iam_principal: Principal, settings: Settings) -> None:
    """Users, groups and roles hold no administrator access unless approved in admins.approved.

    Each principal is judged on its own inline and attached policies (after its boundary and every Deny, its
    groups' included): a group's grants fail the group's item, not each member's. It fails when those policies
    allow every action on every resource, or let the principal (a group: its members) make itself an
    administrator through IAM alone: attach or write any policy on itself (``iam:*``, iam:AttachUserPolicy,
    iam:PutRolePolicy, ...) or create a new default version of its own managed policy. ``admins.approved``
    takes names, ``kind/name`` or ARNs, with ``*`` globs (e.g. ``role/AWSReservedSSO_AdministratorAccess_*``).
    Service-linked roles are excluded; roles only workloads assume are included (an admin pipeline is a real risk).
    An IAM Identity Center role fails like any other (an auditor wants every standing administrator named or
    approved); its fix is in the permission set, since IAM refuses to detach or delete the role's policies.
    The fix removes each policy that grants it, by name or ARN, from the principal or the group it comes through.
    """
    if is_approved(iam_principal, settings.admins.approved):
        return
    perms = own_permissions(iam_principal)
    verdict = admin_verdict(perms)
    what = f"{iam_principal.kind.capitalize()} {iam_principal.name}"
    if isinstance(iam_principal, Group):
        members = iam_principal.member_names
        what += f" (members: {', '.join(members) if members else 'none'})"
    if verdict.is_admin:
        raise Finding(
            f"{what} holds administrator access through {verdict_how(verdict)}, and is not listed in admins.approved.",
            evidence={"admin_through": [ref.describe() for ref in verdict.granted_by],
                      "conditions": sorted(verdict.conditional_keys), "approved": list(settings.admins.approved)},
            remediation=remediation.steps(*removal_commands(iam_principal, verdict.granted_by),
                                          "Or, if it is a sanctioned administrator, add it to admins.approved."),
        )
    paths = self_admin_paths(iam_principal, perms)
    if paths:
        who = "its members can make themselves" if isinstance(iam_principal, Group) else "it can make itself"
        raise Finding(
            f"{what} is not an administrator by its policies, but {who} one through IAM alone, and is not listed "
            f"in admins.approved: {' | '.join(_grants(e) for e in paths)}.",
            evidence={"self_admin_methods": [e.method.id for e in paths], "approved": list(settings.admins.approved)},
            remediation=remediation.steps(*removal_commands(iam_principal, escalation_refs(paths)),
                                          "Or grant only the IAM actions needed, on other resources."),
        )
