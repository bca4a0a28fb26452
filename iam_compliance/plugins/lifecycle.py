"""Plugin for a run's life: its folders and lock, what it selected, and publishing its reports at the end.

- Configure (controller of an audit): lock the reports folder and point every report
  (HTML, JUnit, findings.json, OCSF, snapshot) at the run's staging folder (``fixtures.publish``);
  a folder held by another audit is a usage error naming that run.
- Collection: the checks and items selected, for the run's scope (``results.scope``).
- Session finish (innermost, after every report is written): publish. A finished run (complete or
  partial) replaces the previous reports; an interrupted run or one that stopped on an internal error
  publishes its reports, each marked incomplete, into ``incomplete/`` beside them, so the previous
  complete reports stay as they were. A run that failed while writing its reports publishes nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Generator

import pytest

from fixtures.options import is_audit_run, is_worker, output_paths, reports_dir
from fixtures.publish import RUN_FOLDERS_KEY, FolderBusy, RunFolders, new_run_id
from fixtures.session import SNAPSHOT_KEY, get_settings
from iam_compliance.model.entities import PARAMETER_KINDS
from iam_compliance.model.iam import Snapshot
from iam_compliance.rendering.checks_table import check_functions, declared_facts
from iam_compliance.results.scope import SCOPE_KEY, STATUS_KEY, RunScope, settings_in_force, settings_read
from iam_compliance.settings import load_settings

INCOMPLETE_FOLDER = "incomplete"
INCOMPLETE_MARKER = ".iam-compliance-incomplete"
# Test function names of the items this run selected (collected and not deselected), on the controller.
SELECTED_KEY = pytest.StashKey[set[str]]()


def selected_function(nodeid: str) -> str:
    """``checks/test_users.py::test_user_mfa[bob]`` -> ``test_user_mfa``."""
    return nodeid.split("::")[-1].split("[", 1)[0]


def _controller_of_audit(config: pytest.Config) -> bool:
    return is_audit_run(config) and not is_worker(config) and not config.option.collectonly


def pytest_configure(config: pytest.Config) -> None:
    """Runs after the report plugin chose the default paths and checked them, before pytest-html and
    junitxml open their files."""
    if not _controller_of_audit(config):
        return
    get_settings(config)  # bad settings are a usage error before any folder is made
    folders = RunFolders(new_run_id(), config.getoption("reports_lock_wait"))
    paths = output_paths(config)
    try:
        folders.lock([reports_dir(config)])
        folders.add([path.parent for path in paths.values()])
    except FolderBusy as exc:
        folders.release()
        raise pytest.UsageError(str(exc)) from None
    except OSError as exc:
        folders.release()
        raise pytest.UsageError(f"Cannot prepare the reports folder: {exc}") from None
    config.stash[RUN_FOLDERS_KEY] = folders
    if "--html" in paths:
        config.option.htmlpath = str(folders.stage(paths["--html"]))
    if "--junitxml" in paths:
        config.option.xmlpath = str(folders.stage(paths["--junitxml"]))


def _selected(config: pytest.Config, nodeids: list[str]) -> None:
    """Record the selection and the scope it makes (complete again at session finish, for every report)."""
    selected = {selected_function(nodeid) for nodeid in nodeids}
    if config.stash.get(SELECTED_KEY, None) == selected and SCOPE_KEY in config.stash:
        return
    config.stash[SELECTED_KEY] = selected
    if SNAPSHOT_KEY in config.stash:
        config.stash[SCOPE_KEY] = build_scope(config, config.stash[SNAPSHOT_KEY])


def pytest_collection_finish(session: pytest.Session) -> None:
    if _controller_of_audit(session.config):
        _selected(session.config, [item.nodeid for item in session.items])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """xdist controller: every worker collects the same items; their node ids are the selection."""
    _selected(node.config, ids)


def _selection(config: pytest.Config) -> tuple[str, str]:
    """The options and arguments that narrowed the run to part of the catalogue, as typed: (all of them,
    those that narrow items within a check). ``-m`` and check files select whole checks."""
    checks, items = [], []
    if config.option.markexpr:
        checks.append(f"-m {config.option.markexpr!r}")
    if config.option.keyword:
        items.append(f"-k {config.option.keyword!r}")
    checks_dir = (config.rootpath / "checks").resolve()
    for arg in config.args:
        if "::" in arg:
            items.append(arg)
        elif (config.invocation_params.dir / arg).resolve() != checks_dir:
            checks.append(arg)
    for option, flag in (("lf", "--lf"), ("stepwise", "--sw")):
        if getattr(config.option, option, False):
            items.append(flag)
    items += [f"--deselect {d}" for d in getattr(config.option, "deselect", None) or []]
    return " ".join(checks + items), " ".join(items)


def _snapshot_regions(snapshot: Snapshot) -> tuple[str, ...]:
    regions = (snapshot.doc.get("sources", {}).get("regions") or {}).get("data") or {}
    names = regions.get("regions") if isinstance(regions, dict) else None
    return tuple(sorted(str(r) for r in names)) if isinstance(names, (list, dict)) else ()


def _options(config: pytest.Config, snapshot: Snapshot) -> dict[str, str]:
    activity = (snapshot.doc.get("sources", {}).get("service_last_accessed") or {}).get("data") or {}
    enabled = activity.get("enabled") if isinstance(activity, dict) else None
    replay = config.getoption("snapshot")
    options = {
        "data": f"replayed snapshot {replay}" if replay else "collected by this run",
        "service activity": "collected" if enabled else "not collected (--no-service-activity or settings)",
        "fail on": config.getoption("fail_on") or "every finding",
    }
    for name in ("waivers", "baseline"):
        if config.getoption(name):
            options[name] = config.getoption(name)
    return options


def build_scope(config: pytest.Config, snapshot: Snapshot) -> RunScope:
    """What this run evaluated: its checks against the catalogue, selection, regions, options, settings."""
    functions = {f.__name__: f for f in check_functions()}
    selected = config.stash.get(SELECTED_KEY, set())
    settings = get_settings(config)
    in_force = settings_in_force(settings, load_settings())
    known = [s.key for s in in_force]
    check_settings = {}
    for name in sorted(selected & functions.keys()):
        function = functions[name]
        kinds = [PARAMETER_KINDS[p].list_values for p in function.__code__.co_varnames if p in PARAMETER_KINDS]
        check_settings[declared_facts(function).check_id] = settings_read([function, *kinds], known)
    selection, item_selection = _selection(config)
    return RunScope(
        checks_selected=tuple(sorted(check_settings)),
        checks_total=len(functions),
        selection=selection,
        item_selection=item_selection,
        regions=_snapshot_regions(snapshot),
        options=_options(config, snapshot),
        settings=in_force,
        simulated=bool(snapshot.doc.get("demo")),
        check_settings=check_settings,
    )


def _incomplete_target(final: Path) -> Path:
    return final.parent / INCOMPLETE_FOLDER / final.name


def _clear_incomplete_folders(finals: list[Path]) -> None:
    """The incomplete/ folders hold one run's reports only, the last incomplete one's. A folder of that
    name that this suite did not make (no marker file) is left alone: only the reports in it are replaced."""
    for folder in {final.parent / INCOMPLETE_FOLDER for final in finals}:
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            folder.unlink()
        elif (folder / INCOMPLETE_MARKER).is_file():
            shutil.rmtree(folder)
        folder.mkdir(mode=0o700, exist_ok=True)
        (folder / INCOMPLETE_MARKER).write_text("Reports of the last audit that did not finish.\n")


@pytest.hookimpl(wrapper=True, trylast=True)  # innermost: after pytest-html, junitxml and findings.json wrote
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    result = yield  # a report that failed to write raises here: nothing is published
    config = session.config
    folders = config.stash.get(RUN_FOLDERS_KEY, None)
    status = config.stash.get(STATUS_KEY, None)
    if folders is None or status is None or session.exitstatus == pytest.ExitCode.USAGE_ERROR:
        return result
    if status.finished:
        folders.publish()
    else:
        finals = list(folders.staged_paths())
        _clear_incomplete_folders(finals)
        folders.publish(_incomplete_target)
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            folders_named = ", ".join(sorted({str(final.parent / INCOMPLETE_FOLDER) for final in finals}))
            reporter.write_line(f"This run did not finish ({status.value}): its reports, each marked incomplete, "
                                f"are in {folders_named}; the previous reports are unchanged.", yellow=True)
    _point_report_plugins_at(config, folders)
    return result


def _point_report_plugins_at(config: pytest.Config, folders: RunFolders) -> None:
    """pytest-html and junitxml name their files in the terminal summary: the published names."""
    from _pytest.junitxml import xml_key

    xml = config.stash.get(xml_key, None)
    if xml is not None:
        xml.logfile = os.fspath(folders.published_path(Path(xml.logfile)))
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(getattr(plugin, "_report_path", None), Path):  # pytest-html's report writer
            plugin._report_path = folders.published_path(plugin._report_path)


def pytest_unconfigure(config: pytest.Config) -> None:
    folders = config.stash.get(RUN_FOLDERS_KEY, None)
    if folders is not None:
        folders.release()  # an unpublished run's staging folder goes; the previous reports stay

