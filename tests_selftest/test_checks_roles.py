"""Self-tests for the IAM role checks."""

from iam_compliance.simulated.moto_account.builder import allow, service_trust

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
        "Fix: aws iam delete-role-policy --role-name with-inline --policy-name logs"
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
        "Fix: aws iam delete-role --role-name stale, after detaching its policies "
        "(aws iam list-attached-role-policies --role-name stale)"
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
    assert result.outcome("role_recently_used", "created-at-limit") == "failed"
    assert result.outcome("role_recently_used", "new") == "skipped"
    assert result.message("role_recently_used", "new") == (
        "Not applicable: role new was created 89 days ago, less than roles.inactivity_days (90)."
    )
    assert result.outcome("role_recently_used", SSO_ROLE) == "failed"
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
