"""Role trust policy controls: who may assume a role, and whether a condition narrows it where AWS says it should.

One item per role (service-linked roles excluded: AWS owns their trust policies). The rules are judged per Allow
statement that lets a principal assume the role, by ``iam_compliance.analysis.trust``: a condition counts only
with a positive operator (not ``...IfExists`` or ``ForAllValues``, which hold when the key is absent) and a value
that is not just wildcards, or as a Deny for everyone with the negated operator (``StringNotEquals
aws:PrincipalOrgID``). A role whose trust policy has nothing a rule looks at is not applicable to that rule.
"""

from __future__ import annotations

from typing import Callable

from iam_compliance.analysis.trust import (
    CONFUSED_DEPUTY, CROSS_ACCOUNT, FEDERATED_AUDIENCE, GITHUB_OIDC, GITHUB_SUBJECT, PUBLIC, TrustFinding,
    evaluate_trust, provider_host,
)
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import Role
from iam_compliance.settings import Settings

UPDATE = "aws iam update-assume-role-policy --role-name {name} --policy-document file://trust-policy.json"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"


def _sentence(finding: TrustFinding) -> str:
    """The finding, then the statement as written: its number or Sid, its actions and every condition it has."""
    statement = finding.statement
    label = statement.label[0].upper() + statement.label[1:]
    actions = ", ".join(f'"{a}"' for a in statement.actions)
    action = "NotAction" if statement.not_action else "Action"
    text = f"{finding.sentence}. {label}: {statement.effect} {action} {actions}"
    if statement.conditions:
        text += " with the condition" + ("s " if len(statement.conditions) > 1 else " ")
        text += "; ".join(c.describe() for c in statement.conditions)
    return text + "."


def _judge(role: Role, settings: Settings, rule: str, nothing: str, fix: Callable[[TrustFinding], str]) -> None:
    """Skip, pass or raise the finding of one rule for one role; ``nothing`` says why the rule has nothing to judge."""
    if role.sso_reserved and role.name.startswith("AWSReservedSSO_"):
        not_applicable(f"role {role.name} belongs to IAM Identity Center, which manages its trust policy through "
                       "the permission set.")
    report = evaluate_trust(role.trust_policy, role_name=role.name, role_arn=role.arn, path=role.path,
                            confused_deputy_services=settings.trust.confused_deputy_services,
                            trusted_accounts=settings.trust.trusted_accounts)
    if report.passed(rule) is None:
        not_applicable(f"the trust policy of role {role.name} {nothing}.")
    failures = report.failures(rule)
    if not failures:
        return
    statements = " and ".join(dict.fromkeys(f.statement.label for f in failures))
    raise Finding(
        " ".join(_sentence(f) for f in failures),
        evidence={
            "failing": [{"statement": f.statement.label, "principal": f.principal,
                         "conditions": [c.describe() for c in f.statement.conditions]} for f in failures],
            "trust_policy": role.trust_policy,
        },
        remediation=(f"{UPDATE.format(name=role.name)}, where trust-policy.json is the current trust policy "
                     f"(aws iam get-role --role-name {role.name} --query Role.AssumeRolePolicyDocument) with "
                     f"{statements} given {fix(failures[0])}"),
    )


@control(
    "role_trust_no_public_principal", severity="critical", sources=["authorization_details"],
    headline="Any AWS principal can assume the role",
    refs={"scoutsuite": "iam-assume-role-policy-allows-all"},
    remediation="Replace the \"*\" principal with the accounts or roles that need the role, or add a condition "
                "that limits it, e.g. \"Condition\": {\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-...\"}} "
                "(aws iam update-assume-role-policy).",
)
def test_role_trust_no_public_principal(iam_role: Role, settings: Settings) -> None:
    """Role trust policies do not let any AWS principal assume the role.

    Fails on ``"Principal": "*"``, ``{"AWS": "*"}`` or an Allow with ``NotPrincipal`` unless a condition pins
    the caller down: ``aws:PrincipalOrgID``, ``aws:PrincipalOrgPaths``, ``aws:PrincipalAccount``,
    ``aws:PrincipalArn``, ``aws:SourceAccount``/``aws:SourceArn`` or ``sts:ExternalId``. Other conditions
    (``aws:MultiFactorAuthPresent``, a source IP) still let any account in the world in. Critical, not high:
    anyone with an AWS account who learns the role ARN gets credentials in this account, which is worse than the
    public resource policies Security Hub rates critical (S3.2, S3.3, Lambda.1), because a role hands out
    everything its policies grant rather than one resource.
    """
    _judge(iam_role, settings, PUBLIC, "names no wildcard principal",
           lambda f: "\"Condition\": {\"StringEquals\": {\"aws:PrincipalOrgID\": \"<your organization id, o-...>\"}}, "
                     "or the \"*\" principal replaced with the ARNs of the accounts or roles that need the role")


@control(
    "role_trust_cross_account_external_id", severity="medium", sources=["authorization_details"],
    headline="Another account can assume the role without an external ID",
    refs={"scoutsuite": "iam-assume-role-lacks-external-id-and-mfa",
          "aws-iam-guide": "id_roles_create_for-user_externalid"},
    remediation="Require the external ID the third party gave you, \"Condition\": {\"StringEquals\": "
                "{\"sts:ExternalId\": \"<external id>\"}}, or an organization condition for your own accounts "
                "(aws iam update-assume-role-policy); list accounts you operate in trust.trusted_accounts.",
)
def test_role_trust_cross_account_external_id(iam_role: Role, settings: Settings) -> None:
    """Roles that another AWS account may assume require an external ID or an organization condition.

    A principal of another account (its root or account id, a user or a role) fails without ``sts:ExternalId``
    (AWS's defence against a third party being tricked into using another customer's role: the confused deputy)
    or ``aws:PrincipalOrgID``/``aws:PrincipalOrgPaths``. Accounts in ``trust.trusted_accounts`` (accounts the
    organisation operates) pass without them. Unlike ScoutSuite, MFA does not replace the external ID: a third
    party's automation assumes roles without MFA, and MFA does not tell one of its customers from another.
    Medium: the account is named, so the risk is misuse through that party, not access for anyone.
    """
    _judge(iam_role, settings, CROSS_ACCOUNT, "trusts no principal of another account",
           lambda f: "\"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<the external id the third party "
                     "gave you>\"}}; for an account of your own organization use {\"StringEquals\": "
                     "{\"aws:PrincipalOrgID\": \"<o-...>\"}} or list it in trust.trusted_accounts")


@control(
    "role_trust_service_confused_deputy", severity="medium", sources=["authorization_details"],
    headline="Service trust lacks aws:SourceAccount or aws:SourceArn",
    refs={"prowler": "iam_role_cross_service_confused_deputy_prevention", "aws-iam-guide": "confused-deputy"},
    remediation="Add \"Condition\": {\"StringEquals\": {\"aws:SourceAccount\": \"<this account id>\"}} (or "
                "aws:SourceArn with the resource's ARN) to the statement that trusts the service "
                "(aws iam update-assume-role-policy).",
)
def test_role_trust_service_confused_deputy(iam_role: Role, settings: Settings) -> None:
    """Roles that AWS services assume for a resource limit them with aws:SourceAccount or aws:SourceArn.

    Judged for the service principals in ``trust.confused_deputy_services``: services whose own "cross-service
    confused deputy prevention" documentation puts ``aws:SourceAccount``/``aws:SourceArn`` in the trust policy of
    the role they assume (AWS Config, Step Functions, EventBridge Scheduler, CodeBuild, Bedrock, Personalize, IoT,
    Transfer Family, DataSync, Systems Manager, CloudWatch Logs, Fraud Detector). Without them, another customer
    could get the service to use this role for a resource of theirs. ``aws:SourceOrgID``/``aws:SourceOrgPaths``
    also pass. Prowler judges every service role; services that do not send the keys when they assume a role
    (EC2, Lambda, Glue, Backup, API Gateway, ECS tasks, EKS) are left out here, since a condition there would
    only break the role. Medium, as the attacker needs the role's ARN and the service's cooperation.
    """
    account = iam_role.arn.split(":")[4] if iam_role.arn.count(":") >= 5 else "<this account id>"
    _judge(iam_role, settings, CONFUSED_DEPUTY, "trusts no service that AWS documents source conditions for "
           "(trust.confused_deputy_services)",
           lambda f: f"\"Condition\": {{\"StringEquals\": {{\"aws:SourceAccount\": \"{account}\"}}}} (or "
                     "\"ArnLike\" aws:SourceArn with the ARN of the resource that uses the role), in a statement of "
                     f"its own for {f.principal.split(' ', 1)[1]} if the statement also trusts other services")


def _audience_fix(finding: TrustFinding) -> str:
    provider = finding.principal.split(" ", 1)[1]
    if finding.sentence.endswith("without a SAML:aud condition"):
        return f"\"Condition\": {{\"StringEquals\": {{\"SAML:aud\": \"{SAML_AUDIENCE}\"}}}}"
    host = provider_host(provider)
    audience = "sts.amazonaws.com" if host.startswith(GITHUB_OIDC) else "<your application's client id>"
    return f"\"Condition\": {{\"StringEquals\": {{\"{host}:aud\": \"{audience}\"}}}}"


@control(
    "role_trust_federated_audience", severity="medium", sources=["authorization_details"],
    headline="Federated trust has no audience condition",
    refs={"aws-iam-guide": ("id_roles_create_for-idp_saml", "id_roles_create_for-idp_oidc")},
    remediation="Add an audience condition to the federated statement: \"Condition\": {\"StringEquals\": "
                "{\"SAML:aud\": \"https://signin.aws.amazon.com/saml\"}} for SAML, {\"<provider>:aud\": "
                "\"<client id>\"} for OIDC (aws iam update-assume-role-policy).",
)
def test_role_trust_federated_audience(iam_role: Role, settings: Settings) -> None:
    """Roles assumed through SAML or OIDC federation require an audience condition.

    SAML: ``SAML:aud`` (the AWS sign-in endpoint the assertion is for). OIDC: ``<provider>:aud`` (the client id
    tokens must be issued to; ``sts.amazonaws.com`` for GitHub Actions, the identity pool for Cognito). Without
    it, a token or assertion the identity provider issued for another application can assume the role; for the
    built-in web identity providers (Cognito, Google, Facebook, Amazon) no IAM provider's client list checks it
    either. No open tool checks this; the reference is the IAM User Guide's role-for-federation pages.
    """
    _judge(iam_role, settings, FEDERATED_AUDIENCE, "trusts no SAML or OIDC identity provider", _audience_fix)


@control(
    "role_trust_github_oidc_subject", severity="high", sources=["authorization_details"],
    headline="GitHub Actions trust is not limited to known repositories",
    refs={"aws-iam-guide": "id_roles_create_for-idp_oidc"},
    remediation="Pin the repository in the trust policy: \"Condition\": {\"StringEquals\": "
                "{\"token.actions.githubusercontent.com:sub\": \"repo:<org>/<repo>:ref:refs/heads/main\"}} "
                "(aws iam update-assume-role-policy).",
)
def test_role_trust_github_oidc_subject(iam_role: Role, settings: Settings) -> None:
    """Roles trusting GitHub Actions OIDC are limited to known repositories by a sub condition.

    Fails without a ``token.actions.githubusercontent.com:sub`` condition, or with a ``StringLike`` value that
    leaves the repository owner open (``repo:*``, ``repo:*/app:*``, ``repo:acme*/app:*``, ``*``): every GitHub
    repository's workflows get tokens from the same issuer with the same audience, so any of them could assume
    the role. ``repo:acme/*`` (every repository of one owner) passes. High, one step below a public principal:
    the attacker needs only a GitHub account and the role's ARN, but the token names the attacker's repository in
    CloudTrail. No open tool checks this; the IAM User Guide recommends the ``sub`` condition for GitHub.
    """
    _judge(iam_role, settings, GITHUB_SUBJECT, "does not trust GitHub's OIDC provider",
           lambda f: "\"Condition\": {\"StringEquals\": {\"token.actions.githubusercontent.com:sub\": "
                     "\"repo:<org>/<repo>:ref:refs/heads/main\"}}")
