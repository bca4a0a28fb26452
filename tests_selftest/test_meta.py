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


# --- titles, headlines, severities and references ---------------------------------------------------

import dataclasses
import re

from iam_compliance.controls import check_facts, check_title, placeholders, render
from iam_compliance.frameworks import FRAMEWORK_TABLE, REQUIREMENTS, Reference, requirement, requirements
from iam_compliance.model.entities import PARAMETER_KINDS
from iam_compliance.settings import SCHEMA, Choice, load_settings

DEFAULTS = load_settings()
# A number in a title that is not a setting would state a threshold the run may not apply ("X.509" is a name).
BARE_NUMBER = re.compile(r"(?<![.\w])\d+(?![.\w])")
# How a finding reads: something is missing, present that should not be, or past a threshold.
FINDING_WORDS = re.compile(
    r"\b(no|not|without|lacks?|has|have|older|unused|inactive|expired|expiring|allows|grants|fewer|more|shorter|"
    r"used|keep|keeps|kept|is attached|can|lets)\b", re.IGNORECASE)
# How a requirement reads, which a headline must never: "has MFA enabled.", "are removed".
REQUIREMENT_ENDINGS = re.compile(r"(enabled|removed|disabled|deleted|rotated|registered|exists|renewed)\.?$")


def declared_references(check) -> set[Reference]:
    """The check's own references and those its parameter values add (a password character class)."""
    refs = {Reference(m.kwargs["framework"], m.kwargs["id"]) for m in check.pytestmark if m.name == "compliance"}
    for name in inspect.signature(check).parameters:
        kind = PARAMETER_KINDS.get(name)
        if kind is not None:
            refs |= {Reference(*pair) for value in kind.list_values(DEFAULTS) for pair in value.compliance}
    return refs


MAPPED = set().union(*(declared_references(check) for check in CHECKS))


@pytest.mark.parametrize("check", CHECKS, ids=lambda fn: fn.__name__)
def test_title_reads_as_a_requirement_and_headline_as_a_finding(check):
    facts = check_facts(check)
    title, headline = facts.title, facts.headline
    assert headline, f"{facts.check_id} needs a headline: its failure phrased as a finding"
    assert title.endswith(".") and not headline.endswith("."), "a title is a sentence, a headline a label"
    assert headline[0].isupper() and headline.rstrip(".") != title.rstrip(".")
    assert FINDING_WORDS.search(headline), f"headline {headline!r} does not read as a finding"
    negated = re.search(r"\b(no|not|without|lacks?)\b", headline, re.IGNORECASE)
    assert negated or not REQUIREMENT_ENDINGS.search(headline), f"headline {headline!r} reads as a requirement"


@pytest.mark.parametrize("check", CHECKS, ids=lambda fn: fn.__name__)
def test_titles_and_headlines_state_settings_not_defaults(check):
    control = control_of(check)
    for text in (check_title(check), control["headline"]):
        without = re.sub(r"\{[a-z_]+\.[a-z_]+\}", "", text)
        assert not BARE_NUMBER.search(without), f"{text!r} states a number that is not a setting: template it"
        assert "{" not in render(text, DEFAULTS)


@pytest.mark.parametrize("check", [c for c in CHECKS if placeholders(check_title(c))], ids=lambda fn: fn.__name__)
def test_titles_follow_the_settings_in_force(check):
    """Each setting a title names changes the rendered title and headline when it changes."""
    for name in placeholders(check_title(check)):
        section, key = name.split(".")
        current = getattr(getattr(DEFAULTS, section), key)
        rule = SCHEMA[section][key]
        if isinstance(rule, Choice):
            other = next(word for word in rule.words if word != current)
        else:
            other = current + 1 if isinstance(current, int) else ["owner"]
        changed = dataclasses.replace(DEFAULTS, **{section: dataclasses.replace(getattr(DEFAULTS, section),
                                                                                  **{key: other})})
        before, after = check_facts(check, DEFAULTS), check_facts(check, changed)
        assert before.title != after.title, name
        if name in placeholders(control_of(check)["headline"]):
            assert before.headline != after.headline, name


def test_min_length_title_renders_the_setting():
    from checks.test_password_policy import test_password_policy_min_length

    eight = load_settings(assignments=["password_policy.min_length=8"])
    facts = check_facts(test_password_policy_min_length, eight)
    assert facts.title == "The password policy requires passwords of at least 8 characters."
    assert facts.headline == "Password policy allows passwords shorter than 8 characters"
    assert "14" in check_facts(test_password_policy_min_length).title  # the default, where no run applies


def test_bad_placeholder_is_refused_at_declaration():
    from iam_compliance.controls import control

    with pytest.raises(ValueError, match="not a setting"):
        control("x_check", severity="low", sources=["s"], refs={"seed": 1}, remediation="r",
                headline="More than {admins.maximmum} admins")
    with pytest.raises(ValueError, match="brace"):
        control("x_check", severity="low", sources=["s"], refs={"seed": 1}, remediation="r", headline="{oops}")

    def test_x():
        """At least {users.nope} days."""

    with pytest.raises(ValueError, match="not a setting"):
        control("x_check", severity="low", sources=["s"], refs={"seed": 1}, remediation="r", headline="Bad")(test_x)


def test_finding_severity_must_be_a_severity():
    from iam_compliance.controls import Finding

    assert Finding("x", severity="high").severity == "high"
    assert Finding("x").severity is None
    with pytest.raises(ValueError):
        Finding("x", severity="HIGH!")


@pytest.mark.parametrize("check", CHECKS, ids=lambda fn: fn.__name__)
def test_every_reference_resolves_to_a_requirement(check):
    for reference in declared_references(check):
        found = requirement(reference)
        assert found is not None, f"{check.__name__}: {reference} is not in iam_compliance/frameworks.py"
        assert found.automated, f"{check.__name__} maps {reference}, which is listed as not automated"


def test_cis_v5_section_1_is_complete_and_every_automated_requirement_is_mapped():
    ids = [r.id for r in requirements("cis-v5.0")]
    assert ids == [f"1.{n}" for n in range(1, 22)], "CIS v5.0.0 section 1 is 1.1 to 1.21"
    unmapped = [r.id for r in requirements("cis-v5.0") if r.automated and r.reference not in MAPPED]
    assert not unmapped, f"automated CIS v5.0 requirements no check maps: {unmapped}"
    assert {r.id for r in requirements("cis-v5.0") if not r.automated} == {"1.1", "1.17"}


def test_every_requirement_is_mapped_or_says_why_not():
    """Scores per framework count only what a check decides; the rest is listed with its reason."""
    assert [r.id for r in requirements("cis-v3.0")] == [f"1.{n}" for n in range(1, 23)]
    for r in REQUIREMENTS:
        assert r.framework in FRAMEWORK_TABLE and r.title.strip() == r.title and r.title
        if r.automated:
            assert r.reference in MAPPED, f"{r.reference} is automated but no check maps it"
            assert r.retired or not r.reason, "only a retired requirement's reason is kept beside a mapping"
        else:
            assert r.reason and r.reference not in MAPPED, r.reference
    assert len({r.reference for r in REQUIREMENTS}) == len(REQUIREMENTS), "a requirement is listed twice"


def test_retired_security_hub_controls_are_marked():
    iam20 = requirement(Reference("security-hub", "IAM.20"))
    assert iam20 is not None and iam20.retired
    assert [r.id for r in REQUIREMENTS if r.retired] == ["IAM.20"]
    sh_ids = [r.id for r in requirements("security-hub") if r.id.startswith("IAM.")]
    assert sh_ids == [f"IAM.{n}" for n in range(1, 29)]
    assert all(r.severity for r in requirements("security-hub"))


def test_practices_of_the_brief_have_names_and_glossary():
    practices = requirements("seed")
    assert [r.id for r in practices] == [str(n) for n in range(1, 24)]
    for practice in practices:
        assert practice.title and practice.glossary.endswith("."), practice.id
    five = requirement(Reference("seed", "5"))
    assert five is not None and five.title == "Root user MFA"


@pytest.mark.parametrize("check", CHECKS, ids=lambda fn: fn.__name__)
def test_severity_differences_from_security_hub_are_explained(check):
    facts = check_facts(check)
    if not facts.security_hub_severity or facts.security_hub_severity == facts.severity:
        return
    doc = inspect.getdoc(check) or ""
    explained = [line for line in doc.split("\n\n") if line.startswith("Severity:")]
    assert explained, f"{facts.check_id} is {facts.severity}, Security Hub {facts.security_hub_severity}: say why"
    text = " ".join(explained[0].split())
    assert f"{facts.severity} here, {facts.security_hub_severity} in Security Hub" in text
    ids = [r.requirement for r in facts.references if r.framework == "security-hub"]
    assert any(f"({rid})" in text for rid in ids)


def test_known_security_hub_differences():
    from iam_compliance.rendering.checks_table import declared_facts

    facts = {f.check_id: f for f in map(declared_facts, CHECKS)}
    assert (facts["root_hardware_mfa_enabled"].severity, facts["root_hardware_mfa_enabled"].security_hub_severity) \
        == ("high", "critical")
    assert facts["access_analyzer_enabled"].security_hub_severity == "high"
    assert facts["password_policy_reuse_prevention"].security_hub_severity == "low"
    assert facts["user_console_mfa_enabled"].security_hub_severity == "medium"
    assert facts["root_not_recently_used"].security_hub_severity == "", "a retired control has no severity now"


def test_references_are_described_by_name():
    from iam_compliance.frameworks import described

    assert described(Reference("seed", "5")) == "Practice 5: Root user MFA"
    assert described(Reference("cis-v5.0", "1.4")) == "CIS v5.0 1.4: Ensure MFA is enabled for the 'root' user account"
    assert described(Reference("security-hub", "IAM.20")) == "Security Hub IAM.20: Avoid the use of the root user (retired)"
    assert described(Reference("cis-v5.0", "9.9")) == "CIS v5.0 9.9"
