"""The JUnit contract: every testcase names its check, resource and severity and its compliance
references; failures are findings, errors are items that could not be evaluated, skips are not applicable."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from iam_compliance.controls import FRAMEWORK_TABLE, SEVERITIES
from iam_compliance.simulated.moto_account import Key

ACCOUNT = "123456789012"


def junit_cases(path) -> dict[str, ET.Element]:
    """Testcases by node id (xunit1 writes the module as a dotted class name)."""
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname").replace(".", "/")
        cases[f"{module}.py::{case.get('name')}"] = case
    return cases


def properties(case: ET.Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for prop in case.iter("property"):
        found.setdefault(prop.get("name"), []).append(prop.get("value"))
    return found


def outcome(case: ET.Element) -> str:
    return next((tag for tag in ("failure", "error", "skipped") if case.find(tag) is not None), "passed")


def test_junit_carries_the_contract_on_every_testcase(aws, audit):
    aws.user("compliant", password=True, mfa="virtual", password_last_used_days=1)
    aws.user("no-mfa", password=True, password_last_used_days=1)
    aws.user("machine", keys=[Key(age_days=10, last_used_days=1)])
    aws.group("empty")
    result = audit(failures={"GetAccountPasswordPolicy": "AccessDenied"})
    assert result.outcome("user_console_mfa_enabled", "no-mfa") == "failed"
    assert result.outcome("user_console_mfa_enabled", "compliant") == "passed"
    assert result.outcome("user_console_mfa_enabled", "machine") == "skipped"
    assert result.outcome("password_policy_min_length", ACCOUNT) == "error"

    cases = junit_cases(result.path.parent / "reports" / "junit.xml")
    assert set(cases) == set(result.results.items), "one testcase per check item"
    seen = set()
    for nodeid, case in cases.items():
        props, item = properties(case), result.results.items[nodeid]
        assert props["check_id"] == [item.check_id], nodeid
        assert len(props["resource"]) == 1 and (props["resource"][0].startswith("arn:aws:") or props["resource"] == [ACCOUNT])
        assert len(props["severity"]) == 1 and props["severity"][0] in SEVERITIES, nodeid
        refs = [ref.partition(":") for ref in props.get("compliance", [])]
        assert refs and all(framework in FRAMEWORK_TABLE and requirement for framework, _, requirement in refs), nodeid
        kind = outcome(case)
        seen.add(kind)
        assert kind == {"failed": "failure", "error": "error", "skipped": "skipped", "waived": "skipped"}.get(
            item.outcome, "passed"), nodeid
        assert ("evidence" in props) <= (kind == "failure"), "evidence travels with findings only"
        if kind == "failure":
            assert case.find("failure").get("message").startswith(item.finding.splitlines()[0][:60])
            assert props["remediation"], nodeid
        if kind == "skipped":
            assert case.find("skipped").get("message"), f"{nodeid}: a skip always says why"
    assert seen == {"passed", "failure", "error", "skipped"}

    finding = cases["checks/test_users.py::test_user_console_mfa_enabled[no-mfa]"]
    assert "User no-mfa can sign in to the console with a password but has no MFA device" in (
        finding.find("failure").get("message"))
    assert json.loads(properties(finding)["evidence"][0]) == {"mfa_active": False, "password_enabled": True}
    assert properties(finding)["resource"] == [f"arn:aws:iam::{ACCOUNT}:user/no-mfa"]
    skipped = cases["checks/test_users.py::test_user_console_mfa_enabled[machine]"]
    assert skipped.find("skipped").get("message").startswith("Not applicable: ")
    error = cases[f"checks/test_password_policy.py::test_password_policy_min_length[{ACCOUNT}]"]
    assert "Data source 'password_policy' could not be read: AccessDenied" in error.find("error").get("message")
    assert properties(error)["compliance"] == ["seed:23", "cis-v5.0:1.7", "cis-v3.0:1.8", "security-hub:IAM.15"]
