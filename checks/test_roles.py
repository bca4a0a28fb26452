"""IAM role controls (catalogue section E): one item per role, service-linked roles excluded."""

from __future__ import annotations

from fixtures.controls import Finding, control
from fixtures.model import Role


@control(
    "role_no_inline_policies", severity="low", sources=["authorization_details"],
    refs={"seed": 20},
    remediation="Move the permissions into a customer managed policy, attach it, and delete the inline policy "
                "(aws iam delete-role-policy).",
)
def test_role_no_inline_policies(iam_role: Role) -> None:
    """Roles have no inline policies.

    Service-linked roles (path /aws-service-role/) are not listed: AWS owns their policies.
    """
    names = sorted(iam_role.inline_policies)
    if names:
        raise Finding(
            f"Role {iam_role.name} has {len(names)} inline polic{'y' if len(names) == 1 else 'ies'}: "
            f"{', '.join(names)}.",
            evidence={"inline_policies": names},
            remediation=f"aws iam delete-role-policy --role-name {iam_role.name} --policy-name {names[0]} "
                        "(after moving its permissions to a managed policy)",
        )
