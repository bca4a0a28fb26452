"""Root conftest: loads the audit's pytest glue (fixtures/) and the engine's report plugins.

All of them stay idle unless the run collects ``checks/``, so a bare ``pytest`` (the self-tests) never calls AWS.
"""

pytest_plugins = [
    "fixtures.options", "fixtures.session", "fixtures.parametrize", "fixtures.gate",
    "iam_compliance.plugins.report", "iam_compliance.plugins.lifecycle", "iam_compliance.plugins.governance",
    "pytester",
]
