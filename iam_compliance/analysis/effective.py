"""Effective permissions of a principal: its identity policies combined as IAM combines them.

For a user (with its groups' policies), a role, or one policy alone, this answers "may it do action A
on resource R, and why (not)?" and gives the sets of actions it holds on every resource, which the
administrator and escalation analyses build on. The rules, as IAM evaluates a request in one account
(SCPs, RCPs and resource policies are outside what an account's IAM data shows):

- an Allow in some identity policy is needed; ``NotAction`` allows every known action but those listed,
  ``NotResource`` every resource but those listed (so never "all resources");
- a permissions boundary, when set, must allow too (identity ∩ boundary); its Denies apply;
- an explicit Deny wins. An unconditional Deny removes; a Deny under conditions is reported as
  "may be denied when ...";
- conditions limit *when*, not *what*: a conditional Allow still grants, "only when" its keys hold.

Only the default version of a managed policy is in force; the model adapter (``inputs``) picks it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterator, Sequence

from iam_compliance.analysis.actions import ActionCatalogue, ActionSet, aws_catalogue
from iam_compliance.analysis.conditions import TRUE, Context, Outcome, evaluate
from iam_compliance.analysis.documents import IDENTITY, Statement, parse_policy
from iam_compliance.analysis.matching import Part, Union, unions, usable
from iam_compliance.analysis.patterns import matches_every_resource, substitute, wildcard_match

INLINE = "inline"
MANAGED = "managed"
BOUNDARY = "boundary"


@dataclass(frozen=True)
class PolicySource:
    """Where a policy comes from, for explanations: inline or managed (ARN, version), direct or via a group."""

    kind: str  # INLINE, MANAGED or BOUNDARY
    name: str
    arn: str = ""
    version_id: str = ""
    group: str = ""  # set when a user inherits it from this group

    def describe(self) -> str:
        version = f", version {self.version_id}" if self.version_id else ""
        if self.kind == BOUNDARY:
            text = f"permissions boundary {self.name} ({self.arn}{version})"
        elif self.arn:
            text = f"managed policy {self.name} ({self.arn}{version})"
        else:
            text = f"inline policy {self.name}"
        return text + (f" via group {self.group}" if self.group else "")


@dataclass(frozen=True)
class PolicyInput:
    source: PolicySource
    document: Any


@dataclass(frozen=True)
class StatementRef:
    """One statement of one policy, as it reaches the principal."""

    source: PolicySource
    statement: Statement

    def describe(self) -> str:
        return f"{self.source.describe()}, {self.statement.label}: {self.statement.describe()}"


@dataclass(frozen=True)
class Rule:
    """A statement compiled: its actions as a bitset (NotAction already complemented) and resource coverage."""

    statement: Statement
    deny: bool
    actions: ActionSet
    all_resources: bool  # applies to every resource
    some_resource: bool  # applies to at least one resource (NotResource "*" applies to none)
    conditional: bool


@dataclass(frozen=True)
class CompiledPolicy:
    version: str
    rules: tuple[Rule, ...]
    allow_all: ActionSet  # unconditional Allow on every resource
    allow_all_conditional: ActionSet  # Allow on every resource, only under conditions
    allow_some: ActionSet  # Allow on some resource, under any condition
    deny_some: ActionSet  # unconditional Deny on some resource
    deny_all: ActionSet  # unconditional Deny on every resource
    deny_conditional: ActionSet  # Deny on some resource under conditions
    # Allow rules on some resources only, without policy variables: the material of unions (``matching``).
    parts: tuple[Rule, ...] = ()
    not_resource_parts: bool = False  # some part has NotResource (a union needs one)


def _compile(document: Any, where: str, catalogue: ActionCatalogue, partition: str) -> CompiledPolicy:
    parsed = parse_policy(document, where, IDENTITY)
    rules: list[Rule] = []
    parts: list[Rule] = []
    not_resource_parts = False
    allow_all = allow_all_conditional = allow_some = deny_some = deny_all = deny_conditional = 0
    expand = catalogue.expand
    for statement in parsed.statements:
        named = 0
        for pattern in statement.actions:
            named |= expand(pattern)
        actions = catalogue.complement(named) if statement.not_action else named
        everything = False
        for resource in statement.resources:
            if matches_every_resource(resource, partition):
                everything = True
                break
        all_resources = everything and not statement.not_resource
        some_resource = bool(statement.resources) and not (statement.not_resource and everything)
        conditional = bool(statement.conditions)
        deny = statement.effect == "Deny"
        rules.append(Rule(statement, deny, actions, all_resources, some_resource, conditional))
        if not some_resource or not actions:
            continue
        if deny:
            if conditional:
                deny_conditional |= actions
            else:
                deny_some |= actions
                if all_resources:
                    deny_all |= actions
        else:
            allow_some |= actions
            if all_resources:
                if conditional:
                    allow_all_conditional |= actions
                else:
                    allow_all |= actions
            elif usable(statement.resources):
                parts.append(rules[-1])
                not_resource_parts = not_resource_parts or statement.not_resource
    return CompiledPolicy(parsed.version, tuple(rules), allow_all, allow_all_conditional, allow_some, deny_some,
                          deny_all, deny_conditional, tuple(parts), not_resource_parts)


def denies_only(policy: CompiledPolicy) -> CompiledPolicy:
    """The policy's Deny statements alone: how a user's group policies bear on what the user holds by itself."""
    return CompiledPolicy(policy.version, tuple(rule for rule in policy.rules if rule.deny), 0, 0, 0,
                          policy.deny_some, policy.deny_all, policy.deny_conditional)


_CACHE_LIMIT = 50_000
# Canonical JSON (sorted keys) as the cache key; a prebuilt encoder saves the set-up ``json.dumps`` does per call.
_KEY = json.JSONEncoder(sort_keys=True, check_circular=False).encode


def compile_policy(document: Any, where: str | Callable[[], str],
                   catalogue: ActionCatalogue | None = None, partition: str = "aws") -> CompiledPolicy:
    """Validate and compile an identity policy (or boundary) for a holder in ``partition``; identical documents
    are compiled once per partition ("every resource" is every ARN of the holder's partition).

    ``where`` names the policy in errors; it may be a function, called only when a document is compiled.
    """
    catalogue = catalogue or aws_catalogue()
    try:
        key = _KEY(document)
    except (TypeError, ValueError, RecursionError):
        return _compile(document, where if isinstance(where, str) else where(), catalogue, partition)  # let validation say
    cache = catalogue.memo.setdefault(f"compiled {partition}", {})
    found = cache.get(key)
    if found is None:
        found = _compile(document, where if isinstance(where, str) else where(), catalogue, partition)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = found
    return found


@dataclass(frozen=True)
class PrincipalInfo:
    """Who holds the policies; fills policy variables and tells "self" from "others"."""

    kind: str  # "user", "role", "group" or "policy" (a policy judged alone, holder unknown)
    name: str
    arn: str
    account: str = ""
    partition: str = "aws"

    @cached_property
    def variables(self) -> dict[str, str]:
        found = {"aws:principaltype": {"user": "User", "role": "AssumedRole"}.get(self.kind, "")}
        if self.account:
            found["aws:principalaccount"] = self.account
        if self.kind in ("user", "policy"):
            found["aws:username"] = self.name
        return {k: v for k, v in found.items() if v}


@dataclass(frozen=True)
class Decision:
    """Whether a principal may perform one action on one resource, and which statements decide it."""

    action: str
    resource: str
    allowed: bool  # possibly allowed (unconditionally, or when conditional_keys hold)
    conditional_keys: frozenset[str] = frozenset()  # the Allow holds only when conditions on these keys hold
    may_be_denied_under: frozenset[str] = frozenset()  # a conditional Deny on these keys may still refuse it
    granted_by: tuple[StatementRef, ...] = ()
    boundary_allows_by: tuple[StatementRef, ...] = ()
    denied_by: tuple[StatementRef, ...] = ()
    reason: str = ""  # why not, when not allowed

    @property
    def unconditional(self) -> bool:
        return self.allowed and not self.conditional_keys and not self.may_be_denied_under

    def explain(self) -> str:
        if not self.allowed:
            return f"{self.action} on {self.resource} is not allowed: {self.reason}"
        text = f"{self.action} on {self.resource} is allowed by " + "; ".join(r.describe() for r in self.granted_by)
        if self.boundary_allows_by:
            text += "; the boundary allows it by " + "; ".join(r.describe() for r in self.boundary_allows_by)
        if self.conditional_keys:
            text += f" (only when conditions on {', '.join(sorted(self.conditional_keys))} hold)"
        if self.may_be_denied_under:
            text += f" (may be denied under conditions on {', '.join(sorted(self.may_be_denied_under))})"
        return text


Compiled = tuple[PolicySource, CompiledPolicy]
Placed = tuple[PolicySource, str, Rule]  # a rule with its policy's source and version


def _unions(policies: Sequence[Compiled]) -> tuple[tuple[Union[tuple[PolicySource, Rule]], bool], ...]:
    """Unions of partial Allow statements covering every resource: from unconditional statements alone first
    (an unconditional grant), then from all of them (a grant only when the members' conditions hold)."""
    parts = [Part((source, rule), rule.actions, rule.statement.resources, rule.statement.not_resource)
             for source, policy in policies for rule in policy.parts]
    plain = unions([part for part in parts if not part.member[1].conditional])
    found = [(union, False) for union in plain]
    if any(part.member[1].conditional for part in parts):
        found += [(union, any(rule.conditional for _, rule in union.members)) for union in unions(parts)]
    return tuple(found)


@dataclass
class Permissions:
    """A principal's identity policies and boundary, compiled, with the aggregate action sets."""

    principal: PrincipalInfo
    identity: tuple[Compiled, ...]
    boundary: Compiled | None
    catalogue: ActionCatalogue
    # Aggregates over the identity policies (allow_*) and over identity + boundary (deny_*).
    allow_all: ActionSet = field(init=False)
    allow_all_conditional: ActionSet = field(init=False)
    allow_some: ActionSet = field(init=False)
    boundary_all: ActionSet = field(init=False)  # every action when there is no boundary
    boundary_all_conditional: ActionSet = field(init=False)
    boundary_some: ActionSet = field(init=False)
    deny_some: ActionSet = field(init=False)
    deny_all: ActionSet = field(init=False)
    deny_conditional: ActionSet = field(init=False)

    # Statements that only together apply to every resource (identity policies; the boundary), with whether a
    # member is conditional; their actions are already in allow_all(_conditional) / boundary_all(_conditional).
    unions: tuple[tuple[Union[tuple[PolicySource, Rule]], bool], ...] = field(init=False)
    boundary_unions: tuple[tuple[Union[tuple[PolicySource, Rule]], bool], ...] = field(init=False)

    def __post_init__(self) -> None:
        allow_all = allow_all_conditional = allow_some = deny_some = deny_all = deny_conditional = 0
        for _, policy in self.identity:
            # Most masks of most policies are empty: skip them rather than copy big integers.
            if policy.allow_some:
                allow_some |= policy.allow_some
                if policy.allow_all:
                    allow_all |= policy.allow_all
                if policy.allow_all_conditional:
                    allow_all_conditional |= policy.allow_all_conditional
            if policy.deny_some:
                deny_some |= policy.deny_some
                if policy.deny_all:
                    deny_all |= policy.deny_all
            if policy.deny_conditional:
                deny_conditional |= policy.deny_conditional
        everything = self.catalogue.all
        self.boundary_all, self.boundary_all_conditional, self.boundary_some = everything, 0, everything
        self.unions = self.boundary_unions = ()
        if any(policy.not_resource_parts for _, policy in self.identity):
            self.unions = _unions(self.identity)
            for union, conditional in self.unions:
                if conditional:
                    allow_all_conditional |= union.actions
                else:
                    allow_all |= union.actions
        if self.boundary is not None:
            policy = self.boundary[1]
            self.boundary_all, self.boundary_all_conditional = policy.allow_all, policy.allow_all_conditional
            self.boundary_some = policy.allow_some
            deny_some |= policy.deny_some
            deny_all |= policy.deny_all
            deny_conditional |= policy.deny_conditional
            if policy.not_resource_parts:
                self.boundary_unions = _unions((self.boundary,))
                for union, conditional in self.boundary_unions:
                    if conditional:
                        self.boundary_all_conditional |= union.actions
                    else:
                        self.boundary_all |= union.actions
        self.allow_all, self.allow_all_conditional, self.allow_some = allow_all, allow_all_conditional, allow_some
        self.deny_some, self.deny_all, self.deny_conditional = deny_some, deny_all, deny_conditional

    def all_policies(self) -> Iterator[Compiled]:
        yield from self.identity
        if self.boundary is not None:
            yield self.boundary

    @cached_property
    def _flat(self) -> tuple[list[Placed], list[Placed], list[Placed]]:
        """(Denies of every policy, identity Allows, boundary Allows) that apply to some resource, in policy order."""
        denies: list[Placed] = []
        allows: list[Placed] = []
        bounds: list[Placed] = []
        for source, policy in self.identity:
            for rule in policy.rules:
                if rule.some_resource:
                    (denies if rule.deny else allows).append((source, policy.version, rule))
        if self.boundary is not None:
            source, policy = self.boundary
            for rule in policy.rules:
                if rule.some_resource:
                    (denies if rule.deny else bounds).append((source, policy.version, rule))
        return denies, allows, bounds

    @cached_property
    def possibly_allowed(self) -> ActionSet:
        """Actions allowed on at least some resource under some conditions (a fast pre-filter)."""
        return self.allow_some & self.boundary_some & ~self.deny_all

    # --- action sets on every resource ---------------------------------------------------------

    def on_every_resource(self, *, conditional: bool) -> ActionSet:
        """Actions allowed on every resource and not denied anywhere unconditionally.

        ``conditional=False``: only unconditional grants count; ``True``: grants under conditions count too.
        """
        allowed = self.allow_all | (self.allow_all_conditional if conditional else 0)
        bounded = self.boundary_all | (self.boundary_all_conditional if conditional else 0)
        return allowed & bounded & ~self.deny_some

    @cached_property
    def is_admin(self) -> bool:
        """Every action on every resource, possibly only under conditions (``administrators`` explains)."""
        return self.on_every_resource(conditional=True) == self.catalogue.all

    def rules(self, *, deny: bool, actions: ActionSet, boundary: bool = False) -> Iterator[tuple[StatementRef, Rule]]:
        """Rules of the given effect touching any of ``actions``: identity policies, or the boundary's Allows."""
        denies, allows, bounds = self._flat
        if boundary:
            placed = [entry for entry in denies if entry[0] is self.boundary[0]] if deny and self.boundary else \
                [] if deny else bounds
        else:
            placed = denies if deny else allows
        for source, _, rule in placed:
            if rule.actions & actions:
                yield StatementRef(source, rule.statement), rule

    def granting(self, actions: ActionSet) -> list[Rule]:
        """Identity Allow rules touching any of ``actions`` (the rules alone, no explanation objects)."""
        return [rule for _, _, rule in self._flat[1] if rule.actions & actions]

    # --- one request ---------------------------------------------------------------------------

    def _applies(self, rule: Rule, version: str, resource: str, context: Context) -> Outcome | None:
        """The rule's condition outcome if its Resource element covers ``resource``; None when it does not."""
        variables = self.principal.variables if version != "2008-10-17" else {}
        if not rule.all_resources:
            hit = any(wildcard_match(substitute(p, variables), resource) for p in rule.statement.resources)
            if hit == rule.statement.not_resource:
                return None
        return evaluate(rule.statement.conditions, context) if rule.conditional else TRUE

    def _matching(self, placed: list[Placed], bit: ActionSet, resource: str,
                  context: Context) -> list[tuple[StatementRef, Outcome]]:
        found = []
        for source, version, rule in placed:
            if not rule.actions & bit:
                continue
            outcome = self._applies(rule, version, resource, context)
            if outcome is not None and outcome.value is not False:
                found.append((StatementRef(source, rule.statement), outcome))
        return found

    def decide(self, action: str, resource: str = "*", context: Context | None = None) -> Decision:
        """May the principal perform ``action`` on ``resource`` (an ARN), given what is known of the request?"""
        context = {k.lower(): v for k, v in context.items()} if context else {}
        bit = self.catalogue.bit(action)
        if not bit:
            return Decision(action, resource, False, reason=f"{action} is not a known AWS action")
        if not bit & self.possibly_allowed:
            return Decision(action, resource, False, reason=self._why_not(bit))
        deny_rules, allow_rules, boundary_rules = self._flat
        denies = self._matching(deny_rules, bit, resource, context)
        hard = tuple(ref for ref, outcome in denies if outcome.value is True)
        if hard:
            return Decision(action, resource, False, denied_by=hard,
                            reason="explicitly denied by " + "; ".join(r.describe() for r in hard))
        grants = self._matching(allow_rules, bit, resource, context)
        if not grants:
            return Decision(action, resource, False, reason="no identity policy statement allows it on this resource")
        boundary_grants: list[tuple[StatementRef, Outcome]] = []
        if self.boundary is not None:
            boundary_grants = self._matching(boundary_rules, bit, resource, context)
            if not boundary_grants:
                return Decision(action, resource, False, granted_by=tuple(r for r, _ in grants),
                                reason=f"the {self.boundary[0].describe()} does not allow it")
        keys = _needed_keys(grants) | (_needed_keys(boundary_grants) if boundary_grants else frozenset())
        soft = frozenset().union(*(outcome.unknown_keys for _, outcome in denies))
        return Decision(action, resource, True, keys, soft, _best(grants), _best(boundary_grants))

    def _why_not(self, bit: ActionSet) -> str:
        if bit & self.deny_all:
            refs = [ref for ref, rule in self.rules(deny=True, actions=bit) if rule.all_resources and not rule.conditional]
            return "explicitly denied by " + "; ".join(r.describe() for r in refs)
        if not bit & self.allow_some:
            return "no identity policy allows it"
        assert self.boundary is not None
        return f"the {self.boundary[0].describe()} does not allow it"


def _needed_keys(grants: list[tuple[StatementRef, Outcome]]) -> frozenset[str]:
    """No keys if one grant is unconditional; otherwise the keys of the conditional grants (any one suffices)."""
    if any(outcome.value is True for _, outcome in grants):
        return frozenset()
    return frozenset().union(*(outcome.unknown_keys for _, outcome in grants))


def _best(grants: list[tuple[StatementRef, Outcome]]) -> tuple[StatementRef, ...]:
    """The unconditional grants if there are any, else every conditional one."""
    unconditional = tuple(ref for ref, outcome in grants if outcome.value is True)
    return unconditional or tuple(ref for ref, _ in grants)


def where(principal: PrincipalInfo, source: PolicySource) -> str:
    holder = f" of {principal.kind} {principal.name}" if principal.kind != "policy" else ""
    return f"{source.describe()}{holder}"


def permissions(
    principal: PrincipalInfo,
    identity: Sequence[PolicyInput],
    boundary: PolicyInput | None = None,
    catalogue: ActionCatalogue | None = None,
) -> Permissions:
    """Compile a principal's identity policies (its groups' included, for a user) and boundary."""
    catalogue = catalogue or aws_catalogue()
    compiled = tuple((p.source, compile_policy(p.document, where(principal, p.source), catalogue,
                                                    principal.partition)) for p in identity)
    bound = None
    if boundary is not None:
        bound = (boundary.source, compile_policy(boundary.document, where(principal, boundary.source), catalogue,
                                                  principal.partition))
    return Permissions(principal, compiled, bound, catalogue)


def policy_alone(
    document: Any,
    source: PolicySource,
    catalogue: ActionCatalogue | None = None,
    account: str = "",
    partition: str = "aws",
) -> Permissions:
    """A policy judged by itself, as if it were the only policy of an unknown holder."""
    holder = PrincipalInfo("policy", "policy-holder", "", account, partition)
    return permissions(holder, [PolicyInput(source, document)], None, catalogue)

