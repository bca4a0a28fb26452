"""Self-tests for the IAM group checks."""

from iam_compliance.simulated.moto_account.builder import allow
from tests_selftest.clock import SECOND, exact_collection_clock  # noqa: F401 - autouse fixture: exact ages



def test_group_checks(aws, audit):
    readonly = aws.aws_policy("ReadOnlyAccess")
    aws.group("staffed", managed=[readonly])
    aws.group("empty", managed=[readonly], inline={"extra": allow("s3:GetObject")})
    aws.group("inline-two", inline={"a": allow("s3:GetObject"), "b": allow("sqs:SendMessage")})
    aws.user("alice", groups=["staffed", "inline-two"])
    result = audit("group_has_users", "group_no_inline_policies")

    assert result.outcome("group_has_users", "staffed") == "passed"
    assert result.outcome("group_has_users", "inline-two") == "passed"
    assert result.outcome("group_has_users", "empty") == "failed"
    assert result.message("group_has_users", "empty").startswith(
        "Group empty has no users; its 1 attached and 1 inline policies grant nothing but remain to be misused."
    )

    assert result.outcome("group_no_inline_policies", "staffed") == "passed"
    assert result.outcome("group_no_inline_policies", "empty") == "failed"
    assert result.message("group_no_inline_policies", "empty").startswith("Group empty has 1 inline policy: extra.")
    assert result.outcome("group_no_inline_policies", "inline-two") == "failed"
    assert result.message("group_no_inline_policies", "inline-two").startswith("Group inline-two has 2 inline policies: a, b.")
    assert "aws iam delete-group-policy --group-name inline-two --policy-name a" in result.message(
        "group_no_inline_policies", "inline-two")

