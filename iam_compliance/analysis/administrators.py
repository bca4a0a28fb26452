"""Who is an administrator by effective permissions, and who assumes a role (people or workloads).

A principal is an **administrator** when it may perform every known action on every resource after
its boundary and Denies, unconditionally or only under conditions (the verdict names the keys). This
replaces "a policy has a ``*`` statement": ``Allow NotAction iam:*`` (PowerUserAccess) is not admin; a
Deny of ``iam:*`` in any policy, or of anything on any resource, takes admin away; a boundary that does
not allow everything caps it; a group policy granting ``*`` only with MFA makes its users conditional
admins. A principal that can *become* admin is the escalation analysis's business (``escalation``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iam_compliance.analysis.actions import ActionSet
from iam_compliance.analysis.documents import parse_trust_policy
from iam_compliance.analysis.effective import Permissions, StatementRef

SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
SERVICE_ROLE_PATH = "/aws-service-role/"


@dataclass(frozen=True)
class AdminVerdict:
    is_admin: bool
    conditional_keys: frozenset[str]  # empty: admin without conditions (or not admin)
    permissions: Permissions = field(repr=False, compare=False)

    @property
    def conditional(self) -> bool:
        return self.is_admin and bool(self.conditional_keys)

    @property
    def granted_by(self) -> tuple[StatementRef, ...]:
        """Statements that together allow every action on every resource (empty when not admin)."""
        if not self.is_admin:
            return ()
        unconditional = not self.conditional_keys or self.permissions.on_every_resource(conditional=False) == \
            self.permissions.catalogue.all
        return tuple(_covering(self.permissions, self.permissions.catalogue.all, boundary=False,
                               conditional=not unconditional))

    @property
    def limits(self) -> tuple[str, ...]:
        """What keeps it from being admin; for an admin, the conditional Denies that may refuse."""
        perms = self.permissions
        if not self.is_admin:
            return tuple(_limits(perms, conditional=True))
        return tuple(f"{ref.describe()} may deny {perms.catalogue.summarise(rule.actions)}"
                     for ref, rule in perms.rules(deny=True, actions=perms.catalogue.all) if rule.conditional)

    @property
    def explanation(self) -> str:
        perms = self.permissions
        holder = "the policy" if perms.principal.kind == "policy" else f"{perms.principal.kind} {perms.principal.name}"
        if not self.is_admin:
            return f"{holder} is not an administrator: " + "; ".join(self.limits)
        how = "; ".join(ref.describe() for ref in self.granted_by)
        text = f"{holder} may perform every action on every resource ({how})"
        if self.conditional_keys:
            text += f", only when conditions on {', '.join(sorted(self.conditional_keys))} hold"
        return text + "".join(f"; {limit}" for limit in self.limits)


def _covering(perms: Permissions, actions: ActionSet, *, boundary: bool, conditional: bool) -> list[StatementRef]:
    """A small set of Allow statements that together grant ``actions`` on every resource (greedy, in policy order):
    statements on every resource first, then statements that only together cover every resource."""
    refs: list[StatementRef] = []
    left = actions
    for ref, rule in perms.rules(deny=False, actions=actions, boundary=boundary):
        if rule.all_resources and (conditional or not rule.conditional) and rule.actions & left:
            refs.append(ref)
            left &= ~rule.actions
            if not left:
                return refs
    for union, union_conditional in perms.boundary_unions if boundary else perms.unions:
        if (conditional or not union_conditional) and union.actions & left:
            refs += [ref for ref in (StatementRef(source, rule.statement) for source, rule in union.members)
                     if ref not in refs]
            left &= ~union.actions
            if not left:
                break
    return refs


def _limits(perms: Permissions, conditional: bool) -> list[str]:
    """Why some action is not allowed on every resource: missing grants, the boundary, Denies."""
    catalogue = perms.catalogue
    everything = catalogue.all
    found = []
    granted = perms.allow_all | (perms.allow_all_conditional if conditional else 0)
    if granted != everything:
        missing = everything & ~granted
        found.append(f"no identity policy allows {catalogue.summarise(missing)} on every resource"
                     + ("" if conditional else " without conditions"))
    if perms.boundary is not None:
        bounded = perms.boundary_all | (perms.boundary_all_conditional if conditional else 0)
        if bounded != everything:
            found.append(f"the {perms.boundary[0].describe()} does not allow "
                         f"{catalogue.summarise(everything & ~bounded)} on every resource")
    for ref, rule in perms.rules(deny=True, actions=everything):
        if not rule.conditional:
            scope = "every resource" if rule.all_resources else "some resources"
            found.append(f"{ref.describe()} denies {catalogue.summarise(rule.actions)} on {scope}")
    return found


def admin_verdict(perms: Permissions) -> AdminVerdict:
    """Whether the principal (or policy alone) may do every action on every resource; the text is built on demand."""
    if not perms.is_admin:
        return AdminVerdict(False, frozenset(), perms)
    everything = perms.catalogue.all
    unconditional = perms.on_every_resource(conditional=False) == everything
    keys: set[str] = set()
    if not unconditional:
        # The conditional statements needed to fill the gaps, in the identity policies and the boundary.
        for boundary in (False, True):
            if boundary and perms.boundary is None:
                continue
            keys |= {k for ref in _covering(perms, everything, boundary=boundary, conditional=True)
                     for k in ref.statement.condition_keys}
    keys |= {k for ref, rule in perms.rules(deny=True, actions=everything) if rule.conditional
             for k in ref.statement.condition_keys}
    return AdminVerdict(True, frozenset(keys), perms)


# --- who assumes a role ------------------------------------------------------------------------

PEOPLE = "people"
WORKLOADS = "workloads"
AWS_OWNED = "aws-owned"
NOBODY = "nobody"


@dataclass(frozen=True)
class RoleAudience:
    kind: str  # PEOPLE, WORKLOADS, AWS_OWNED or NOBODY
    reason: str


def role_audience(trust_document: Any, *, name: str, path: str = "/") -> RoleAudience:
    """Who assumes the role: people (IAM users or accounts, SAML, Identity Center) or workloads only.

    People: an Identity Center role (``AWSReservedSSO_*`` under ``/aws-reserved/sso.amazonaws.com/``), a SAML
    provider, or an AWS principal (an account, user or role: people can be behind any of them). Workloads:
    service principals and OIDC web identity (GitHub Actions, EKS service accounts, Cognito, ...). Workloads are
    never counted as people; a role trusting both kinds counts as people.
    """
    if path.startswith(SERVICE_ROLE_PATH):
        return RoleAudience(AWS_OWNED, "a service-linked role")
    if path.startswith(SSO_ROLE_PATH) and name.startswith("AWSReservedSSO_"):
        return RoleAudience(PEOPLE, "an IAM Identity Center permission-set role")
    trust = parse_trust_policy(trust_document, f"trust policy of role {name}")
    people, workloads = [], []
    for statement in trust.statements:
        if statement.effect != "Allow" or statement.not_principal:
            continue
        for kind, value in statement.principals:
            if kind in ("AWS", "CanonicalUser"):
                people.append(f"{kind} {value}")
            elif kind == "Federated" and (":saml-provider/" in value or "sts:AssumeRoleWithSAML" in statement.actions):
                people.append(f"SAML provider {value}")
            elif kind == "Federated":
                workloads.append(f"web identity {value}")
            elif kind == "Service":
                workloads.append(f"service {value}")
    if people:
        return RoleAudience(PEOPLE, "assumable by " + ", ".join(sorted(set(people))))
    if workloads:
        return RoleAudience(WORKLOADS, "assumable only by " + ", ".join(sorted(set(workloads))))
    return RoleAudience(NOBODY, "its trust policy allows no principal")
