"""Every check is declared completely and has a passing and a failing self-test."""

from __future__ import annotations

import ast
import inspect

import pytest

from iam_compliance.controls import SEVERITIES
from iam_compliance.rendering.checks_table import check_functions
from tests_selftest.harness import ROOT

SELFTEST_FILES = sorted((ROOT / "tests_selftest").glob("test_*.py"))


def control_of(function) -> dict:
    marks = [m for m in getattr(function, "pytestmark", []) if m.name == "control"]
    assert len(marks) == 1, f"{function.__name__} must carry exactly one control marker"
    return marks[0].kwargs


def asserted_outcomes() -> dict[str, set[str]]:
    """Outcomes asserted as ``result.outcome("<check_id>", ...) == "<outcome>"`` in the self-tests."""
    seen: dict[str, set[str]] = {}
    for path in SELFTEST_FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Call)):
                continue
            call, right = node.left, node.comparators[0]
            if not (isinstance(call.func, ast.Attribute) and call.func.attr == "outcome" and call.args):
                continue
            if isinstance(call.args[0], ast.Constant) and isinstance(right, ast.Constant):
                seen.setdefault(call.args[0].value, set()).add(right.value)
    return seen


CHECKS = check_functions()


def test_checks_are_found():
    assert len(CHECKS) >= 8


@pytest.mark.parametrize("check", CHECKS, ids=lambda fn: fn.__name__)
def test_check_is_declared(check):
    control = control_of(check)
    assert control["id"] == check.__name__.removeprefix("test_"), "check id must equal the function name"
    assert control["severity"] in SEVERITIES
    assert control["remediation"].strip() == control["remediation"] and control["remediation"]
    assert control["sources"], "a check must declare the data sources it reads"
    assert any(m.name == "compliance" for m in check.pytestmark), "a check must map to at least one source"
    doc = inspect.getdoc(check) or ""
    assert doc.splitlines() and doc.splitlines()[0].endswith("."), "the docstring's first line is the check title"


def test_check_ids_are_unique():
    ids = [control_of(check)["id"] for check in CHECKS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("check", CHECKS, ids=lambda fn: fn.__name__)
def test_check_has_passing_and_failing_selftest(check):
    check_id = control_of(check)["id"]
    outcomes = asserted_outcomes().get(check_id, set())
    missing = {"passed", "failed"} - outcomes
    assert not missing, f"no self-test asserts a {' or '.join(sorted(missing))} outcome for {check_id}"
