"""Adversarial principal cases: policies written to fool a naive matcher, with the verdict an auditor expects.

Each case is a small set of documents (identity policies with how they are attached, a boundary; for trust a
trust document and role path), the expected verdict and a one-line reason. Admin means "may perform every
action on every resource" after boundary and Denies (possibly only under conditions, which are named).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from iam_compliance.analysis.administrators import admin_verdict
from iam_compliance.analysis.effective import (
    BOUNDARY, INLINE, Permissions, PolicyInput, PolicySource, PrincipalInfo, permissions,
)
from iam_compliance.analysis.escalation import Escalation, Inventory, escalations
from iam_compliance.analysis.inputs import principal_escalations, principal_permissions
from iam_compliance.analysis.trust import (
    CONFUSED_DEPUTY, CROSS_ACCOUNT, FEDERATED_AUDIENCE, GITHUB_SUBJECT, PUBLIC, evaluate_trust,
)
from iam_compliance.model.iam import BadData, Snapshot

ACCOUNT = "111122223333"
OTHER = "444455556666"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def doc(*statements: dict, version: str = "2012-10-17") -> dict:
    return {"Version": version, "Statement": list(statements)}


def allow(action: Any = None, resource: Any = "*", **extra: Any) -> dict:
    found = {"Effect": "Allow", **({} if "NotResource" in extra else {"Resource": resource}), **extra}
    if action is not None:
        found["Action"] = action
    return found


def deny(action: Any = None, resource: Any = "*", **extra: Any) -> dict:
    return {**allow(action, resource, **extra), "Effect": "Deny"}


def allow_not(not_action: Any, resource: Any = "*", **extra: Any) -> dict:
    return allow(None, resource, NotAction=not_action, **extra)


def deny_not(not_action: Any, resource: Any = "*", **extra: Any) -> dict:
    return deny(None, resource, NotAction=not_action, **extra)


# --- building a principal from GAAD-shaped data -------------------------------------------------


@dataclass
class Setup:
    """A user's (or role's) policies: inline documents, customer managed ones, AWS managed ARNs, groups, boundary."""

    inline: list[dict] = field(default_factory=list)
    managed: dict[str, dict] = field(default_factory=dict)  # name -> default version document
    versions: dict[str, tuple[dict[str, dict], str]] = field(default_factory=dict)  # name -> (versions, default)
    aws_managed: list[str] = field(default_factory=list)  # ARNs not in the snapshot's policy list
    groups: dict[str, list[dict]] = field(default_factory=dict)  # group name -> inline documents
    group_managed: dict[str, list[str]] = field(default_factory=dict)  # group name -> managed policy names
    boundary: dict | None = None
    partition: str = "aws"
    role: bool = False


def _policy(partition: str, name: str, versions: dict[str, dict], default: str) -> dict:
    return {"PolicyName": name, "Arn": f"arn:{partition}:iam::{ACCOUNT}:policy/{name}", "DefaultVersionId": default,
            "PolicyVersionList": [{"VersionId": v, "IsDefaultVersion": v == default, "Document": d}
                                  for v, d in versions.items()]}


def build(setup: Setup) -> tuple[Snapshot, Any]:
    p = setup.partition
    arn = f"arn:{p}:iam::{ACCOUNT}:policy/"
    policies = [_policy(p, name, {"v1": d}, "v1") for name, d in setup.managed.items()]
    policies += [_policy(p, name, versions, default) for name, (versions, default) in setup.versions.items()]
    if setup.boundary is not None:
        policies.append(_policy(p, "boundary", {"v1": setup.boundary}, "v1"))
    own_managed = [{"PolicyArn": arn + name} for name in [*setup.managed, *setup.versions]]
    own_managed += [{"PolicyArn": a} for a in setup.aws_managed]
    detail: dict[str, Any] = {"AttachedManagedPolicies": own_managed}
    if setup.boundary is not None:
        detail["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn + "boundary"}
    groups = [{"GroupName": g, "Arn": f"arn:{p}:iam::{ACCOUNT}:group/{g}",
               "GroupPolicyList": [{"PolicyName": f"{g}-{i}", "PolicyDocument": d} for i, d in enumerate(docs)],
               "AttachedManagedPolicies": [{"PolicyArn": arn + n} for n in setup.group_managed.get(g, [])]}
              for g, docs in setup.groups.items()]
    users: list[dict] = []
    roles: list[dict] = []
    if setup.role:
        roles.append({"RoleName": "app", "Path": "/", "Arn": f"arn:{p}:iam::{ACCOUNT}:role/app",
                      "AssumeRolePolicyDocument": doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                       "Action": "sts:AssumeRole"}),
                      "RolePolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": d}
                                         for i, d in enumerate(setup.inline)], **detail})
    else:
        users.append({"UserName": "alice", "Path": "/", "Arn": f"arn:{p}:iam::{ACCOUNT}:user/alice",
                      "GroupList": list(setup.groups),
                      "UserPolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": d}
                                         for i, d in enumerate(setup.inline)], **detail})
    data = {"users": users, "groups": groups, "roles": roles, "policies": policies}
    snapshot = Snapshot({"account_id": ACCOUNT, "partition": p, "caller_arn": f"arn:{p}:iam::{ACCOUNT}:user/a",
                         "collected_at": "2026-01-01T00:00:00+00:00",
                         "sources": {"authorization_details": {"status": "ok", "data": data}}})
    return snapshot, (snapshot.roles["app"] if setup.role else snapshot.users["alice"])


def permissions_of(setup: Setup) -> Permissions:
    return principal_permissions(build(setup)[1])


ADMIN = "admin"  # every action on every resource, no condition
NOT_ADMIN = "not admin"
ERROR = "error"  # the document is invalid: IAM would reject it, the analysis raises


def conditional(*keys: str) -> str:
    return "conditional:" + ",".join(sorted(keys))


def inline(*documents: dict, **more: Any) -> Setup:
    return Setup(inline=list(documents), **more)


GOV_ADMIN = "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"
S3_ONLY = doc(allow("s3:*"))

# (id, setup, expected, reason)
ADMIN_CASES: list[tuple[str, Setup, str, str]] = [
    # --- Action spellings that mean "everything" and ones that do not
    ("star", inline(doc(allow("*"))), ADMIN, "Action * on Resource * is every action on every resource"),
    ("star-colon-star", inline(doc(allow("*:*"))), ADMIN, "*:* matches every service:action"),
    ("star-list", inline(doc(allow(["*"]))), ADMIN, "a one-element list is the same as the string"),
    ("star-colon-question-star", inline(doc(allow("*:?*"))), ADMIN, "every action name has at least one character"),
    ("question-colon-star", inline(doc(allow("?:*"))), NOT_ADMIN, "no service prefix is a single character"),
    ("upper-case-iam", inline(doc(allow("IAM:*"), allow_not("iam:*"))), ADMIN,
     "action names are case-insensitive: IAM:* is iam:*"),
    ("mixed-case-star", inline(doc(allow(["S3:*", "*"]))), ADMIN, "one * in the list is enough"),
    ("iam-star-only", inline(doc(allow("iam:*"))), NOT_ADMIN, "only IAM actions"),
    ("iam-plus-notaction-iam", inline(doc(allow("iam:*"), allow_not("iam:*"))), ADMIN,
     "iam:* and NotAction iam:* together cover every action"),
    ("iam-plus-notaction-iam-two-policies", inline(doc(allow("iam:*")), doc(allow_not("iam:*"))), ADMIN,
     "two inline policies that only together cover every action"),
    ("inline-plus-managed-cover", Setup(inline=[doc(allow("iam:*"))], managed={"rest": doc(allow_not("iam:*"))}), ADMIN,
     "an inline iam:* and a managed NotAction iam:* together cover every action"),
    ("two-colons", inline(doc(allow("*:*:*"))), ERROR, "an action may contain only one colon"),
    ("gov-account-arn-aws-all", inline(doc(allow("*", "arn:aws:*:*:*:*")), partition="aws-us-gov"), NOT_ADMIN,
     "in an aws-us-gov account arn:aws:*:*:*:* matches none of its resources"),
    ("gov-account-arn-gov-all", inline(doc(allow("*", "arn:aws-us-gov:*:*:*:*")), partition="aws-us-gov"), ADMIN,
     "every ARN of the account's own partition"),
    ("gov-account-arn-star", inline(doc(allow("*", "arn:*")), partition="aws-us-gov"), ADMIN, "arn:* in any partition"),
    ("deny-notaction-madeup", inline(doc(allow("*"), deny_not("madeup:*"))), NOT_ADMIN,
     "Deny NotAction of a service that does not exist denies every real action"),
    ("boundary-deny-only", inline(doc(allow("*")), boundary=doc(deny("iam:*"))), NOT_ADMIN,
     "a boundary with no Allow allows nothing"),
    ("no-version", inline({"Statement": [allow("*")]}), ADMIN, "Version may be absent (2008 rules): * is still *"),
    ("empty-action-list", inline(doc(allow([]))), NOT_ADMIN, "an empty Action list allows nothing"),
    ("no-service-prefix", inline(doc(allow("a*"))), ERROR, "an action without a service prefix is invalid"),
    ("many-services-not-all", inline(doc(allow(["ec2:*", "s3:*", "iam:*", "lambda:*", "sts:*"]))), NOT_ADMIN,
     "a long list of services is still not every service"),
    ("star-action-wildcard-middle", inline(doc(allow("*:*Get*"))), NOT_ADMIN, "only actions containing Get"),
    # --- NotAction
    ("notaction-passrole", inline(doc(allow_not("iam:PassRole"))), NOT_ADMIN,
     "every action but iam:PassRole is not every action (near-admin; escalation looks at it)"),
    ("notaction-madeup", inline(doc(allow_not("madeup:*"))), ADMIN,
     "NotAction of a service that does not exist leaves every real action allowed"),
    ("notaction-madeup-action", inline(doc(allow_not("s3:NoSuchAction"))), ADMIN,
     "NotAction of an action s3 does not have excludes nothing real"),
    ("notaction-star", inline(doc(allow_not("*"))), NOT_ADMIN, "NotAction * allows nothing"),
    ("notaction-iam-poweruser", inline(doc(allow_not(["iam:*", "organizations:*", "account:*"]))), NOT_ADMIN,
     "PowerUserAccess shape: IAM, Organizations and Account are excluded"),
    ("notaction-upper-case", inline(doc(allow_not("IAM:*"))), NOT_ADMIN, "NotAction IAM:* excludes IAM (case-insensitive)"),
    ("notaction-empty-list", inline(doc(allow_not([]))), ADMIN,
     "an empty NotAction excludes nothing, so every action is allowed (the conservative reading)"),
    # --- Resources
    ("notresource-one-bucket", inline(doc(allow("*", NotResource="arn:aws:s3:::secret"))), NOT_ADMIN,
     "NotResource of one bucket: not every resource"),
    ("resource-arn-aws-all-fields", inline(doc(allow("*", "arn:aws:*:*:*:*"))), ADMIN,
     "arn:aws:*:*:*:* matches every ARN of the partition"),
    ("resource-arn-star", inline(doc(allow("*", "arn:*"))), ADMIN, "arn:* matches every ARN"),
    ("resource-arn-star-star", inline(doc(allow("*", "arn:*:*"))), ADMIN, "arn:*:* matches every ARN"),
    ("resource-s3-only", inline(doc(allow("*", "arn:aws:s3:::*"))), NOT_ADMIN, "only S3 resources"),
    ("resource-iam-only", inline(doc(allow("*", "arn:aws:iam::*:*"))), NOT_ADMIN, "only IAM resources"),
    ("resource-own-account", inline(doc(allow("*", f"arn:aws:*:*:{ACCOUNT}:*"))), NOT_ADMIN,
     "only resources with this account id in the ARN; S3 buckets carry none"),
    ("resource-variable", inline(doc(allow("*", "arn:aws:iam::*:user/${aws:username}"))), NOT_ADMIN,
     "a policy variable in the resource scopes it to the caller"),
    ("resource-list-with-star", inline(doc(allow("*", ["arn:aws:s3:::b", "*"]))), ADMIN, "one * in the list is enough"),
    ("resource-question", inline(doc(allow("*", "?"))), NOT_ADMIN, "? matches one character, no ARN is that short"),
    ("resource-other-partition", inline(doc(allow("*", "arn:aws-cn:*"))), NOT_ADMIN,
     "only the China partition; the account is in aws"),
    # --- Deny
    ("deny-iam", inline(doc(allow("*"), deny("iam:*"))), NOT_ADMIN, "an unconditional Deny of iam:* takes admin away"),
    ("deny-star-notresource", inline(doc(allow("*"), deny("*", NotResource="arn:aws:s3:::only-bucket/*"))), NOT_ADMIN,
     "Deny * on everything but one bucket's objects"),
    ("deny-notaction-one-service", inline(doc(allow("*"), deny_not("s3:*"))), NOT_ADMIN,
     "Deny NotAction s3:* denies everything except S3"),
    ("deny-madeup", inline(doc(allow("*"), deny("madeup:*"))), ADMIN, "a Deny of a service that does not exist denies nothing"),
    ("deny-notaction-star", inline(doc(allow("*"), deny_not("*"))), ADMIN, "Deny NotAction * denies nothing"),
    ("deny-notresource-star", inline(doc(allow("*"), deny("*", NotResource="*"))), ADMIN,
     "Deny on every resource but * applies to none"),
    ("deny-conditional-mfa", inline(doc(allow("*"), deny("*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))),
     conditional("aws:MultiFactorAuthPresent"), "a Deny under a condition: admin, but may be denied without MFA"),
    ("deny-conditional-region", inline(doc(allow("*"), deny("*", Condition={"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}))),
     conditional("aws:RequestedRegion"), "a region-fence Deny leaves an admin in the allowed region"),
    ("deny-one-action-some-resource", inline(doc(allow("*"), deny("s3:DeleteBucket", "arn:aws:s3:::logs"))), NOT_ADMIN,
     "a Deny on one bucket: not every action on every resource"),
    ("deny-in-other-group", Setup(groups={"admins": [doc(allow("*"))], "fence": [doc(deny("iam:*"))]}), NOT_ADMIN,
     "a Deny in another group applies to the user"),
    ("deny-lowercase-effect", inline(doc(allow("*"), {"Effect": "deny", "Action": "iam:*", "Resource": "*"})), ERROR,
     "Effect deny (lower case) is invalid"),
    # --- Conditions on the Allow
    ("allow-mfa", inline(doc(allow("*", Condition=MFA))), conditional("aws:MultiFactorAuthPresent"),
     "admin only with MFA: still admin, conditional"),
    ("allow-securetransport-false", inline(doc(allow("*", Condition={"Bool": {"aws:SecureTransport": "false"}}))),
     conditional("aws:SecureTransport"), "a condition on the transport limits when, not what"),
    ("allow-iam-conditional-rest-plain", inline(doc(allow("iam:*", Condition=MFA), allow_not("iam:*"))),
     conditional("aws:MultiFactorAuthPresent"), "IAM only with MFA, everything else always: conditional admin"),
    # --- Document validity
    ("effect-lowercase-allow", inline(doc({"Effect": "allow", "Action": "*", "Resource": "*"})), ERROR,
     "Effect allow (lower case) is invalid"),
    ("bad-version", inline(doc(allow("*"), version="2012-10-18")), ERROR, "Version 2012-10-18 does not exist"),
    ("principal-in-identity-policy", inline(doc(allow("*", Principal="*"))), ERROR,
     "an identity policy may not have a Principal"),
    ("statement-single-object", inline({"Version": "2012-10-17", "Statement": allow("*")}), ADMIN,
     "Statement may be a single object"),
    ("duplicate-sids", inline(doc(allow("s3:*", Sid="A"), allow_not("s3:*", Sid="A"))), ADMIN,
     "statements sharing a Sid are still separate statements: neither is dropped, together they cover everything"),
    ("action-and-notaction", inline(doc({"Effect": "Allow", "Action": "*", "NotAction": "iam:*", "Resource": "*"})), ERROR,
     "Action and NotAction together are invalid"),
    ("no-resource", inline(doc({"Effect": "Allow", "Action": "*"})), ERROR, "an identity policy statement needs Resource"),
    ("version-2008", inline(doc(allow("*"), version="2008-10-17")), ADMIN, "the old version is valid and * is *"),
    # --- Boundaries
    ("boundary-s3", inline(doc(allow("*")), boundary=S3_ONLY), NOT_ADMIN, "a boundary allowing only s3:* caps it"),
    ("boundary-star-deny-iam", inline(doc(allow("*")), boundary=doc(allow("*"), deny("iam:*"))), NOT_ADMIN,
     "the boundary's Deny of iam:* applies"),
    ("boundary-notaction-iam", inline(doc(allow("*")), boundary=doc(allow_not("iam:*"))), NOT_ADMIN,
     "a boundary of NotAction iam:* leaves IAM out"),
    ("boundary-star", inline(doc(allow("*")), boundary=doc(allow("*"))), ADMIN, "a boundary allowing * does not cap"),
    ("boundary-star-identity-s3", inline(doc(allow("s3:*")), boundary=doc(allow("*"))), NOT_ADMIN,
     "a boundary grants nothing by itself"),
    ("boundary-mfa", inline(doc(allow("*")), boundary=doc(allow("*", Condition=MFA))), conditional("aws:MultiFactorAuthPresent"),
     "a boundary allowing * only with MFA makes a conditional admin"),
    ("boundary-union", inline(doc(allow("*")), boundary=doc(allow("iam:*"), allow_not("iam:*"))), ADMIN,
     "a boundary whose statements together allow everything does not cap"),
    # --- Groups and managed policies
    ("admin-via-group", Setup(groups={"admins": [doc(allow("*"))]}), ADMIN, "a group's * policy makes its members admins"),
    ("cover-via-two-groups", Setup(groups={"a": [doc(allow("iam:*"))], "b": [doc(allow_not("iam:*"))]}), ADMIN,
     "two groups' policies together cover every action"),
    ("group-managed-admin", Setup(groups={"ops": []}, group_managed={"ops": ["everything"]},
                                  managed={}, versions={"everything": ({"v1": doc(allow("*"))}, "v1")}), ADMIN,
     "a customer managed policy attached to the user's group"),
    ("aws-admin-default-partition", Setup(aws_managed=["arn:aws:iam::aws:policy/AdministratorAccess"]), ADMIN,
     "AWS's AdministratorAccess"),
    ("aws-admin-govcloud", Setup(aws_managed=[GOV_ADMIN], partition="aws-us-gov"), ADMIN,
     "AdministratorAccess in the aws-us-gov partition"),
    ("customer-named-administratoraccess", Setup(managed={"AdministratorAccess": doc(allow("s3:GetObject"))}), NOT_ADMIN,
     "a customer policy named AdministratorAccess is judged by what it grants"),
    ("non-default-version-star", Setup(versions={"legacy": ({"v1": doc(allow("*")), "v2": S3_ONLY}, "v2")}), NOT_ADMIN,
     "only the default version is in force; v1's * does not count"),
    ("default-version-star", Setup(versions={"legacy": ({"v1": S3_ONLY, "v2": doc(allow("*"))}, "v2")}), ADMIN,
     "the default version grants *"),
    ("aws-poweruser", Setup(aws_managed=[], managed={"PowerUserAccess": doc(allow_not(["iam:*", "organizations:*", "account:*"]))}),
     NOT_ADMIN, "PowerUserAccess is not admin"),
    ("role-admin", inline(doc(allow("*")), role=True), ADMIN, "a role with * is an admin"),
    ("role-boundary-caps", inline(doc(allow("*")), role=True, boundary=doc(allow_not("iam:*"))), NOT_ADMIN,
     "the role's boundary leaves IAM out"),
]


def admin_outcome(setup: Setup) -> str:
    try:
        verdict = admin_verdict(permissions_of(setup))
    except BadData:
        return ERROR
    if not verdict.is_admin:
        return NOT_ADMIN
    return conditional(*verdict.conditional_keys) if verdict.conditional_keys else ADMIN


@pytest.mark.parametrize("setup, expected, reason", [c[1:] for c in ADMIN_CASES], ids=[c[0] for c in ADMIN_CASES])
def test_admin_verdict(setup: Setup, expected: str, reason: str) -> None:
    assert admin_outcome(setup) == expected, reason


def test_admin_explanations_are_readable() -> None:
    for name, setup, expected, _ in ADMIN_CASES:
        if expected == ERROR:
            continue
        text = admin_verdict(permissions_of(setup)).explanation
        assert "policy-holder" not in text and "None" not in text and "\x00" not in text, name


# --- escalation ---------------------------------------------------------------------------------

USER = PrincipalInfo("user", "alice", f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT)
ROLE = PrincipalInfo("role", "app", f"arn:aws:iam::{ACCOUNT}:role/app", ACCOUNT)
TARGET = f"arn:aws:iam::{ACCOUNT}:role/target"
EC2_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ec2-admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
OWN_POLICY = f"arn:aws:iam::{ACCOUNT}:policy/mine"
ADMINS_GROUP = f"arn:aws:iam::{ACCOUNT}:group/admins"
RUN = allow("ec2:RunInstances")
ROLES = Inventory(users=(USER.arn, f"arn:aws:iam::{ACCOUNT}:user/bob"), groups=(ADMINS_GROUP,),
                  roles={EC2_ROLE: frozenset({"ec2.amazonaws.com"}), TARGET: frozenset()})


def passed_to(operator: str, service: str) -> dict:
    return {operator: {"iam:PassedToService": service}}


@dataclass
class Esc:
    policies: list[list[dict]]  # each a policy's statements
    who: PrincipalInfo = USER
    boundary: list[dict] | None = None
    inventory: Inventory | None = None


def esc(*statements: dict, **more: Any) -> Esc:
    return Esc([list(statements)], **more)


# (id, setup, expected method ids, reason)
ESCALATION_CASES: list[tuple[str, Esc, set[str], str]] = [
    ("passrole-any-ec2", esc(allow("iam:PassRole"), RUN), {"iam_pass_role_ec2"}, "PassRole on * and RunInstances"),
    ("passrole-lambda-only-plus-ec2", esc(allow("iam:PassRole", Condition=passed_to("StringEquals", "lambda.amazonaws.com")), RUN),
     set(), "the role may only be passed to Lambda, and there is no Lambda permission"),
    ("passrole-stringlike-ec2-star", esc(allow("iam:PassRole", Condition=passed_to("StringLike", "ec2.*")), RUN),
     {"iam_pass_role_ec2"}, "StringLike ec2.* matches ec2.amazonaws.com"),
    ("passrole-stringlike-lambda-star-ec2", esc(allow("iam:PassRole", Condition=passed_to("StringLike", "lambda.*")), RUN),
     set(), "StringLike lambda.* does not match ec2.amazonaws.com"),
    ("passrole-stringnotequals-ec2", esc(allow("iam:PassRole", Condition=passed_to("StringNotEquals", "ec2.amazonaws.com")),
                                         RUN), set(), "passing to every service but EC2, and only EC2 is at hand"),
    ("passrole-service-list", esc(allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": [
        "lambda.amazonaws.com", "ec2.amazonaws.com"]}}), RUN), {"iam_pass_role_ec2"}, "EC2 is one of the listed services"),
    ("passrole-notresource-target", esc(allow("iam:PassRole", NotResource=TARGET), RUN), {"iam_pass_role_ec2"},
     "NotResource of one role still lets it pass any other role"),
    ("passrole-case-insensitive-service", esc(allow("IAM:PASSROLE"), allow("EC2:runinstances")), {"iam_pass_role_ec2"},
     "action names in any case"),
    ("passrole-role-pattern", esc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ec2-*"), RUN),
     {"iam_pass_role_ec2"}, "a role pattern: some role matching it may be passed to EC2"),
    ("passrole-pattern-no-matching-role", esc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/lambda-*"), RUN,
                                              inventory=ROLES),
     set(), "no role of the account matches the pattern and trusts EC2"),
    ("passrole-pattern-matching-role", esc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ec2-*"), RUN,
                                           inventory=ROLES),
     {"iam_pass_role_ec2"}, "ec2-admin matches and trusts EC2"),
    ("passrole-denied-elsewhere", Esc([[allow("iam:PassRole"), RUN], [deny("iam:PassRole")]]), set(),
     "a Deny of iam:PassRole in another policy"),
    ("passrole-boundary-removes-run", esc(allow("iam:PassRole"), RUN, boundary=[allow_not("ec2:RunInstances")]), set(),
     "the boundary does not allow ec2:RunInstances"),
    ("passrole-notaction", esc(allow_not(["iam:*", "organizations:*", "account:*"]), allow("iam:PassRole")),
     {"iam_pass_role_ec2", "iam_pass_role_lambda", "iam_pass_role_glue_dev_endpoint", "glue_update_dev_endpoint",
      "iam_pass_role_cloudformation", "iam_pass_role_datapipeline", "iam_pass_role_sagemaker_notebook",
      "iam_pass_role_codebuild", "iam_pass_role_ecs", "lambda_update_function_code", "ssm_send_command",
      "ssm_start_session"}, "PowerUser plus PassRole: every pass-role and workload method"),
    ("notaction-passrole", esc(allow_not("iam:PassRole")),
     {"iam_create_policy_version", "iam_set_default_policy_version", "iam_attach_user_policy",
      "iam_attach_group_policy", "iam_put_user_policy", "iam_put_group_policy", "iam_add_user_to_group",
      "iam_attach_role_policy_assume", "iam_put_role_policy_assume", "iam_create_access_key",
      "iam_create_login_profile", "iam_update_login_profile", "iam_update_assume_role_policy",
      "glue_update_dev_endpoint", "lambda_update_function_code", "ssm_send_command", "ssm_start_session"},
     "everything but PassRole: not admin, and every method that needs no PassRole"),
    ("create-policy-version-not-attached", esc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/other"),
                                               inventory=Inventory(own_policies=(OWN_POLICY,))),
     set(), "only a policy the principal does not hold: rewriting it gives the principal nothing"),
    ("create-policy-version-attached", esc(allow("iam:CreatePolicyVersion", OWN_POLICY),
                                           inventory=Inventory(own_policies=(OWN_POLICY,))),
     {"iam_create_policy_version"}, "a policy attached to the principal: its new default version applies at once"),
    ("attach-user-policy-harmless-only", esc(allow("iam:AttachUserPolicy", Condition={
        "ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}})),
     set(), "iam:PolicyARN limits the attachment to ReadOnlyAccess"),
    ("attach-user-policy-admin-allowed", esc(allow("iam:AttachUserPolicy", Condition={
        "ArnEquals": {"iam:PolicyARN": ADMIN_POLICY}})),
     {"iam_attach_user_policy"}, "iam:PolicyARN names AdministratorAccess itself"),
    ("attach-user-policy-not-admin", esc(allow("iam:AttachUserPolicy", Condition={
        "ArnNotEquals": {"iam:PolicyARN": ADMIN_POLICY}})),
     {"iam_attach_user_policy"}, "every policy but AdministratorAccess: a policy granting * can still be attached"),
    ("attach-role-policy-harmless", esc(allow("iam:AttachRolePolicy", ROLE.arn, Condition={
        "ArnLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/*ReadOnly*"}}), who=ROLE),
     set(), "the role may attach only read-only policies to itself"),
    ("attach-group-policy-harmless", esc(allow("iam:AttachGroupPolicy", Condition={
        "ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}})), set(),
     "only ReadOnlyAccess may be attached to groups"),
    ("add-self-to-admin-group", esc(allow("iam:AddUserToGroup", ADMINS_GROUP), inventory=ROLES),
     {"iam_add_user_to_group"}, "it may add itself to the admins group"),
    ("create-access-key-self-only", esc(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")), set(),
     "self-service key rotation is not escalation"),
    ("create-access-key-others", esc(allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/*")),
     {"iam_create_access_key"}, "keys for any other user"),
    ("create-access-key-others-inventory", esc(allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/*"),
                                               inventory=ROLES),
     {"iam_create_access_key"}, "bob is another user"),
    ("create-access-key-only-self-inventory", esc(allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/*"),
                                                  inventory=Inventory(users=(USER.arn,))),
     set(), "the only user is the principal itself"),
    ("update-trust-and-assume", esc(allow(["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"], TARGET)),
     {"iam_update_assume_role_policy"}, "rewrite the role's trust and assume it"),
    ("update-trust-and-assume-different-roles", esc(allow("iam:UpdateAssumeRolePolicy", TARGET),
                                                    allow("sts:AssumeRole", EC2_ROLE), inventory=ROLES),
     set(), "the role it can rewrite is not one it can assume"),
    ("put-user-policy-other-user", esc(allow("iam:PutUserPolicy", f"arn:aws:iam::{ACCOUNT}:user/bob")), set(),
     "writing a policy on another user does not raise its own privileges"),
    ("put-user-policy-self-variable", esc(allow("iam:PutUserPolicy", "arn:aws:iam::*:user/${aws:username}")),
     {"iam_put_user_policy"}, "it may write an inline policy on itself"),
    ("iam-mixed-case-put", esc(allow("IAM:putuserpolicy")), {"iam_put_user_policy"}, "action names are case-insensitive"),
    ("deny-iam-put-wildcard", esc(allow("iam:*"), deny("iam:*"), ), set(), "everything in IAM denied"),
    ("ssm-send-command-denied-conditionally", esc(allow("ssm:SendCommand"), deny("ssm:SendCommand", Condition=MFA)),
     {"ssm_send_command"}, "the Deny applies only with MFA: the method stays, under a condition"),
    ("admin-has-none", esc(allow("*")), set(), "an administrator has nothing to escalate to"),
    ("lambda-create-without-invoke", esc(allow(["iam:PassRole", "lambda:CreateFunction"])), set(),
     "a Lambda function that cannot be invoked or triggered does not run"),
    ("role-attach-own-policy", esc(allow("iam:AttachRolePolicy", ROLE.arn), who=ROLE), {"iam_attach_role_policy"},
     "a role attaching any policy to itself"),
    ("role-attach-policy-to-other-role", esc(allow("iam:AttachRolePolicy", TARGET), who=ROLE), set(),
     "attaching to another role it cannot assume"),
    ("boundary-delete-own", esc(allow(["s3:*", "iam:DeleteUserPermissionsBoundary"]),
                                boundary=[allow(["s3:GetObject", "iam:DeleteUserPermissionsBoundary"])]),
     {"iam_delete_own_permissions_boundary"}, "removing its boundary frees its broader identity policies"),
]


def escalation_list(case: Esc) -> list[Escalation]:
    def policy(i: int, statements: list[dict]) -> PolicyInput:
        return PolicyInput(PolicySource(INLINE, f"p{i}"), doc(*statements))

    bound = PolicyInput(PolicySource(BOUNDARY, "cap", f"arn:aws:iam::{ACCOUNT}:policy/cap", "v1"), doc(*case.boundary)) \
        if case.boundary is not None else None
    p = permissions(case.who, [policy(i, s) for i, s in enumerate(case.policies)], bound)
    return escalations(p, case.inventory)


@pytest.mark.parametrize("case, expected, reason", [c[1:] for c in ESCALATION_CASES], ids=[c[0] for c in ESCALATION_CASES])
def test_escalation_methods(case: Esc, expected: set[str], reason: str) -> None:
    assert {e.method.id for e in escalation_list(case)} == expected, reason
    for escalation in escalation_list(case):  # findings name real resources or patterns, never an invented name
        text = escalation.describe()
        assert "escalation-probe" not in text and "ec2-x" not in text and "None" not in text, text


# --- trust --------------------------------------------------------------------------------------

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/r"
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
GH = "token.actions.githubusercontent.com"
EKS = "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
SAML = f"arn:aws:iam::{ACCOUNT}:saml-provider/okta"


def trust(principal: Any, condition: dict | None = None, action: Any = "sts:AssumeRole", *extra: dict,
          not_principal: bool = False) -> dict:
    statement: dict = {"Effect": "Allow", "NotPrincipal" if not_principal else "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return doc(statement, *extra)


def web(principal: str, condition: dict | None = None) -> dict:
    return trust({"Federated": principal}, condition, "sts:AssumeRoleWithWebIdentity")


# (id, rule, trust document, role path, expected: True pass / False fail / None not applicable, reason)
TRUST_CASES: list[tuple[str, str, dict, str, bool | None, str]] = [
    ("aws-star-org", PUBLIC, trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}), "/", True,
     "any principal, but only of the organization"),
    ("star-source-ip", PUBLIC, trust("*", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), "/", False,
     "an IP range does not say which account: anyone calling from there (or through a proxy) may assume it"),
    ("star-no-condition", PUBLIC, trust("*"), "/", False, "Principal * with no condition is public"),
    ("notprincipal-allow", PUBLIC, trust({"AWS": f"arn:aws:iam::{OTHER}:root"}, not_principal=True), "/", False,
     "Allow with NotPrincipal trusts everyone else"),
    ("aws-star-org-wildcard", PUBLIC, trust({"AWS": "*"}, {"StringLike": {"aws:PrincipalOrgID": "o-*"}}), "/", False,
     "o-* matches every organization"),
    ("aws-star-principalarn-any-account", PUBLIC,
     trust({"AWS": "*"}, {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deployer"}}), "/", False,
     "a role named deployer in any account: the account is left open"),
    ("aws-star-principalarn-own-account", PUBLIC,
     trust({"AWS": "*"}, {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}}), "/", True,
     "only roles of this account"),
    ("aws-star-account-like", PUBLIC, trust({"AWS": "*"}, {"StringLike": {"aws:PrincipalAccount": "1111*"}}), "/",
     False, "an account id pattern is not a known account"),
    ("aws-star-org-paths", PUBLIC, trust({"AWS": "*"}, {"ForAnyValue:StringLike": {
        "aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-11111111/*"}}), "/", True, "an OU path of a named organization"),
    ("aws-star-external-id-star", PUBLIC, trust({"AWS": "*"}, {"StringLike": {"sts:ExternalId": "*"}}), "/", False,
     "any external id: still anyone"),
    ("aws-star-mixed-case-key", PUBLIC, trust({"AWS": "*"}, {"StringEquals": {"AWS:PrincipalOrgId": "o-abc123"}}), "/",
     True, "condition keys are case-insensitive"),
    ("aws-star-deny-outside-org", PUBLIC, trust({"AWS": "*"}, None, "sts:AssumeRole",
                                                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                                                 "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}),
     "/", True, "a Deny for everyone outside the organization limits it"),
    ("cross-account-id-string", CROSS_ACCOUNT, trust({"AWS": OTHER}), "/", False,
     "a bare account id is that account's root"),
    ("same-account-root", CROSS_ACCOUNT, trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), "/", None,
     "this account's own root is not cross-account"),
    ("same-account-id-string", CROSS_ACCOUNT, trust({"AWS": ACCOUNT}), "/", None, "this account's id"),
    ("cross-account-external-id", CROSS_ACCOUNT,
     trust({"AWS": f"arn:aws:iam::{OTHER}:root"}, {"StringEquals": {"sts:ExternalId": "7f3c2a"}}), "/", True,
     "sts:ExternalId with StringEquals"),
    ("cross-account-external-id-like-star", CROSS_ACCOUNT,
     trust({"AWS": f"arn:aws:iam::{OTHER}:root"}, {"StringLike": {"sts:ExternalId": "*"}}), "/", False,
     "a wildcard external id accepts any"),
    ("cross-account-external-id-ifexists", CROSS_ACCOUNT,
     trust({"AWS": f"arn:aws:iam::{OTHER}:root"}, {"StringEqualsIfExists": {"sts:ExternalId": "7f3c2a"}}), "/", False,
     "IfExists holds when the caller sends no external id"),
    ("cross-account-mfa-only", CROSS_ACCOUNT,
     trust({"AWS": f"arn:aws:iam::{OTHER}:user/vendor"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}), "/", False,
     "MFA is no external id"),
    ("saml-aud", FEDERATED_AUDIENCE, trust({"Federated": SAML}, {"StringEquals": {
        "SAML:aud": "https://signin.aws.amazon.com/saml"}}, "sts:AssumeRoleWithSAML"), "/", True, "SAML:aud pinned"),
    ("saml-sub-only", FEDERATED_AUDIENCE, trust({"Federated": SAML}, {"StringEquals": {"SAML:sub": "alice"}},
                                                "sts:AssumeRoleWithSAML"), "/", False, "SAML:sub is no audience"),
    ("github-org-star", GITHUB_SUBJECT, web(GITHUB, {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
                                                     "StringLike": {f"{GH}:sub": "repo:acme/*"}}), "/", True,
     "every repository of the acme organization: the owner is pinned"),
    ("github-any-owner", GITHUB_SUBJECT, web(GITHUB, {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
                                                      "StringLike": {f"{GH}:sub": "repo:*/*"}}), "/", False,
     "any owner, any repository"),
    ("github-aud-only-like", GITHUB_SUBJECT, web(GITHUB, {"StringLike": {f"{GH}:aud": "sts.amazonaws.com"}}), "/",
     False, "only the audience is tested: any repository may assume it"),
    ("github-aud-only-like-audience", FEDERATED_AUDIENCE, web(GITHUB, {"StringLike": {f"{GH}:aud": "sts.amazonaws.com"}}),
     "/", True, "the audience is pinned (StringLike on a literal)"),
    ("eks-sub-and-aud", FEDERATED_AUDIENCE, web(f"arn:aws:iam::{ACCOUNT}:oidc-provider/{EKS}", {"StringEquals": {
        f"{EKS}:sub": "system:serviceaccount:default:app", f"{EKS}:aud": "sts.amazonaws.com"}}), "/", True,
     "EKS service account pinned with sub and aud"),
    ("eks-not-github", GITHUB_SUBJECT, web(f"arn:aws:iam::{ACCOUNT}:oidc-provider/{EKS}", {"StringEquals": {
        f"{EKS}:aud": "sts.amazonaws.com"}}), "/", None, "the GitHub rule does not judge EKS"),
    ("service-list-source-account-star", CONFUSED_DEPUTY,
     trust({"Service": ["ec2.amazonaws.com", "config.amazonaws.com"]}, {"StringLike": {"aws:SourceAccount": "*"}}), "/",
     False, "a wildcard SourceAccount does not limit config.amazonaws.com"),
    ("service-source-arn-any-account", CONFUSED_DEPUTY,
     trust({"Service": "config.amazonaws.com"}, {"ArnLike": {"aws:SourceArn": "arn:aws:config:*:*:*"}}), "/", False,
     "a SourceArn pattern with any account does not stop another account's resource"),
    ("service-source-arn-bucket", CONFUSED_DEPUTY,
     trust({"Service": "logs.amazonaws.com"}, {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme-logs/*"}}), "/", True,
     "a named bucket: bucket names are global, the ARN needs no account"),
    ("service-source-arn-own-account", CONFUSED_DEPUTY,
     trust({"Service": "states.amazonaws.com"}, {"ArnLike": {"aws:SourceArn": f"arn:aws:states:*:{ACCOUNT}:*"}}), "/",
     True, "any state machine of this account"),
    ("service-source-account", CONFUSED_DEPUTY,
     trust({"Service": "config.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": ACCOUNT}}), "/", True,
     "this account's resources only"),
    ("service-linked-skipped", PUBLIC, trust("*"), "/aws-service-role/config.amazonaws.com/", None,
     "AWS owns a service-linked role's trust"),
    ("lowercase-action", PUBLIC, trust({"AWS": "*"}, None, "STS:assumerole"), "/", False, "action names in any case"),
    ("sts-star-action", PUBLIC, trust({"AWS": "*"}, None, "sts:*"), "/", False, "sts:* includes AssumeRole"),
    ("notaction-tagsession", PUBLIC, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "NotAction": "sts:TagSession"}]}, "/", False,
     "NotAction TagSession allows AssumeRole"),
]


@pytest.mark.parametrize("rule, document, path, expected, reason", [c[1:] for c in TRUST_CASES],
                         ids=[c[0] for c in TRUST_CASES])
def test_trust_rule(rule: str, document: dict, path: str, expected: bool | None, reason: str) -> None:
    report = evaluate_trust(document, role_name="r", role_arn=ROLE_ARN, path=path)
    assert report.passed(rule) is expected, reason
    for finding in report.findings:
        assert finding.sentence.startswith("Role r ") and "\x00" not in finding.describe()
        tested = {c.key for c in finding.statement.conditions}
        if finding.rule == PUBLIC and tested & {"aws:PrincipalOrgID", "aws:PrincipalArn", "aws:PrincipalAccount"}:
            assert "does not narrow it" in finding.sentence, finding.sentence


# Escalation through the snapshot: the account's own inventory aims the methods (real policies, groups, roles).
SNAPSHOT_ESCALATION_CASES: list[tuple[str, Setup, set[str], str]] = [
    ("snapshot-create-version-not-attached",
     Setup(inline=[doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/other"))],
           managed={"mine": doc(allow("s3:GetObject"))}),
     set(), "the only policy it may rewrite is not attached to it (nor to its groups)"),
    ("snapshot-create-version-attached",
     Setup(inline=[doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/mine"))],
           managed={"mine": doc(allow("s3:GetObject"))}),
     {"iam_create_policy_version"}, "it may rewrite a policy attached to itself"),
    ("snapshot-create-version-group-policy",
     Setup(inline=[doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/team"))],
           groups={"devs": []}, group_managed={"devs": ["team"]}, managed={"team": doc(allow("s3:GetObject"))}),
     {"iam_create_policy_version"}, "a policy attached to its group applies to it too"),
    ("snapshot-put-own-policy", Setup(inline=[doc(allow("iam:PutUserPolicy", "arn:aws:iam::*:user/${aws:username}"))]),
     {"iam_put_user_policy"}, "it may write an inline policy on itself"),
    ("snapshot-put-own-policy-denied-in-group",
     Setup(inline=[doc(allow("iam:PutUserPolicy", "arn:aws:iam::*:user/${aws:username}"))],
           groups={"fence": [doc(deny("iam:Put*"))]}),
     set(), "its group denies iam:Put*"),
]


@pytest.mark.parametrize("setup, expected, reason", [c[1:] for c in SNAPSHOT_ESCALATION_CASES],
                         ids=[c[0] for c in SNAPSHOT_ESCALATION_CASES])
def test_escalation_from_snapshot(setup: Setup, expected: set[str], reason: str) -> None:
    _, principal = build(setup)
    assert {e.method.id for e in principal_escalations(principal)} == expected, reason
