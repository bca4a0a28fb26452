"""Unused service permissions (catalogue rows 25 and 31): one item per IAM user and per role.

Read from the service-last-accessed jobs (source ``service_last_accessed``). A service counts as
unused when IAM lists it (the entity's policies allow it) but it was never authenticated in IAM's
tracking period (at least 400 days) or last authenticated more than ``service_activity.unused_days``
ago; a service used exactly that many days ago is still in use. Namespaces in
``service_activity.allowlist`` are never reported. Entities younger than ``unused_days`` are not
applicable: they have not had the time to use what they were given.
"""

from __future__ import annotations

from datetime import datetime

from iam_compliance.applicability import skip_excluded_sso_role
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.activity import service_activity
from iam_compliance.model.iam import Principal, Role, Snapshot, User
from iam_compliance.settings import Settings
from iam_compliance.timeutil import age_days, short_date

SOURCES = ["authorization_details", "service_last_accessed"]


def _check_unused_services(principal: Principal, snapshot: Snapshot, settings: Settings, now: datetime,
                          where: str) -> None:
    """Fail when the principal may use services it has not used within ``service_activity.unused_days``."""
    activity = service_activity(snapshot)
    if not activity.enabled:
        not_applicable(activity.disabled_reason)
    limit = settings.service_activity.unused_days
    age = age_days(principal.created, now)
    if age < limit:
        not_applicable(
            f"{principal.kind} {principal.name} was created {age} days ago, less than "
            f"service_activity.unused_days ({limit}); it has not had that long to use its permissions."
        )
    allowlisted = {namespace.lower() for namespace in settings.service_activity.allowlist}
    unused: dict[str, datetime | None] = {}
    for service in activity.services(principal):
        if service.namespace.lower() in allowlisted:
            continue
        last = service.last_authenticated
        if last is None or age_days(last, now) > limit:
            unused[service.namespace] = last
    if unused:
        listed = ", ".join(
            f"{ns} (never used in IAM's tracking period)" if last is None
            else f"{ns} (last used {short_date(last)}, {age_days(last, now)} days ago)"
            for ns, last in sorted(unused.items())
        )
        count = f"{len(unused)} service{'' if len(unused) == 1 else 's'}"
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

    Service-linked roles are not listed; with ``roles.exclude_sso_roles`` the roles IAM Identity
    Center manages (path /aws-reserved/sso.amazonaws.com/) are not applicable: fix their permission
    sets instead. Roles created less than ``service_activity.unused_days`` ago are not applicable.
    """
    skip_excluded_sso_role(iam_role, settings)
    _check_unused_services(iam_role, snapshot, settings, collected_at, where=f"attached to role {iam_role.name}")
