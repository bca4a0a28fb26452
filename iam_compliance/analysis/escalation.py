"""Privilege escalation: can a principal (or anyone holding a policy) make itself an administrator?

Each known method is **data** (``METHODS``): the actions it needs, on which resource (a template such as
"a user other than the principal" or "a role passed to ec2.amazonaws.com"), and what else it relies on.
A method applies when the principal's effective permissions (``effective``) allow every need, each on
some resource that fits. Resource scoping and the conditions that decide it are honoured:

- ``iam:PassRole`` is asked with ``iam:PassedToService`` set to the receiving service, so a PassRole
  limited to another service, or to one role ARN that is not a candidate, does not count;
- the Attach*Policy actions are asked with ``iam:PolicyARN`` set to AWS's AdministratorAccess or IAMFullAccess
  (``ADMIN_MAKING_POLICIES``), so an attachment limited to harmless policies (``ArnEquals iam:PolicyARN
  .../ReadOnlyAccess``) does not count, while one excluding only AdministratorAccess still does;
- actions on "another user" exclude the principal itself, so ``iam:CreateAccessKey`` on
  ``user/${aws:username}`` (self-service) is not escalation;
- candidates are the ARNs a statement names, a probe ARN standing for "any other resource of that type",
  and, when an ``Inventory`` of the account is given, its real users, groups, roles and policies.

A principal that is already an administrator has nothing to escalate to. A method whose needs are met only
under conditions is reported with those condition keys. The methods follow the published research
(Rhino Security Labs' IAM escalation list, PMapper, Prowler, cloudsplaining); facts only, not code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Mapping

from iam_compliance.analysis.actions import ActionCatalogue, ActionSet
from iam_compliance.analysis.effective import Decision, Permissions
from iam_compliance.analysis.patterns import UNRESOLVED, instantiate, substitute, wildcard_match

# Relations between a need's resource and the principal.
SELF = "self"  # the principal itself (its own user or role)
OWN_GROUP = "own group"  # a group the user belongs to
OTHER = "other"  # any resource of the type except the principal itself
ANY = "any"  # any resource of the type

USER = "arn:{partition}:iam::{account}:user/{name}"
ROLE = "arn:{partition}:iam::{account}:role/{name}"
GROUP = "arn:{partition}:iam::{account}:group/{name}"
POLICY = "arn:{partition}:iam::{account}:policy/{name}"
EC2_INSTANCE = "arn:{partition}:ec2:{region}:{account}:instance/{name}"
LAMBDA_FUNCTION = "arn:{partition}:lambda:{region}:{account}:function:{name}"
GLUE_ENDPOINT = "arn:{partition}:glue:{region}:{account}:devEndpoint/{name}"
STACK = "arn:{partition}:cloudformation:{region}:{account}:stack/{name}"
PIPELINE = "arn:{partition}:datapipeline:{region}:{account}:pipeline/{name}"
NOTEBOOK = "arn:{partition}:sagemaker:{region}:{account}:notebook-instance/{name}"
CODEBUILD_PROJECT = "arn:{partition}:codebuild:{region}:{account}:project/{name}"
ECS_TASK_DEFINITION = "arn:{partition}:ecs:{region}:{account}:task-definition/{name}"
SSM_SESSION_TARGET = EC2_INSTANCE


@dataclass(frozen=True)
class Need:
    actions: tuple[str, ...]  # any one of them suffices
    resource: str  # ARN template
    relation: str = ANY
    passed_to: str = ""  # for iam:PassRole: the service principal receiving the role
    attaches: bool = False  # attaches a managed policy: asked with iam:PolicyARN of ADMIN_MAKING_POLICIES

    def describe(self) -> str:
        what = {SELF: "itself", OWN_GROUP: "a group it belongs to", OTHER: "another", ANY: "any"}[self.relation]
        kind = self.resource.rsplit(":", 1)[-1].split("/")[0]
        target = what if self.relation in (SELF, OWN_GROUP) else f"{what} {kind}"
        to = f" to {self.passed_to}" if self.passed_to else ""
        return f"{' or '.join(self.actions)} on {target}{to}"


@dataclass(frozen=True)
class Method:
    id: str
    name: str
    needs: tuple[Need, ...]
    requires: str = ""  # what else must exist, in words
    same_target: bool = False  # every need on the same resource (e.g. rewrite a role's trust, then assume it)
    holders: frozenset[str] = frozenset({"user", "role", "policy"})
    only_with_boundary: bool = False
    # Needs IAM alone and nothing else in the account: the holder writes itself any policy (admin at once).
    writes_own_policy: bool = False


def _pass(service: str) -> Need:
    return Need(("iam:PassRole",), ROLE, ANY, passed_to=service)


_USERS_ONLY = frozenset({"user", "policy"})
_ROLES_ONLY = frozenset({"role", "policy"})

METHODS: tuple[Method, ...] = (
    Method("iam_create_policy_version", "Create a new default version of a managed policy",
           (Need(("iam:CreatePolicyVersion",), POLICY),),
           "a customer managed policy attached to the principal (the new version is made default at once)",
           writes_own_policy=True),
    Method("iam_set_default_policy_version", "Make a more permissive existing version the default",
           (Need(("iam:SetDefaultPolicyVersion",), POLICY),),
           "a customer managed policy attached to the principal with a more permissive non-default version"),
    Method("iam_attach_user_policy", "Attach any managed policy (AdministratorAccess) to itself",
           (Need(("iam:AttachUserPolicy",), USER, SELF, attaches=True),), holders=_USERS_ONLY, writes_own_policy=True),
    Method("iam_attach_group_policy", "Attach any managed policy to a group it belongs to",
           (Need(("iam:AttachGroupPolicy",), GROUP, OWN_GROUP, attaches=True),), "membership of a group", holders=_USERS_ONLY,
           writes_own_policy=True),
    Method("iam_attach_role_policy", "Attach any managed policy to its own role",
           (Need(("iam:AttachRolePolicy",), ROLE, SELF, attaches=True),), holders=_ROLES_ONLY, writes_own_policy=True),
    Method("iam_put_user_policy", "Write an inline policy granting everything on itself",
           (Need(("iam:PutUserPolicy",), USER, SELF),), holders=_USERS_ONLY, writes_own_policy=True),
    Method("iam_put_group_policy", "Write an inline policy on a group it belongs to",
           (Need(("iam:PutGroupPolicy",), GROUP, OWN_GROUP),), "membership of a group", holders=_USERS_ONLY,
           writes_own_policy=True),
    Method("iam_put_role_policy", "Write an inline policy granting everything on its own role",
           (Need(("iam:PutRolePolicy",), ROLE, SELF),), holders=_ROLES_ONLY, writes_own_policy=True),
    Method("iam_add_user_to_group", "Add itself to a more privileged group",
           (Need(("iam:AddUserToGroup",), GROUP, ANY),), "a group with more permissions", holders=_USERS_ONLY),
    Method("iam_attach_role_policy_assume", "Attach a policy to a role it can assume, then assume it",
           (Need(("iam:AttachRolePolicy",), ROLE, OTHER, attaches=True), Need(("sts:AssumeRole",), ROLE, OTHER)),
           "a role whose trust policy lets the principal assume it", same_target=True),
    Method("iam_put_role_policy_assume", "Write an inline policy on a role it can assume, then assume it",
           (Need(("iam:PutRolePolicy",), ROLE, OTHER), Need(("sts:AssumeRole",), ROLE, OTHER)),
           "a role whose trust policy lets the principal assume it", same_target=True),
    Method("iam_create_access_key", "Create an access key for another user",
           (Need(("iam:CreateAccessKey",), USER, OTHER),), "a more privileged user (fewer than two keys)"),
    Method("iam_create_login_profile", "Set a console password for another user who has none",
           (Need(("iam:CreateLoginProfile",), USER, OTHER),), "a more privileged user without a password"),
    Method("iam_update_login_profile", "Change another user's console password",
           (Need(("iam:UpdateLoginProfile",), USER, OTHER),), "a more privileged user with a password"),
    Method("iam_update_assume_role_policy", "Rewrite a role's trust policy to trust itself, then assume it",
           (Need(("iam:UpdateAssumeRolePolicy",), ROLE, OTHER), Need(("sts:AssumeRole",), ROLE, OTHER)),
           "a more privileged role", same_target=True),
    Method("iam_pass_role_ec2", "Launch an EC2 instance with a more privileged role and read its credentials",
           (_pass("ec2.amazonaws.com"), Need(("ec2:RunInstances",), EC2_INSTANCE)),
           "a role trusting ec2.amazonaws.com with an instance profile"),
    Method("iam_pass_role_lambda", "Create a Lambda function with a more privileged role and run it",
           (_pass("lambda.amazonaws.com"), Need(("lambda:CreateFunction",), LAMBDA_FUNCTION),
            Need(("lambda:InvokeFunction", "lambda:CreateEventSourceMapping"), LAMBDA_FUNCTION)),
           "a role trusting lambda.amazonaws.com (an event source, for CreateEventSourceMapping)"),
    Method("iam_pass_role_glue_dev_endpoint", "Create a Glue development endpoint with a more privileged role",
           (_pass("glue.amazonaws.com"), Need(("glue:CreateDevEndpoint",), GLUE_ENDPOINT)),
           "a role trusting glue.amazonaws.com"),
    Method("glue_update_dev_endpoint", "Put its SSH key on an existing Glue development endpoint",
           (Need(("glue:UpdateDevEndpoint",), GLUE_ENDPOINT),), "an endpoint running with a more privileged role"),
    Method("iam_pass_role_cloudformation", "Create a CloudFormation stack that runs as a more privileged role",
           (_pass("cloudformation.amazonaws.com"), Need(("cloudformation:CreateStack",), STACK)),
           "a role trusting cloudformation.amazonaws.com"),
    Method("iam_pass_role_datapipeline", "Create a Data Pipeline that runs commands as a more privileged role",
           (_pass("datapipeline.amazonaws.com"), Need(("datapipeline:CreatePipeline",), PIPELINE),
            Need(("datapipeline:PutPipelineDefinition",), PIPELINE)),
           "a role trusting datapipeline.amazonaws.com"),
    Method("iam_pass_role_sagemaker_notebook", "Create a SageMaker notebook with a more privileged role and open it",
           (_pass("sagemaker.amazonaws.com"), Need(("sagemaker:CreateNotebookInstance",), NOTEBOOK),
            Need(("sagemaker:CreatePresignedNotebookInstanceUrl",), NOTEBOOK)),
           "a role trusting sagemaker.amazonaws.com"),
    Method("iam_pass_role_codebuild", "Create and start a CodeBuild project running as a more privileged role",
           (_pass("codebuild.amazonaws.com"), Need(("codebuild:CreateProject",), CODEBUILD_PROJECT),
            Need(("codebuild:StartBuild",), CODEBUILD_PROJECT)),
           "a role trusting codebuild.amazonaws.com"),
    Method("iam_pass_role_ecs", "Register and run an ECS task with a more privileged task role",
           (_pass("ecs-tasks.amazonaws.com"), Need(("ecs:RegisterTaskDefinition",), ECS_TASK_DEFINITION),
            Need(("ecs:RunTask",), ECS_TASK_DEFINITION)),
           "a role trusting ecs-tasks.amazonaws.com and a cluster"),
    Method("lambda_update_function_code", "Replace the code of a function that runs with a more privileged role",
           (Need(("lambda:UpdateFunctionCode",), LAMBDA_FUNCTION),), "a function with a more privileged role"),
    Method("ssm_send_command", "Run commands on an instance that has a more privileged role",
           (Need(("ssm:SendCommand",), EC2_INSTANCE),), "a managed instance with a more privileged role"),
    Method("ssm_start_session", "Open a shell on an instance that has a more privileged role",
           (Need(("ssm:StartSession",), SSM_SESSION_TARGET),), "a managed instance with a more privileged role"),
    Method("iam_delete_own_permissions_boundary", "Remove its own permissions boundary",
           (Need(("iam:DeleteUserPermissionsBoundary", "iam:DeleteRolePermissionsBoundary"), "{self}", SELF),),
           "identity policies broader than the boundary", only_with_boundary=True),
    Method("iam_put_own_permissions_boundary", "Replace its own permissions boundary with a broader one",
           (Need(("iam:PutUserPermissionsBoundary", "iam:PutRolePermissionsBoundary"), "{self}", SELF),),
           "identity policies broader than the boundary", only_with_boundary=True),
)


@dataclass(frozen=True)
class Inventory:
    """What the account holds, to aim the methods at real resources (all optional: probes stand in)."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    own_groups: tuple[str, ...] = ()  # groups the principal belongs to
    own_policies: tuple[str, ...] = ()  # customer managed policies attached to the principal or its groups
    roles: Mapping[str, frozenset[str]] = field(default_factory=dict)  # role ARN -> service principals it trusts
    role_arns: tuple[str, ...] = ()  # filled from ``roles``; kept so that its lookup index is built once

    def __post_init__(self) -> None:
        if self.roles and not self.role_arns:
            object.__setattr__(self, "role_arns", tuple(self.roles))


@dataclass(frozen=True)
class Step:
    action: str
    resource: str
    decision: Decision

    @property
    def target(self) -> str:
        """The resource as people read it: its ARN, or "any <service> <type>" where a probe stood in for it."""
        if PROBE not in self.resource:
            return self.resource
        parts = self.resource.split(":", 5)
        kind = parts[5].replace(":", "/").split("/", 1)[0] if len(parts) == 6 else "resource"
        text = f"any {parts[2] if len(parts) == 6 else ''} {kind}".replace("  ", " ")
        whole_name = self.resource.count(PROBE) == 1 and self.resource.endswith((f"/{PROBE}", f":{PROBE}"))
        # A probe filling a statement's wildcard pattern (role/ec2-*): name the pattern, not an invented resource.
        return text if whole_name else f"{text} matching {self.resource.replace(PROBE, '*')}"

    def describe(self) -> str:
        refs = "; ".join(r.describe() for r in self.decision.granted_by)
        text = f"{self.action} on {self.target} ({refs})"
        if self.decision.boundary_allows_by:
            text += " within the boundary (" + "; ".join(r.describe() for r in self.decision.boundary_allows_by) + ")"
        if self.decision.conditional_keys:
            text += f" only when conditions on {', '.join(sorted(self.decision.conditional_keys))} hold"
        if self.decision.may_be_denied_under:
            text += f" (a Deny may refuse it under conditions on {', '.join(sorted(self.decision.may_be_denied_under))})"
        return text


@dataclass(frozen=True)
class Escalation:
    method: Method
    steps: tuple[Step, ...]

    @property
    def conditional_keys(self) -> frozenset[str]:
        return frozenset().union(*(s.decision.conditional_keys | s.decision.may_be_denied_under for s in self.steps))

    def describe(self) -> str:
        text = f"{self.method.name} ({self.method.id}): " + "; ".join(s.describe() for s in self.steps)
        if self.method.requires:
            text += f"; needs {self.method.requires}"
        return text


# AWS managed policies whose attachment makes the holder an administrator: AdministratorAccess grants everything,
# IAMFullAccess grants iam:* (and with it an unrestricted AttachUserPolicy/AttachRolePolicy).
ADMIN_MAKING_POLICIES = ("AdministratorAccess", "IAMFullAccess")
PROBE = "escalation-probe"
_REGION = "us-east-1"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=256)
def _template_regex(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    body = "".join(re.escape(part) if i % 2 == 0 else (".+" if part == "name" else "[^:]*")
                   for i, part in enumerate(parts))
    return re.compile(body)


def _fill(template: str, perms: Permissions, name: str) -> str:
    principal = perms.principal
    return template.format(partition=principal.partition, account=principal.account or "000000000000",
                           region=_REGION, name=name)


def _self_arn(perms: Permissions, template: str) -> str | None:
    principal = perms.principal
    if principal.kind == "policy":
        # The unknown holder: a user named like the ${aws:username} it would substitute, or such a role.
        return _fill(template if template != "{self}" else USER, perms, principal.name)
    if template == "{self}" or _template_regex(template).fullmatch(principal.arn):
        return principal.arn
    return None


def _concrete(pattern: str, perms: Permissions) -> str:
    """An ARN the pattern matches, in the principal's partition, region and account where it leaves them open; other
    wildcards are filled with the probe name, so that findings show the pattern rather than an invented name."""
    parts = pattern.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        defaults = {1: perms.principal.partition, 3: _REGION, 4: perms.principal.account or "000000000000"}
        for index, default in defaults.items():
            if parts[index] and wildcard_match(parts[index], default):
                parts[index] = default
    return instantiate(":".join(parts), PROBE)


def _literals(perms: Permissions, need: Need, bits: ActionSet) -> list[str]:
    """Concrete ARNs of the need's type that the granting statements name (wildcards filled in)."""
    found = []
    regex = _template_regex(need.resource)
    variables = perms.principal.variables
    for rule in perms.granting(bits):
        if rule.statement.not_resource or rule.all_resources:
            continue
        for pattern in rule.statement.resources:
            value = _concrete(substitute(pattern, variables), perms)
            if UNRESOLVED not in value and regex.fullmatch(value):
                found.append(value)
    return found


def _candidates(perms: Permissions, need: Need, bits: ActionSet, inventory: Inventory | None) -> list[str]:
    if need.relation == SELF:
        own = _self_arn(perms, need.resource)
        return [own] if own else []
    if need.relation == OWN_GROUP and inventory is not None:
        return list(inventory.own_groups)
    if need.passed_to and inventory is not None:
        found = _aimed(perms, bits, _trusting(inventory, need.passed_to))
    else:
        known = None
        if inventory is not None:
            # The account's real IAM resources replace the probe: they are all there is to aim at.
            template = need.resource
            known = inventory.users if template == USER else inventory.role_arns if template == ROLE else \
                inventory.groups if template == GROUP else inventory.own_policies if template == POLICY else None
        found = _aimed(perms, bits, known) if known is not None else [_fill(need.resource, perms, PROBE),
                                                                      *_literals(perms, need, bits)]
    if need.relation == OTHER:
        own = _self_arn(perms, need.resource)
        found = [arn for arn in found if arn != own]
    return list(dict.fromkeys(found))


_INDEXES: dict[int, tuple[tuple[str, ...], dict[str, list[str]]]] = {}
_TRUSTING: dict[tuple[int, str], tuple[Mapping[str, frozenset[str]], tuple[str, ...], tuple[str, ...]]] = {}


def _trusting(inventory: Inventory, service: str) -> tuple[str, ...]:
    """The inventory's roles that trust ``service``, computed once per role map (shared by every principal)."""
    key = (id(inventory.roles), service)
    entry = _TRUSTING.get(key)
    if entry is None or entry[0] is not inventory.roles or entry[1] is not inventory.role_arns:
        roles = inventory.roles
        found = tuple(arn for arn in inventory.role_arns if service in roles[arn])
        if len(_TRUSTING) > 256:
            _TRUSTING.clear()
        entry = _TRUSTING[key] = (roles, inventory.role_arns, found)
    return entry[2]


def _by_resource_part(arns: tuple[str, ...]) -> dict[str, list[str]]:
    """ARNs keyed by their resource part (``user/alice``), built once per inventory list."""
    entry = _INDEXES.get(id(arns))
    if entry is None or entry[0] is not arns:
        index: dict[str, list[str]] = {}
        for arn in arns:
            index.setdefault(arn.split(":", 5)[-1], []).append(arn)
        if len(_INDEXES) > 64:
            _INDEXES.clear()
        entry = _INDEXES[id(arns)] = (arns, index)
    return entry[1]


def _aimed(perms: Permissions, bits: ActionSet, arns: tuple[str, ...]) -> list[str]:
    """The ARNs some granting statement names, without a full decision for each of thousands of users or roles."""
    rules = perms.granting(bits)
    for rule in rules:
        if rule.all_resources or rule.statement.not_resource:
            return list(arns)
    variables = perms.principal.variables
    index = _by_resource_part(arns)
    found: list[str] = []
    for pattern in dict.fromkeys(substitute(p, variables) for rule in rules for p in rule.statement.resources):
        resource_part = pattern.split(":", 5)[-1]
        if "*" not in resource_part and "?" not in resource_part:
            # "arn:aws:iam::*:user/bob": look the name up instead of scanning every ARN.
            found += [arn for arn in index.get(resource_part, []) if wildcard_match(pattern, arn)]
        else:
            # Only ARNs starting with the pattern's literal head can match: a cheap test before the full one.
            head = pattern[:_literal_head(pattern)]
            found += [arn for arn in arns if arn.startswith(head) and wildcard_match(pattern, arn)]
    return found


def _literal_head(pattern: str) -> int:
    """Length of the pattern's start before its first wildcard."""
    star, mark = pattern.find("*"), pattern.find("?")
    return min(i for i in (star, mark, len(pattern)) if i >= 0)


def _best(decisions: list[Step]) -> Step | None:
    allowed = [s for s in decisions if s.decision.allowed]
    allowed.sort(key=lambda s: (not s.decision.unconditional, len(s.decision.conditional_keys)))
    return allowed[0] if allowed else None


def _try_need(perms: Permissions, need: Need, resource: str) -> Step | None:
    if need.attaches:
        contexts: list[dict[str, str] | None] = [
            {"iam:PolicyARN": f"arn:{perms.principal.partition}:iam::aws:policy/{name}"} for name in ADMIN_MAKING_POLICIES]
    else:
        contexts = [{"iam:PassedToService": need.passed_to} if need.passed_to else None]
    return _best([Step(action, resource, perms.decide(action, resource, context))
                  for context in contexts for action in need.actions])


def _need_bits(catalogue: ActionCatalogue, need: Need) -> ActionSet:
    cache = catalogue.memo.setdefault("escalation needs", {})
    bits = cache.get(need)
    if bits is None:
        bits = cache[need] = catalogue.expand_all(need.actions)
    return bits


_ENOUGH = 25  # allowed targets tried before settling for the best so far (thousands of users or roles)


def _good_enough(decision: Decision) -> bool:
    """Allowed without an Allow condition; a conditional Deny (e.g. "MFA required") is the same for every target."""
    return decision.allowed and not decision.conditional_keys


def _apply(perms: Permissions, method: Method, inventory: Inventory | None) -> Escalation | None:
    candidates = [_candidates(perms, need, _need_bits(perms.catalogue, need), inventory) for need in method.needs]
    if method.same_target:
        # One resource must serve every need; the first that does unconditionally ends the search.
        best: tuple[Step, ...] | None = None
        tries = 0
        every = [set(options) for options in candidates]  # membership tests: thousands of roles per need
        for resource in dict.fromkeys(r for options in candidates for r in options):
            if not all(resource in options for options in every):
                continue
            steps = [_try_need(perms, need, resource) for need in method.needs]
            if all(step is not None for step in steps):
                found = tuple(step for step in steps if step is not None)
                tries += 1
                if best is None or all(_good_enough(s.decision) for s in found):
                    best = found
                if all(_good_enough(s.decision) for s in found) or tries >= _ENOUGH:
                    break
        return Escalation(method, best) if best is not None else None
    chosen = []
    for need, options in zip(method.needs, candidates):
        tried = []
        for resource in options:
            step = _try_need(perms, need, resource)
            if step is not None:
                tried.append(step)
                if _good_enough(step.decision) or len(tried) >= _ENOUGH:
                    break
        step = _best(tried)
        if step is None:
            return None
        chosen.append(step)
    return Escalation(method, tuple(chosen))


def _method_masks(catalogue: ActionCatalogue) -> list[tuple[Method, list[ActionSet]]]:
    """Each method with the action set of each need (a quick test before any resource is looked at)."""
    cache = catalogue.memo.setdefault("escalation methods", {})
    if "all" not in cache:
        cache["all"] = [(m, [_need_bits(catalogue, n) for n in m.needs]) for m in METHODS]
    found: list[tuple[Method, list[ActionSet]]] = cache["all"]
    return found


def _relevant(catalogue: ActionCatalogue) -> ActionSet:
    """Every action some method needs: only these bits of a principal's permissions decide which methods apply."""
    cache = catalogue.memo.setdefault("escalation methods", {})
    if "relevant" not in cache:
        relevant = 0
        for _, masks in _method_masks(catalogue):
            for mask in masks:
                relevant |= mask
        cache["relevant"] = relevant
    found: ActionSet = cache["relevant"]
    return found


def _possible_methods(perms: Permissions) -> tuple[Method, ...]:
    """Methods whose every need has some action the principal may be allowed (bitset tests only, memoised).

    The answer depends only on the method-relevant bits of the possibly-allowed set, the holder kind and
    whether there is a boundary, so principals with the same relevant permissions share it.
    """
    catalogue = perms.catalogue
    reachable = perms.possibly_allowed & _relevant(catalogue)
    key = (reachable, perms.principal.kind, perms.boundary is not None)
    cache = catalogue.memo.setdefault("escalation candidates", {})
    found: tuple[Method, ...] | None = cache.get(key)
    if found is None:
        candidates = []
        for method, masks in _method_masks(catalogue):
            if perms.principal.kind not in method.holders:
                continue
            if method.only_with_boundary and perms.boundary is None:
                continue
            if all(mask & reachable for mask in masks):
                candidates.append(method)
        if len(cache) >= 4096:
            cache.clear()
        found = cache[key] = tuple(candidates)
    return found


def escalations(perms: Permissions, inventory: Inventory | Callable[[], Inventory] | None = None) -> list[Escalation]:
    """Every method by which the principal (or a holder of the policy) could make itself admin.

    Empty for a principal that is already an administrator, conditionally or not. ``inventory`` may be a
    function giving it, called only when some method's actions are within reach.
    """
    candidates = _possible_methods(perms)
    if not candidates or perms.is_admin:
        return []
    if callable(inventory):
        inventory = inventory()
    found = []
    for method in candidates:
        escalation = _apply(perms, method, inventory)
        if escalation is not None:
            found.append(escalation)
    return found


def blocked(perms: Permissions) -> list[tuple[Method, str]]:
    """Methods the identity policies alone would allow that a Deny or the boundary takes away, with why."""
    found = []
    for method, masks in _method_masks(perms.catalogue):
        if perms.principal.kind not in method.holders or (method.only_with_boundary and perms.boundary is None):
            continue
        if not all(mask & perms.allow_some for mask in masks):
            continue
        for mask in masks:
            if not mask & perms.possibly_allowed:
                action = perms.catalogue.names_of(mask & perms.allow_some)[0]
                found.append((method, f"{action}: {perms.decide(action).reason}"))
                break
    return found
