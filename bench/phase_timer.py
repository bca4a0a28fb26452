"""pytest plugin for the benchmarks: how long each phase of an audit took, written as JSON.

    pytest checks ... -p bench.phase_timer   (with BENCH_PHASES_OUT=path.json)

Phases: start-up to the end of collection, the check phase (the run loop: every item's setup, call
and teardown, and every report hook), and the reports written after it (JUnit, HTML, findings.json).
"""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any

import pytest

_marks: dict[str, Any] = {}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _mark(name: str) -> None:
    _marks[name] = time.perf_counter()
    _marks[name + "_cpu"] = _cpu()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _mark("start")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    _marks["items"] = len(session.items)
    _mark("loop")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    _mark("checked")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    _mark("end")
    out = os.environ.get("BENCH_PHASES_OUT")
    if not out or "loop" not in _marks:
        return
    figures = {
        "items": _marks["items"],
        "collection_s": _marks["loop"] - _marks["start"],
        "check_phase_s": _marks["checked"] - _marks["loop"],
        "check_phase_cpu_s": _marks["checked_cpu"] - _marks["loop_cpu"],
        "reports_s": _marks["end"] - _marks["checked"],
    }
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(figures, handle)
