"""Root conftest: loads the audit's pytest glue (fixtures/) and the engine's report plugins.

All of them stay idle unless the run collects ``checks/``, so a bare ``pytest`` (the self-tests) never calls AWS.

An audit runs tens of thousands of items that neither log, warn, print nor use pytest's own fixtures, so it
leaves out the built-in plugins that only add per-item work for such tests (see ``AUDIT_IDLE_PLUGINS``),
and keeps the objects built before the first check out of the garbage collector's way. The self-tests keep
every plugin.
"""

from __future__ import annotations

import gc

import pytest

pytest_plugins = [
    "fixtures.options", "fixtures.session", "fixtures.parametrize", "fixtures.gate",
    "iam_compliance.plugins.report", "iam_compliance.plugins.lifecycle", "iam_compliance.plugins.governance",
    "pytester",
]


def is_audit_run(config: pytest.Config) -> bool:
    from fixtures.options import is_audit_run as collects_checks  # imported by pytest_plugins, for assertion rewriting

    return collects_checks(config)

# Built-in plugins an audit does not use, each with the option that brings it back when given
# (None: never needed by a check). Each costs a hook call or a context manager per item or per phase.
AUDIT_IDLE_PLUGINS: dict[str, str | None] = {
    "logging": "log_cli_level",  # checks do not log; its capture costs three context managers per item
    "warnings": None,  # checks raise no warnings; catch_warnings per item
    "faulthandler": None,
    "unraisableexception": None,  # five full garbage collections over the audit's heap at exit
    "threadexception": None,
    "subtests": None,
    "setuponly": "setuponly",
    "setupplan": "setupplan",
    "stepwise": "stepwise",
    "pastebin": "pastebin",
}


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Before any plugin is configured: leave out the idle plugins of an audit run (controller and workers)."""
    if not is_audit_run(config):
        return
    for name, option in AUDIT_IDLE_PLUGINS.items():
        if option is not None and config.getoption(option, None):
            continue
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin, name)
        config.pluginmanager.set_blocked(name)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not is_audit_run(config):
        return
    if not config.getoption("newfirst", False):
        config.pluginmanager.unregister(name="nfplugin")  # it stores every node id of the run in the cache
    config.pluginmanager.register(PassingPhaseReportsDropped(config), "iam-compliance-lean-terminal")


class PassingPhaseReportsDropped:
    """The terminal keeps every report it shows, in lists by outcome; a passing setup or teardown has
    no outcome of its own (category "") and is never shown or counted, yet is kept: two per item."""

    def __init__(self, config: pytest.Config):
        self.config = config

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None and report.when != "call" and report.passed:
            terminal.stats.pop("", None)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """The snapshot, the items and their records live until the end: freeze them, so that each garbage
    collection during the checks no longer walks (and rewalks) hundreds of thousands of objects."""
    if is_audit_run(session.config):
        gc.collect()
        gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    gc.unfreeze()  # in-process runs (the self-tests) must get their memory back
