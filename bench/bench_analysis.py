"""Benchmark: effective permissions, administrator verdicts and escalation for a synthetic account.

    .venv/bin/python bench/bench_analysis.py [--users 5000] [--roles 1000] [--unique-inline 0.3] [--seed 1]

Builds a GetAccountAuthorizationDetails-shaped snapshot in memory (users in groups, shared customer managed
policies with several versions, AWS-managed-like policies, boundaries, roles with trust policies; a fraction of
the users with an inline policy of their own, others with a copy of a common inline policy or none; every role
with an inline policy naming its own log group) and prints, each timed from cold caches on a fresh snapshot:

- the catalogue load time (once per process, not counted below);
- principals per second for the administrator verdict alone (compile each principal's policies, the verdict);
- principals per second for the full analysis: the verdict, the escalation methods (with the account
  inventory) and, for roles, the trust rules; optionally also with several processes.

Wall-clock rates are the figures; CPU-time rates are printed next to them because a loaded machine slows the
wall clock without any change in the work done.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iam_compliance.analysis import matching, patterns  # noqa: E402  (after the path set-up above)
from iam_compliance.analysis.actions import aws_catalogue  # noqa: E402
from iam_compliance.analysis.administrators import admin_verdict  # noqa: E402
from iam_compliance.analysis.inputs import principal_escalations, principal_permissions  # noqa: E402
from iam_compliance.analysis.trust import evaluate_trust  # noqa: E402
from iam_compliance.model.iam import Principal, Role, Snapshot  # noqa: E402

ACCOUNT = "123456789012"
SERVICES = ["s3", "ec2", "dynamodb", "lambda", "logs", "sqs", "sns", "cloudwatch", "kms", "iam", "rds", "ecr"]


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def managed(name: str, *versions: dict, aws: bool = False) -> dict:
    arn = f"arn:aws:iam::{'aws' if aws else ACCOUNT}:policy/{name}"
    return {"PolicyName": name, "Arn": arn, "DefaultVersionId": f"v{len(versions)}", "AttachmentCount": 1,
            "PolicyVersionList": [{"VersionId": f"v{i}", "IsDefaultVersion": i == len(versions), "Document": d}
                                  for i, d in enumerate(versions, start=1)]}


def build(users: int, roles: int, seed: int, unique_inline: float = 0.3) -> Snapshot:
    rng = random.Random(seed)
    read_only = doc({"Effect": "Allow", "Action": [f"{s}:{v}*" for s in SERVICES for v in ("Get", "List", "Describe")],
                     "Resource": "*"})
    policies = [
        managed("AdministratorAccess", doc({"Effect": "Allow", "Action": "*", "Resource": "*"}), aws=True),
        managed("PowerUserAccess", doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                                        "Resource": "*"}), aws=True),
        managed("ReadOnlyLike", read_only, aws=True),
        managed("deny-iam-writes", doc({"Effect": "Deny", "Action": ["iam:Create*", "iam:Put*", "iam:Attach*"],
                                        "Resource": "*"})),
        managed("boundary", doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})),
    ]
    for i in range(40):
        service = SERVICES[i % len(SERVICES)]
        old = doc({"Effect": "Allow", "Action": f"{service}:*", "Resource": "*"})
        new = doc({"Effect": "Allow", "Action": [f"{service}:Get*", f"{service}:Put*"],
                   "Resource": f"arn:aws:{service}:::team-{i}/*"},
                  {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/app-{i}",
                   "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}})
        policies.append(managed(f"team-{i}", old, new))
    arns = [p["Arn"] for p in policies]
    groups = [{"GroupName": f"g{i}", "Arn": f"arn:aws:iam::{ACCOUNT}:group/g{i}",
               "AttachedManagedPolicies": [{"PolicyArn": rng.choice(arns[2:])}],
               "GroupPolicyList": [{"PolicyName": "mfa", "PolicyDocument": doc(
                   {"Effect": "Deny", "NotAction": ["iam:*MFA*", "sts:GetSessionToken"], "Resource": "*",
                    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})}]} for i in range(30)]
    self_service = {"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:ChangePassword"],
                    "Resource": "arn:aws:iam::*:user/${aws:username}"}
    user_list = []
    for i in range(users):
        service = rng.choice(SERVICES)
        draw = rng.random()
        if draw < unique_inline:  # an inline policy of its own
            inline = [{"PolicyName": f"own-{i}", "PolicyDocument": doc(
                {"Effect": "Allow", "Action": [f"{service}:Get*", f"{service}:List*"],
                 "Resource": f"arn:aws:{service}:::data-{i}/*"}, dict(self_service))}]
        elif draw < unique_inline + (1 - unique_inline) / 2:  # a copy of a common one (as IaC writes them)
            inline = [{"PolicyName": "self-service", "PolicyDocument": doc(dict(self_service))}]
        else:
            inline = []
        detail: dict[str, Any] = {"UserName": f"u{i}", "Arn": f"arn:aws:iam::{ACCOUNT}:user/u{i}",
                  "GroupList": rng.sample([g["GroupName"] for g in groups], rng.randint(0, 2)),
                  "UserPolicyList": inline,
                  "AttachedManagedPolicies": [{"PolicyArn": a} for a in rng.sample(arns[1:], rng.randint(0, 2))]}
        if rng.random() < 0.02:
            detail["AttachedManagedPolicies"].append({"PolicyArn": arns[0]})
        if rng.random() < 0.1:
            detail["PermissionsBoundary"] = {"PermissionsBoundaryArn": arns[4]}
        user_list.append(detail)
    role_list = []
    for i in range(roles):
        service = rng.choice(["lambda.amazonaws.com", "ec2.amazonaws.com", "states.amazonaws.com"])
        trust = doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})
        role_list.append({"RoleName": f"app-{i}", "Arn": f"arn:aws:iam::{ACCOUNT}:role/app-{i}", "Path": "/",
                          "AssumeRolePolicyDocument": trust,
                          "AttachedManagedPolicies": [{"PolicyArn": rng.choice(arns[1:])}],
                          "RolePolicyList": [{"PolicyName": "logs", "PolicyDocument": doc(
                              {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                               "Resource": f"arn:aws:logs:*:{ACCOUNT}:log-group:/app/{i}:*"})}]})
    data = {"users": user_list, "groups": groups, "roles": role_list, "policies": policies}
    return Snapshot({"account_id": ACCOUNT, "partition": "aws", "caller_arn": f"arn:aws:iam::{ACCOUNT}:user/a",
                     "collected_at": "2026-01-01T00:00:00+00:00",
                     "sources": {"authorization_details": {"status": "ok", "data": data}}})


def admin_only(principals: list[Principal]) -> tuple[int, int, int]:
    """(admins, 0, 0): compile each principal's policies and give the administrator verdict."""
    catalogue = aws_catalogue()
    admins = 0
    for principal in principals:
        admins += admin_verdict(principal_permissions(principal, catalogue)).is_admin
    return admins, 0, 0


def analyse(principals: list[Principal]) -> tuple[int, int, int]:
    """(admins, principals that can escalate, trust findings) for these principals."""
    catalogue = aws_catalogue()
    admins = escalating = findings = 0
    for principal in principals:
        perms = principal_permissions(principal, catalogue)
        admins += admin_verdict(perms).is_admin
        escalating += bool(principal_escalations(principal, catalogue, perms))
        if isinstance(principal, Role):
            findings += len(evaluate_trust(principal.trust_policy, role_name=principal.name,
                                           role_arn=principal.arn).findings)
    return admins, escalating, findings


def cold(args: argparse.Namespace) -> list[Principal]:
    """A freshly built snapshot's principals, with every cache derived from earlier runs emptied."""
    catalogue = aws_catalogue()
    catalogue.memo.clear()
    catalogue._cache.clear()
    for cached in (patterns._regex, patterns.matches_every_resource, matching.includes):
        cached.cache_clear()
    snapshot = build(args.users, args.roles, args.seed, args.unique_inline)
    return [*snapshot.users.values(), *snapshot.roles.values()]


def timed(run: Callable[[list[Principal]], tuple[int, int, int]], principals: list[Principal]
          ) -> tuple[tuple[int, int, int], float, float]:
    gc.collect()  # start each run with the collector's counts reset (it stays enabled while timing)
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(principals)
    return result, time.perf_counter() - wall, time.process_time() - cpu


_SHARED: list[Principal] = []  # set before the worker processes fork, so they inherit the snapshot


def _worker(part: int, parts: int) -> tuple[int, int, int]:
    return analyse(_SHARED[part::parts])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--roles", type=int, default=1000)
    parser.add_argument("--unique-inline", type=float, default=0.3,
                        help="fraction of users with an inline policy of their own (1.0: every user)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median, best and worst printed)")
    parser.add_argument("--processes", type=int, default=1, help="also time the full analysis over N processes")
    args = parser.parse_args()
    started = time.perf_counter()
    catalogue = aws_catalogue()
    print(f"catalogue: {len(catalogue)} actions ({catalogue.source}) loaded in {time.perf_counter() - started:.2f} s")
    principals = cold(args)
    count = len(principals)
    print(f"{count} principals ({args.users} users, {args.roles} roles; "
          f"{args.unique_inline:.0%} of users with an inline policy of their own); "
          f"each figure over {args.repeat} runs from cold caches on a fresh snapshot")

    def measure(label: str, run: Callable[[list[Principal]], tuple[int, int, int]]) -> tuple[int, int, int]:
        walls, cpus, results = [], [], set()
        for _ in range(args.repeat):
            result, wall, cpu = timed(run, cold(args))
            walls.append(wall)
            cpus.append(cpu)
            results.add(result)
        assert len(results) == 1, results  # every run gives the same verdicts
        print(f"{label}: median {count / statistics.median(walls):,.0f} principals/second "
              f"(best {count / min(walls):,.0f}, worst {count / max(walls):,.0f}; "
              f"CPU time: median {count / statistics.median(cpus):,.0f} principals/CPU-second)")
        return results.pop()

    admins, _, _ = measure("administrator verdict alone", admin_only)
    result = measure("full analysis (verdict, escalation, trust)", analyse)
    assert result[0] == admins
    print(f"  {result[0]} admins, {result[1]} can escalate, {result[2]} trust findings")
    if args.processes > 1:
        _SHARED[:] = cold(args)
        context = multiprocessing.get_context("fork")
        started = time.perf_counter()
        with context.Pool(args.processes) as pool:
            totals = pool.starmap(_worker, [(part, args.processes) for part in range(args.processes)])
        elapsed = time.perf_counter() - started
        assert tuple(map(sum, zip(*totals))) == result
        print(f"full analysis, {args.processes} processes: {elapsed:.2f} s, {count / elapsed:,.0f} principals/second")


if __name__ == "__main__":
    main()
