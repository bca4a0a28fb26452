"""Reading IAM policy documents: which statements grant full admin, deny everything or grant ``service:*``.

Documents are normalised the way IAM reads them: ``Statement`` may be one statement or a list;
``Action``/``NotAction``/``Resource``/``NotResource`` may be a string or a list; action names are
case-insensitive. Only the wildcards ``*`` and ``?`` have a meaning (as in IAM, unlike shell globs).
A document IAM itself would reject raises ``PolicyFormatError``, so a check ERRORs rather than guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from iam_compliance.model.iam import BadData
from iam_compliance.settings import AdminsSettings

# A resource pattern that matches every one of these ARNs matches "everything" (e.g. "*", "arn:*", "arn:aws:*").
_SAMPLE_ARNS = (
    "arn:{p}:s3:::bucket/key",
    "arn:{p}:iam::123456789012:user/name",
    "arn:{p}:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0",
)
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


class PolicyFormatError(BadData):
    """A policy document that IAM would not accept; the check cannot be evaluated."""


@lru_cache(maxsize=4096)
def _pattern(glob: str) -> re.Pattern:
    """IAM wildcard matching: ``*`` any run of characters, ``?`` one character, case-insensitive."""
    regex = "".join({"*": ".*", "?": "."}.get(c) or re.escape(c) for c in glob)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def wildcard_match(glob: str, value: str) -> bool:
    return _pattern(glob).fullmatch(value) is not None


def _stars(text: str) -> bool:
    return bool(text) and set(text) == {"*"}


def is_all_actions(action: str) -> bool:
    """``*`` or ``*:*`` (exact element, not a substring: ``s3:*`` is not all actions)."""
    service, colon, name = action.partition(":")
    return _stars(service) and (not colon or _stars(name))


@lru_cache(maxsize=4096)
def is_all_resources(resource: str) -> bool:
    """``*``, or a pattern such as ``arn:*`` or ``arn:aws:*:*:*:*`` that matches every ARN."""
    return resource == "*" or any(
        all(wildcard_match(resource, arn.format(p=partition)) for arn in _SAMPLE_ARNS) for partition in _PARTITIONS
    )


def service_of_wildcard(action: str) -> str | None:
    """``s3`` for ``s3:*`` (any case, ``S3:**`` too); None for ``ec2:Describe*``, ``*`` or ``*:*``."""
    service, colon, name = action.partition(":")
    if colon and service and _stars(name) and not _stars(service):
        return service.lower()
    return None


def _string_list(value: Any, field: str, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise PolicyFormatError(f"{where}: {field} must be a string or a list of strings, found {value!r:.200}.")
    return tuple(item.strip() for item in items)


def _one_of(statement: Mapping, fields: tuple[str, str], where: str) -> tuple[str, tuple[str, ...]]:
    present = [field for field in fields if field in statement]
    if len(present) != 1:
        raise PolicyFormatError(
            f"{where}: a statement needs exactly one of {' or '.join(fields)}, found {present or 'neither'}."
        )
    return present[0], _string_list(statement[present[0]], present[0], where)


@dataclass(frozen=True)
class Statement:
    """One normalised identity-policy statement."""

    number: int  # 1-based position in the document, as people count
    sid: str
    effect: str  # "Allow" or "Deny"
    action_field: str  # "Action" or "NotAction"
    actions: tuple[str, ...]
    resource_field: str  # "Resource" or "NotResource"
    resources: tuple[str, ...]
    condition: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"statement {self.number}" + (f" (Sid {self.sid})" if self.sid else "")

    @property
    def covers_all_resources(self) -> bool:
        """Resource ``*`` (or a pattern matching every ARN), or NotResource: everything but a few."""
        everything = any(is_all_resources(r) for r in self.resources)
        return not everything if self.resource_field == "NotResource" else everything

    @property
    def names_all_actions(self) -> bool:
        return any(is_all_actions(a) for a in self.actions)

    def describe(self) -> str:
        """'Allow Action "*" on Resource "*" under a Condition' for findings."""
        def listed(values: tuple[str, ...]) -> str:
            return ", ".join(f'"{v}"' for v in values) if len(values) <= 4 else f'"{values[0]}" and {len(values) - 1} more'
        text = f"{self.effect} {self.action_field} {listed(self.actions)} on {self.resource_field} {listed(self.resources)}"
        return text + (f" under a Condition ({', '.join(sorted(self.condition))})" if self.condition else "")


def statements(document: Any, where: str = "policy") -> list[Statement]:
    """The document's statements, normalised; ``where`` names the policy in error messages."""
    if not isinstance(document, Mapping):
        raise PolicyFormatError(f"{where}: the policy document is not a JSON object: {document!r:.200}.")
    raw = document.get("Statement", [])
    raw = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(raw, list):
        raise PolicyFormatError(f"{where}: Statement must be an object or a list, found {raw!r:.200}.")
    result = []
    for number, statement in enumerate(raw, start=1):
        at = f"{where}, statement {number}"
        if not isinstance(statement, Mapping):
            raise PolicyFormatError(f"{at}: not a JSON object: {statement!r:.200}.")
        effect = str(statement.get("Effect", "")).strip().capitalize()
        if effect not in ("Allow", "Deny"):
            raise PolicyFormatError(f"{at}: Effect must be Allow or Deny, found {statement.get('Effect')!r}.")
        condition = statement.get("Condition") or {}
        if not isinstance(condition, Mapping):
            raise PolicyFormatError(f"{at}: Condition must be an object, found {condition!r:.200}.")
        action_field, actions = _one_of(statement, ("Action", "NotAction"), at)
        resource_field, resources = _one_of(statement, ("Resource", "NotResource"), at)
        result.append(Statement(
            number, str(statement.get("Sid") or ""), effect, action_field, actions, resource_field, resources, condition,
        ))
    return result


@dataclass(frozen=True)
class AdminGrant:
    """An Allow statement that grants every action (or, with NotAction, every action but a few) on every resource."""

    statement: Statement
    notaction: bool  # "allow everything except ..."
    conditional: bool

    @property
    def kind(self) -> str:
        """admin, admin_conditional or admin_notaction (the names the catalogue and findings use)."""
        if self.conditional:
            return "admin_conditional"
        return "admin_notaction" if self.notaction else "admin"

    def describe(self) -> str:
        if self.notaction:
            return f"{self.statement.label} allows every action except {', '.join(self.statement.actions)}" + (
                " under a Condition" if self.conditional else "")
        return f"{self.statement.label}: {self.statement.describe()}"


@dataclass(frozen=True)
class AdminRules:
    """Which kinds of admin grant make a principal an administrator (settings ``admins.*``)."""

    count_conditional: bool = False
    notaction_is_admin: bool = True

    @classmethod
    def from_settings(cls, admins: AdminsSettings) -> "AdminRules":
        return cls(count_conditional=admins.count_conditional, notaction_is_admin=admins.notaction_is_admin)

    def counts(self, grant: AdminGrant) -> bool:
        return (self.count_conditional or not grant.conditional) and (self.notaction_is_admin or not grant.notaction)


def admin_grants(document: Any, where: str = "policy") -> list[AdminGrant]:
    """Allow statements granting all actions (``*``/``*:*``) or, via NotAction, all but some, on all resources."""
    grants = []
    for statement in statements(document, where):
        if statement.effect != "Allow" or not statement.covers_all_resources:
            continue
        if statement.action_field == "Action" and statement.names_all_actions:
            grants.append(AdminGrant(statement, notaction=False, conditional=bool(statement.condition)))
        elif statement.action_field == "NotAction" and not statement.names_all_actions:
            # NotAction "*" excludes everything, i.e. grants nothing.
            grants.append(AdminGrant(statement, notaction=True, conditional=bool(statement.condition)))
    return grants


def full_admin_statements(document: Any, where: str = "policy") -> list[AdminGrant]:
    """The CIS 1.15 / Security Hub IAM.1 test: Allow + Action ``*`` (or ``*:*``) + Resource ``*``, conditioned or not."""
    return [grant for grant in admin_grants(document, where) if not grant.notaction]


def deny_all_statement(document: Any, where: str = "policy") -> Statement | None:
    """An unconditioned Deny of every action on every resource: it cancels any Allow.

    A conditioned Deny is ignored (conservative: the principal still counts as admin).
    """
    for statement in statements(document, where):
        if (statement.effect == "Deny" and statement.action_field == "Action" and statement.names_all_actions
                and statement.covers_all_resources and not statement.condition):
            return statement
    return None


def document_is_admin(document: Any, rules: AdminRules, where: str = "policy") -> bool:
    """The document alone grants admin under the rules and does not deny everything itself."""
    return any(rules.counts(g) for g in admin_grants(document, where)) and deny_all_statement(document, where) is None


@dataclass(frozen=True)
class ServiceWildcard:
    """An Allow statement naming whole services: ``s3:*`` in Action, or in NotAction (all other services)."""

    statement: Statement
    actions: tuple[str, ...]  # the elements as written, e.g. ("S3:*", "ec2:*")
    services: tuple[str, ...]  # lower case; "*" for every service

    def describe(self) -> str:
        verb = "allows every action except" if self.statement.action_field == "NotAction" else "allows"
        return f"{self.statement.label} {verb} {', '.join(self.actions)}"


def service_wildcards(document: Any, where: str = "policy") -> list[ServiceWildcard]:
    """Allow statements with Action or NotAction ``<service>:*`` (Security Hub IAM.21).

    ``*`` and ``*:*`` in Action grant every service's ``*`` and are reported too, as the service ``*``;
    prefix wildcards such as ``ec2:Describe*`` are not service-wide.
    """
    found = []
    for statement in statements(document, where):
        if statement.effect != "Allow":
            continue
        matched = []
        for action in statement.actions:
            if statement.action_field == "Action" and is_all_actions(action):
                matched.append((action, "*"))
            elif (service := service_of_wildcard(action)) is not None:
                matched.append((action, service))
        if matched:
            found.append(ServiceWildcard(statement, tuple(a for a, _ in matched), tuple(s for _, s in matched)))
    return found
