"""Privilege escalation: each method found when its needs are met and not found when one is missing or scoped away."""

from __future__ import annotations

from typing import Any

import pytest

from iam_compliance.analysis.effective import (
    BOUNDARY, INLINE, MANAGED, Permissions, PolicyInput, PolicySource, PrincipalInfo, permissions, policy_alone,
)
from iam_compliance.analysis.escalation import METHODS, Inventory, escalations

ACCOUNT = "111122223333"
USER = PrincipalInfo("user", "alice", f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT)
ROLE = PrincipalInfo("role", "app", f"arn:aws:iam::{ACCOUNT}:role/app", ACCOUNT)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/target"


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def perms(*statements: dict, who: PrincipalInfo = USER, boundary: dict | None = None) -> Permissions:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    bound = None
    if boundary is not None:
        bound = PolicyInput(PolicySource(BOUNDARY, "cap", f"arn:aws:iam::{ACCOUNT}:policy/cap"), boundary)
    return permissions(who, [PolicyInput(PolicySource(INLINE, "p"), document)], bound)


def found(p: Permissions, inventory: Inventory | None = None) -> set[str]:
    return {e.method.id for e in escalations(p, inventory)}


def passed_to(service: str) -> dict:
    return {"StringEquals": {"iam:PassedToService": service}}


# (method, holder, statements that enable it, statements that almost do)
CASES: list[tuple[str, PrincipalInfo, list[dict], list[dict]]] = [
    ("iam_create_policy_version", USER, [allow("iam:CreatePolicyVersion")], [allow("iam:GetPolicyVersion")]),
    ("iam_set_default_policy_version", USER, [allow("iam:SetDefaultPolicyVersion")], [allow("iam:ListPolicyVersions")]),
    ("iam_attach_user_policy", USER, [allow("iam:AttachUserPolicy", "arn:aws:iam::*:user/${aws:username}")],
     [allow("iam:AttachUserPolicy", f"arn:aws:iam::{ACCOUNT}:user/bob")]),
    ("iam_attach_group_policy", USER, [allow("iam:AttachGroupPolicy")], [allow("iam:DetachGroupPolicy")]),
    ("iam_attach_role_policy", ROLE, [allow("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/app")],
     [allow("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/other-*")]),
    ("iam_put_user_policy", USER, [allow("iam:PutUserPolicy")], [allow("iam:GetUserPolicy")]),
    ("iam_put_group_policy", USER, [allow("iam:PutGroupPolicy")], [allow("iam:DeleteGroupPolicy")]),
    ("iam_put_role_policy", ROLE, [allow("iam:PutRolePolicy")],
     [allow("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/other")]),
    ("iam_add_user_to_group", USER, [allow("iam:AddUserToGroup")], [allow("iam:RemoveUserFromGroup")]),
    ("iam_attach_role_policy_assume", USER, [allow(["iam:AttachRolePolicy", "sts:AssumeRole"], ROLE_ARN)],
     [allow("iam:AttachRolePolicy", ROLE_ARN), allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/else")]),
    ("iam_put_role_policy_assume", USER, [allow(["iam:PutRolePolicy", "sts:AssumeRole"], ROLE_ARN)],
     [allow("iam:PutRolePolicy", ROLE_ARN)]),
    ("iam_create_access_key", USER, [allow("iam:CreateAccessKey", "arn:aws:iam::*:user/*")],
     [allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")]),
    ("iam_create_login_profile", USER, [allow("iam:CreateLoginProfile")],
     [allow("iam:CreateLoginProfile", f"arn:aws:iam::{ACCOUNT}:user/alice")]),
    ("iam_update_login_profile", USER, [allow("iam:UpdateLoginProfile", f"arn:aws:iam::{ACCOUNT}:user/admin")],
     [allow("iam:UpdateLoginProfile", "arn:aws:iam::*:user/${aws:username}")]),
    ("iam_update_assume_role_policy", USER, [allow(["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"])],
     [allow("iam:UpdateAssumeRolePolicy")]),
    ("iam_pass_role_ec2", USER, [allow("iam:PassRole", ROLE_ARN), allow("ec2:RunInstances")],
     [allow("iam:PassRole", ROLE_ARN, Condition=passed_to("lambda.amazonaws.com")), allow("ec2:RunInstances")]),
    ("iam_pass_role_lambda", USER, [allow("iam:PassRole"), allow(["lambda:CreateFunction", "lambda:InvokeFunction"])],
     [allow("iam:PassRole"), allow("lambda:CreateFunction")]),
    ("iam_pass_role_lambda", USER,
     [allow("iam:PassRole", Condition=passed_to("lambda.amazonaws.com")),
      allow(["lambda:CreateFunction", "lambda:CreateEventSourceMapping"])],
     [allow("iam:PassRole", Condition=passed_to("ec2.amazonaws.com")),
      allow(["lambda:CreateFunction", "lambda:CreateEventSourceMapping"])]),
    ("iam_pass_role_glue_dev_endpoint", USER, [allow(["iam:PassRole", "glue:CreateDevEndpoint"])],
     [allow("glue:CreateDevEndpoint")]),
    ("glue_update_dev_endpoint", USER, [allow("glue:UpdateDevEndpoint")], [allow("glue:GetDevEndpoint")]),
    ("iam_pass_role_cloudformation", USER, [allow(["iam:PassRole", "cloudformation:CreateStack"])],
     [allow("iam:PassRole", Condition=passed_to("ec2.amazonaws.com")), allow("cloudformation:CreateStack")]),
    ("iam_pass_role_datapipeline", USER,
     [allow(["iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"])],
     [allow(["iam:PassRole", "datapipeline:CreatePipeline"])]),
    ("iam_pass_role_sagemaker_notebook", USER,
     [allow(["iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"])],
     [allow(["iam:PassRole", "sagemaker:CreateNotebookInstance"])]),
    ("iam_pass_role_codebuild", USER, [allow(["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"])],
     [allow(["codebuild:CreateProject", "codebuild:StartBuild"])]),
    ("iam_pass_role_ecs", USER, [allow(["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"])],
     [allow(["iam:PassRole", "ecs:RegisterTaskDefinition"])]),
    ("lambda_update_function_code", USER, [allow("lambda:UpdateFunctionCode")], [allow("lambda:GetFunction")]),
    ("ssm_send_command", USER, [allow("ssm:SendCommand")], [allow("ssm:ListCommands")]),
    ("ssm_start_session", USER, [allow("ssm:StartSession")], [allow("ssm:TerminateSession")]),
]


@pytest.mark.parametrize("method, holder, enabling, almost", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_method_found_and_not_found(method: str, holder: PrincipalInfo, enabling: list[dict], almost: list[dict]) -> None:
    assert method in found(perms(*enabling, who=holder))
    assert method not in found(perms(*almost, who=holder))


def test_every_method_is_tested_and_well_formed() -> None:
    tested = {case[0] for case in CASES} | {"iam_delete_own_permissions_boundary", "iam_put_own_permissions_boundary"}
    assert {m.id for m in METHODS} == tested
    assert len({m.id for m in METHODS}) == len(METHODS)


def test_boundary_methods_need_a_boundary_and_the_boundary_must_allow_them() -> None:
    broad = {"Version": "2012-10-17", "Statement": [allow(["s3:*", "iam:DeleteUserPermissionsBoundary"])]}
    p = perms(allow(["s3:*", "iam:DeleteUserPermissionsBoundary"]), boundary=broad)
    assert "iam_delete_own_permissions_boundary" in found(p)
    assert "iam_delete_own_permissions_boundary" not in found(perms(allow(["s3:*", "iam:DeleteUserPermissionsBoundary"])))
    narrow = {"Version": "2012-10-17", "Statement": [allow("s3:*")]}
    assert not found(perms(allow(["s3:*", "iam:DeleteUserPermissionsBoundary", "iam:PutUserPolicy"]), boundary=narrow))


def test_iam_star_can_make_itself_admin_but_an_admin_has_no_finding() -> None:
    methods = found(perms(allow("iam:*")))
    assert {"iam_put_user_policy", "iam_attach_user_policy", "iam_create_access_key"} <= methods
    assert found(perms(allow("*"))) == set()
    assert found(perms(allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))) == set()


def test_deny_removes_a_method() -> None:
    assert "iam_put_user_policy" not in found(perms(allow("iam:*"), {"Effect": "Deny", "Action": "iam:Put*", "Resource": "*"}))


def test_findings_name_the_granting_statements_and_conditions() -> None:
    p = perms(allow("iam:PassRole", ROLE_ARN, Sid="Pass"),
              allow("ec2:RunInstances", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))
    (escalation,) = [e for e in escalations(p) if e.method.id == "iam_pass_role_ec2"]
    text = escalation.describe()
    assert "statement 1 (Sid Pass)" in text and ROLE_ARN in text
    assert escalation.conditional_keys == {"aws:RequestedRegion"}


def test_inventory_aims_passrole_at_roles_trusting_the_service() -> None:
    p = perms(allow(["iam:PassRole", "ec2:RunInstances"]))
    assert "iam_pass_role_ec2" in found(p, Inventory(roles={ROLE_ARN: frozenset({"ec2.amazonaws.com"})}))
    assert "iam_pass_role_ec2" not in found(p, Inventory(roles={ROLE_ARN: frozenset({"lambda.amazonaws.com"})}))
    own = f"arn:aws:iam::{ACCOUNT}:policy/mine"
    q = perms(allow("iam:CreatePolicyVersion", own))
    assert "iam_create_policy_version" in found(q, Inventory(own_policies=(own,)))
    assert "iam_create_policy_version" not in found(q, Inventory())


def test_policy_alone() -> None:
    source = PolicySource(MANAGED, "ops", f"arn:aws:iam::{ACCOUNT}:policy/ops", "v1")
    document = {"Version": "2012-10-17", "Statement": [allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")]}
    assert not escalations(policy_alone(document, source, account=ACCOUNT))
    document = {"Version": "2012-10-17", "Statement": [allow(["iam:PutRolePolicy", "iam:PutUserPolicy"])]}
    methods = {e.method.id for e in escalations(policy_alone(document, source, account=ACCOUNT))}
    assert {"iam_put_role_policy", "iam_put_user_policy"} <= methods
