"""From the snapshot model to the policy inputs of the effective-permission analysis.

A user's inputs are its inline and attached managed policies plus those of each of its groups; a
role's are its own. Managed policies contribute their **default** version only (the one IAM enforces),
with its version id for explanations. The permissions boundary is returned separately.
"""

from __future__ import annotations

import re
from typing import Any

from iam_compliance.analysis.actions import ActionCatalogue, aws_catalogue
from iam_compliance.analysis.effective import (
    BOUNDARY, INLINE, MANAGED, Compiled, Permissions, PolicyInput, PolicySource, PrincipalInfo, compile_policy,
    denies_only, where,
)
from iam_compliance.analysis.documents import parse_trust_policy
from iam_compliance.analysis.escalation import Escalation, Inventory, escalations
from iam_compliance.model.iam import BadData, Principal, Role, Snapshot, User
from iam_compliance.model.principals import managed_policy, per_snapshot

_ADMINISTRATOR_ACCESS = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")
# What AWS's AdministratorAccess says; used when the snapshot lists the attachment but not the document.
_ADMINISTRATOR_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _managed(principal: Principal, arn: str, kind: str, group: str = "") -> PolicyInput:
    name = arn.rsplit("/", 1)[-1]
    policy = managed_policy(principal.snapshot, arn)
    if policy is not None:
        version_id, document = policy.default_version
        return PolicyInput(PolicySource(kind, policy.name, arn, version_id, group), document)
    if _ADMINISTRATOR_ACCESS.match(arn):
        return PolicyInput(PolicySource(kind, name, arn, "", group), _ADMINISTRATOR_DOCUMENT)
    via = f" through group {group}" if group else ""
    raise BadData(f"Managed policy {arn}, attached to {principal.kind} {principal.name}{via}, "
                  "is not in GetAccountAuthorizationDetails.")


def _own(principal: Principal, group: str = "") -> list[PolicyInput]:
    found = [PolicyInput(PolicySource(INLINE, name, group=group), document)
             for name, document in sorted(principal.inline_policies.items())]
    found += [_managed(principal, arn, MANAGED, group) for arn in sorted(principal.attached_policy_arns)]
    return found


def principal_info(principal: Principal) -> PrincipalInfo:
    snapshot = principal.snapshot
    return PrincipalInfo(principal.kind, principal.name, principal.arn, snapshot.account_id, snapshot.partition)


@per_snapshot
def _compiled_memo(snapshot: Snapshot) -> dict[Any, Any]:
    """Compiled managed policies and groups' policy lists of one snapshot (shared by every principal)."""
    return {}


def _compiled_managed(principal: Principal, info: PrincipalInfo, arn: str, kind: str, group: str,
                      catalogue: ActionCatalogue) -> Compiled:
    """A managed policy's default version, compiled once per snapshot (by ARN: one default version each)."""
    memo = _compiled_memo(principal.snapshot)
    key = (catalogue, kind, arn, group)
    found: Compiled | None = memo.get(key)
    if found is None:
        policy = _managed(principal, arn, kind, group)  # BadData when the snapshot lacks it: nothing is kept
        found = memo[key] = (policy.source, compile_policy(policy.document, where(info, policy.source), catalogue,
                                                                      info.partition))
    return found


def _inline_documents(principal: Principal) -> list[tuple[str, dict]]:
    """(name, document) of each inline policy, sorted by name, without building the checked dict when all are objects."""
    entries = principal.detail.get(principal.inline_field, [])
    if all(type(p.get("PolicyDocument")) is dict for p in entries):
        return sorted({p["PolicyName"]: p["PolicyDocument"] for p in entries}.items())
    return sorted(principal.inline_policies.items())  # raises BadData naming the unreadable document


def _compiled_own(principal: Principal, info: PrincipalInfo, catalogue: ActionCatalogue,
                  group: str = "") -> list[Compiled]:
    found: list[Compiled] = []
    for name, document in _inline_documents(principal):
        source = PolicySource(INLINE, name, group=group)
        found.append((source, compile_policy(document, lambda: where(info, source), catalogue, info.partition)))
    found += [_compiled_managed(principal, info, arn, MANAGED, group, catalogue)
              for arn in sorted(principal.attached_policy_arns)]
    return found


def _compiled_group(user: User, info: PrincipalInfo, name: str, catalogue: ActionCatalogue) -> tuple[Compiled, ...]:
    """A group's policies as its members inherit them, compiled once per snapshot."""
    memo = _compiled_memo(user.snapshot)
    key = (catalogue, "group", name)
    found: tuple[Compiled, ...] | None = memo.get(key)
    if found is None:
        group = user.snapshot.groups.get(name)
        if group is None:
            raise BadData(f"User {user.name} is in group {name}, which GetAccountAuthorizationDetails "
                          "does not return.")
        found = memo[key] = tuple(_compiled_own(group, info, catalogue, name))
    return found


def principal_permissions(principal: Principal, catalogue: ActionCatalogue | None = None, *,
                          own_only: bool = False) -> Permissions:
    """The compiled effective permissions of a user, group or role in the snapshot.

    A user's own policies and its groups' (by group), a role's or group's own, and the permissions boundary;
    each managed policy and each group's policies are compiled once per snapshot, not once per principal. ``own_only``:
    what a user holds by its own policies; its groups' policies then contribute their Denies only (what the
    groups grant is judged on each group).
    """
    catalogue = catalogue or aws_catalogue()
    info = principal_info(principal)
    identity = _compiled_own(principal, info, catalogue)
    if isinstance(principal, User):
        for name in principal.group_names:
            group = _compiled_group(principal, info, name, catalogue)
            identity += [(source, denies_only(policy)) for source, policy in group] if own_only else group
    bound = None
    if isinstance(principal, (User, Role)):
        arn = (principal.detail.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if arn:
            bound = _compiled_managed(principal, info, arn, BOUNDARY, "", catalogue)
    return Permissions(info, tuple(identity), bound, catalogue)


def _trusted_services(role: Role) -> frozenset[str]:
    """Service principals an Allow statement of the role's trust policy names (an unreadable trust: none)."""
    try:
        trust = parse_trust_policy(role.trust_policy, f"trust policy of role {role.name}")
    except BadData:
        return frozenset()  # the trust checks report it; here it only means "not a role to pass"
    return frozenset(v for s in trust.statements if s.effect == "Allow" for k, v in s.principals if k == "Service")


@per_snapshot
def _account_inventory(snapshot: Snapshot) -> Inventory:
    """The account's users, groups and (passable) roles: built once per snapshot, shared by every principal."""
    return Inventory(
        users=tuple(u.arn for u in snapshot.users.values()),
        groups=tuple(g.arn for g in snapshot.groups.values()),
        roles={r.arn: _trusted_services(r) for r in snapshot.roles.values() if not r.service_linked},
    )


@per_snapshot
def _group_inventory(snapshot: Snapshot) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each group's ARN and attached managed policies, by name (once per snapshot)."""
    return {name: (group.arn, tuple(group.attached_policy_arns)) for name, group in snapshot.groups.items()}


def inventory(principal: Principal) -> Inventory:
    """The account inventory plus the principal's own groups and customer managed policies."""
    snapshot = principal.snapshot
    account = _account_inventory(snapshot)
    own_groups: list[str] = []
    own_arns = set(principal.attached_policy_arns)
    if isinstance(principal, User):
        groups = _group_inventory(snapshot)
        for name in principal.group_names:
            entry = groups.get(name)
            if entry is not None:
                own_groups.append(entry[0])
                own_arns.update(entry[1])
    customer = f"arn:{snapshot.partition}:iam::{snapshot.account_id}:policy/"
    return Inventory(account.users, account.groups, tuple(own_groups),
                     tuple(sorted(arn for arn in own_arns if arn.startswith(customer))), account.roles, account.role_arns)


def principal_escalations(principal: Principal, catalogue: ActionCatalogue | None = None,
                          perms: Permissions | None = None) -> list[Escalation]:
    """How a user or role of the snapshot could make itself administrator (empty if it already is).

    ``perms``: its permissions when already at hand. The inventory is built only when some method is within reach.
    """
    perms = perms if perms is not None else principal_permissions(principal, catalogue)
    return escalations(perms, lambda: inventory(principal))
