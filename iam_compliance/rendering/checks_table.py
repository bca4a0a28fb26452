"""The list of checks as a Markdown table, read from the checks' own markers and docstrings.

    .venv/bin/python -m iam_compliance.rendering.checks_table      # prints the table that README.md's "Checks" section holds
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from iam_compliance.controls import check_facts
from iam_compliance.results.log import severity_rank

CHECKS_DIR = Path(__file__).resolve().parents[2] / "checks"
SESSION_FIXTURES = ("settings", "collected_at", "snapshot")  # everything else a check takes is a parametrization


@dataclass(frozen=True)
class CheckInfo:
    check_id: str
    title: str
    severity: str
    refs: tuple[str, ...]
    parametrized_over: str


def check_functions() -> list[Callable[..., Any]]:
    """Every check: the ``test_*`` functions of the modules in checks/."""
    functions: list[Callable[..., Any]] = []
    for path in sorted(CHECKS_DIR.glob("test_*.py")):
        module = importlib.import_module(f"checks.{path.stem}")
        functions += [f for name, f in vars(module).items() if name.startswith("test_") and inspect.isfunction(f)]
    return functions


def describe(function: Callable[..., Any]) -> CheckInfo:
    facts = check_facts(function)
    if facts is None:
        raise ValueError(f"{function.__name__} has no control marker")
    refs = tuple(f"{ref.framework} {ref.requirement}" for ref in facts.references)
    params = [p for p in inspect.signature(function).parameters if p not in SESSION_FIXTURES]
    return CheckInfo(facts.check_id, facts.title, facts.severity, refs, " × ".join(params))


def markdown_table() -> str:
    infos = sorted((describe(f) for f in check_functions()), key=lambda i: (severity_rank(i.severity), i.check_id))
    lines = ["| check id | severity | what it checks | one item per | references |", "| --- | --- | --- | --- | --- |"]
    lines += [
        f"| `{i.check_id}` | {i.severity} | {i.title} | {i.parametrized_over} | {', '.join(i.refs)} |" for i in infos
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
