"""Role trust policies: who may assume a role, and whether a condition narrows it where AWS says it should.

Rules (ids are the planned check ids), each judged per Allow statement that lets a principal assume the
role (``sts:AssumeRole``, ``sts:AssumeRoleWithSAML`` or ``sts:AssumeRoleWithWebIdentity``):

- ``role_trust_no_public_principal``: ``"Principal": "*"``, ``{"AWS": "*"}`` or ``NotPrincipal`` with Allow
  trusts every AWS principal in every account unless a condition limits it to known callers
  (``PUBLIC_LIMITING_KEYS``);
- ``role_trust_cross_account_external_id``: a principal of another account (its root, a user or a role)
  without ``sts:ExternalId`` (AWS's defence for third parties) or an organization condition;
- ``role_trust_service_confused_deputy``: a service principal in ``CONFUSED_DEPUTY_SERVICES`` without
  ``aws:SourceAccount``/``aws:SourceArn`` (or ``aws:SourceOrgID``/``aws:SourceOrgPaths``);
- ``role_trust_federated_audience``: SAML federation without ``SAML:aud``; OIDC federation without
  ``<provider>:aud``;
- ``role_trust_github_oidc_subject``: GitHub Actions OIDC (``token.actions.githubusercontent.com``) without a
  ``:sub`` condition, or with a ``sub`` wildcard that leaves the repository owner open (``repo:*``,
  ``repo:*/app:*``, ``*``): any repository on GitHub could then assume the role.

A condition limits only with a positive operator (``StringEquals``, ``StringLike``, ``ArnLike``, ...; not an
``...IfExists`` or ``ForAllValues`` one, which hold when the key is absent) and, for a ``...Like`` operator, values
that pin known callers: no wildcard in an account, organization or external id, an ARN pattern with a literal
account (``arn:aws:iam::*:role/x`` is a role named x in any account), not just wildcards for other keys; a Deny statement for everyone with the negated operator (``StringNotEquals
aws:PrincipalOrgID``) limits the same way. Service-linked roles are AWS-owned and not judged.

Confused deputy, which services: AWS recommends the source conditions in a role's trust policy for services that
assume the role on behalf of a resource and put ``aws:SourceArn``/``aws:SourceAccount`` in that request, as
documented on each service's "Cross-service confused deputy prevention" page with a trust-policy example. Services
where these keys are not (reliably) present when the role is assumed are left out to avoid false findings:
``ec2.amazonaws.com`` (instance profiles), ``lambda.amazonaws.com`` (execution roles), ``glue``, ``backup``,
``apigateway`` (reported against Prowler's check in prowler-cloud/prowler#2810), ``ecs-tasks`` and ``eks``.
``firehose`` documents ``sts:ExternalId`` instead and is left out too. ``sns.amazonaws.com`` (delivery-status
logging role) is left out: SNS's pages on that role give a permissions policy and no trust-policy condition. A
regional service principal (``logs.eu-west-1.amazonaws.com``, the form CloudWatch Logs destinations use) counts as
its service. Callers may pass their own list (the ``trust.confused_deputy_services`` setting).

Cross-account, which accounts: ``trusted_accounts`` (the ``trust.trusted_accounts`` setting) are accounts the
organisation operates itself; a principal there passes without ``sts:ExternalId``, which only protects against a
third party being tricked into using another customer's role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from iam_compliance.analysis.documents import Condition, Statement, parse_trust_policy
from iam_compliance.analysis.patterns import wildcard_match

PUBLIC = "role_trust_no_public_principal"
CROSS_ACCOUNT = "role_trust_cross_account_external_id"
CONFUSED_DEPUTY = "role_trust_service_confused_deputy"
FEDERATED_AUDIENCE = "role_trust_federated_audience"
GITHUB_SUBJECT = "role_trust_github_oidc_subject"
RULES = (PUBLIC, CROSS_ACCOUNT, CONFUSED_DEPUTY, FEDERATED_AUDIENCE, GITHUB_SUBJECT)

ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
PUBLIC_LIMITING_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:SourceAccount",
    "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths", "sts:ExternalId",
))
CROSS_ACCOUNT_KEYS = frozenset(k.lower() for k in ("sts:ExternalId", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths"))
SOURCE_KEYS = frozenset(k.lower() for k in ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths"))
CONFUSED_DEPUTY_SERVICES = frozenset({
    "config.amazonaws.com",  # AWS Config service role
    "states.amazonaws.com",  # Step Functions state machine role
    "scheduler.amazonaws.com",  # EventBridge Scheduler execution role
    "codebuild.amazonaws.com",  # CodeBuild service role
    "bedrock.amazonaws.com",  # Bedrock service roles (model customization, knowledge bases, agents)
    "personalize.amazonaws.com",
    "iot.amazonaws.com",  # IoT rule actions and Device Defender roles
    "transfer.amazonaws.com",  # Transfer Family user and logging roles
    "datasync.amazonaws.com",
    "ssm.amazonaws.com",  # Systems Manager hybrid activation role
    "logs.amazonaws.com",  # CloudWatch Logs (cross-account subscription delivery)
    "frauddetector.amazonaws.com",
})
GITHUB_OIDC = "token.actions.githubusercontent.com"
_REGIONAL_SERVICE = re.compile(r"([a-z0-9-]+)\.[a-z]{2}(?:-[a-z]+)+-\d+\.(amazonaws\.com(?:\.cn)?)")


@dataclass(frozen=True)
class TrustFinding:
    rule: str
    principal: str  # as written: "AWS arn:aws:iam::444455556666:root", "Service config.amazonaws.com", ...
    statement: Statement
    sentence: str

    def describe(self) -> str:
        return f"{self.sentence} ({self.statement.label}: {self.statement.describe()})"


@dataclass(frozen=True)
class TrustReport:
    role: str
    skipped: str  # why the role is not judged ("" when it is)
    applicable: frozenset[str]  # rules with something to judge in this trust policy
    findings: tuple[TrustFinding, ...]

    def failures(self, rule: str) -> tuple[TrustFinding, ...]:
        return tuple(f for f in self.findings if f.rule == rule)

    def passed(self, rule: str) -> bool | None:
        """True / False, or None when the rule has nothing to judge here."""
        if rule not in self.applicable:
            return None
        return not self.failures(rule)


def _assumes(statement: Statement) -> bool:
    hits = any(wildcard_match(p, a, ignore_case=True) for p in statement.actions for a in ASSUME_ACTIONS)
    return hits != statement.not_action if statement.not_action else hits


def _only_wildcards(value: str) -> bool:
    return not value.strip("*?")


def _limits(condition: Condition, keys: frozenset[str], *, negated: bool) -> bool:
    """A test on one of ``keys`` that narrows (positive operator for Allow, negated for a Deny) to real values."""
    if condition.key.lower() not in keys or condition.base_operator == "Null":
        return False
    if condition.negated != negated:
        return False
    # "...IfExists" holds when the caller leaves the key out, and "ForAllValues" holds for an empty set:
    # neither pins the caller down.
    if condition.if_exists or condition.set_prefix == "ForAllValues":
        return False
    if "Like" not in condition.base_operator:
        return bool(condition.values)
    key = condition.key.lower()
    return bool(condition.values) and all(_pins(key, v) for v in condition.values)


_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})
_ID_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:SourceAccount", "aws:SourceOrgID", "sts:ExternalId"))


def _literal(text: str) -> bool:
    return bool(text) and "*" not in text and "?" not in text


def _pins(key: str, value: str) -> bool:
    """Whether a ``...Like`` value names known callers: an ARN pattern must pin the account (or, for an ARN
    without one such as an S3 bucket's, the resource name); an organization path its organization; an account,
    organization or external id must be literal (``o-*`` or ``1111*`` matches strangers). Other keys: not only
    wildcards."""
    if key in _ID_KEYS:
        return _literal(value)
    if key in _PATH_KEYS:
        return _literal(value.split("/", 1)[0])
    if key in _ARN_KEYS:
        parts = value.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn":
            return False
        if parts[4]:
            return _literal(parts[4])
        return _literal(parts[5].split("/", 1)[0])
    return not _only_wildcards(value)


def _limiting_keys(statement: Statement, denies: list[Statement], keys: frozenset[str]) -> set[str]:
    found = {c.key for c in statement.conditions if _limits(c, keys, negated=False)}
    for deny in denies:
        # A Deny refuses only when all its tests hold; it narrows the trust if they are all "not this caller".
        if deny.conditions and all(_limits(c, keys, negated=True) for c in deny.conditions):
            found |= {c.key for c in deny.conditions}
    return found


def _account_of(value: str) -> str:
    if value.isdigit() and len(value) == 12:
        return value
    parts = value.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else ""


def service_name(value: str) -> str:
    """``logs.amazonaws.com`` for ``logs.eu-west-1.amazonaws.com``; other service principals unchanged (lower case)."""
    value = value.lower()
    regional = _REGIONAL_SERVICE.fullmatch(value)
    return f"{regional.group(1)}.{regional.group(2)}" if regional else value


def provider_host(value: str) -> str:
    """``token.actions.githubusercontent.com`` for an oidc-provider ARN; the value itself for Cognito/Google."""
    return value.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in value else value


def _github_owner_open(value: str) -> bool:
    """Whether a StringLike ``sub`` value leaves the repository owner (org or user) unpinned."""
    if value.startswith("repo:"):
        owner = value[5:].split("/", 1)[0].split(":", 1)[0]
        return not owner or "*" in owner or "?" in owner
    head = value.split(":")[:2]  # custom claim formats: e.g. "repository_owner_id:123:..."
    return len(head) < 2 or any("*" in part or "?" in part or not part for part in head)


def _github_subject(statement: Statement, host: str) -> str:
    """Why the GitHub ``sub`` condition does not pin the repository, or "" when it does."""
    tests = [c for c in statement.conditions if c.key.lower() == f"{host}:sub".lower() and not c.negated]
    subs = [c for c in tests if not c.if_exists and c.set_prefix != "ForAllValues"]
    if not subs and tests:
        return (f"tests {host}:sub only with {', '.join(sorted({c.operator for c in tests}))}, which holds when "
                "the claim is missing, so it does not pin the repository")
    if not subs:
        return f"has no condition on {host}:sub, so any GitHub repository can assume it"
    for condition in subs:
        if "Like" in condition.base_operator:
            open_values = [v for v in condition.values if _github_owner_open(v)]
            if open_values:
                return (f"allows {condition.key} {', '.join(open_values)}, which any "
                        "repository owner on GitHub can match")
    return ""


def evaluate_trust(
    document: Any,
    *,
    role_name: str,
    role_arn: str = "",
    path: str = "/",
    confused_deputy_services: Iterable[str] = CONFUSED_DEPUTY_SERVICES,
    trusted_accounts: Iterable[str] = (),
) -> TrustReport:
    """Judge a role's trust policy against every rule; ``role_arn`` tells this account from others."""
    if path.startswith("/aws-service-role/"):
        return TrustReport(role_name, "a service-linked role: AWS owns its trust policy", frozenset(), ())
    services = frozenset(service_name(s) for s in confused_deputy_services)
    own_account = _account_of(role_arn)
    trusted = frozenset(trusted_accounts)
    trust = parse_trust_policy(document, f"trust policy of role {role_name}")
    denies = [s for s in trust.statements
              if s.effect == "Deny" and _assumes(s) and (("AWS", "*") in s.principals and not s.not_principal)]
    applicable: set[str] = set()
    findings: list[TrustFinding] = []

    def judge(rule: str, statement: Statement, principal: str, keys: frozenset[str], problem: str) -> None:
        applicable.add(rule)
        if not _limiting_keys(statement, denies, keys):
            tried = sorted({c.key for c in statement.conditions if c.key.lower() in keys and not c.negated})
            if tried:  # a test of the right key that does not narrow: say so, or the sentence reads as false
                problem += (f" (its test of {', '.join(tried)} does not narrow it: a wildcard value, or an operator "
                            "that holds when the key is missing)")
            findings.append(TrustFinding(rule, principal, statement, f"Role {role_name} {problem}"))

    for statement in trust.statements:
        if statement.effect != "Allow" or not _assumes(statement):
            continue
        if statement.not_principal:
            judge(PUBLIC, statement, "NotPrincipal", PUBLIC_LIMITING_KEYS,
                  "trusts every principal except those NotPrincipal lists, without a condition limiting who")
            continue
        for kind, value in statement.principals:
            label = f"{kind} {value}"
            if kind == "AWS" and value == "*":
                judge(PUBLIC, statement, label, PUBLIC_LIMITING_KEYS,
                      "trusts any AWS principal in any account, without a condition limiting who "
                      "(aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, sts:ExternalId, ...)")
            elif kind == "AWS" and (account := _account_of(value)) and own_account and account != own_account:
                if account in trusted:
                    applicable.add(CROSS_ACCOUNT)  # an account of the organisation's own (trust.trusted_accounts)
                    continue
                judge(CROSS_ACCOUNT, statement, label, CROSS_ACCOUNT_KEYS,
                      f"trusts {value} in account {account} without sts:ExternalId or an organization condition")
            elif kind == "Service" and service_name(value) in services:
                judge(CONFUSED_DEPUTY, statement, label, SOURCE_KEYS,
                      f"trusts {value} without aws:SourceAccount or aws:SourceArn (cross-service confused deputy)")
            elif kind == "Federated" and (":saml-provider/" in value or "sts:AssumeRoleWithSAML" in statement.actions):
                judge(FEDERATED_AUDIENCE, statement, label, frozenset({"saml:aud"}),
                      f"trusts SAML provider {value} without a SAML:aud condition")
            elif kind == "Federated":
                host = provider_host(value)
                judge(FEDERATED_AUDIENCE, statement, label, frozenset({f"{host}:aud".lower()}),
                      f"trusts OIDC provider {host} without a {host}:aud condition")
                if host.startswith(GITHUB_OIDC):
                    applicable.add(GITHUB_SUBJECT)
                    problem = _github_subject(statement, host)
                    if problem:
                        findings.append(TrustFinding(GITHUB_SUBJECT, label, statement, f"Role {role_name} {problem}"))
    return TrustReport(role_name, "", frozenset(applicable), tuple(findings))
