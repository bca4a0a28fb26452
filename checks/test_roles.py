"""IAM role controls (catalogue section E): one item per role, service-linked roles excluded."""

from __future__ import annotations

from datetime import datetime

from iam_compliance.applicability import skip_excluded_sso_role
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import Role
from iam_compliance.settings import Settings
from iam_compliance.timeutil import age_days, short_date

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

    Service-linked roles (path /aws-service-role/) are not listed: AWS owns their policies. With
    ``roles.exclude_sso_roles`` the roles IAM Identity Center manages are not applicable: their inline
    policies come from permission sets and are fixed there.
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
            remediation=f"aws iam delete-role-policy --role-name {iam_role.name} --policy-name {names[0]} "
                        "(after moving its permissions to a managed policy)",
        )


@control(
    "role_recently_used", severity="medium", sources=["authorization_details"],
    headline="Role unused for more than {roles.inactivity_days} days",
    refs={"seed": 18},
    remediation="Delete roles nobody uses (aws iam delete-role, after detaching its policies and removing it "
                "from its instance profiles), or record why the role must stay.",
)
def test_role_recently_used(iam_role: Role, settings: Settings, collected_at: datetime) -> None:
    """Roles unused for more than {roles.inactivity_days} days are removed.

    Read from GetAccountAuthorizationDetails' RoleLastUsed (ListRoles omits it). Fails when the role
    was last used more than ``roles.inactivity_days`` ago, or not at all in the 400 days IAM tracks;
    a role used exactly that many days ago passes. Roles younger than ``roles.inactivity_days`` are
    not applicable, nor, with ``roles.exclude_sso_roles``, the roles IAM Identity Center manages.
    """
    skip_excluded_sso_role(iam_role, settings)
    limit = settings.roles.inactivity_days
    created = iam_role.created
    age = age_days(created, collected_at)
    if age < limit:
        not_applicable(f"role {iam_role.name} was created {age} days ago, less than roles.inactivity_days ({limit}).")
    last = iam_role.last_used
    if last is not None and age_days(last, collected_at) <= limit:
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
        evidence={"last_used": last and last.isoformat(), "created": created.isoformat(), "inactivity_days": limit},
        remediation=f"aws iam delete-role --role-name {iam_role.name}, after detaching its policies "
                    f"(aws iam list-attached-role-policies --role-name {iam_role.name}) and removing it from its "
                    "instance profiles; or record why the role must stay",
    )
