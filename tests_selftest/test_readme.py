"""The README's list of checks is the checks' own metadata: it cannot drift from the code."""

from iam_compliance.rendering.checks_table import markdown_table
from tests_selftest.harness import ROOT


def test_readme_lists_every_check_as_declared():
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme, "regenerate the table with: python -m iam_compliance.rendering.checks_table"
