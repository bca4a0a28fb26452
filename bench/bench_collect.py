"""Benchmark: collect a large simulated account and audit it; prints time, API calls, sizes and memory.

    .venv/bin/python -m bench.bench_collect [--users 5000]

Users are seeded straight into moto's backend (seconds instead of minutes of API calls); the
collector then runs for real against moto in-process, and `pytest checks --snapshot` audits the result.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import boto3
from moto import mock_aws

from iam_compliance.snapshot import document as snapshot_file
from iam_compliance.collection.aws import CollectOptions
from iam_compliance.collection.collector import collect
from iam_compliance.simulated.demo import offline_environment
from iam_compliance.simulated.moto_account import MotoAccount, Root, moto_gaps

ROOT = Path(__file__).resolve().parent.parent
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


def seed(account: MotoAccount, users: int, roles: int | None = None) -> None:
    """A realistic mix: half with console passwords, a third with keys, some inline policies, 50 groups;
    ``roles`` roles (default: one per ten users)."""
    backend = account.backend
    account.root(Root(password_last_used_days=200))
    for g in range(50):
        backend.create_group(f"group-{g:02d}")
    for n in range(users):
        name = f"user-{n:05d}"
        user = backend.create_user("us-east-1", name)
        user.create_date = account.ago(30 + n % 400)
        if n % 2 == 0:
            backend.create_login_profile(name, "Bench-password-1!")
            user.password_last_used = account.ago(n % 120)
        if n % 3 == 0:
            backend.create_access_key(name).create_date = account.ago(n % 200)
        if n % 7 == 0:
            backend.put_user_policy(name, "inline", POLICY)
        backend.add_user_to_group(f"group-{n % 50:02d}", name)
    for n in range(users // 10 if roles is None else roles):
        account.role(f"role-{n:04d}", age_days=100, last_used_days=n % 150 or None)
    account.generate_credential_report()


def count_calls(session: boto3.Session) -> dict[str, int]:
    calls: dict[str, int] = {}
    session.events.register("before-call.*.*", lambda model, **_: calls.__setitem__(model.name, calls.get(model.name, 0) + 1))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    args = parser.parse_args()
    with offline_environment(), mock_aws(), moto_gaps():
        account = MotoAccount()
        started = time.perf_counter()
        seed(account, args.users)
        seeded = time.perf_counter() - started
        session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
        calls = count_calls(session)
        tracemalloc.start()
        started = time.perf_counter()
        doc = collect(session, CollectOptions(regions=("us-east-1",)))
        collected = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    failed = [name for name, source in doc["sources"].items() if source["status"] != "ok"]
    with tempfile.TemporaryDirectory() as tmp:
        path = snapshot_file.save(doc, Path(tmp) / "snapshot.json")
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "checks", "--snapshot", str(path), "--reports-dir", tmp, "-q",
             "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True,
        )
        audited = time.perf_counter() - started
        audit_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        summary = run.stdout.strip().splitlines()[-1]
        sizes = {name: (Path(tmp) / name).stat().st_size for name in ("snapshot.json", "compliance.html", "junit.xml")}
    print(f"users: {args.users}, roles: {args.users // 10}, groups: 50")
    print(f"seed (moto backend): {seeded:.1f} s")
    print(f"collect: {collected:.1f} s, {sum(calls.values())} API calls {dict(sorted(calls.items()))}")
    print(f"collector peak Python memory: {peak / 2**20:.0f} MiB; failed sources: {failed or 'none'}")
    print(f"audit (pytest checks --snapshot): {audited:.1f} s, peak RSS {audit_rss:.0f} MiB; {summary}")
    print("sizes: " + ", ".join(f"{name} {size / 2**20:.1f} MiB" for name, size in sizes.items()))


if __name__ == "__main__":
    main()
