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
from iam_compliance.analysis.effective import Permissions
from iam_compliance.analysis.escalation import Inventory, escalations
from iam_compliance.analysis.inputs import principal_permissions
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
