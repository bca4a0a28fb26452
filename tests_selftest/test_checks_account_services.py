"""Self-tests for the account-level service checks: IAM Access Analyzer."""

from __future__ import annotations

from iam_compliance.collection.aws import CollectOptions
from tests_selftest.regional_audit import audit_failing_region

FIVE_REGIONS = CollectOptions(service_activity=False,
                              regions=("ap-south-1", "eu-central-1", "eu-west-1", "us-east-1", "us-west-2"))


def test_access_analyzer_enabled(aws, audit):
    aws.access_analyzer("us-east-1", "external-access")
    aws.access_analyzer("eu-west-1", "org-external", type="ORGANIZATION")
    aws.access_analyzer("eu-central-1", "unused-access", type="ACCOUNT_UNUSED_ACCESS")
    aws.access_analyzer("ap-south-1", "switched-off", status="DISABLED")
    result = audit("access_analyzer_enabled", options=FIVE_REGIONS)
    assert result.entities("access_analyzer_enabled") == ["ap-south-1", "eu-central-1", "eu-west-1", "us-east-1", "us-west-2"]
    assert result.outcome("access_analyzer_enabled", "us-east-1") == "passed"
    assert result.outcome("access_analyzer_enabled", "eu-west-1") == "passed"
    assert result.outcome("access_analyzer_enabled", "eu-central-1") == "failed"
    assert result.message("access_analyzer_enabled", "eu-central-1") == (
        "Region eu-central-1 has no active external access analyzer (ACCOUNT or ORGANIZATION type); it has only "
        "unused-access (ACCOUNT_UNUSED_ACCESS, ACTIVE), so resources shared outside the account there go unnoticed.\n"
        "Fix: aws accessanalyzer create-analyzer --analyzer-name external-access --type ACCOUNT --region eu-central-1"
    )
    assert result.outcome("access_analyzer_enabled", "ap-south-1") == "failed"
    assert "it has only switched-off (ACCOUNT, DISABLED)" in result.message("access_analyzer_enabled", "ap-south-1")
    assert result.outcome("access_analyzer_enabled", "us-west-2") == "failed"
    assert result.message("access_analyzer_enabled", "us-west-2").startswith(
        "Region us-west-2 has no active external access analyzer (ACCOUNT or ORGANIZATION type); "
        "it has no analyzer at all,"
    )


def test_access_analyzer_enabled_errors_only_in_the_failed_region(aws, pytester, tmp_path):
    aws.access_analyzer("us-east-1", "external-access")
    aws.access_analyzer("eu-west-1", "external-access")
    result = audit_failing_region(pytester, tmp_path, ["access_analyzer_enabled"], "eu-west-1", "ListAnalyzers")
    assert result.outcome("access_analyzer_enabled", "us-east-1") == "passed"
    assert result.outcome("access_analyzer_enabled", "eu-west-1") == "error"
    assert result.message("access_analyzer_enabled", "eu-west-1") == (
        "Data source 'access_analyzers' could not be read in region eu-west-1: AccessDenied: "
        "not authorized to perform ListAnalyzers in eu-west-1"
    )


def test_access_analyzer_enabled_errors_everywhere_when_regions_cannot_be_listed(aws, audit):
    aws.access_analyzer("us-east-1", "external-access")
    every_enabled_region = CollectOptions(service_activity=False)
    result = audit("access_analyzer_enabled", options=every_enabled_region,
                   failures={"DescribeRegions": "UnauthorizedOperation"})
    assert result.entities("access_analyzer_enabled") == ["unavailable"]
    assert result.outcome("access_analyzer_enabled", "unavailable") == "error"
    assert result.message("access_analyzer_enabled", "unavailable").startswith(
        "Could not list audited regions. Data source 'access_analyzers' could not be read: DependencyUnavailable: "
        "this source reads the regions of the 'regions' source, which could not be read (UnauthorizedOperation: "
    )


# IAM wants at least 1,000 characters of metadata.
SAML_METADATA = ('<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="corp">'
                 f"<!--{' ' * 1000}--></EntityDescriptor>")


def test_iam_users_managed_centrally(aws, audit):
    aws.user("alice", password=True)
    aws.user("break-glass-1", password=True)
    aws.user("ci-bot")
    without_federation = audit("iam_users_managed_centrally")
    assert without_federation.outcome("iam_users_managed_centrally", "123456789012") == "passed"
    aws.iam.create_saml_provider(Name="corp-idp", SAMLMetadataDocument=SAML_METADATA)
    allowed = ["--set", "users.console_users_allowed=[break-glass-*]"]
    result = audit("iam_users_managed_centrally", args=allowed)
    assert result.outcome("iam_users_managed_centrally", "123456789012") == "failed"
    assert result.message("iam_users_managed_centrally", "123456789012").startswith(
        "Account 123456789012 federates people through SAML provider corp-idp, yet 1 IAM user still signs in with "
        "a console password: alice (allowed break-glass users: break-glass-*).\nFix: "
    )
    aws.iam.delete_login_profile(UserName="alice")
    only_break_glass = audit("iam_users_managed_centrally", args=allowed)
    assert only_break_glass.outcome("iam_users_managed_centrally", "123456789012") == "passed"


def test_iam_users_managed_centrally_counts_identity_center(aws, audit):
    aws.role("AWSReservedSSO_Admin_0123456789abcdef", path="/aws-reserved/sso.amazonaws.com/eu-west-1/")
    aws.user("alice", password=True)
    aws.user("bob", password=True)
    result = audit("iam_users_managed_centrally")
    assert result.message("iam_users_managed_centrally", "123456789012").startswith(
        "Account 123456789012 federates people through IAM Identity Center, yet 2 IAM users still sign in with "
        "a console password: alice, bob (allowed break-glass users: none)."
    )
    denied = audit("iam_users_managed_centrally", failures={"ListSAMLProviders": "AccessDenied"})
    assert denied.outcome("iam_users_managed_centrally", "123456789012") == "error"
    assert "Data source 'saml_providers' could not be read: AccessDenied" in denied.message(
        "iam_users_managed_centrally", "123456789012")


def test_iam_entities_tagged(aws, audit):
    aws.user("tagged", tags={"owner": "platform", "cost-center": ""})
    aws.user("untagged")
    aws.role("wrong-case", tags={"Owner": "data"})
    aws.role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/")
    not_required = audit("iam_entities_tagged")
    assert not_required.outcome("iam_entities_tagged", "user/untagged") == "skipped"
    assert not_required.message("iam_entities_tagged", "user/untagged") == (
        "Not applicable: no tag keys are required (tags.required_keys is empty).")
    result = audit("iam_entities_tagged", args=["--set", "tags.required_keys=[owner, cost-center]"])
    assert result.entities("iam_entities_tagged") == ["role/wrong-case", "user/tagged", "user/untagged"]
    assert result.outcome("iam_entities_tagged", "user/tagged") == "passed"
    assert result.outcome("iam_entities_tagged", "user/untagged") == "failed"
    assert result.message("iam_entities_tagged", "user/untagged") == (
        "User untagged lacks the required tags owner, cost-center (it has: no tags).\n"
        "Fix: aws iam tag-user --user-name untagged --tags Key=owner,Value=<value> Key=cost-center,Value=<value>"
    )
    assert result.outcome("iam_entities_tagged", "role/wrong-case") == "failed"
    assert result.message("iam_entities_tagged", "role/wrong-case").startswith(
        "Role wrong-case lacks the required tags owner, cost-center (it has: Owner).")


def test_security_contact_registered(aws, audit):
    missing = audit("security_contact_registered")
    assert missing.outcome("security_contact_registered", "123456789012") == "failed"
    assert missing.message("security_contact_registered", "123456789012") == (
        "Account 123456789012 has no security alternate contact: AWS security notices reach only the root email "
        "address.\nFix: aws account put-alternate-contact --alternate-contact-type SECURITY --name <team> "
        "--title <title> --email-address <security mailbox> --phone-number <phone>"
    )
    aws.regional_client("account", "us-east-1").put_alternate_contact(
        AlternateContactType="SECURITY", Name="Security team", Title="CISO", EmailAddress="security@example.com",
        PhoneNumber="+1 555 0100")
    registered = audit("security_contact_registered")
    assert registered.outcome("security_contact_registered", "123456789012") == "passed"
    assert "security@example.com" not in registered.path.read_text(), "the snapshot keeps no contact details"
    denied = audit("security_contact_registered", failures={"GetAlternateContact": "AccessDeniedException"})
    assert denied.outcome("security_contact_registered", "123456789012") == "error"
