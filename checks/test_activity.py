"""Unused service permissions (catalogue rows 25 and 31): one item per IAM user and per role.

Read from the service-last-accessed jobs (source ``service_last_accessed``). A service counts as
unused when IAM lists it (the entity's policies allow it) but it was never authenticated in IAM's
tracking period (at least 400 days) or last authenticated more than ``service_activity.unused_days``
ago, with the suite's convention (more than N x 24 h before collected_at): a service used exactly that
many days ago is still in use. Namespaces in ``service_activity.allowlist`` are never reported. Entities
created within ``unused_days`` (the same convention: exactly N days old is within) are not applicable:
they have not had the time to use what they were given.

The fix is a change to policy documents only people can write (which statements to narrow), so it is a
sentence naming the services and where they are granted, plus the command that shows the evidence; for an
IAM Identity Center role the policies live in its permission set.
"""

from __future__ import annotations

from datetime import datetime

from iam_compliance.applicability import skip_excluded_sso_role
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.activity import service_activity
from iam_compliance.model.iam import Principal, Role, Snapshot, User
from iam_compliance.model.principals import owner_of
from iam_compliance.settings import Settings
from iam_compliance.timeutil import age_days, older_than, short_date

SOURCES = ["authorization_details", "service_last_accessed"]


def _check_unused_services(principal: Principal, snapshot: Snapshot, settings: Settings, now: datetime,
                          where: str) -> None:
    """Fail when the principal may use services it has not used within ``service_activity.unused_days``."""
    activity = service_activity(snapshot)
    if not activity.enabled:
        not_applicable(activity.disabled_reason)
    limit = settings.service_activity.unused_days
    age = age_days(principal.created, now)
    if not older_than(principal.created, now, limit):
        not_applicable(
            f"{principal.kind} {principal.name} was created {age} days ago, within "
            f"service_activity.unused_days ({limit}); it has not had that long to use its permissions."
        )
    allowlisted = {namespace.lower() for namespace in settings.service_activity.allowlist}
    unused: dict[str, datetime | None] = {}
    for service in activity.services(principal):
        if service.namespace.lower() in allowlisted:
            continue
        last = service.last_authenticated
        if last is None or older_than(last, now, limit):
            unused[service.namespace] = last
    if unused:
        listed = ", ".join(
            f"{ns} (never used in IAM's tracking period)" if last is None
            else f"{ns} (last used {short_date(last)}, {age_days(last, now)} days ago)"
            for ns, last in sorted(unused.items())
        )
        count = f"{len(unused)} service{'' if len(unused) == 1 else 's'}"
        owner = owner_of(principal)
        if owner is not None:
            where = f"of IAM Identity Center permission set {owner.name} (IAM refuses to change role {principal.name})"
        raise Finding(
            f"{principal.kind.capitalize()} {principal.name} is allowed to use {count} it has not used in the "
            f"last {limit} days: {listed}.",
            evidence={"unused_services": {ns: last and last.isoformat() for ns, last in sorted(unused.items())},
                      "unused_days": limit},
            remediation=f"Remove {', '.join(sorted(unused))} from the policies {where}; review the evidence with "
                        f"aws iam get-service-last-accessed-details --job-id $(aws iam "
                        f"generate-service-last-accessed-details --arn {principal.arn} --query JobId --output text)",
        )


@control(
    "user_no_unused_service_permissions", severity="low", sources=SOURCES,
    headline="User is granted services unused for {service_activity.unused_days} days",
    refs={"seed": 15},
    remediation="Remove the services the user does not use from its policies and its groups' policies "
                "(aws iam generate-service-last-accessed-details shows which).",
)
def test_user_no_unused_service_permissions(iam_user: User, snapshot: Snapshot, settings: Settings,
                                            collected_at: datetime) -> None:
    """Users are not granted services they have not used for {service_activity.unused_days} days.

    The services IAM lists for a user include those its groups' policies allow, so the fix may be
    on a group. Users created less than ``service_activity.unused_days`` ago are not applicable.
    """
    _check_unused_services(iam_user, snapshot, settings, collected_at,
                          where=f"of user {iam_user.name} and its groups")


@control(
    "role_no_unused_service_permissions", severity="low", sources=SOURCES,
    headline="Role is granted services unused for {service_activity.unused_days} days",
    refs={"seed": 19},
    remediation="Remove the services the role does not use from its policies "
                "(aws iam generate-service-last-accessed-details shows which).",
)
def test_role_no_unused_service_permissions(iam_role: Role, snapshot: Snapshot, settings: Settings,
                                            collected_at: datetime) -> None:
    """Roles are not granted services they have not used for {service_activity.unused_days} days.

    Service-linked roles are not listed (their service owns their permissions). An IAM Identity Center
    role (path or ARN /aws-reserved/sso.amazonaws.com/) fails like any other, because an auditor wants
    unused grants removed wherever they are defined; the fix names its permission set, since IAM refuses
    to change the role. With ``roles.exclude_sso_roles`` such roles are not applicable. Roles created
    within ``service_activity.unused_days`` are not applicable.
    """
    skip_excluded_sso_role(iam_role, settings)
    _check_unused_services(iam_role, snapshot, settings, collected_at, where=f"attached to role {iam_role.name}")
