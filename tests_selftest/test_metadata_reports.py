"""What the reports say about a control, through the real collector and checks in moto: the severity of each
finding (one value for its sentence, its record, JUnit, findings.json and --fail-on) and titles and headlines
with the settings in force."""

from __future__ import annotations

import json

from tests_selftest.harness import Audit, junit_outcomes

ELB = "elb_certificate_not_expiring"
MIN_LENGTH = "password_policy_min_length"


def reports(result: Audit) -> tuple[dict, dict]:
    """findings.json records by entity, and JUnit properties by entity, of the audit's run."""
    folder = result.path.parent / "reports"
    findings = json.loads((folder / "findings.json").read_text())["findings"]
    by_entity = {record["test"].rsplit("[", 1)[-1].rstrip("]"): record for record in findings}
    junit = {key.rsplit("[", 1)[-1].rstrip("]"): props for key, (_, props) in junit_outcomes(folder / "junit.xml").items()}
    return by_entity, junit


def test_expired_load_balancer_certificate_is_high_everywhere_and_fails_fail_on_high(aws, audit):
    expired = aws.server_certificate("legacy-www", expires_in_days=-5)
    soon = aws.server_certificate("soon-www", expires_in_days=10)
    aws.classic_load_balancer("us-east-1", "legacy", {443: expired})
    aws.classic_load_balancer("us-east-1", "shop", {443: soon})
    result = audit(ELB, args=["--fail-on", "high"])
    assert result.outcome(ELB, "us-east-1/legacy-www") == "failed"
    assert result.outcome(ELB, "us-east-1/soon-www") == "failed"
    high, medium = result.item(ELB, "us-east-1/legacy-www"), result.item(ELB, "us-east-1/soon-www")
    assert (high.severity, medium.severity) == ("high", "medium")
    assert "(severity high)" in high.finding and "(severity medium)" in medium.finding
    assert high.evidence is not None and high.evidence["severity"] == "high"
    assert result.exit_code == 1, "an expired certificate is a high finding: --fail-on high must fail the run"
    assert [c.severity for c in result.results.controls()] == ["high"], "the control shows its worst finding"
    findings, junit = reports(result)
    assert findings["us-east-1/legacy-www"]["severity"] == "high"
    assert findings["us-east-1/soon-www"]["severity"] == "medium"
    assert junit["us-east-1/legacy-www"]["severity"] == ["high"], "one severity property, the finding's"
    assert junit["us-east-1/soon-www"]["severity"] == ["medium"]


def test_expiring_but_valid_certificate_stays_medium_below_fail_on_high(aws, audit):
    soon = aws.server_certificate("soon-www", expires_in_days=10)
    aws.classic_load_balancer("us-east-1", "shop", {443: soon})
    result = audit(ELB, args=["--fail-on", "high"])
    assert result.outcome(ELB, "us-east-1/soon-www") == "failed"
    assert result.item(ELB, "us-east-1/soon-www").severity == "medium"
    assert [c.severity for c in result.results.controls()] == ["medium"]
    assert result.exit_code == 0


def test_title_and_headline_state_the_threshold_in_force(aws, audit):
    aws.password_policy(MinimumPasswordLength=10)
    relaxed = audit(MIN_LENGTH, args=["--set", "password_policy.min_length=8"])
    item = relaxed.item(MIN_LENGTH, relaxed.snapshot["account_id"])
    assert item.outcome == "passed"
    assert item.title == "The password policy requires passwords of at least 8 characters."
    assert item.headline == "Password policy allows passwords shorter than 8 characters"
    findings, junit = reports(relaxed)
    assert findings[relaxed.snapshot["account_id"]]["title"] == item.title
    assert junit[relaxed.snapshot["account_id"]]["title"] == [item.title]


def test_default_threshold_in_title_when_nothing_is_overridden(aws, audit):
    aws.password_policy(MinimumPasswordLength=10)
    result = audit(MIN_LENGTH)
    item = result.item(MIN_LENGTH, result.snapshot["account_id"])
    assert item.outcome == "failed"
    assert item.title == "The password policy requires passwords of at least 14 characters."
    assert item.headline == "Password policy allows passwords shorter than 14 characters"
    assert item.finding.startswith(f"Account {result.snapshot['account_id']}'s password policy allows passwords of "
                                   "10 characters; at least 14 is required.")
