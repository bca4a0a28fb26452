"""Root conftest: loads the audit plugin (options, snapshot, entity fixtures) and the report plugin.

Both stay idle unless the run collects ``checks/``, so a bare ``pytest`` (the self-tests) never calls AWS.
"""

pytest_plugins = ["fixtures.plugin", "reports.plugin", "reports.governance", "pytester"]
