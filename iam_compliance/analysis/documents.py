"""Policy documents parsed and validated the way IAM validates them.

A document IAM would refuse raises ``PolicyDocumentError`` (a ``BadData``), naming the policy and the
problem, so a check reports an ERROR instead of guessing what the author meant. The rules:

- the document is an object with only ``Version``, ``Id`` and ``Statement``; ``Version`` is ``2012-10-17``
  or ``2008-10-17`` (or absent); ``Statement`` is one statement object or a list of them;
- ``Effect`` is exactly ``Allow`` or ``Deny`` (case-sensitive: IAM rejects ``allow``);
- exactly one of ``Action``/``NotAction``; each action is ``*`` or ``service:action`` (one colon);
- identity policies (and permissions boundaries): exactly one of ``Resource``/``NotResource``, and no
  ``Principal``/``NotPrincipal``; trust policies: exactly one of ``Principal``/``NotPrincipal`` and no
  ``Resource``/``NotResource``;
- ``Condition`` maps a known operator to an object of condition key to value(s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from iam_compliance.analysis.patterns import matches_every_resource
from iam_compliance.model.iam import BadData

IDENTITY = "identity"
TRUST = "trust"
VERSIONS = ("2012-10-17", "2008-10-17")
_DOCUMENT_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
                   "Condition"}
_PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}
_BASE_OPERATORS = (
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
    "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
    "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
    "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
)
_OPERATORS = {op.lower(): op for base in _BASE_OPERATORS for op in (base, base + "IfExists")} | {"null": "Null"}


class PolicyDocumentError(BadData):
    """A policy document IAM would not accept; checks report it as an ERROR."""


@dataclass(frozen=True)
class Condition:
    """One test of a Condition block: operator (canonical spelling, with any set prefix), key, values."""

    operator: str  # e.g. "StringEquals", "ForAnyValue:StringLike", "BoolIfExists"
    key: str
    values: tuple[str, ...]  # booleans and numbers as IAM compares them: "true", "3"

    @property
    def base_operator(self) -> str:
        """The operator without ``ForAnyValue:``/``ForAllValues:`` and ``IfExists``."""
        base = self.operator.rpartition(":")[2]
        return base[: -len("IfExists")] if base.endswith("IfExists") else base

    @property
    def set_prefix(self) -> str:
        return self.operator.rpartition(":")[0]

    @property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists")

    @property
    def negated(self) -> bool:
        """A "Not" operator: it matches what the values exclude, so it cannot narrow a trust to them."""
        return "Not" in self.base_operator

    def describe(self) -> str:
        values = ", ".join(self.values) if len(self.values) <= 3 else f"{self.values[0]} and {len(self.values) - 1} more"
        return f"{self.operator} {self.key} {values}"


@dataclass(frozen=True)
class Statement:
    """One validated statement."""

    number: int  # 1-based position, as people count
    sid: str
    effect: str  # "Allow" or "Deny"
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]  # () in trust policies
    not_resource: bool
    principals: tuple[tuple[str, str], ...]  # (type, value): ("AWS", "*") for "Principal": "*"
    not_principal: bool
    conditions: tuple[Condition, ...]

    @property
    def condition_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.conditions)

    @property
    def label(self) -> str:
        return f"statement {self.number}" + (f" (Sid {self.sid})" if self.sid else "")

    def describe(self) -> str:
        """'Allow NotAction "s3:*" on Resource "*" when aws:MultiFactorAuthPresent' for findings."""
        def listed(values: tuple[str, ...]) -> str:
            quoted = [f'"{v}"' for v in values]
            return ", ".join(quoted) if len(quoted) <= 4 else f"{quoted[0]} and {len(quoted) - 1} more"

        text = f"{self.effect} {'NotAction' if self.not_action else 'Action'} {listed(self.actions)}"
        if self.resources:
            text += f" on {'NotResource' if self.not_resource else 'Resource'} {listed(self.resources)}"
        if self.conditions:
            text += f" when {', '.join(sorted(self.condition_keys))}"
        return text


@dataclass(frozen=True)
class PolicyDocument:
    where: str  # names the policy in messages
    kind: str  # IDENTITY or TRUST
    version: str
    statements: tuple[Statement, ...]


def _fail(where: str, problem: str) -> PolicyDocumentError:
    return PolicyDocumentError(f"{where}: {problem}")


def _is_mapping(value: Any) -> bool:
    """``isinstance(value, Mapping)``, with the common case (a plain dict from JSON) answered first."""
    return type(value) is dict or isinstance(value, Mapping)


def _strings(value: Any, field: str, where: str) -> tuple[str, ...]:
    if type(value) is str:
        return (value,)
    if type(value) is list and all(type(item) is str for item in value):
        return tuple(value)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise _fail(where, f"{field} must be a string or a list of strings, found {value!r:.200}.")
    return tuple(items)


def _scalar_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise _fail(where, f"a condition value must be a string, number or boolean, found {value!r:.200}.")


def _operator(name: str, where: str) -> str:
    prefix, colon, base = name.rpartition(":")
    canonical = _OPERATORS.get(base.lower())
    if canonical is None:
        raise _fail(where, f"unknown condition operator {name!r}.")
    if not colon:
        return canonical
    sets = {"foranyvalue": "ForAnyValue", "forallvalues": "ForAllValues"}
    if prefix.lower() not in sets:
        raise _fail(where, f"unknown condition set operator {prefix!r} in {name!r}.")
    return f"{sets[prefix.lower()]}:{canonical}"


def _conditions(value: Any, where: str) -> tuple[Condition, ...]:
    if not _is_mapping(value):
        raise _fail(where, f"Condition must be an object of operator to keys, found {value!r:.200}.")
    found = []
    for operator, block in value.items():
        canonical = _operator(str(operator), where)
        if not _is_mapping(block):
            raise _fail(where, f"Condition operator {operator} must map condition keys to values, found {block!r:.200}.")
        for key, values in block.items():
            items = values if isinstance(values, list) else [values]
            found.append(Condition(canonical, str(key), tuple(_scalar_text(v, where) for v in items)))
    return tuple(found)


def _exactly_one(statement: Mapping, fields: tuple[str, str], where: str) -> tuple[str, Any]:
    present = [field for field in fields if field in statement]
    if len(present) != 1:
        found = " and ".join(present) if present else "neither"
        raise _fail(where, f"a statement needs exactly one of {fields[0]} or {fields[1]}, found {found}.")
    return present[0], statement[present[0]]


def _principals(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value == "*":
        return (("AWS", "*"),)
    if not _is_mapping(value) or not value:
        raise _fail(where, f'Principal must be "*" or an object of principal type to values, found {value!r:.200}.')
    found = []
    for kind, values in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise _fail(where, f"unknown principal type {kind!r} (expected {', '.join(sorted(_PRINCIPAL_TYPES))}).")
        found += [(kind, v) for v in _strings(values, f"Principal {kind}", where)]
    return tuple(found)


def _actions(value: Any, field: str, where: str) -> tuple[str, ...]:
    actions = tuple([a.strip() for a in _strings(value, field, where)])
    for action in actions:
        if ":" not in action and action != "*":
            raise _fail(where, f"{field} {action!r} must be prefaced by a service, e.g. iam:{action}.")
        if action.count(":") > 1:
            raise _fail(where, f"{field} {action!r} may contain only one colon (service:action).")
    return actions


def _statement(raw: Any, number: int, kind: str, where: str) -> Statement:
    """One statement, validated in a single pass over its elements (the checks in the module docstring)."""
    if not _is_mapping(raw):
        raise _fail(f"{where}, statement {number}", f"a statement must be an object, found {raw!r:.200}.")
    if not _STATEMENT_KEYS.issuperset(raw):
        unknown = sorted(set(raw) - _STATEMENT_KEYS)
        raise _fail(f"{where}, statement {number}",
                    f"unknown statement element(s) {', '.join(unknown)} (element names are case-sensitive).")
    effect = raw.get("Effect")
    sid = raw.get("Sid", "")
    has_action, has_not_action = "Action" in raw, "NotAction" in raw
    identity = kind == IDENTITY
    if identity:
        wrong = "Principal" in raw or "NotPrincipal" in raw
        has_target, has_not_target = "Resource" in raw, "NotResource" in raw
    else:
        wrong = "Resource" in raw or "NotResource" in raw
        has_target, has_not_target = "Principal" in raw, "NotPrincipal" in raw
    if (effect != "Allow" and effect != "Deny") or type(sid) is not str or has_action == has_not_action or wrong \
            or has_target == has_not_target:
        _statement_error(raw, number, kind, where)  # raises, naming the first problem in the documented order
    at = f"{where}, statement {number}"
    actions = _actions(raw["NotAction" if has_not_action else "Action"], "NotAction" if has_not_action else "Action",
                       at)
    resources: tuple[str, ...] = ()
    principals: tuple[tuple[str, str], ...] = ()
    if identity:
        field = "NotResource" if has_not_target else "Resource"
        resources = tuple([r.strip() for r in _strings(raw[field], field, at)])
    else:
        principals = _principals(raw["NotPrincipal" if has_not_target else "Principal"], at)
    conditions = _conditions(raw["Condition"], at) if "Condition" in raw else ()
    return Statement(number, sid, effect, actions, has_not_action, resources, identity and has_not_target,
                     principals, not identity and has_not_target, conditions)


def _statement_error(raw: Mapping, number: int, kind: str, where: str) -> None:
    """Raise the error for a statement whose structure is wrong (the slow path of ``_statement``)."""
    at = f"{where}, statement {number}"
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise _fail(at, f'Effect must be "Allow" or "Deny" (case-sensitive), found {effect!r}.')
    sid = raw.get("Sid", "")
    if not isinstance(sid, str):
        raise _fail(at, f"Sid must be a string, found {sid!r:.100}.")
    _exactly_one(raw, ("Action", "NotAction"), at)
    if kind == IDENTITY:
        for field in ("Principal", "NotPrincipal"):
            if field in raw:
                raise _fail(at, f"an identity policy may not contain {field} (only resource and trust policies do).")
        _exactly_one(raw, ("Resource", "NotResource"), at)
    else:
        for field in ("Resource", "NotResource"):
            if field in raw:
                raise _fail(at, f"a trust policy may not contain {field} (the role itself is the resource).")
        _exactly_one(raw, ("Principal", "NotPrincipal"), at)


def parse_policy(document: Any, where: str, kind: str = IDENTITY) -> PolicyDocument:
    """Validate and normalise a policy document; ``where`` names it in errors ("managed policy X of user Y")."""
    if kind not in (IDENTITY, TRUST):
        raise ValueError(f"kind must be {IDENTITY!r} or {TRUST!r}")
    if not _is_mapping(document):
        raise _fail(where, f"the policy document is not a JSON object: {document!r:.200}.")
    if not _DOCUMENT_KEYS.issuperset(document):
        unknown = sorted(set(document) - _DOCUMENT_KEYS)
        raise _fail(where, f"unknown top-level element(s) {', '.join(unknown)} (expected Version, Id, Statement).")
    version = document.get("Version", "")
    if version and version not in VERSIONS:
        raise _fail(where, f"Version must be {' or '.join(VERSIONS)}, found {version!r:.60}.")
    if "Statement" not in document:
        raise _fail(where, "the document has no Statement.")
    raw = document["Statement"]
    raw_list = raw if type(raw) is list else [raw] if _is_mapping(raw) else raw
    if not isinstance(raw_list, list):
        raise _fail(where, f"Statement must be an object or a list of objects, found {raw!r:.200}.")
    statements = tuple(_statement(s, n, kind, where) for n, s in enumerate(raw_list, start=1))
    return PolicyDocument(where, kind, str(version), statements)


def parse_identity_policy(document: Any, where: str) -> PolicyDocument:
    return parse_policy(document, where, IDENTITY)


def parse_trust_policy(document: Any, where: str) -> PolicyDocument:
    return parse_policy(document, where, TRUST)


# --- literal statement tests (CIS 1.15 / Security Hub IAM.1 and IAM.21 read the document, not its effect) ------


def _stars(text: str) -> bool:
    return bool(text) and set(text) == {"*"}


def is_all_actions(action: str) -> bool:
    """``*`` or ``*:*`` (the exact element: ``s3:*`` is not every action)."""
    service, colon, name = action.partition(":")
    return _stars(service) and (not colon or _stars(name))


def service_of_wildcard(action: str) -> str | None:
    """``s3`` for ``s3:*`` (any case); None for ``ec2:Describe*``, ``*`` or ``*:*``."""
    service, colon, name = action.partition(":")
    if colon and service and _stars(name) and not _stars(service):
        return service.lower()
    return None


def full_admin_statements(document: Any, where: str) -> list[Statement]:
    """Allow statements with Action ``*`` (or ``*:*``) on Resource ``*`` (or a pattern matching every ARN), with or
    without a Condition: the literal test of CIS 1.15 and Security Hub IAM.1 (NotAction and NotResource are not it)."""
    return [s for s in parse_identity_policy(document, where).statements
            if s.effect == "Allow" and not s.not_action and not s.not_resource
            and any(is_all_actions(a) for a in s.actions) and any(matches_every_resource(r) for r in s.resources)]


@dataclass(frozen=True)
class ServiceWildcard:
    """An Allow statement naming whole services: ``s3:*`` in Action, or in NotAction (every service but those)."""

    statement: Statement
    actions: tuple[str, ...]  # the elements as written, e.g. ("S3:*", "ec2:*")
    services: tuple[str, ...]  # lower case; "*" for every service

    def describe(self) -> str:
        verb = "allows every action except" if self.statement.not_action else "allows"
        return f"{self.statement.label} {verb} {', '.join(self.actions)}"


def service_wildcards(document: Any, where: str) -> list[ServiceWildcard]:
    """Allow statements with Action or NotAction ``<service>:*`` (Security Hub IAM.21).

    ``*`` and ``*:*`` in Action grant every service's ``*`` and are reported as the service ``*``; prefix
    wildcards such as ``ec2:Describe*`` are not service-wide; NotAction ``*`` grants nothing.
    """
    found = []
    for statement in parse_identity_policy(document, where).statements:
        if statement.effect != "Allow":
            continue
        matched = [(a, "*") for a in statement.actions if not statement.not_action and is_all_actions(a)]
        matched += [(a, service) for a in statement.actions if (service := service_of_wildcard(a)) is not None]
        if matched:
            found.append(ServiceWildcard(statement, tuple(a for a, _ in matched), tuple(s for _, s in matched)))
    return found
