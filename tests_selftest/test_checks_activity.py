"""Self-tests for the unused-service-permission checks (users and roles)."""

from __future__ import annotations

from dataclasses import replace

from iam_compliance.simulated.moto_account.builder import allow
from tests_selftest.harness import SELFTEST_OPTIONS
from tests_selftest.test_collect_activity import fast_polling  # noqa: F401 - autouse fixture
from tests_selftest.clock import SECOND, exact_collection_clock  # noqa: F401 - autouse fixture: exact ages

WITH_ACTIVITY = replace(SELFTEST_OPTIONS, service_activity=True)
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
SSO_ROLE = "AWSReservedSSO_ReadOnly_0123456789abcdef"


def test_user_no_unused_service_permissions(aws, audit):
    aws.user("uses-all", age_days=400)
    aws.service_activity("uses-all", {"s3": 1, "ec2": 89})
    aws.user("at-limit", age_days=400)
    aws.service_activity("at-limit", {"s3": 90})
    aws.user("stale", age_days=400)
    aws.service_activity("stale", {"s3": 91, "ec2": None, "sqs": 2})
    aws.user("no-permissions", age_days=400)
    aws.user("created-at-limit", age_days=90)
    aws.service_activity("created-at-limit", {"ec2": None})
    aws.user("new", age_days=89)
    aws.service_activity("new", {"ec2": None})
    result = audit("user_no_unused_service_permissions", options=WITH_ACTIVITY)
    assert result.outcome("user_no_unused_service_permissions", "uses-all") == "passed"
    assert result.outcome("user_no_unused_service_permissions", "at-limit") == "passed"
    assert result.outcome("user_no_unused_service_permissions", "no-permissions") == "passed"
    assert result.outcome("user_no_unused_service_permissions", "stale") == "failed"
    last_s3 = aws.ago(91).date().isoformat()
    assert result.message("user_no_unused_service_permissions", "stale").startswith(
        "User stale is allowed to use 2 services it has not used in the last 90 days: "
        f"ec2 (never used in IAM's tracking period), s3 (last used {last_s3}, 91 days ago).\n"
        "Fix: Remove ec2, s3 from the policies of user stale and its groups; review the evidence with "
        "aws iam get-service-last-accessed-details --job-id $(aws iam generate-service-last-accessed-details "
        "--arn arn:aws:iam::123456789012:user/stale --query JobId --output text)"
    )
    # created exactly 90 days ago: still within the window it is given to use its permissions
    assert result.outcome("user_no_unused_service_permissions", "created-at-limit") == "skipped"
    assert result.outcome("user_no_unused_service_permissions", "new") == "skipped"
    assert result.message("user_no_unused_service_permissions", "new") == (
        "Not applicable: user new was created 89 days ago, within service_activity.unused_days (90); "
        "it has not had that long to use its permissions."
    )


def test_unused_days_and_allowlist_settings(aws, audit):
    aws.user("stale", age_days=400)
    aws.service_activity("stale", {"s3": 40, "ec2": None, "cloudshell": None})
    result = audit("user_no_unused_service_permissions", options=WITH_ACTIVITY,
                   args=["--set", "service_activity.unused_days=30", "--set", "service_activity.allowlist=[EC2]"])
    assert result.outcome("user_no_unused_service_permissions", "stale") == "failed"
    assert result.message("user_no_unused_service_permissions", "stale").startswith(
        "User stale is allowed to use 2 services it has not used in the last 30 days: "
        "cloudshell (never used in IAM's tracking period), s3 (last used"
    )
    allowlisted = audit("user_no_unused_service_permissions", options=WITH_ACTIVITY,
                        args=["--set", "service_activity.allowlist=[ec2, s3, cloudshell]"])
    assert allowlisted.outcome("user_no_unused_service_permissions", "stale") == "passed"


def test_role_no_unused_service_permissions(aws, audit):
    aws.role("busy", age_days=400, inline={"app": allow(["s3:GetObject", "sqs:SendMessage"])})
    aws.service_activity("busy", {"s3": 0, "sqs": 90})
    aws.role("stale", age_days=400)
    aws.service_activity("stale", {"s3": 0, "dynamodb": 91})
    aws.role("created-at-limit", age_days=90)
    aws.service_activity("created-at-limit", {"s3": 90})
    aws.role("new", age_days=10)
    aws.service_activity("new", {"s3": None})
    aws.role(SSO_ROLE, path=SSO_PATH, age_days=400)
    aws.service_activity(SSO_ROLE, {"s3": None})
    aws.role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/", age_days=400)
    result = audit("role_no_unused_service_permissions", options=WITH_ACTIVITY)
    assert result.outcome("role_no_unused_service_permissions", "busy") == "passed"
    assert result.outcome("role_no_unused_service_permissions", "created-at-limit") == "skipped"
    assert result.outcome("role_no_unused_service_permissions", "stale") == "failed"
    assert result.message("role_no_unused_service_permissions", "stale").startswith(
        "Role stale is allowed to use 1 service it has not used in the last 90 days: "
        f"dynamodb (last used {aws.ago(91).date().isoformat()}, 91 days ago).\n"
        "Fix: Remove dynamodb from the policies attached to role stale;"
    )
    assert result.outcome("role_no_unused_service_permissions", "new") == "skipped"
    assert "role new was created 10 days ago" in result.message("role_no_unused_service_permissions", "new")
    assert result.outcome("role_no_unused_service_permissions", SSO_ROLE) == "failed"
    assert "Fix: Remove s3 from the policies of IAM Identity Center permission set ReadOnly (IAM refuses to change " \
        f"role {SSO_ROLE})" in result.message("role_no_unused_service_permissions", SSO_ROLE)
    assert "AWSServiceRoleForSupport" not in result.entities("role_no_unused_service_permissions")
    excluded = audit("role_no_unused_service_permissions", options=WITH_ACTIVITY,
                     args=["--set", "roles.exclude_sso_roles=true"])
    assert excluded.outcome("role_no_unused_service_permissions", SSO_ROLE) == "skipped"
    assert excluded.message("role_no_unused_service_permissions", SSO_ROLE) == (
        f"Not applicable: role {SSO_ROLE} is managed by IAM Identity Center and roles.exclude_sso_roles is true."
    )
    assert excluded.outcome("role_no_unused_service_permissions", "stale") == "failed"


def test_failed_job_errors_only_that_entity(aws, audit):
    aws.user("broken", age_days=400)
    aws.service_activity("broken", failure="The job could not be completed.")
    aws.user("fine", age_days=400)
    aws.service_activity("fine", {"s3": 1})
    aws.role("broken-role", age_days=400)
    aws.service_activity("broken-role", failure="The job could not be completed.")
    aws.role("fine-role", age_days=400)
    result = audit("user_no_unused_service_permissions", "role_no_unused_service_permissions",
                   options=WITH_ACTIVITY)
    assert result.outcome("user_no_unused_service_permissions", "broken") == "error"
    assert result.message("user_no_unused_service_permissions", "broken").startswith(
        "Could not evaluate: Service last accessed for user broken could not be read: JobFailed: "
        "service-last-accessed job "
    )
    assert result.message("user_no_unused_service_permissions", "broken").endswith(
        "failed: The job could not be completed.")
    assert result.outcome("role_no_unused_service_permissions", "broken-role") == "error"
    assert result.outcome("user_no_unused_service_permissions", "fine") == "passed"
    assert result.outcome("role_no_unused_service_permissions", "fine-role") == "passed"


def test_turned_off_collection_skips_both_checks(aws, audit):
    aws.user("stale", age_days=400)
    aws.service_activity("stale", {"s3": None})
    aws.role("stale-role", age_days=400)
    aws.service_activity("stale-role", {"s3": None})
    result = audit("user_no_unused_service_permissions", "role_no_unused_service_permissions",
                   options=SELFTEST_OPTIONS)
    reason = ("Not applicable: service-last-accessed data was not collected in this run (--no-service-activity "
              "or collection.service_activity: false).")
    assert result.outcome("user_no_unused_service_permissions", "stale") == "skipped"
    assert result.message("user_no_unused_service_permissions", "stale") == reason
    assert result.outcome("role_no_unused_service_permissions", "stale-role") == "skipped"
    assert result.message("role_no_unused_service_permissions", "stale-role") == reason


def test_unused_service_boundaries(aws, audit):
    """A service last used exactly 90 days ago (or 90 days - 1 s) is in use; 90 days + 1 s ago is not."""
    for label, offset in (("exact", 0), ("over", SECOND), ("under", -SECOND)):
        aws.user(f"user-{label}", age_days=400)
        aws.service_activity(f"user-{label}", {"s3": 90 + offset})
        aws.role(f"role-{label}", age_days=400)
        aws.service_activity(f"role-{label}", {"s3": 90 + offset})
    aws.user("created-over", age_days=90 + SECOND)
    aws.service_activity("created-over", {"s3": None})
    result = audit("user_no_unused_service_permissions", "role_no_unused_service_permissions", options=WITH_ACTIVITY)
    for label, outcome in (("exact", "passed"), ("over", "failed"), ("under", "passed")):
        assert result.outcome("user_no_unused_service_permissions", f"user-{label}") == outcome, label
        assert result.outcome("role_no_unused_service_permissions", f"role-{label}") == outcome, label
    assert result.outcome("user_no_unused_service_permissions", "created-over") == "failed"
