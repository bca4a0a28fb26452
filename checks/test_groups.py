"""IAM group controls (catalogue section F): one item per group."""

from __future__ import annotations

from iam_compliance.controls import Finding, control
from iam_compliance.model.iam import Group


@control(
    "group_has_users", severity="low", sources=["authorization_details"],
    headline="Group has no users",
    refs={"seed": 21},
    remediation="Delete the empty group (detach its policies, delete its inline policies, then aws iam delete-group).",
)
def test_group_has_users(iam_group: Group) -> None:
    """Groups without users are removed.

    GetAccountAuthorizationDetails lists no group members; membership is read from each user's GroupList.
    """
    if not iam_group.member_names:
        raise Finding(
            f"Group {iam_group.name} has no users; its {len(iam_group.attached_policy_arns)} attached and "
            f"{len(iam_group.inline_policies)} inline policies grant nothing but remain to be misused.",
            evidence={"members": [], "attached_policies": iam_group.attached_policy_arns},
            remediation=f"aws iam delete-group --group-name {iam_group.name} (after detaching its policies)",
        )


@control(
    "group_no_inline_policies", severity="low", sources=["authorization_details"],
    headline="Group has inline policies",
    refs={"scoutsuite": "iam-group-with-inline-policies", "steampipe": "iam_group_user_role_no_inline_policies"},
    remediation="Move the permissions into a customer managed policy, attach it to the group, and delete the "
                "inline policy (aws iam delete-group-policy).",
)
def test_group_no_inline_policies(iam_group: Group) -> None:
    """Groups have no inline policies.

    Inline policies cannot be reused, versioned or found by ListPolicies; a group's permissions
    belong in managed policies that can be reviewed in one place.
    """
    names = sorted(iam_group.inline_policies)
    if names:
        raise Finding(
            f"Group {iam_group.name} has {len(names)} inline polic{'y' if len(names) == 1 else 'ies'}: "
            f"{', '.join(names)}.",
            evidence={"inline_policies": names, "members": iam_group.member_names},
            remediation=f"aws iam delete-group-policy --group-name {iam_group.name} --policy-name {names[0]} "
                        "(after moving its permissions to a managed policy)",
        )
