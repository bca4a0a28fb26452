"""Unit tests of the policy analyzer and the admin definition, on plain policy documents and GAAD data."""

from __future__ import annotations

import pytest

from iam_compliance.analysis.admins import (
    admins, evaluate_admin, is_approved, is_human_role, uncounted_admin_roles, why_not_human,
)
from iam_compliance.model.iam import BadData, Snapshot
from iam_compliance.analysis.policy import (
    AdminRules, PolicyFormatError, admin_grants, deny_all_statement, document_is_admin, full_admin_statements,
    is_all_actions, is_all_resources, service_of_wildcard, service_wildcards, statements, wildcard_match,
)

ACCOUNT = "123456789012"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
DEFAULT = AdminRules()


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def kinds(document: dict) -> list[str]:
    return [grant.kind for grant in admin_grants(document)]


# --- documents -------------------------------------------------------------------------------------


def test_statement_as_a_dict_and_strings_are_normalised():
    parsed = statements({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}})
    assert len(parsed) == 1
    assert parsed[0].actions == ("s3:GetObject",) and parsed[0].resources == ("*",)
    assert kinds({"Statement": allow("*")}) == ["admin"]


def test_action_star_and_star_colon_star_on_star_are_admin():
    assert kinds(doc(allow("*"))) == ["admin"]
    assert kinds(doc(allow("*:*"))) == ["admin"]
    assert kinds(doc(allow(["s3:GetObject", "*"], ["arn:aws:s3:::x", "*"]))) == ["admin"]


def test_service_wildcards_and_substrings_are_not_admin():
    assert kinds(doc(allow("s3:*"))) == []
    assert kinds(doc(allow("IAM:*"))) == []
    assert kinds(doc(allow(["s3:*", "ec2:*", "iam:*"]))) == []
    assert kinds(doc(allow("*", "arn:aws:s3:::bucket/*"))) == []


def test_all_actions_and_service_wildcards_are_exact_element_shapes():
    assert is_all_actions("*") and is_all_actions("*:*") and is_all_actions("**")
    assert not is_all_actions("*:") and not is_all_actions(":*") and not is_all_actions("s3:*")
    assert not is_all_actions("*:Get*")
    assert service_of_wildcard("S3:*") == "s3" and service_of_wildcard("s3*:*") == "s3*"
    assert service_of_wildcard("ec2:Describe*") is None and service_of_wildcard("*:*") is None
    assert service_of_wildcard("s3") is None and service_of_wildcard(":*") is None


def test_resource_patterns_matching_every_arn_count_as_everything():
    assert is_all_resources("*") and is_all_resources("arn:*") and is_all_resources("arn:aws:*")
    assert is_all_resources("arn:aws-us-gov:*:*:*:*")
    assert not is_all_resources("arn:aws:s3:::*") and not is_all_resources("arn:aws:iam::*:user/*")
    assert kinds(doc(allow("*", "arn:*"))) == ["admin"]


def test_not_resource_with_action_star_is_admin():
    statement = {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::payroll/*"}
    assert kinds(doc(statement)) == ["admin"]
    assert kinds(doc({"Effect": "Allow", "Action": "*", "NotResource": "*"})) == []  # excludes every resource


def test_conditioned_statement_is_classified_separately_and_counted_only_when_configured():
    conditioned = doc(allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    assert kinds(conditioned) == ["admin_conditional"]
    assert not document_is_admin(conditioned, DEFAULT)
    assert document_is_admin(conditioned, AdminRules(count_conditional=True))
    assert kinds(doc(allow("*", Condition={}))) == ["admin"]  # an empty Condition restricts nothing


def test_not_action_on_everything_is_admin_notaction_when_configured():
    power_user = doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"})
    assert kinds(power_user) == ["admin_notaction"]
    assert admin_grants(power_user)[0].describe() == "statement 1 allows every action except iam:*, organizations:*"
    assert document_is_admin(power_user, DEFAULT)
    assert not document_is_admin(power_user, AdminRules(notaction_is_admin=False))
    assert kinds(doc({"Effect": "Allow", "NotAction": "*", "Resource": "*"})) == []  # excludes everything
    assert kinds(doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::x"})) == []


def test_deny_statements_grant_nothing_and_deny_all_is_found():
    assert kinds(doc(deny("*"))) == []
    assert deny_all_statement(doc(allow("*"), deny("*:*"))).number == 2
    assert deny_all_statement(doc(deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}}))) is None
    assert deny_all_statement(doc(deny("s3:*"))) is None
    assert deny_all_statement(doc(deny("*", "arn:aws:s3:::x"))) is None
    assert not document_is_admin(doc(allow("*"), deny("*")), DEFAULT)


def test_effect_and_actions_are_case_insensitive():
    assert kinds(doc({"Effect": "allow", "Action": "*", "Resource": "*"})) == ["admin"]
    assert wildcard_match("iam:Pass*", "IAM:PASSROLE")
    assert not wildcard_match("iam:Pass?", "iam:PassRole")
    assert wildcard_match("s3:Get[a]", "s3:Get[a]")  # brackets are literal in IAM


def test_full_admin_statements_include_conditioned_but_not_notaction():
    document = doc(
        allow("*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    )
    found = full_admin_statements(document)
    assert [g.statement.number for g in found] == [1]
    assert found[0].describe() == 'statement 1: Allow Action "*" on Resource "*" under a Condition (IpAddress)'


def test_service_wildcards():
    found = service_wildcards(doc(
        allow(["S3:*", "ec2:Describe*", "kms:**"], Sid="Mixed"),
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        deny("cloudtrail:*"),
        allow("*"),
    ))
    assert [(w.statement.number, w.actions, w.services) for w in found] == [
        (1, ("S3:*", "kms:**"), ("s3", "kms")), (2, ("iam:*",), ("iam",)), (4, ("*",), ("*",)),
    ]
    assert found[0].describe() == "statement 1 (Sid Mixed) allows S3:*, kms:**"
    assert found[1].describe() == "statement 2 allows every action except iam:*"
    assert service_wildcards(doc(allow(["ec2:Describe*", "s3:Get*"]))) == []
    assert service_wildcards(doc({"Effect": "Allow", "NotAction": "*", "Resource": "*"})) == []


def test_empty_statement_list_grants_nothing():
    assert kinds({"Version": "2012-10-17", "Statement": []}) == []


@pytest.mark.parametrize("document, error", [
    ("not a policy", "not a JSON object"),
    ({"Statement": "Allow everything"}, "Statement must be an object or a list"),
    (doc("oops"), "statement 1: not a JSON object"),
    (doc({"Action": "*", "Resource": "*"}), "Effect must be Allow or Deny"),
    (doc(allow(7)), "Action must be a string or a list of strings"),
    (doc(allow(["s3:GetObject", None])), "Action must be a string or a list of strings"),
    (doc({"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}), "exactly one of Action or NotAction"),
    (doc({"Effect": "Allow", "Action": "*"}), "exactly one of Resource or NotResource"),
    (doc(allow("*", Condition="yes")), "Condition must be an object"),
])
def test_malformed_documents_raise_a_clear_error(document, error):
    with pytest.raises(PolicyFormatError, match=error):
        admin_grants(document, "policy p")


# --- principals --------------------------------------------------------------------------------------


def policy(name: str, *versions: dict, default: int = 0, aws: bool = False) -> dict:
    arn = f"arn:aws:iam::{'aws' if aws else ACCOUNT}:policy/{name}"
    return {
        "PolicyName": name, "Arn": arn, "AttachmentCount": 1,
        "PolicyVersionList": [
            {"VersionId": f"v{i + 1}", "IsDefaultVersion": i == default, "Document": document}
            for i, document in enumerate(versions)
        ],
    }


def principal(kind: str, name: str, *, inline: dict = {}, managed: list = (), **extra) -> dict:
    field = {"user": "UserPolicyList", "group": "GroupPolicyList", "role": "RolePolicyList"}[kind]
    return {
        f"{kind.capitalize()}Name": name, "Arn": f"arn:aws:iam::{ACCOUNT}:{kind}/{name}", "Path": "/",
        field: [{"PolicyName": n, "PolicyDocument": d} for n, d in inline.items()],
        "AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in managed],
        **extra,
    }


def trust(**principals) -> dict:
    return {"AssumeRolePolicyDocument": doc({"Effect": "Allow", "Principal": principals, "Action": "sts:AssumeRole"})}


def snapshot(users=(), groups=(), roles=(), policies=(), partition="aws") -> Snapshot:
    data = {"users": list(users), "groups": list(groups), "roles": list(roles), "policies": list(policies)}
    return Snapshot({
        "account_id": ACCOUNT, "partition": partition, "caller_arn": f"arn:aws:iam::{ACCOUNT}:user/auditor",
        "collected_at": "2026-01-01T00:00:00+00:00",
        "sources": {"authorization_details": {"status": "ok", "data": data}},
    })


def boundary(arn: str) -> dict:
    return {"PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}}


def test_administrator_access_by_arn_in_any_partition_even_without_its_document():
    s = snapshot(users=[principal("user", "alice", managed=["arn:aws-us-gov:iam::aws:policy/AdministratorAccess"])])
    verdict = evaluate_admin(s.users["alice"], DEFAULT)
    assert verdict.is_admin
    assert verdict.how() == "AWS-managed policy AdministratorAccess"


def test_user_inherits_group_inline_and_managed_admin_with_reasons():
    legacy = policy("legacy", doc(allow("*")))
    s = snapshot(
        users=[principal("user", "bob", GroupList=["ops", "legacy-users"])],
        groups=[principal("group", "ops", inline={"all": doc(allow("*:*"))}),
                principal("group", "legacy-users", managed=[legacy["Arn"]])],
        policies=[legacy],
    )
    verdict = evaluate_admin(s.users["bob"], DEFAULT)
    assert verdict.is_admin
    assert [r.describe() for r in verdict.reasons] == [
        'inline policy all via group ops (statement 1: Allow Action "*:*" on Resource "*")',
        'managed policy legacy via group legacy-users (statement 1: Allow Action "*" on Resource "*")',
    ]
    assert not evaluate_admin(s.users["bob"], DEFAULT, own_only=True).is_admin
    assert evaluate_admin(s.groups["ops"], DEFAULT).is_admin


def test_roles_are_judged_on_inline_and_attached_policies():
    s = snapshot(roles=[principal("role", "ops", inline={"x": doc(allow("*"))}, **trust(AWS=ACCOUNT)),
                        principal("role", "reader", inline={"x": doc(allow("s3:*"))}, **trust(AWS=ACCOUNT))])
    assert evaluate_admin(s.roles["ops"], DEFAULT).is_admin
    assert not evaluate_admin(s.roles["reader"], DEFAULT).is_admin


def test_only_the_default_version_is_evaluated():
    old_star = policy("was-admin", doc(allow("*")), doc(allow("s3:Get*")), default=1)
    new_star = policy("now-admin", doc(allow("s3:Get*")), doc(allow("*")), default=1)
    s = snapshot(users=[principal("user", "a", managed=[old_star["Arn"]]), principal("user", "b", managed=[new_star["Arn"]])],
                 policies=[old_star, new_star])
    assert not evaluate_admin(s.users["a"], DEFAULT).is_admin
    assert evaluate_admin(s.users["b"], DEFAULT).is_admin


def test_non_admin_permissions_boundary_cancels_and_admin_boundary_does_not():
    narrow = policy("s3-only", doc(allow("s3:*")))
    admin = policy("AdministratorAccess", doc(allow("*")), aws=True)
    s = snapshot(
        users=[principal("user", "bounded", managed=[ADMIN_ARN], **boundary(narrow["Arn"])),
               principal("user", "wide", managed=[ADMIN_ARN], **boundary(ADMIN_ARN))],
        policies=[narrow, admin],
    )
    bounded = evaluate_admin(s.users["bounded"], DEFAULT)
    assert not bounded.is_admin
    assert bounded.cancelled_by == (
        f"its permissions boundary s3-only (arn:aws:iam::{ACCOUNT}:policy/s3-only) does not allow all actions")
    assert evaluate_admin(s.users["wide"], DEFAULT).is_admin


def test_unconditioned_deny_all_cancels_admin_even_from_a_group():
    s = snapshot(
        users=[principal("user", "quarantined", managed=[ADMIN_ARN], GroupList=["locked"]),
               principal("user", "mfa-denied", managed=[ADMIN_ARN], inline={"mfa": doc(deny(
                   "*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))})],
        groups=[principal("group", "locked", inline={"deny-all": doc(deny("*"))})],
    )
    quarantined = evaluate_admin(s.users["quarantined"], DEFAULT, own_only=True)
    assert not quarantined.is_admin
    assert quarantined.cancelled_by == "inline policy deny-all via group locked denies every action on every resource (statement 1)"
    assert evaluate_admin(s.users["mfa-denied"], DEFAULT).is_admin  # a conditioned Deny is ignored


def test_uncounted_grants_are_kept_apart():
    s = snapshot(roles=[principal("role", "cond", inline={"x": doc(allow("*", Condition={"Bool": {"aws:ViaAWSService": "true"}}))},
                                  **trust(AWS=ACCOUNT))])
    verdict = evaluate_admin(s.roles["cond"], DEFAULT)
    assert not verdict.is_admin and [r.kind for r in verdict.uncounted] == ["admin_conditional"]
    assert evaluate_admin(s.roles["cond"], AdminRules(count_conditional=True)).is_admin


def test_missing_policy_or_group_is_bad_data():
    s = snapshot(users=[principal("user", "a", managed=[f"arn:aws:iam::{ACCOUNT}:policy/gone"]),
                        principal("user", "b", GroupList=["ghost"])])
    with pytest.raises(BadData, match="policy/gone, attached to user a, is not in GetAccountAuthorizationDetails"):
        evaluate_admin(s.users["a"], DEFAULT)
    with pytest.raises(BadData, match="User b is listed in group ghost"):
        evaluate_admin(s.users["b"], DEFAULT)


def test_malformed_policy_names_its_owner():
    s = snapshot(users=[principal("user", "a", inline={"broken": doc(allow(5))})])
    with pytest.raises(PolicyFormatError, match="inline policy broken of user a, statement 1: Action must be"):
        evaluate_admin(s.users["a"], DEFAULT)


def test_human_and_machine_roles():
    s = snapshot(roles=[
        principal("role", "slr", Path="/aws-service-role/support.amazonaws.com/", **trust(Service="support.amazonaws.com")),
        principal("role", "lambda", **trust(Service=["lambda.amazonaws.com", "edgelambda.amazonaws.com"])),
        principal("role", "saml", **trust(Federated=f"arn:aws:iam::{ACCOUNT}:saml-provider/idp")),
        principal("role", "cross-account", **trust(AWS="arn:aws:iam::999999999999:root")),
        principal("role", "mixed", **trust(Service="ec2.amazonaws.com", AWS=ACCOUNT)),
        principal("role", "AWSReservedSSO_Admin_0123", Path="/aws-reserved/sso.amazonaws.com/",
                  **trust(Federated=f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_x_DO_NOT_DELETE")),
        principal("role", "anyone", AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})),
    ])
    human = {name for name, role in s.roles.items() if is_human_role(role)}
    assert human == {"saml", "cross-account", "mixed", "AWSReservedSSO_Admin_0123", "anyone"}
    assert why_not_human(s.roles["slr"]) == "a service-linked role"
    assert why_not_human(s.roles["lambda"]) == "assumable only by edgelambda.amazonaws.com, lambda.amazonaws.com"


def test_admin_count_scope():
    s = snapshot(
        users=[principal("user", "alice", managed=[ADMIN_ARN]), principal("user", "reader")],
        roles=[principal("role", "sso-admin", managed=[ADMIN_ARN], **trust(Federated="arn:aws:iam::1:saml-provider/x")),
               principal("role", "lambda-admin", managed=[ADMIN_ARN], **trust(Service="lambda.amazonaws.com"))],
    )
    both = admins(s, DEFAULT, "users_and_human_roles")
    assert [v.principal.name for v in both] == ["alice", "sso-admin"]
    assert uncounted_admin_roles(s, DEFAULT, "users_and_human_roles") == {
        "lambda-admin": "assumable only by lambda.amazonaws.com"}
    assert [v.principal.name for v in admins(s, DEFAULT, "users")] == ["alice"]
    assert set(uncounted_admin_roles(s, DEFAULT, "users")) == {"sso-admin", "lambda-admin"}
    # An unknown admins.scope never reaches the analysis: the settings reject it (test_settings.py).


def test_approved_admins_by_name_glob_kind_or_arn():
    s = snapshot(users=[principal("user", "Alice")], roles=[principal("role", "AWSReservedSSO_Admin_1", **trust(AWS=ACCOUNT))])
    alice, sso = s.users["Alice"], s.roles["AWSReservedSSO_Admin_1"]
    assert is_approved(alice, ["alice"]) == "alice"  # IAM names are case-insensitive
    assert is_approved(alice, ["user/ali*"]) == "user/ali*"
    assert is_approved(alice, [f"arn:aws:iam::{ACCOUNT}:user/Alice"])
    assert is_approved(alice, ["group/alice", "bob"]) == ""
    assert is_approved(sso, ["role/AWSReservedSSO_Admin_*"])
