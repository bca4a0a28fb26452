"""The administrator and escalation questions the checks ask of one snapshot's users, groups and roles.

Built on the policy engine: ``inputs`` gives a principal's effective permissions, ``administrators`` says
whether they reach every action on every resource (and who assumes a role), ``escalation`` how a principal
could get there. This module adds what the checks report: who the administrators are (people apart from
workloads), how each one is, what a principal holds by its own policies, and the CLI line that removes a grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from iam_compliance.analysis.administrators import AWS_OWNED, PEOPLE, AdminVerdict, RoleAudience, admin_verdict, \
    role_audience
from iam_compliance.analysis.effective import INLINE, Permissions, PolicySource, PrincipalInfo, StatementRef
from iam_compliance.analysis.escalation import Escalation, Inventory, escalations
from iam_compliance.analysis.inputs import inventory, principal_permissions
from iam_compliance.model.iam import Group, Principal, Role, Snapshot
from iam_compliance.model.principals import per_snapshot, principal_id
from iam_compliance.remediation import remove_policy

IDENTITY_CENTER_NOTE = ("IAM Identity Center assignments are outside IAM: one permission-set role may stand for "
                        "many people")


def audience(role: Role) -> RoleAudience:
    """Who assumes the role: people, workloads, AWS itself or nobody."""
    return role_audience(role.trust_policy, name=role.name, path=role.path)


def verdict_how(verdict: AdminVerdict) -> str:
    """'managed policy AdministratorAccess (arn, version v1) via group admins, statement 1' and the condition keys."""
    text = "; ".join(f"{ref.source.describe()}, {ref.statement.label}" for ref in verdict.granted_by)
    if verdict.conditional_keys:
        text += f", only when conditions on {', '.join(sorted(verdict.conditional_keys))} hold"
    return text


@dataclass(frozen=True)
class Admin:
    """A user or role that may perform every action on every resource, and who stands behind it."""

    principal: Principal
    verdict: AdminVerdict
    audience: RoleAudience | None  # None for a user (a person, or whoever holds its keys)

    @property
    def person(self) -> bool:
        return self.audience is None or self.audience.kind == PEOPLE

    def describe(self) -> str:
        who = f" ({self.audience.reason})" if self.audience is not None else ""
        return f"{principal_id(self.principal)}{who} through {verdict_how(self.verdict)}"


@per_snapshot
def administrators(snapshot: Snapshot) -> list[Admin]:
    """Every administrator user and role, users first (service-linked roles excluded: AWS owns them)."""
    found = []
    for principal in [*snapshot.users.values(), *snapshot.roles.values()]:
        role_audience_ = audience(principal) if isinstance(principal, Role) else None
        if role_audience_ is not None and role_audience_.kind == AWS_OWNED:
            continue
        verdict = admin_verdict(principal_permissions(principal))
        if verdict.is_admin:
            found.append(Admin(principal, verdict, role_audience_))
    return found


def counted(admins: Iterable[Admin], *, people_roles: bool) -> tuple[list[Admin], list[Admin]]:
    """(counted, listed apart): people are counted; roles people assume only with ``people_roles``; workloads never."""
    counted_: list[Admin] = []
    apart: list[Admin] = []
    for admin in admins:
        (counted_ if admin.person and (admin.audience is None or people_roles) else apart).append(admin)
    return counted_, apart


def own_permissions(principal: Principal) -> Permissions:
    """What the principal holds by its own policies: a user's groups add only their Denies (each group is judged
    on its own), its boundary applies."""
    return principal_permissions(principal, own_only=True)


def _as_member(group: Group, perms: Permissions) -> tuple[Permissions, Inventory]:
    """The group's policies as an unknown member holds them, with the inventory a member would aim at."""
    snapshot = group.snapshot
    member = PrincipalInfo("policy", f"member-of-{group.name}", "", snapshot.account_id, snapshot.partition)
    customer = f"arn:{snapshot.partition}:iam::{snapshot.account_id}:policy/"
    account = inventory(group)
    return (Permissions(member, perms.identity, None, perms.catalogue),
            Inventory(account.users, account.groups, (group.arn,),
                      tuple(a for a in group.attached_policy_arns if a.startswith(customer)), account.roles))


def self_admin_paths(principal: Principal, perms: Permissions) -> list[Escalation]:
    """How the principal (a group: any member) could write itself any policy through IAM alone."""
    if isinstance(principal, Group):
        holder, account = _as_member(principal, perms)
        found = escalations(holder, account)
    else:
        found = escalations(perms, lambda: inventory(principal))
    return [e for e in found if e.method.writes_own_policy]


def holder_of(principal: Principal, source: PolicySource) -> Principal:
    """The user, group or role a policy is attached to: the group it comes through, else the principal."""
    return principal.snapshot.groups[source.group] if source.group else principal


def removal_command(principal: Principal, source: PolicySource) -> str:
    """The CLI line that takes one identity policy away from the principal (from its group when inherited)."""
    holder = holder_of(principal, source)
    if source.kind == INLINE:
        return remove_policy(holder, inline_name=source.name)
    return remove_policy(holder, source.arn)


def removal_commands(principal: Principal, refs: Iterable[StatementRef]) -> list[str]:
    """One removal line per distinct policy, in the order the statements are given."""
    return list(dict.fromkeys(removal_command(principal, ref.source) for ref in refs))


def escalation_refs(found: Iterable[Escalation]) -> list[StatementRef]:
    """Every statement that grants some step of the given escalations."""
    return [ref for escalation in found for step in escalation.steps for ref in step.decision.granted_by]
