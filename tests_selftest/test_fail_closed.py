"""Fail closed: unreadable data makes the checks that need it ERROR; nothing passes on missing data."""

from __future__ import annotations

import copy

from iam_compliance.simulated.moto_account import Key
from tests_selftest.harness import audit_snapshot, collect_snapshot

CR_CHECK = "user_console_mfa_enabled"  # reads the credential report only
GAAD_CHECK = "user_no_inline_policies"  # reads GetAccountAuthorizationDetails only


def seed(aws):
    aws.user("alice", password=True)
    aws.user("bob", keys=[Key()], inline={"p": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}})
    aws.group("empty")


def test_unreadable_credential_report_errors_its_checks_only(aws, audit):
    seed(aws)
    result = audit(CR_CHECK, GAAD_CHECK, failures={"GenerateCredentialReport": "AccessDenied"})
    for user in ("alice", "bob"):
        assert result.outcome(CR_CHECK, user) == "error"
        message = result.message(CR_CHECK, user)
        assert "Data source 'credential_report' could not be read: AccessDenied" in message
        assert "not authorized to perform: GenerateCredentialReport" in message
        assert "Traceback" not in message
    assert result.outcome(GAAD_CHECK, "alice") == "passed"
    assert result.outcome(GAAD_CHECK, "bob") == "failed"


def test_unlisted_entities_give_one_error_item(aws, audit):
    seed(aws)
    result = audit("group_has_users", failures={"GetAccountAuthorizationDetails": "Throttling"})
    assert result.entities("group_has_users") == ["unavailable"]
    assert result.outcome("group_has_users", "unavailable") == "error"
    assert "Could not list IAM groups" in result.message("group_has_users", "unavailable")
    assert "Throttling" in result.message("group_has_users", "unavailable")


def test_users_are_still_listed_from_the_credential_report_when_gaad_fails(aws, audit):
    seed(aws)
    result = audit(CR_CHECK, GAAD_CHECK, failures={"GetAccountAuthorizationDetails": "AccessDenied"})
    assert result.outcome(CR_CHECK, "alice") == "failed"
    assert result.outcome(GAAD_CHECK, "alice") == "error"


def test_account_without_roles_gives_one_explicit_not_applicable_item(aws, audit):
    seed(aws)
    result = audit("role_no_inline_policies")
    assert result.entities("role_no_inline_policies") == ["none"]
    assert result.outcome("role_no_inline_policies", "none") == "skipped"
    assert result.message("role_no_inline_policies", "none") == (
        "Not applicable: account 123456789012 has no IAM roles (service-linked roles excluded)."
    )


def test_odd_credential_report_value_is_an_error_not_a_pass(aws, pytester, tmp_path):
    seed(aws)
    aws.generate_credential_report()
    doc = collect_snapshot()
    bad = copy.deepcopy(doc)
    for row in bad["sources"]["credential_report"]["data"]["rows"]:
        row["mfa_active"] = "perhaps"
    result = audit_snapshot(pytester, tmp_path, bad, [CR_CHECK])
    assert result.outcome(CR_CHECK, "alice") == "error"
    assert result.message(CR_CHECK, "alice") == (
        "Could not evaluate: Credential report column 'mfa_active' for alice has unexpected value 'perhaps'."
    )


def test_a_source_missing_from_an_old_snapshot_errors(aws, pytester, tmp_path):
    seed(aws)
    aws.generate_credential_report()
    doc = collect_snapshot()
    del doc["sources"]["credential_report"]
    result = audit_snapshot(pytester, tmp_path, doc, [CR_CHECK])
    assert result.outcome(CR_CHECK, "bob") == "error"
    assert "NotCollected" in result.message(CR_CHECK, "bob")


def test_a_crashing_check_is_an_error_not_a_finding(aws, pytester, tmp_path):
    seed(aws)
    aws.generate_credential_report()
    doc = collect_snapshot()
    for user in doc["sources"]["authorization_details"]["data"]["users"]:
        user["UserPolicyList"] = [{"no": "PolicyName"}]  # malformed beyond what the model can read
    result = audit_snapshot(pytester, tmp_path, doc, [GAAD_CHECK])
    assert result.outcome(GAAD_CHECK, "bob") == "error"
    assert "KeyError" in result.message(GAAD_CHECK, "bob")


def test_control_characters_in_aws_errors_never_reach_a_report(aws, pytester, tmp_path):
    """An AWS error message carrying terminal escape codes is recorded, and shown, without them."""
    from botocore.awsrequest import AWSResponse

    from tests_selftest.harness import moto_session
    from iam_compliance.collection.collector import collect
    from tests_selftest.harness import SELFTEST_OPTIONS

    seed(aws)
    aws.generate_credential_report()
    session = moto_session()
    hostile = "Denied\x1b[2J\x1b]0;owned\x07 by\r\npolicy\x00\u202e"

    def respond(model, **_):
        if model.name == "GenerateCredentialReport":
            return AWSResponse("https://iam.amazonaws.com/", 403, {}, None), {
                "Error": {"Code": "Access\x07Denied", "Message": hostile}}
        return None

    session.events.register("before-call.*.*", respond)
    doc = collect(session, SELFTEST_OPTIONS)
    assert doc["sources"]["credential_report"]["error"] == {"code": "Access Denied", "message": "Denied by policy"}
    result = audit_snapshot(pytester, tmp_path, doc, [CR_CHECK])
    message = result.message(CR_CHECK, "alice")
    assert "Denied by policy" in message and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in message)
    findings = (tmp_path / "reports" / "findings.json").read_text()
    assert "\\u001b" not in findings and "\x1b" not in findings
