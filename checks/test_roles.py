"""IAM role controls (catalogue section E): one item per role, service-linked roles excluded."""

from __future__ import annotations

from datetime import datetime

from iam_compliance import remediation
from iam_compliance.applicability import skip_excluded_sso_role
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import Role
from iam_compliance.model.principals import aws_owner
from iam_compliance.settings import Settings
from iam_compliance.timeutil import age_days, older_than, short_date

ROLE_LAST_USED_WINDOW_DAYS = 400  # IAM reports RoleLastUsed for this many trailing days


@control(
    "role_no_inline_policies", severity="low", sources=["authorization_details"],
    headline="Role has inline policies",
    refs={"seed": 20},
    remediation="Move the permissions into a customer managed policy, attach it, and delete the inline policy "
                "(aws iam delete-role-policy).",
)
def test_role_no_inline_policies(iam_role: Role, settings: Settings) -> None:
    """Roles have no inline policies.

    Service-linked roles (path or ARN /aws-service-role/) are not listed: AWS owns their policies. An
    IAM Identity Center role (AWSReservedSSO_*, path /aws-reserved/sso.amazonaws.com/) with an inline policy
    still fails, because an auditor expects the permission set's inline policy to be reviewed like any
    other; the fix names the permission set (the role's name carries it) since IAM refuses
    delete-role-policy on these roles. With ``roles.exclude_sso_roles`` they are not applicable.
    """
    skip_excluded_sso_role(iam_role, settings)
    names = sorted(iam_role.inline_policies)
    if names:
        raise Finding(
            f"Role {iam_role.name} has {len(names)} inline polic{'y' if len(names) == 1 else 'ies'}: "
            f"{', '.join(names)}.",
            # The statements to move, and the tags that usually say who owns the role.
            evidence={"inline_policies": {name: iam_role.inline_policies[name].get("Statement") for name in names},
                      "tags": iam_role.tags},
            remediation=_inline_fix(iam_role, names),
        )


def _inline_fix(role: Role, names: list[str]) -> str:
    owner = aws_owner(role)
    if owner is not None:
        return remediation.owned_role_fix(owner, role, "replace the inline policy with customer managed or AWS "
                                          "managed policies")
    return remediation.steps(
        f"Move the permissions of {', '.join(names)} into a customer managed policy attached to the role, then:",
        *(remediation.remove_policy(role, inline_name=name) for name in names))


@control(
    "role_recently_used", severity="medium", sources=["authorization_details"],
    headline="Role unused for more than {roles.inactivity_days} days",
    refs={"seed": 18},
    remediation="Delete roles nobody uses (delete its inline policies, detach its managed policies, remove it from "
                "its instance profiles, then aws iam delete-role), or record why the role must stay.",
)
def test_role_recently_used(iam_role: Role, settings: Settings, collected_at: datetime) -> None:
    """Roles unused for more than {roles.inactivity_days} days are removed.

    Read from GetAccountAuthorizationDetails' RoleLastUsed (ListRoles omits it). A role is inactive when
    it was neither created nor used within ``roles.inactivity_days``, with the suite's convention: last
    used (or, never used in the 400 days IAM tracks, created) more than N x 24 h before collected_at.
    A role created within the window is not applicable (the grace period for new roles), so a role
    created exactly N days ago and one used exactly N days ago are both in time. With
    ``roles.exclude_sso_roles`` the roles IAM Identity Center manages are not applicable.

    Service-linked roles are not listed (AWS owns them). An unused Identity Center role fails (people
    hold a permission set they never use, which an auditor wants removed) with the fix where it lives:
    delete the permission set's account assignments, which removes the role; IAM refuses delete-role.
    Other roles get the whole DeleteRole sequence: inline policies, attached policies, the instance
    profiles the snapshot lists (remove-role-from-instance-profile), then delete-role.
    """
    skip_excluded_sso_role(iam_role, settings)
    limit = settings.roles.inactivity_days
    created = iam_role.created
    age = age_days(created, collected_at)
    if not older_than(created, collected_at, limit):
        not_applicable(f"role {iam_role.name} was created {age} days ago on {short_date(created)}, within "
                       f"roles.inactivity_days ({limit}).")
    last = iam_role.last_used
    if last is not None and not older_than(last, collected_at, limit):
        return
    if last is not None:
        problem = f"was last used {age_days(last, collected_at)} days ago on {short_date(last)}"
    elif age <= ROLE_LAST_USED_WINDOW_DAYS:
        problem = f"has never been used since it was created {age} days ago on {short_date(created)}"
    else:
        problem = (f"has not been used in the last {ROLE_LAST_USED_WINDOW_DAYS} days that IAM tracks "
                   f"(created {short_date(created)})")
    raise Finding(
        f"Role {iam_role.name} {problem}; the limit is {limit} days.",
        evidence={"last_used": last and last.isoformat(), "created": created.isoformat(), "inactivity_days": limit,
                  "instance_profiles": remediation.instance_profiles(iam_role)},
        remediation=remediation.delete_role(iam_role),
    )
