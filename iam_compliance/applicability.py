"""Not-applicable rules that several checks share."""

from __future__ import annotations

from iam_compliance.controls import not_applicable
from iam_compliance.model.iam import Role
from iam_compliance.settings import Settings


def skip_excluded_sso_role(role: Role, settings: Settings) -> None:
    """With ``roles.exclude_sso_roles``, IAM Identity Center's roles are judged through their permission sets."""
    if settings.roles.exclude_sso_roles and role.sso_reserved:
        not_applicable(f"role {role.name} is managed by IAM Identity Center and roles.exclude_sso_roles is true.")
