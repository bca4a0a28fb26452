"""Cross-entity views of the snapshot: principals of every kind, inline policies, and who uses which policy."""

from __future__ import annotations

import fnmatch
import functools
import re
import weakref
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

from iam_compliance.model.iam import ManagedPolicy, Principal, Role, Snapshot

T = TypeVar("T")


def per_snapshot(compute: Callable[[Snapshot], T]) -> Callable[[Snapshot], T]:
    """Compute once per snapshot (checks ask per item; the answer is account-wide)."""
    cache: "weakref.WeakKeyDictionary[Snapshot, T]" = weakref.WeakKeyDictionary()

    def cached(snapshot: Snapshot) -> T:
        if snapshot not in cache:
            cache[snapshot] = compute(snapshot)
        return cache[snapshot]

    return functools.wraps(compute)(cached)


def principal_id(principal: Principal) -> str:
    """``user/alice``, ``group/admins``, ``role/x``: unique across kinds."""
    return f"{principal.kind}/{principal.name}"


def principals(snapshot: Snapshot) -> dict[str, Principal]:
    """Every user, group and role (service-linked roles excluded: AWS owns their policies), by kind/name."""
    found = {principal_id(p): p for p in snapshot.iter_principals()}
    return {key: p for key, p in found.items() if not (isinstance(p, Role) and p.service_linked)}


def aws_managed_arn(snapshot: Snapshot, name: str) -> str:
    return f"arn:{snapshot.partition}:iam::aws:policy/{name}"


@per_snapshot
def _policies_by_arn(snapshot: Snapshot) -> dict[str, ManagedPolicy]:
    return {p.arn: p for p in snapshot.managed_policies.values()}


def managed_policy(snapshot: Snapshot, arn: str) -> ManagedPolicy | None:
    """The managed policy with this ARN, or None when the snapshot does not hold it."""
    return _policies_by_arn(snapshot).get(arn)


def attached_to(snapshot: Snapshot, arn: str) -> list[str]:
    """Ids (``user/alice``) of every user, group and role the managed policy is attached to."""
    return [key for key, p in sorted(principals(snapshot).items()) if arn in p.attached_policy_arns]


@per_snapshot
def boundary_arns(snapshot: Snapshot) -> frozenset[str]:
    """Policies some user or role uses as its permissions boundary (GAAD's usage count is not always present)."""
    details = snapshot.data("authorization_details")
    entities = [*details.get("users", []), *details.get("roles", [])]
    return frozenset(
        arn for e in entities if (arn := (e.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"))
    )


def boundary_only(policy: ManagedPolicy) -> bool:
    """Used only as a permissions boundary: it grants nothing by itself (Security Hub skips such policies)."""
    return policy.attachment_count == 0 and policy.arn in boundary_arns(policy.snapshot)


@dataclass(frozen=True)
class InlinePolicy:
    """A policy embedded in one user, group or role, keyed ``user/alice/policy-name``."""

    owner: Principal
    name: str
    document: dict

    @property
    def key(self) -> str:
        return f"{principal_id(self.owner)}/{self.name}"

    @property
    def resource(self) -> str:
        return self.owner.arn


def inline_policies(snapshot: Snapshot) -> dict[str, InlinePolicy]:
    found = (InlinePolicy(owner, name, document)
             for owner in principals(snapshot).values() for name, document in owner.inline_policies.items())
    return {policy.key: policy for policy in found}


def all_policies(snapshot: Snapshot) -> dict[str, ManagedPolicy | InlinePolicy]:
    """Managed policies (keyed ``name`` or ``aws/name``) and inline policies (keyed ``kind/owner/name``).

    The key spaces cannot collide: policy names contain no ``/``, and inline keys start with a principal kind.
    """
    return {**snapshot.managed_policies, **inline_policies(snapshot)}


# Identity Center names its roles AWSReservedSSO_<permission set name>_<16 hex digits>.
_SSO_ROLE_NAME = re.compile(r"^AWSReservedSSO_(?P<permission_set>.+)_[0-9a-fA-F]{16}$")


@dataclass(frozen=True)
class AwsOwner:
    """Who owns a role IAM refuses to change (UnmodifiableEntity), and where its fix lives."""

    kind: str  # IDENTITY_CENTER or SERVICE
    name: str  # the permission set's name, or the service principal (e.g. support.amazonaws.com)


IDENTITY_CENTER = "identity_center"
SERVICE = "service"


def aws_owner(role: Role) -> AwsOwner | None:
    """The owner of an Identity Center role or service-linked role (recognised by path or ARN), else None."""
    if role.sso_reserved:
        match = _SSO_ROLE_NAME.match(role.name)
        return AwsOwner(IDENTITY_CENTER, match.group("permission_set") if match else role.name)
    if role.service_linked:
        # /aws-service-role/<service principal>/ in the path or in the ARN's resource part
        where = role.path if role.path.startswith("/aws-service-role/") else role.arn.split(":role", 1)[-1]
        parts = [part for part in where.split("/") if part]
        return AwsOwner(SERVICE, parts[1] if len(parts) > 1 else "unknown")
    return None


def owner_of(principal: Principal) -> AwsOwner | None:
    """The AWS owner of a principal IAM refuses to change; None for every user, group and customer role."""
    return aws_owner(principal) if isinstance(principal, Role) else None


def is_approved(principal: Principal, patterns: Iterable[str]) -> str:
    """The entry of an allow-list (name, kind/name or ARN, ``*`` globs, any case) that names the principal, or ""."""
    names = (principal.name, principal_id(principal), principal.arn)
    for pattern in patterns:
        if any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for name in names):
            return pattern
    return ""
