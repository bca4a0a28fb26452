"""Who is an administrator, and how: the suite's admin definition applied to users, groups and roles.

A principal is an admin when one of its identity policies (default versions only) is
``arn:<partition>:iam::aws:policy/AdministratorAccess`` or grants all actions on all resources
(``iam_compliance.analysis.policy``), unless its permissions boundary is not itself admin or one of its policies
denies everything without a condition. Users inherit their groups' policies; roles and groups are
judged on their own. SCPs and RCPs are invisible from a member account and are not guessed at.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from iam_compliance.model.iam import BadData, Group, Principal, Role, Snapshot, User
from iam_compliance.analysis.policy import AdminGrant, AdminRules, admin_grants, deny_all_statement, document_is_admin
from iam_compliance.model.principals import managed_policy, principal_id
from iam_compliance.settings import AdminScope

ADMINISTRATOR_ACCESS = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")
AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/")
SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"


@dataclass(frozen=True)
class PolicySource:
    """One identity policy as it reaches a principal: inline or managed, directly or through a group."""

    name: str
    document: dict | None  # None: a managed policy recognised by ARN whose document is not in the snapshot
    arn: str = ""  # managed policies only
    group: str = ""  # set when inherited from a group

    def describe(self) -> str:
        if not self.arn:
            text = f"inline policy {self.name}"
        else:
            text = f"{'AWS-managed' if AWS_MANAGED.match(self.arn) else 'managed'} policy {self.name}"
        return text + (f" via group {self.group}" if self.group else "")


@dataclass(frozen=True)
class AdminReason:
    source: PolicySource
    grant: AdminGrant | None  # None: AdministratorAccess recognised by its ARN

    @property
    def kind(self) -> str:
        return self.grant.kind if self.grant else "admin"

    def describe(self) -> str:
        """'AWS-managed policy AdministratorAccess via group admins', or the policy and its granting statement."""
        if self.grant is None or ADMINISTRATOR_ACCESS.match(self.source.arn):
            return self.source.describe()
        return f"{self.source.describe()} ({self.grant.describe()})"


@dataclass(frozen=True)
class AdminVerdict:
    principal: Principal
    reasons: tuple[AdminReason, ...]  # grants that count under the rules
    uncounted: tuple[AdminReason, ...]  # conditional / NotAction grants the rules do not count
    cancelled_by: str = ""  # why the grants are void (boundary, explicit Deny)

    @property
    def is_admin(self) -> bool:
        return bool(self.reasons) and not self.cancelled_by

    def how(self) -> str:
        """Every way the principal is admin, for findings."""
        return "; ".join(reason.describe() for reason in self.reasons)


def _managed_source(principal: Principal, arn: str, group: str = "") -> PolicySource:
    policy = managed_policy(principal.snapshot, arn)
    name = arn.rsplit("/", 1)[-1]
    if policy is not None:
        return PolicySource(name, policy.default_document, arn, group)
    if ADMINISTRATOR_ACCESS.match(arn):
        return PolicySource(name, None, arn, group)
    raise BadData(
        f"Managed policy {arn}, attached to {principal.kind} {principal.name}"
        f"{f' through group {group}' if group else ''}, is not in GetAccountAuthorizationDetails."
    )


def _own_sources(principal: Principal, group: str = "") -> Iterator[PolicySource]:
    for name, document in sorted(principal.inline_policies.items()):
        yield PolicySource(name, document, group=group)
    for arn in sorted(principal.attached_policy_arns):
        yield _managed_source(principal, arn, group)


def _groups_of(user: User) -> list[Group]:
    groups = []
    for name in user.group_names:
        group = user.snapshot.groups.get(name)
        if group is None:
            raise BadData(
                f"User {user.name} is listed in group {name}, which GetAccountAuthorizationDetails does not return."
            )
        groups.append(group)
    return groups


def policy_sources(principal: Principal, *, own_only: bool = False) -> list[PolicySource]:
    """The principal's identity policies; a user's include every group's unless ``own_only``."""
    sources = list(_own_sources(principal))
    if isinstance(principal, User) and not own_only:
        for group in _groups_of(principal):
            sources += _own_sources(group, group.name)
    return sources


def _where(principal: Principal, source: PolicySource) -> str:
    return f"{source.describe()} of {principal.kind} {principal.name}"


def _reasons(principal: Principal, source: PolicySource) -> list[AdminReason]:
    if source.document is None:
        return [AdminReason(source, None)]
    grants = admin_grants(source.document, _where(principal, source))
    if not grants and ADMINISTRATOR_ACCESS.match(source.arn):
        return [AdminReason(source, None)]  # by ARN, whatever the snapshot's copy of the document says
    return [AdminReason(source, grant) for grant in grants]


def _boundary_cancels(principal: Principal, rules: AdminRules) -> str:
    """Why the permissions boundary voids admin grants, or "" when it does not."""
    arn = (principal.detail.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if not arn:
        return ""
    source = _managed_source(principal, arn)
    if source.document is None or document_is_admin(source.document, rules, f"permissions boundary {arn}"):
        return ""
    return f"its permissions boundary {source.name} ({arn}) does not allow all actions"


def _deny_cancels(principal: Principal, sources: Iterable[PolicySource]) -> str:
    for source in sources:
        if source.document is None:
            continue
        statement = deny_all_statement(source.document, _where(principal, source))
        if statement is not None:
            return f"{source.describe()} denies every action on every resource ({statement.label})"
    return ""


def evaluate_admin(principal: Principal, rules: AdminRules, *, own_only: bool = False) -> AdminVerdict:
    """Whether, and how, the principal is an administrator.

    ``own_only`` judges a user on its own policies (group grants are judged on the group), while
    Denies from every policy that applies to it, and its boundary, still cancel.
    """
    granting = policy_sources(principal, own_only=own_only)
    reasons = [reason for source in granting for reason in _reasons(principal, source)]
    counted = tuple(r for r in reasons if r.grant is None or rules.counts(r.grant))
    uncounted = tuple(r for r in reasons if r not in counted)
    cancelled = ""
    if counted:
        applying = granting if not own_only else policy_sources(principal)
        cancelled = _deny_cancels(principal, applying) or _boundary_cancels(principal, rules)
    return AdminVerdict(principal, counted, uncounted, cancelled)


# --- who the admins are, for the count checks ----------------------------------------------------


def trust_principals(role: Role) -> list[tuple[str, str]]:
    """(type, value) of every principal an Allow statement of the trust policy names: AWS, Service, Federated, *."""
    found = []
    trust = role.trust_policy.get("Statement", [])
    for statement in [trust] if isinstance(trust, dict) else trust:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            found.append(("AWS", "*"))
        elif isinstance(principal, dict):
            for kind, values in sorted(principal.items()):
                found += [(kind, value) for value in ([values] if isinstance(values, str) else values or [])]
    return found


def why_not_human(role: Role) -> str:
    """Why a role is not a human identity, or "" when people can assume it."""
    if role.service_linked:
        return "a service-linked role"
    if is_human_role(role):
        return ""
    principals = trust_principals(role)
    if principals and all(kind == "Service" for kind, _ in principals):
        return f"assumable only by {', '.join(sorted(value for _, value in principals))}"
    return "its trust policy allows no principal"


def is_human_role(role: Role) -> bool:
    """Assumable by people: an Identity Center (SSO) role, or a trust naming a SAML/OIDC provider or an AWS principal."""
    if role.path.startswith(SSO_ROLE_PATH) and role.name.startswith("AWSReservedSSO_"):
        return True
    people = ("AWS", "Federated", "CanonicalUser")
    return not role.service_linked and any(kind in people for kind, _ in trust_principals(role))


def counted_principals(snapshot: Snapshot, scope: AdminScope) -> list[Principal]:
    """The principals the admin count covers under ``admins.scope`` (users | users_and_human_roles)."""
    principals: list[Principal] = list(snapshot.users.values())
    if scope == "users_and_human_roles":
        principals += [role for role in snapshot.roles.values() if is_human_role(role)]
    return principals


def admins(snapshot: Snapshot, rules: AdminRules, scope: AdminScope) -> list[AdminVerdict]:
    """The counted administrators, users first, each with how it is admin."""
    verdicts = (evaluate_admin(principal, rules) for principal in counted_principals(snapshot, scope))
    return [verdict for verdict in verdicts if verdict.is_admin]


def uncounted_admin_roles(snapshot: Snapshot, rules: AdminRules, scope: AdminScope) -> dict[str, str]:
    """Admin roles left out of the count, with why: machine identities, or every role under scope ``users``."""
    counted = {principal_id(p) for p in counted_principals(snapshot, scope)}
    return {
        role.name: why_not_human(role) or "roles are not counted under admins.scope users"
        for role in snapshot.roles.values()
        if principal_id(role) not in counted and evaluate_admin(role, rules).is_admin
    }


def is_approved(principal: Principal, patterns: Iterable[str]) -> str:
    """The ``admins.approved`` entry (name, kind/name or ARN, globs allowed) that names the principal, or ""."""
    names = (principal.name, principal_id(principal), principal.arn)
    for pattern in patterns:
        if any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for name in names):
            return pattern
    return ""
