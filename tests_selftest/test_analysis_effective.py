"""Effective permissions and the administrator verdict on plain documents and on GAAD data."""

from __future__ import annotations

from typing import Any

import pytest

from iam_compliance.analysis.administrators import (
    AWS_OWNED, NOBODY, PEOPLE, WORKLOADS, admin_verdict, role_audience,
)
from iam_compliance.analysis.documents import PolicyDocumentError
from iam_compliance.analysis.effective import (
    BOUNDARY, INLINE, MANAGED, Permissions, PolicyInput, PolicySource, PrincipalInfo, permissions, policy_alone,
)
from iam_compliance.analysis.inputs import principal_permissions
from iam_compliance.model.iam import BadData, Snapshot

ACCOUNT = "111122223333"
ALICE = PrincipalInfo("user", "alice", f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT)
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
POWER_USER = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                                   "organizations:DescribeOrganization", "account:ListRegions"], "Resource": "*"},
]}


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def perms(*documents: dict, boundary: dict | None = None, who: PrincipalInfo = ALICE) -> Permissions:
    inputs = [PolicyInput(PolicySource(INLINE, f"p{i}"), d) for i, d in enumerate(documents, start=1)]
    bound = PolicyInput(PolicySource(BOUNDARY, "cap", f"arn:aws:iam::{ACCOUNT}:policy/cap", "v1"), boundary) \
        if boundary else None
    return permissions(who, inputs, bound)


# --- administrators ------------------------------------------------------------------------------


def test_star_on_star_is_admin_and_names_the_statement() -> None:
    verdict = admin_verdict(perms(doc(allow("*"))))
    assert verdict.is_admin and not verdict.conditional_keys
    assert "inline policy p1, statement 1" in verdict.explanation


def test_power_user_access_is_not_admin() -> None:
    verdict = admin_verdict(perms(POWER_USER))
    assert not verdict.is_admin
    assert "iam actions" in verdict.explanation and "organizations actions" in verdict.explanation


def test_allow_notaction_s3_grants_everything_but_s3() -> None:
    p = perms(doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}))
    assert not admin_verdict(p).is_admin
    assert p.decide("iam:PassRole", "arn:aws:iam::1:role/x").allowed
    assert not p.decide("s3:GetObject", "arn:aws:s3:::b/k").allowed
    # NotAction naming only an unknown action allows every known action.
    assert admin_verdict(perms(doc({"Effect": "Allow", "NotAction": "nosuch:Thing", "Resource": "*"}))).is_admin


def test_deny_of_iam_in_another_policy_cancels_admin() -> None:
    verdict = admin_verdict(perms(doc(allow("*")), doc(deny("iam:*"))))
    assert not verdict.is_admin
    assert "inline policy p2, statement 1" in verdict.explanation and "iam:*" in verdict.explanation


def test_deny_of_passrole_or_of_anything_on_some_resource_cancels_admin() -> None:
    assert not admin_verdict(perms(doc(allow("*"), deny("iam:PassRole")))).is_admin
    verdict = admin_verdict(perms(doc(allow("*"), deny("s3:*", "arn:aws:s3:::audit-logs/*"))))
    assert not verdict.is_admin and "some resources" in verdict.explanation


def test_deny_notaction_denies_everything_else() -> None:
    p = perms(doc(allow("*"), {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}))
    assert not admin_verdict(p).is_admin
    assert p.decide("s3:GetObject", "arn:aws:s3:::b/k").allowed
    assert not p.decide("ec2:RunInstances", "*").allowed


def test_conditional_deny_keeps_admin_with_the_condition_named() -> None:
    force_mfa = deny("*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})
    verdict = admin_verdict(perms(doc(allow("*")), doc(force_mfa)))
    assert verdict.is_admin and verdict.conditional_keys == {"aws:MultiFactorAuthPresent"}
    decision = perms(doc(allow("*")), doc(force_mfa)).decide("iam:CreateUser", "*")
    assert decision.allowed and decision.may_be_denied_under == {"aws:MultiFactorAuthPresent"}


def test_conditional_allow_is_a_conditional_admin() -> None:
    verdict = admin_verdict(perms(doc(allow("*", Condition=MFA))))
    assert verdict.is_admin and verdict.conditional
    assert verdict.conditional_keys == {"aws:MultiFactorAuthPresent"}
    assert "only when conditions on aws:MultiFactorAuthPresent" in verdict.explanation


def test_notresource_is_never_all_resources() -> None:
    p = perms(doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret/*"}))
    assert not admin_verdict(p).is_admin
    assert p.decide("s3:GetObject", "arn:aws:s3:::public/k").allowed
    assert not p.decide("s3:GetObject", "arn:aws:s3:::secret/k").allowed


def test_resource_patterns_matching_every_arn_count_as_all() -> None:
    assert admin_verdict(perms(doc(allow("*", "arn:*")))).is_admin
    assert admin_verdict(perms(doc(allow("*", ["arn:aws:s3:::b", "arn:aws:*:*:*:*"])))).is_admin
    assert not admin_verdict(perms(doc(allow("*", "arn:aws:s3:::*")))).is_admin


def test_statement_by_statement_union_can_make_admin() -> None:
    assert admin_verdict(perms(doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}), doc(allow("s3:*")))).is_admin


def not_resource(action: Any, resource: Any, **extra: Any) -> dict:
    return {"Effect": "Allow", "Action": action, "NotResource": resource, **extra}


def test_resource_and_notresource_together_covering_everything_is_admin() -> None:
    verdict = admin_verdict(perms(doc(allow("*", "arn:aws:s3:::*"), not_resource("*", "arn:aws:s3:::*"))))
    assert verdict.is_admin and not verdict.conditional_keys
    assert "statement 1" in verdict.explanation and "statement 2" in verdict.explanation
    # Across policies, and with a narrower excluded pattern inside a wider granted one.
    assert admin_verdict(perms(doc(not_resource("*", ["arn:aws:s3:::secret/*", "arn:aws:iam::*:user/x"])),
                               doc(allow("*", ["arn:aws:s3:::*", "arn:aws:iam::*:user/*"])))).is_admin
    # Two NotResource statements whose exclusions cannot overlap.
    assert admin_verdict(perms(doc(not_resource("*", "arn:aws:s3:::*"), not_resource("*", "arn:aws:ec2:*")))).is_admin


def test_resource_and_notresource_union_conditions_and_gaps() -> None:
    verdict = admin_verdict(perms(doc(allow("*", "arn:aws:s3:::*", Condition=MFA), not_resource("*", "arn:aws:s3:::*"))))
    assert verdict.is_admin and verdict.conditional_keys == {"aws:MultiFactorAuthPresent"}
    # The granted pattern does not reach every excluded resource, or not for every action: not admin.
    assert not admin_verdict(perms(doc(allow("*", "arn:aws:s3:::a*"), not_resource("*", "arn:aws:s3:::*")))).is_admin
    assert not admin_verdict(perms(doc(allow("s3:*", "arn:aws:s3:::*"), not_resource("*", "arn:aws:s3:::*")))).is_admin
    assert not admin_verdict(perms(doc(not_resource("*", "arn:aws:s3:::*"), not_resource("*", "arn:aws:s3:::b*")))).is_admin
    # A policy variable depends on the holder: no union is claimed from it.
    assert not admin_verdict(perms(doc(allow("*", "arn:aws:iam::*:user/${aws:username}"),
                                       not_resource("*", "arn:aws:iam::*:user/alice")))).is_admin
    # A Deny anywhere still takes it away; a boundary built the same way allows everything.
    assert not admin_verdict(perms(doc(allow("*", "arn:aws:s3:::*"), not_resource("*", "arn:aws:s3:::*"),
                                       deny("s3:DeleteBucket", "arn:aws:s3:::logs")))).is_admin
    assert admin_verdict(perms(doc(allow("*")), boundary=doc(allow("*", "arn:aws:s3:::*"),
                                                             not_resource("*", "arn:aws:s3:::*")))).is_admin


def test_boundary_caps_and_its_deny_applies() -> None:
    assert not admin_verdict(perms(doc(allow("*")), boundary=POWER_USER)).is_admin
    assert admin_verdict(perms(doc(allow("*")), boundary=doc(allow("*")))).is_admin
    assert not admin_verdict(perms(doc(allow("*")), boundary=doc(allow("*"), deny("iam:*")))).is_admin
    # The boundary never grants.
    p = perms(doc(allow("s3:GetObject")), boundary=doc(allow("*")))
    assert not p.decide("iam:PassRole", "*").allowed and p.decide("s3:GetObject", "*").allowed
    # Judged by the same strict rules: a NotAction boundary is not "everything".
    refused = perms(doc(allow("*")), boundary=doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    assert "permissions boundary cap" in refused.decide("iam:PassRole", "*").explain()


def test_decision_explains_the_granting_statement() -> None:
    p = perms(doc(allow("s3:Get*", "arn:aws:s3:::data/*", Sid="Read")))
    decision = p.decide("s3:GetObject", "arn:aws:s3:::data/file")
    assert decision.allowed and decision.unconditional
    assert "inline policy p1, statement 1 (Sid Read)" in decision.explain()
    assert not p.decide("s3:GetObject", "arn:aws:s3:::other/file").allowed


def test_policy_variables_resolve_to_the_principal() -> None:
    p = perms(doc(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")))
    assert p.decide("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/alice").allowed
    assert not p.decide("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/bob").allowed


def test_lowercase_allow_is_an_error_not_a_grant() -> None:
    with pytest.raises(PolicyDocumentError, match="inline policy p1 of user alice"):
        perms(doc({"Effect": "allow", "Action": "*", "Resource": "*"}))


def test_policy_alone() -> None:
    alone = policy_alone(doc(allow("*")), PolicySource(MANAGED, "x", f"arn:aws:iam::{ACCOUNT}:policy/x", "v2"))
    verdict = admin_verdict(alone)
    assert verdict.is_admin and "version v2" in verdict.explanation and verdict.explanation.startswith("the policy")


# --- from GAAD data: groups, default versions, boundaries ----------------------------------------


def snapshot(users: list[dict] = [], groups: list[dict] = [], roles: list[dict] = [],
             policies: list[dict] = []) -> Snapshot:
    data = {"users": users, "groups": groups, "roles": roles, "policies": policies}
    return Snapshot({"account_id": ACCOUNT, "partition": "aws", "caller_arn": f"arn:aws:iam::{ACCOUNT}:user/a",
                     "collected_at": "2026-01-01T00:00:00+00:00",
                     "sources": {"authorization_details": {"status": "ok", "data": data}}})


def managed(name: str, versions: dict[str, dict], default: str) -> dict:
    return {"PolicyName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}", "DefaultVersionId": default,
            "PolicyVersionList": [{"VersionId": v, "IsDefaultVersion": v == default, "Document": d}
                                  for v, d in versions.items()]}


def user(name: str, **detail: Any) -> dict:
    return {"UserName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", **detail}


def test_group_policies_make_members_admins_with_the_group_named() -> None:
    s = snapshot(users=[user("bob", GroupList=["ops"])],
                 groups=[{"GroupName": "ops", "Arn": f"arn:aws:iam::{ACCOUNT}:group/ops",
                          "GroupPolicyList": [{"PolicyName": "all", "PolicyDocument": doc(allow("*", Condition=MFA))}]}])
    verdict = admin_verdict(principal_permissions(s.users["bob"]))
    assert verdict.is_admin and verdict.conditional_keys == {"aws:MultiFactorAuthPresent"}
    assert "inline policy all via group ops" in verdict.explanation


def test_only_the_default_version_applies() -> None:
    policy = managed("legacy", {"v1": doc(allow("*")), "v2": doc(allow("s3:GetObject"))}, default="v2")
    s = snapshot(users=[user("carol", AttachedManagedPolicies=[{"PolicyArn": policy["Arn"]}])], policies=[policy])
    p = principal_permissions(s.users["carol"])
    assert not admin_verdict(p).is_admin
    assert "version v2" in p.decide("s3:GetObject", "*").explain()
    flipped = managed("legacy", {"v1": doc(allow("*")), "v2": doc(allow("s3:GetObject"))}, default="v1")
    s2 = snapshot(users=[user("carol", AttachedManagedPolicies=[{"PolicyArn": policy["Arn"]}])], policies=[flipped])
    assert admin_verdict(principal_permissions(s2.users["carol"])).is_admin


def test_boundary_from_gaad_and_missing_documents() -> None:
    cap = managed("cap", {"v1": POWER_USER}, default="v1")
    s = snapshot(users=[user("dan", UserPolicyList=[{"PolicyName": "all", "PolicyDocument": doc(allow("*"))}],
                             PermissionsBoundary={"PermissionsBoundaryArn": cap["Arn"]})], policies=[cap])
    assert not admin_verdict(principal_permissions(s.users["dan"])).is_admin
    by_arn = snapshot(users=[user("eve", AttachedManagedPolicies=[
        {"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}])])
    assert admin_verdict(principal_permissions(by_arn.users["eve"])).is_admin
    missing = snapshot(users=[user("fay", AttachedManagedPolicies=[{"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/gone"}])])
    with pytest.raises(BadData, match="not in GetAccountAuthorizationDetails"):
        principal_permissions(missing.users["fay"])


# --- who assumes a role --------------------------------------------------------------------------


def trust(*principals: dict, action: str = "sts:AssumeRole") -> dict:
    return doc(*({"Effect": "Allow", "Principal": p, "Action": action} for p in principals))


@pytest.mark.parametrize("document, name, path, expected", [
    (trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), "ops", "/", PEOPLE),
    (trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}), "ops", "/", PEOPLE),
    (trust({"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta"}, action="sts:AssumeRoleWithSAML"), "sso", "/", PEOPLE),
    (trust({"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_1_DO_NOT_DELETE"}, action="sts:AssumeRoleWithSAML"),
     "AWSReservedSSO_Admin_0123", "/aws-reserved/sso.amazonaws.com/", PEOPLE),
    (trust({"Service": "lambda.amazonaws.com"}), "fn", "/", WORKLOADS),
    (trust({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
           action="sts:AssumeRoleWithWebIdentity"), "ci", "/", WORKLOADS),
    (trust({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
           action="sts:AssumeRoleWithWebIdentity"), "irsa", "/", WORKLOADS),
    (trust({"Service": "ec2.amazonaws.com"}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), "mixed", "/", PEOPLE),
    (trust({"Service": "elasticloadbalancing.amazonaws.com"}), "AWSServiceRoleForELB",
     "/aws-service-role/elasticloadbalancing.amazonaws.com/", AWS_OWNED),
    (doc(), "empty", "/", NOBODY),
])
def test_role_audience(document: dict, name: str, path: str, expected: str) -> None:
    assert role_audience(document, name=name, path=path).kind == expected
