"""Benchmark: Prowler and this suite, one after the other, against the same seeded moto server.

    .venv/bin/python -m bench.bench_prowler [--users 2000] [--roles 500] [--prowler /work/prowler-venv/bin/prowler]

Prowler (pinned 5.46.0) lives in its own virtual environment, so that neither tool's dependencies
touch the other's:

    python3 -m venv prowler-venv && prowler-venv/bin/pip install prowler==5.46.0

One moto server (``ThreadedMotoServer``, in this process) is seeded once, straight into its backend;
both tools then audit it through ``AWS_ENDPOINT_URL`` as they would audit AWS: Prowler with
``--services iam``, the suite with ``pytest checks --no-service-activity`` (Prowler reads no service
activity either), both in us-east-1. Each row is a whole process: API requests the server answered,
wall time, CPU time and peak RSS; the last line is the ratio.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_collect import seed  # noqa: E402  (after the path set-up above)
from iam_compliance.simulated.moto_account import MotoAccount, moto_gaps  # noqa: E402

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
REGION = "us-east-1"


@dataclass
class Row:
    tool: str
    requests: int
    wall: float
    cpu: float
    peak_mib: float
    exit_code: int


class RequestCounter:
    """Counts the requests the moto server answers (wraps its WSGI application)."""

    def __init__(self) -> None:
        self.count = 0

    def install(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication

        original = DomainDispatcherApplication.__call__
        counter = self

        def counted(app, environ, start_response):  # type: ignore[no-untyped-def]
            counter.count += 1
            return original(app, environ, start_response)

        DomainDispatcherApplication.__call__ = counted  # type: ignore[method-assign]


def run(tool: str, command: list[str], env: dict[str, str], counter: RequestCounter, log: Path) -> Row:
    """One whole process, timed; its rusage read with wait4 so that each row has its own peak RSS."""
    before = counter.count
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Row(tool, counter.count - before, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
               process.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--roles", type=int, default=500)
    parser.add_argument("--prowler", default=str(Path(os.environ.get("PROWLER_VENV", "/work/prowler-venv")) / "bin" / "prowler"))
    parser.add_argument("--suite-args", default="", help="extra pytest arguments for the suite, e.g. '-n 2'")
    parser.add_argument("--out", type=Path, help="keep both tools' outputs and logs here")
    args = parser.parse_args()

    from moto.moto_api._internal.models import moto_api_backend
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    counter = RequestCounter()
    counter.install()
    moto_api_backend.reset()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    with moto_gaps(), tempfile.TemporaryDirectory(prefix="bench-prowler-") as scratch:
        out = args.out or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        server.start()
        host, port = server.get_host_and_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))}
        env |= CREDENTIALS | {"AWS_ENDPOINT_URL": f"http://{host}:{port}"}
        os.environ.update(env)  # the builder's client (credential report) goes to the server too
        started = time.perf_counter()
        account = MotoAccount()
        seed(account, args.users, args.roles)
        print(f"seeded {args.users} users, {args.roles} roles, 50 groups in {time.perf_counter() - started:.1f} s "
              f"(moto server {host}:{port})", flush=True)
        rows = []
        if Path(args.prowler).exists():
            rows.append(run("Prowler 5.46.0 --services iam", [
                args.prowler, "aws", "--services", "iam", "--region", REGION, "--no-banner", "--ignore-exit-code-3",
                "--output-formats", "json-ocsf", "--output-directory", str(out / "prowler")],
                env, counter, out / "prowler.log"))
        else:
            print(f"Prowler not found at {args.prowler}: install it (see the docstring) or pass --prowler")
        rows.append(run("iam-compliance (pytest checks)", [
            sys.executable, "-m", "pytest", "checks", "--no-service-activity", "--regions", REGION,
            "--reports-dir", str(out / "suite"), "-q", "-p", "no:cacheprovider", *args.suite_args.split()],
            env, counter, out / "suite.log"))
        server.stop()
    print(f"{'tool':<34} {'API requests':>12} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13} {'exit':>5}")
    for row in rows:
        print(f"{row.tool:<34} {row.requests:>12,} {row.wall:>8.1f} {row.cpu:>8.1f} {row.peak_mib:>13.0f} {row.exit_code:>5}")
    if len(rows) == 2:
        print(f"wall-time ratio Prowler / suite: {rows[0].wall / rows[1].wall:.1f}x; "
              f"CPU-time ratio: {rows[0].cpu / rows[1].cpu:.1f}x")


if __name__ == "__main__":
    main()
