"""IAM group controls (catalogue section F): one item per group."""

from __future__ import annotations

from fixtures.controls import Finding, control
from fixtures.model import Group


@control(
    "group_has_users", severity="low", sources=["authorization_details"],
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
