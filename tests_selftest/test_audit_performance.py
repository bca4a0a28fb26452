"""The plumbing that keeps large audits fast: idle plugins left out, streamed findings, the bounded pool, progress."""

from __future__ import annotations

import io
import json
import stat
import threading
import time

import pytest

import conftest as root_conftest
from iam_compliance.collection import pool, progress
from iam_compliance.results.stream import write_json_streaming
from tests_selftest.harness import ROOT


def parsed_config(pytester: pytest.Pytester, *args: str) -> pytest.Config:
    return pytester.parseconfig("-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), *args)


def test_an_audit_leaves_out_the_plugins_it_does_not_use(pytester):
    config = parsed_config(pytester, str(ROOT / "checks"))
    root_conftest.pytest_cmdline_main(config)
    for name in ("logging", "warnings", "faulthandler", "stepwise", "unraisableexception"):
        assert config.pluginmanager.is_blocked(name), name
    assert not config.pluginmanager.is_blocked("junitxml")


def test_an_option_that_needs_a_plugin_keeps_it(pytester):
    config = parsed_config(pytester, str(ROOT / "checks"), "--stepwise")
    root_conftest.pytest_cmdline_main(config)
    assert not config.pluginmanager.is_blocked("stepwise")
    assert config.pluginmanager.is_blocked("logging")
    live_logs = parsed_config(pytester, str(ROOT / "checks"), "--log-cli-level", "DEBUG")
    root_conftest.pytest_cmdline_main(live_logs)
    assert not live_logs.pluginmanager.is_blocked("logging")


def test_the_self_tests_keep_every_plugin(pytester):
    config = parsed_config(pytester, str(ROOT / "tests_selftest"))
    root_conftest.pytest_cmdline_main(config)
    assert not config.pluginmanager.is_blocked("logging")
    assert not config.pluginmanager.is_blocked("warnings")


def test_a_streamed_document_reads_back_as_the_same_json(tmp_path):
    doc = {"format": "f", "summary": {"failed": 1, "nested": [1, {"a": None}]},
           "findings": [{"id": "a:arn", "finding": "Zoë's key\nline \"two\"", "evidence": {"n": 1.5}}, {"id": "b"}],
           "drift": None}
    path = write_json_streaming(doc, "findings", tmp_path / "out" / "findings.json")
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == doc
    assert '\n    {"id": "a:arn", "finding": "Zoë\'s key\\nline \\"two\\"", "evidence": {"n": 1.5}},\n' in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["findings.json"]  # no temporary file left


def test_an_empty_or_generated_list_streams_too(tmp_path):
    empty = write_json_streaming({"findings": [], "n": 0}, "findings", tmp_path / "empty.json")
    assert json.loads(empty.read_text()) == {"findings": [], "n": 0}
    generated = write_json_streaming({"findings": ({"i": i} for i in range(1500))}, "findings", tmp_path / "gen.json")
    assert json.loads(generated.read_text())["findings"] == [{"i": i} for i in range(1500)]


def test_the_pool_keeps_the_order_and_its_bound():
    running, peak, lock = 0, 0, threading.Lock()

    def fetch(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return n * n

    assert pool.map_bounded(fetch, list(range(40)), workers=4) == [n * n for n in range(40)]
    assert 2 <= peak <= 4


def test_a_failure_in_the_pool_stops_the_map_like_the_loop_would():
    def fetch(n: int) -> int:
        if n == 3:
            raise RuntimeError("network down")
        return n

    with pytest.raises(RuntimeError, match="network down"):
        pool.map_bounded(fetch, list(range(10)), workers=3)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_the_source_done_total_and_time_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out = FakeTerminal()
    line = progress.Progress("access_keys", total=3, stream=out)
    for _ in range(3):
        line.advance()
    line.finish()
    assert "collecting access_keys: 3/3 0 s" in out.getvalue()
    assert out.getvalue().endswith("\n")


@pytest.mark.parametrize("ci, terminal", [("true", True), ("", False)])
def test_progress_is_quiet_in_ci_and_without_a_terminal(monkeypatch, ci, terminal):
    monkeypatch.setenv("CI", ci)
    out = FakeTerminal() if terminal else io.StringIO()
    line = progress.Progress("service_last_accessed", total=2, stream=out)
    line.advance(2)
    line.finish()
    assert out.getvalue() == ""
