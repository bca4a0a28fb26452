"""Benchmark table: collection and audit of simulated accounts of 500, 2,000, 5,000 and 10,000 users.

    .venv/bin/python -m bench.bench_table [--users 500,2000,5000,10000] [--no-service-activity] [-n 2]

For each size (one role per five users, 50 groups): moto's backend is seeded directly, the real
collector reads it in-process (API calls counted by operation), and ``pytest checks --snapshot``
audits the snapshot in a child process as a user would. One row per size: calls, collection time,
items, check-phase time and milliseconds per item (wall; CPU in brackets), the time to write the
reports after the checks and their sizes, and the audit's peak RSS. The last lines compare the
largest size with the one half its size (time and memory should grow at most 2.1 times).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402  (after the path set-up above)
from moto import mock_aws  # noqa: E402

from bench.bench_collect import seed  # noqa: E402
from iam_compliance.collection.aws import CollectOptions  # noqa: E402
from iam_compliance.collection.collector import collect  # noqa: E402
from iam_compliance.simulated.demo import offline_environment  # noqa: E402
from iam_compliance.simulated.moto_account import MotoAccount, moto_gaps  # noqa: E402
from iam_compliance.snapshot import document as snapshot_file  # noqa: E402

REPORTS = ("junit.xml", "findings.json", "compliance.html")


def collect_account(users: int, service_activity: bool) -> tuple[dict, float, collections.Counter]:
    calls: collections.Counter = collections.Counter()
    with offline_environment(), mock_aws(), moto_gaps():
        account = MotoAccount()
        seed(account, users, users // 5)
        session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
        session.events.register("before-call.*.*", lambda model, **_: calls.update([model.name]))
        started = time.perf_counter()
        doc = collect(session, CollectOptions(regions=("us-east-1",), service_activity=service_activity))
        return doc, time.perf_counter() - started, calls


def audit(snapshot: Path, reports: Path, extra: list[str]) -> dict[str, Any]:
    """Run the audit in a child process; its phases (bench.phase_timer), peak RSS and report sizes."""
    phases = reports.parent / "phases.json"
    env = {**os.environ, "BENCH_PHASES_OUT": str(phases)}
    command = [sys.executable, "-m", "pytest", "checks", "--snapshot", str(snapshot), "--reports-dir", str(reports),
               "-q", "-p", "no:cacheprovider", "-p", "bench.phase_timer", *extra]
    started = time.perf_counter()
    with open(reports.parent / "audit.log", "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    figures: dict[str, Any] = json.loads(phases.read_text()) if phases.exists() else {}
    figures |= {"wall_s": time.perf_counter() - started, "exit": os.waitstatus_to_exitcode(status),
                "peak_rss_mib": usage.ru_maxrss / 1024,
                "sizes_mb": {name: (reports / name).stat().st_size / 1e6 for name in REPORTS if (reports / name).exists()}}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="500,2000,5000,10000")
    parser.add_argument("--no-service-activity", action="store_true")
    parser.add_argument("-n", dest="workers", help="pytest-xdist workers for the audit (default: none)")
    args = parser.parse_args()
    extra = ["-n", args.workers] if args.workers else []
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-table-") as scratch:
        for users in (int(u) for u in args.users.split(",")):
            doc, collect_s, calls = collect_account(users, not args.no_service_activity)
            folder = Path(scratch) / str(users)
            snapshot = snapshot_file.save(doc, folder / "snapshot.json")
            del doc
            figures = audit(snapshot, folder / "reports", extra)
            rows.append((users, collect_s, calls, figures))
            print_row(users, collect_s, calls, figures, header=len(rows) == 1)
    if len(rows) >= 2:
        (small, _, _, a), (large, _, _, b) = rows[-2], rows[-1]
        print(f"{large:,} vs {small:,} users: check phase x{b['check_phase_s'] / a['check_phase_s']:.2f}, "
              f"whole audit x{b['wall_s'] / a['wall_s']:.2f}, peak RSS x{b['peak_rss_mib'] / a['peak_rss_mib']:.2f}")


def print_row(users: int, collect_s: float, calls: collections.Counter, f: dict[str, Any], header: bool) -> None:
    if header:
        print(f"{'users':>6} {'roles':>5} {'API calls':>9} {'collect s':>9} {'items':>7} {'check s':>8} "
              f"{'ms/item (cpu)':>14} {'reports s':>9} {'junit MB':>8} {'findings MB':>11} {'html MB':>7} "
              f"{'peak RSS MiB':>12} {'audit s':>7}")
    items = f.get("items", 0) or 1
    sizes = f.get("sizes_mb", {})
    per_item = f"{f.get('check_phase_s', 0) / items * 1000:.2f} ({f.get('check_phase_cpu_s', 0) / items * 1000:.2f})"
    print(f"{users:>6} {users // 5:>5} {sum(calls.values()):>9} {collect_s:>9.1f} {items:>7} "
          f"{f.get('check_phase_s', 0):>8.1f} {per_item:>14} {f.get('reports_s', 0):>9.1f} "
          f"{sizes.get('junit.xml', 0):>8.1f} {sizes.get('findings.json', 0):>11.1f} {sizes.get('compliance.html', 0):>7.1f} "
          f"{f['peak_rss_mib']:>12.0f} {f['wall_s']:>7.1f}")
    print("       calls: " + ", ".join(f"{name} {count}" for name, count in sorted(calls.items())), flush=True)


if __name__ == "__main__":
    main()
