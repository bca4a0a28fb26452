"""The list of checks as a Markdown table, read from the checks' own markers and docstrings.

    .venv/bin/python -m iam_compliance.rendering.checks_table      # prints the table that README.md's "Checks" section holds

Titles and headlines are rendered with the default settings (iam-compliance.yaml); a run's reports render
them with the settings in force.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any, Callable

from iam_compliance.controls import CheckFacts, Reference, check_facts
from iam_compliance.frameworks import requirement
from iam_compliance.results.log import severity_rank

CHECKS_DIR = Path(__file__).resolve().parents[2] / "checks"
SESSION_FIXTURES = ("settings", "collected_at", "snapshot")  # everything else a check takes is a parametrization


def check_functions() -> list[Callable[..., Any]]:
    """Every check: the ``test_*`` functions of the modules in checks/."""
    functions: list[Callable[..., Any]] = []
    for path in sorted(CHECKS_DIR.glob("test_*.py")):
        module = importlib.import_module(f"checks.{path.stem}")
        functions += [f for name, f in vars(module).items() if name.startswith("test_") and inspect.isfunction(f)]
    return functions


def declared_facts(function: Callable[..., Any]) -> CheckFacts:
    """The check's facts, its title and headline rendered with the default settings."""
    facts = check_facts(function)
    if facts is None:
        raise ValueError(f"{function.__name__} in checks/ has no control marker")
    return facts


def parametrized_over(function: Callable[..., Any]) -> str:
    """What one item of the check stands for: its parameters besides the session fixtures (``iam_user``)."""
    return " × ".join(p for p in inspect.signature(function).parameters if p not in SESSION_FIXTURES)


def markdown_table() -> str:
    rows = sorted(((declared_facts(f), parametrized_over(f)) for f in check_functions()),
                  key=lambda row: (severity_rank(row[0].severity), row[0].check_id))
    lines = ["| check id | severity | what it checks | finding headline | one item per | references |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [
        f"| `{facts.check_id}` | {severity_cell(facts)} | {facts.title} | {facts.headline} | {over} | "
        + ", ".join(reference_cell(ref) for ref in facts.references) + " |"
        for facts, over in rows
    ]
    return "\n".join(lines)


def severity_cell(facts: CheckFacts) -> str:
    """``high``, or ``high (Security Hub: critical)`` where Security Hub rates the mapped control otherwise."""
    differs = facts.security_hub_severity and facts.security_hub_severity != facts.severity
    return f"{facts.severity} (Security Hub: {facts.security_hub_severity})" if differs else facts.severity


def reference_cell(reference: Reference) -> str:
    """``cis-v5.0 1.4``; a retired requirement says so: ``security-hub IAM.20 (retired)``."""
    found = requirement(reference)
    return f"{reference.framework} {reference.requirement}" + (" (retired)" if found and found.retired else "")


if __name__ == "__main__":
    print(markdown_table())
