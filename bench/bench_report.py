"""Benchmark: the audit and its reports for a large account (5,000 users by default).

    .venv/bin/python bench/bench_report.py [--users 5000] [--out DIR] [--no-browser]

Builds a synthetic snapshot directly as JSON (a realistic mix: most users compliant, a quarter of them
with findings, service users with old or unused keys, a few hundred roles and policies), runs
``pytest checks --snapshot`` on it as a user would, and prints the number of items, the audit's wall
time and peak memory, the sizes of the HTML and JUnit reports, and the time headless Chromium takes
to load and render the HTML report (browser start-up measured separately and subtracted).
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iam_compliance.collection.collector import SOURCES  # noqa: E402  (after the path set-up above)
from iam_compliance.snapshot.credential_report import ROOT_USER  # noqa: E402
from iam_compliance.snapshot.document import SCHEMA_VERSION, save  # noqa: E402

ACCOUNT = "123456789012"
COLLECTED_AT = datetime.fromisoformat("2026-06-01T12:00:00+00:00")
REGIONS = ["eu-west-1", "us-east-1"]
AWS_POLICIES = ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "AWSSupportAccess", "AWSCloudShellFullAccess"]
SERVICES = ["s3", "ec2", "dynamodb", "lambda", "logs", "sqs", "sns", "cloudwatch", "kms", "iam"]
BROWSER_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--window-size=1400,1000",
]

# (profile, share of users): Account.user turns each profile into IAM data; about a quarter have findings.
USER_MIX = [
    ("human", 0.55), ("human_no_mfa", 0.08), ("human_stale", 0.07), ("human_with_key", 0.10),
    ("service", 0.08), ("service_old_key", 0.05), ("service_two_keys", 0.03), ("service_unused_key", 0.02),
    ("human_inline_policy", 0.01), ("human_direct_policy", 0.01),
]


def ago(days: float) -> str:
    return (COLLECTED_AT - timedelta(days=days)).isoformat()


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def allow(actions: list[str] | str, resource_: str = "*") -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource_}]}


def empty_row(name: str, user_arn: str, created: str) -> dict[str, str]:
    row = {"user": name, "arn": user_arn, "user_creation_time": created, "password_enabled": "false",
           "password_last_used": "N/A", "password_last_changed": "N/A", "password_next_rotation": "N/A",
           "mfa_active": "false"}
    for slot in (1, 2):
        row |= {f"access_key_{slot}_active": "false", f"access_key_{slot}_last_rotated": "N/A",
                f"access_key_{slot}_last_used_date": "N/A", f"access_key_{slot}_last_used_region": "N/A",
                f"access_key_{slot}_last_used_service": "N/A", f"cert_{slot}_active": "false",
                f"cert_{slot}_last_rotated": "N/A"}
    return row


class Account:
    """The synthetic account, built up one user, role and policy at a time."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.users: list[dict] = []
        self.rows: list[dict] = []
        self.keys: dict[str, dict] = {}
        self.mfa: list[dict] = []
        self.activity: dict[str, dict] = {}
        self.groups = [self.group("admins", ["AdministratorAccess"])] + [
            self.group(f"team-{i:02d}", [self.rng.choice(["ReadOnlyAccess", "PowerUserAccess"])]) for i in range(24)]
        self.roles: list[dict] = []
        self.policies = [self.aws_policy(name) for name in AWS_POLICIES]

    def group(self, name: str, policies: list[str]) -> dict:
        return {"GroupName": name, "GroupId": f"AGPA{name.upper():0<16}"[:20], "Arn": arn("group", name), "Path": "/",
                "CreateDate": ago(900), "GroupPolicyList": [],
                "AttachedManagedPolicies": [{"PolicyName": p, "PolicyArn": f"arn:aws:iam::aws:policy/{p}"} for p in policies]}

    def aws_policy(self, name: str) -> dict:
        document = allow("*") if name == "AdministratorAccess" else allow(["s3:Get*", "ec2:Describe*"])
        return self.managed(f"arn:aws:iam::aws:policy/{name}", name, document, attachments=1)

    def managed(self, policy_arn: str, name: str, document: dict, attachments: int) -> dict:
        return {"PolicyName": name, "Arn": policy_arn, "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": attachments,
                "IsAttachable": True, "CreateDate": ago(800), "UpdateDate": ago(400), "Description": "",
                "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "CreateDate": ago(400),
                                       "Document": document}]}

    def activity_of(self, entity_arn: str, used_days: list[float | None]) -> None:
        services = []
        for namespace, days in zip(self.rng.sample(SERVICES, len(used_days)), used_days):
            entry = {"ServiceName": namespace.upper(), "ServiceNamespace": namespace, "TotalAuthenticatedEntities": 0}
            if days is not None:
                entry |= {"LastAuthenticated": ago(days), "LastAuthenticatedEntity": entity_arn,
                          "LastAuthenticatedRegion": "eu-west-1", "TotalAuthenticatedEntities": 1}
            services.append(entry)
        self.activity[entity_arn] = {"status": "ok", "job_completed": COLLECTED_AT.isoformat(), "services": services}

    def user(self, index: int, profile: str) -> None:
        rng = self.rng
        name = f"{'svc' if profile.startswith('service') else 'user'}-{index:05d}"
        user_arn, created = arn("user", name), ago(rng.randint(120, 1500))
        detail = {"UserName": name, "UserId": f"AIDA{index:016d}", "Arn": user_arn, "Path": "/", "CreateDate": created,
                  "GroupList": [rng.choice(self.groups[1:])["GroupName"]], "AttachedManagedPolicies": [],
                  "UserPolicyList": [], "Tags": [{"Key": "team", "Value": f"team-{index % 24:02d}"}]}
        row = empty_row(name, user_arn, created)
        if profile.startswith("human"):
            last_used = rng.randint(120, 400) if profile == "human_stale" else rng.randint(0, 30)
            row |= {"password_enabled": "true", "password_last_used": ago(last_used),
                    "password_last_changed": ago(rng.randint(10, 80))}
            if profile != "human_no_mfa":
                row["mfa_active"] = "true"
                self.mfa.append({"SerialNumber": arn("mfa", name), "EnableDate": created,
                                 "User": {"UserName": name, "UserId": detail["UserId"], "Arn": user_arn}})
        keys = {"human_with_key": [(40, 2)], "service": [(rng.randint(5, 80), 0)], "service_old_key": [(rng.randint(200, 900), 1)],
                "service_two_keys": [(60, 1), (20, 3)], "service_unused_key": [(rng.randint(100, 300), None)]}.get(profile, [])
        self.access_keys(detail, row, keys)
        if profile == "human_inline_policy":
            detail["UserPolicyList"] = [{"PolicyName": "scratch", "PolicyDocument": allow("s3:*", "arn:aws:s3:::scratch/*")}]
        if profile == "human_direct_policy":
            detail["AttachedManagedPolicies"] = [{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]
        self.activity_of(user_arn, [rng.randint(0, 60), rng.choice([None, rng.randint(0, 200)])])
        self.users.append(detail)
        self.rows.append(row)

    def access_keys(self, detail: dict, row: dict, keys: list[tuple[int, int | None]]) -> None:
        records = []
        for slot, (age, used) in enumerate(keys, start=1):
            key_id = f"AKIA{detail['UserId'][4:]}{slot}"[:20]
            row |= {f"access_key_{slot}_active": "true", f"access_key_{slot}_last_rotated": ago(age)}
            if used is not None:
                row |= {f"access_key_{slot}_last_used_date": ago(used), f"access_key_{slot}_last_used_region": "eu-west-1",
                        f"access_key_{slot}_last_used_service": "s3"}
            records.append({"AccessKeyId": key_id, "Status": "Active", "CreateDate": ago(age), "ReportSlot": slot})
        if records:
            self.keys[detail["UserName"]] = {"status": "ok", "UserArn": detail["Arn"], "AccessKeys": records}

    def role(self, index: int) -> None:
        rng = self.rng
        name = f"role-{index:04d}"
        service = rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"])
        role = {"RoleName": name, "RoleId": f"AROA{index:016d}", "Arn": arn("role", name), "Path": "/",
                "CreateDate": ago(rng.randint(100, 1200)), "InstanceProfileList": [], "Tags": [],
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": service}}]},
                "AttachedManagedPolicies": [{"PolicyName": f"app-{index % 40:02d}",
                                             "PolicyArn": arn("policy", f"app-{index % 40:02d}")}],
                "RolePolicyList": [], "RoleLastUsed": {}}
        if rng.random() < 0.85:
            role["RoleLastUsed"] = {"LastUsedDate": ago(rng.choice([0, 1, 3, 20, 60, 150])), "Region": "eu-west-1"}
        if rng.random() < 0.05:
            role["RolePolicyList"] = [{"PolicyName": "extra", "PolicyDocument": allow(["sqs:SendMessage"])}]
        self.activity_of(role["Arn"], [rng.randint(0, 30), rng.choice([None, 5])])
        self.roles.append(role)

    def customer_policies(self, count: int) -> None:
        for i in range(count):
            actions = ["s3:*"] if i % 10 == 0 else ["s3:GetObject", "dynamodb:Query", "sqs:SendMessage"]
            self.policies.append(self.managed(arn("policy", f"app-{i:02d}"), f"app-{i:02d}", allow(actions), attachments=10))


def build_snapshot(users: int, roles: int, seed: int = 5000) -> dict:
    rng = random.Random(seed)
    account = Account(rng)
    profiles = [p for p, share in USER_MIX for _ in range(round(share * users))][:users]
    profiles += ["human"] * (users - len(profiles))
    rng.shuffle(profiles)
    for index, profile in enumerate(profiles):
        account.user(index, profile)
    for index in range(3):  # the administrators
        account.users[index]["GroupList"] = ["admins"]
    for index in range(roles):
        account.role(index)
    account.customer_policies(40)
    root = empty_row(ROOT_USER, f"arn:aws:iam::{ACCOUNT}:root", ago(2000)) | {
        "password_enabled": "not_supported", "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported", "password_last_used": ago(200), "mfa_active": "true"}
    account.mfa.append({"SerialNumber": arn("mfa", "root-account-mfa-device"), "EnableDate": ago(1500),
                        "User": {"Arn": f"arn:aws:iam::{ACCOUNT}:root", "UserName": ACCOUNT}})
    ok = lambda data: {"status": "ok", "data": data}  # noqa: E731
    per_region = lambda data: ok({"regions": {r: ok(data) for r in REGIONS}})  # noqa: E731
    sources = {
        "authorization_details": ok({"users": account.users, "groups": account.groups, "roles": account.roles,
                                     "policies": account.policies}),
        "credential_report": ok({"generated_at": ago(0.1), "rows": [root] + account.rows}),
        "access_keys": ok({"users": account.keys}),
        "signing_certificates": ok({"users": {}}),
        "virtual_mfa_devices": ok(account.mfa),
        "account_summary": ok({"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "AccountPasswordPresent": 1,
                               "AccountSigningCertificatesPresent": 0, "Users": users, "Roles": roles,
                               "Groups": len(account.groups), "Policies": 40, "MFADevices": len(account.mfa)}),
        "password_policy": ok({"policy": {"MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": True,
                                          "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
                                          "PasswordReusePrevention": 24, "ExpirePasswords": False,
                                          "AllowUsersToChangePassword": True, "HardExpiry": False}}),
        "server_certificates": ok([]),
        "service_last_accessed": ok({"enabled": True, "granularity": "SERVICE_LEVEL", "entities": account.activity}),
        "regions": ok({"selected_by": "options", "regions": REGIONS}),
        "access_analyzers": per_region([]),
        "acm_certificates": per_region([]),
        "load_balancers": per_region({"classic": [], "v2": []}),
        "saml_providers": ok([]),
        "security_contact": ok({"registered": True, "title": "Security operations"}),
    }
    missing = sorted(set(SOURCES) - set(sources))
    if missing:
        print(f"note: the synthetic snapshot has no data for {', '.join(missing)}; checks needing them are errors")
    return {"schema_version": SCHEMA_VERSION, "generator": "bench_report", "account_id": ACCOUNT, "partition": "aws",
            "caller_arn": f"arn:aws:iam::{ACCOUNT}:user/auditor", "collected_at": COLLECTED_AT.isoformat(),
            "sources": sources}


def run_audit(snapshot: Path, out: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit code of ``pytest checks --snapshot``."""
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-m", "pytest", "checks", "--snapshot", str(snapshot), "--reports-dir", str(out),
         "-q", "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    tail = process.stdout.strip().splitlines()[-1:] or process.stderr.strip().splitlines()[-1:]
    print(f"pytest: {tail[0] if tail else '(no output)'}")
    return elapsed, peak, process.returncode


def junit_outcomes(path: Path) -> dict[str, int]:
    counts = {"testcases": 0, "failure": 0, "error": 0, "skipped": 0}
    for case in ET.parse(path).getroot().iter("testcase"):
        counts["testcases"] += 1
        for tag in ("failure", "error", "skipped"):
            counts[tag] += case.find(tag) is not None
    return counts


def browser() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def chromium(binary: str, profile: Path, timeout: float, *args: str) -> tuple[float, str]:
    """Seconds the headless browser ran, and what it printed."""
    started = time.perf_counter()
    process = subprocess.run([binary, *BROWSER_FLAGS, f"--user-data-dir={profile}", *args],
                             capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - started, process.stdout


def render_figures(binary: str, page: Path, scratch: Path, timeout: float) -> list[tuple[str, str]]:
    """What a reader waits for: the page loaded, its scripts run, the first screen painted.

    Measured as the time of a screenshot, less the browser's start-up (a screenshot of a blank
    page); then the DOM is dumped, untimed, to count the table rows the scripts built.
    """
    blank = scratch / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title><p>start-up</p>", encoding="utf-8")
    profile = scratch / "chromium"
    startup, _ = chromium(binary, profile, timeout, f"--screenshot={scratch / 'blank.png'}", blank.as_uri())
    total, _ = chromium(binary, profile, timeout, f"--screenshot={scratch / 'report.png'}", page.as_uri())
    _, dom = chromium(binary, profile, timeout, "--dump-dom", page.as_uri())
    rows = dom.count('<tr class="item ')  # the item table's rows (findings, errors, and one per control's passes)
    return [("Chromium start-up", f"{startup:.1f} s"),
            ("Chromium load + render", f"{total - startup:.1f} s beyond start-up ({rows} item rows)")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--roles", type=int, default=400)
    parser.add_argument("--out", type=Path, help="keep the snapshot and reports here (default: a temporary directory)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium rendering measurement")
    parser.add_argument("--browser-timeout", type=float, default=900)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-report-") as scratch:
        out = args.out or Path(scratch)
        snapshot = save(build_snapshot(args.users, args.roles), out / "snapshot-input.json")
        seconds, peak_mib, code = run_audit(snapshot, out / "reports")
        html, junit = out / "reports" / "compliance.html", out / "reports" / "junit.xml"
        counts = junit_outcomes(junit)
        figures: list[tuple[str, Any]] = [
            ("users / roles", f"{args.users} / {args.roles}"),
            ("snapshot size", f"{snapshot.stat().st_size / 1e6:.1f} MB"),
            ("items", f"{counts['testcases']} ({counts['failure']} findings, {counts['error']} errors, "
                      f"{counts['skipped']} not applicable or waived)"),
            ("audit wall time", f"{seconds:.1f} s (exit code {code})"),
            ("audit peak RSS", f"{peak_mib:.0f} MiB"),
            ("HTML report", f"{html.stat().st_size / 1e6:.1f} MB"),
            ("JUnit XML", f"{junit.stat().st_size / 1e6:.1f} MB"),
        ]
        binary = None if args.no_browser else browser()
        if binary:
            figures += render_figures(binary, html, Path(scratch), args.browser_timeout)
        else:
            figures.append(("Chromium", "not measured" + ("" if args.no_browser else ": no chromium on PATH")))
        width = max(len(label) for label, _ in figures)
        for label, value in figures:
            print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
