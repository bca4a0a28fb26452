"""Privilege escalation: who could make itself an administrator, and which policies open the way.

The methods are the engine's (``iam_compliance.analysis.escalation``): each is data naming the actions it
needs and on which resource. A finding explains every path: the method, and for each action the statement of
the policy that grants it (attached, inline or through which group; which version), then what a Deny or the
permissions boundary takes away, and the command that removes the grant.
"""

from __future__ import annotations

from iam_compliance.analysis.accounts import escalation_refs, removal_commands, verdict_how
from iam_compliance.analysis.administrators import admin_verdict
from iam_compliance.analysis.effective import INLINE, MANAGED, PolicySource, policy_alone
from iam_compliance.analysis.escalation import Escalation, blocked, escalations
from iam_compliance.analysis.inputs import principal_escalations, principal_permissions
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import ManagedPolicy, Role, User
from iam_compliance.model.principals import InlinePolicy, attached_to, boundary_only, detach_command

REFS = {"prowler": ("iam_policy_allows_privilege_escalation", "iam_inline_policy_allows_privilege_escalation")}


def _paths(found: list[Escalation]) -> str:
    return " | ".join(e.describe() for e in found)


@control(
    "principal_no_privilege_escalation", severity="high", sources=["authorization_details"], refs=REFS,
    headline="User or role can make itself an administrator",
    remediation="Remove or narrow the statements the finding names (scope iam:PassRole to the roles and service "
                "needed, scope credential and policy actions to ${aws:username}), or set a permissions boundary.",
)
def test_principal_no_privilege_escalation(iam_user_or_role: User | Role) -> None:
    """Users and roles cannot make themselves administrators (privilege escalation).

    Effective permissions (groups, boundary and Denies included) are matched against every known method:
    writing or attaching policies on itself, a new default version of its own managed policy, credentials
    or trust of other principals, passing a role to a compute service it can then run (``iam:PassRole``
    is judged on the account's roles that trust that service, and on iam:PassedToService), and taking over
    code or instances that run with other roles. Resource scoping is honoured (``iam:CreateAccessKey`` on
    ``user/${aws:username}`` is self-service, not escalation); a method open only under conditions is
    reported with their keys. An administrator already is not applicable (the admin checks report it).
    Service-linked roles are AWS's and excluded; an Identity Center role's fix is in its permission set.
    """
    perms = principal_permissions(iam_user_or_role)
    verdict = admin_verdict(perms)
    what = f"{iam_user_or_role.kind} {iam_user_or_role.name}"
    if verdict.is_admin:
        not_applicable(f"{what} is already an administrator ({verdict_how(verdict)}); "
                       "principal_no_administrator_access and the admin counts report it.")
    found = principal_escalations(iam_user_or_role, perms=perms)
    if not found:
        return
    closed = blocked(perms)
    text = (f"{what.capitalize()} can make itself an administrator by {len(found)} method"
            f"{'' if len(found) == 1 else 's'}: {_paths(found)}.")
    if closed:
        text += " Closed by a Deny or the boundary: " + "; ".join(f"{m.id} ({why})" for m, why in closed) + "."
    fixes = removal_commands(iam_user_or_role, escalation_refs(found))
    raise Finding(
        text,
        evidence={"methods": {e.method.id: e.describe() for e in found},
                  "closed": {m.id: why for m, why in closed}, "fix": fixes},
        remediation=" ; ".join(fixes) + " (or narrow those statements)",
    )


def _policy_source(policy: ManagedPolicy | InlinePolicy) -> tuple[str, PolicySource, dict]:
    if isinstance(policy, InlinePolicy):
        owner = policy.owner
        return f"Inline policy {policy.name} of {owner.kind} {owner.name}", PolicySource(INLINE, policy.name), \
            policy.document
    version, document = policy.default_version
    return f"Managed policy {policy.name} (default version {version})", \
        PolicySource(MANAGED, policy.name, policy.arn, version), document


@control(
    "policy_no_privilege_escalation", severity="high", sources=["authorization_details"], refs=REFS,
    headline="Policy lets its holder make itself an administrator",
    remediation="Narrow the statements the finding names, with a new default version of a managed policy "
                "(aws iam create-policy-version --set-as-default) or a rewritten inline policy.",
)
def test_policy_no_privilege_escalation(iam_policy: ManagedPolicy | InlinePolicy) -> None:
    """Customer managed and inline policies do not let their holder make itself an administrator.

    Each policy is judged alone, as the only policy of an unknown holder, against the same methods as
    principal_no_privilege_escalation (``${aws:username}`` stands for that holder; any other user, role or
    policy is fair game). A managed policy is judged on its default version. A policy that grants every action
    on every resource by itself is policy_no_full_admin's finding; AWS-managed policies (AWS writes them) and
    policies used only as permissions boundaries (they grant nothing) are not applicable.
    """
    if isinstance(iam_policy, ManagedPolicy):
        if iam_policy.aws_managed:
            not_applicable(f"{iam_policy.name} is AWS-managed; who holds it is judged by "
                           "principal_no_privilege_escalation.")
        if boundary_only(iam_policy):
            not_applicable(f"policy {iam_policy.name} is used only as a permissions boundary, which grants nothing.")
    what, source, document = _policy_source(iam_policy)
    snapshot = iam_policy.owner.snapshot if isinstance(iam_policy, InlinePolicy) else iam_policy.snapshot
    perms = policy_alone(document, source, account=snapshot.account_id, partition=snapshot.partition)
    if perms.is_admin:
        not_applicable(f"{what[0].lower()}{what[1:]} grants every action on every resource by itself; nothing is left "
                       "to escalate to (policy_no_full_admin reports it).")
    found = escalations(perms)
    if not found:
        return
    if isinstance(iam_policy, InlinePolicy):
        owner = iam_policy.owner
        holders = f"{owner.kind} {owner.name}"
        fix = (f"aws iam put-{owner.kind}-policy --{owner.kind}-name {owner.name} --policy-name {iam_policy.name} "
               f"--policy-document file://narrower.json (or {detach_command(owner, inline_name=iam_policy.name)})")
    else:
        holders = ", ".join(attached_to(snapshot, iam_policy.arn)) or "nothing (unattached)"
        fix = (f"aws iam create-policy-version --policy-arn {iam_policy.arn} --policy-document file://narrower.json "
               "--set-as-default")
    raise Finding(
        f"{what} lets whoever holds it make itself an administrator by {len(found)} method"
        f"{'' if len(found) == 1 else 's'}: {_paths(found)}. Held by: {holders}.",
        evidence={"methods": {e.method.id: e.describe() for e in found}, "held_by": holders},
        remediation=fix,
    )
