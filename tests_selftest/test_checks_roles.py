"""Self-tests for the IAM role checks."""

from iam_compliance.simulated.moto_account.builder import allow, service_trust
from tests_selftest.clock import SECOND, exact_collection_clock  # noqa: F401 - autouse fixture: exact ages

SSO_ROLE = "AWSReservedSSO_Admin_0123456789abcdef"
SERVICE_LINKED = "/aws-service-role/support.amazonaws.com/"


def test_role_no_inline_policies(aws, audit):
    aws.role("managed-only", managed=[aws.policy("read", allow("s3:GetObject"))])
    aws.role("with-inline", inline={"logs": allow(["logs:PutLogEvents"]), "s3": allow("s3:GetObject")})
    aws.role("AWSServiceRoleForSupport", trust=service_trust("support.amazonaws.com"), path=SERVICE_LINKED,
             inline={"support": allow("support:*")})
    result = audit("role_no_inline_policies")
    assert result.outcome("role_no_inline_policies", "managed-only") == "passed"
    assert result.outcome("role_no_inline_policies", "with-inline") == "failed"
    assert result.message("role_no_inline_policies", "with-inline").startswith(
        "Role with-inline has 2 inline policies: logs, s3.\n"
        "Fix: Move the permissions of logs, s3 into a customer managed policy attached to the role, then:\n"
        "aws iam delete-role-policy --role-name with-inline --policy-name logs\n"
        "aws iam delete-role-policy --role-name with-inline --policy-name s3"
    )
    assert result.entities("role_no_inline_policies") == ["managed-only", "with-inline"]


def test_role_recently_used(aws, audit):
    aws.role("in-use", age_days=400, last_used_days=3)
    aws.role("used-at-limit", age_days=400, last_used_days=90)
    aws.role("stale", age_days=400, last_used_days=91)
    aws.role("never-used", age_days=120)
    aws.role("untracked", age_days=900)
    aws.role("created-at-limit", age_days=90)
    aws.role("new", age_days=89)
    aws.role(SSO_ROLE, path="/aws-reserved/sso.amazonaws.com/", age_days=400)
    aws.role("AWSServiceRoleForSupport", trust=service_trust("support.amazonaws.com"), path=SERVICE_LINKED)
    result = audit("role_recently_used")
    assert result.outcome("role_recently_used", "in-use") == "passed"
    assert result.outcome("role_recently_used", "used-at-limit") == "passed"
    assert result.outcome("role_recently_used", "stale") == "failed"
    assert result.message("role_recently_used", "stale").startswith(
        f"Role stale was last used 91 days ago on {aws.ago(91).date().isoformat()}; the limit is 90 days.\n"
        "Fix: aws iam delete-role --role-name stale"
    )
    assert result.outcome("role_recently_used", "never-used") == "failed"
    assert result.message("role_recently_used", "never-used").startswith(
        f"Role never-used has never been used since it was created 120 days ago on "
        f"{aws.ago(120).date().isoformat()}; the limit is 90 days."
    )
    assert result.outcome("role_recently_used", "untracked") == "failed"
    assert result.message("role_recently_used", "untracked").startswith(
        "Role untracked has not been used in the last 400 days that IAM tracks "
        f"(created {aws.ago(900).date().isoformat()}); the limit is 90 days."
    )
    # created exactly 90 days ago: within the window, like a role used exactly 90 days ago
    assert result.outcome("role_recently_used", "created-at-limit") == "skipped"
    assert result.outcome("role_recently_used", "new") == "skipped"
    assert result.message("role_recently_used", "new") == (
        f"Not applicable: role new was created 89 days ago on {aws.ago(89).date().isoformat()}, within "
        "roles.inactivity_days (90)."
    )
    assert result.outcome("role_recently_used", SSO_ROLE) == "failed"
    assert result.message("role_recently_used", SSO_ROLE).endswith(
        "Fix: In IAM Identity Center, delete the account assignments (users and groups) in permission set Admin and "
        f"re-provision it to account 123456789012 (role {SSO_ROLE} is created from it; IAM refuses to change "
        "AWSReservedSSO roles)."
    )
    assert "AWSServiceRoleForSupport" not in result.entities("role_recently_used")


def test_role_recently_used_settings(aws, audit):
    aws.role("stale", age_days=400, last_used_days=91)
    aws.role(SSO_ROLE, path="/aws-reserved/sso.amazonaws.com/", age_days=400)
    result = audit("role_recently_used", args=["--set", "roles.inactivity_days=120",
                                               "--set", "roles.exclude_sso_roles=true"])
    assert result.outcome("role_recently_used", "stale") == "passed"
    assert result.outcome("role_recently_used", SSO_ROLE) == "skipped"
    assert result.message("role_recently_used", SSO_ROLE) == (
        f"Not applicable: role {SSO_ROLE} is managed by IAM Identity Center and roles.exclude_sso_roles is true."
    )


def test_role_checks_error_when_authorization_details_fail(aws, audit):
    aws.role("stale", age_days=400, last_used_days=200)
    result = audit("role_recently_used", "role_no_inline_policies",
                   failures={"GetAccountAuthorizationDetails": "AccessDenied"})
    for check_id in ("role_recently_used", "role_no_inline_policies"):
        assert result.outcome(check_id, "unavailable") == "error"
        assert "Data source 'authorization_details' could not be read: AccessDenied" in result.message(
            check_id, "unavailable")


def test_role_recently_used_boundaries(aws, audit):
    """Used or created more than 90 x 24 h ago fails; exactly 90 days, or 90 days - 1 s, is within the window."""
    aws.role("used-exact", age_days=400, last_used_days=90)
    aws.role("used-over", age_days=400, last_used_days=90 + SECOND)
    aws.role("used-under", age_days=400, last_used_days=90 - SECOND)
    aws.role("created-exact", age_days=90)
    aws.role("created-over", age_days=90 + SECOND)
    aws.role("created-under", age_days=90 - SECOND)
    result = audit("role_recently_used")
    assert result.outcome("role_recently_used", "used-exact") == "passed"
    assert result.outcome("role_recently_used", "used-under") == "passed"
    assert result.outcome("role_recently_used", "used-over") == "failed"
    assert result.outcome("role_recently_used", "created-exact") == "skipped"
    assert result.outcome("role_recently_used", "created-under") == "skipped"
    assert result.outcome("role_recently_used", "created-over") == "failed"
    assert result.message("role_recently_used", "created-over").startswith(
        "Role created-over has never been used since it was created 90 days ago")


def test_aws_owned_roles_are_recognised_by_path_and_arn(aws, audit):
    """Identity Center roles (any region's path) fail with the fix in the permission set, never an IAM command."""
    regional_sso = "AWSReservedSSO_ReadOnly_fedcba9876543210"
    aws.role(regional_sso, path="/aws-reserved/sso.amazonaws.com/eu-west-1/", age_days=400,
             inline={"extra": allow("s3:GetObject")})
    aws.role("AWSServiceRoleForSupport", trust=service_trust("support.amazonaws.com"), path=SERVICE_LINKED,
             age_days=400)
    result = audit("role_no_inline_policies", "role_recently_used")
    assert "AWSServiceRoleForSupport" not in result.entities("role_recently_used")
    for check_id in ("role_no_inline_policies", "role_recently_used"):
        assert result.outcome(check_id, regional_sso) == "failed"
        fix = result.item(check_id, regional_sso).remediation
        assert fix.startswith("In IAM Identity Center, ") and "permission set ReadOnly" in fix
        assert "aws iam" not in fix
