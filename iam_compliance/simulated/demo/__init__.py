"""The built-in demo account: a neglected but realistic AWS account, simulated in-process by moto.

Every per-entity check has compliant and non-compliant entities here, and the account-wide
checks show what a neglected account looks like. ``pytest checks --demo`` audits it with the
real collector; no credentials are needed and no request can leave the process.

Each module of this package seeds one part; ``SEEDERS`` runs them in order. A seeder receives
the account and the ARNs of the policies the base part created.
"""

from __future__ import annotations

import contextlib
import os
from typing import Callable, Iterator

import boto3
from moto import mock_aws
from moto.moto_api._internal import mock_random

from iam_compliance.collection.aws import CollectOptions
from iam_compliance.collection.collector import collect
from iam_compliance.simulated.demo import activity as activity_demo
from iam_compliance.simulated.demo import admins as admins_demo
from iam_compliance.simulated.demo import base
from iam_compliance.simulated.demo import regional as regional_demo
from iam_compliance.simulated.demo import trust as trust_demo
from iam_compliance.simulated.demo import users as users_demo
from iam_compliance.simulated.moto_account.builder import MotoAccount
from iam_compliance.simulated.moto_account.gaps import moto_gaps
from iam_compliance.simulated.moto_account.regional import enabled_regions

DEMO_RANDOM_SEED = 20261129
SEEDERS: list[Callable[[MotoAccount, dict[str, str]], None]] = []
SEEDERS.append(users_demo.seed)
SEEDERS.append(regional_demo.seed)
SEEDERS.append(admins_demo.seed)
SEEDERS.append(activity_demo.seed)
SEEDERS.append(trust_demo.seed)


def seed_demo(account: MotoAccount) -> None:
    arns = base.seed(account)
    for seeder in SEEDERS:
        seeder(account, arns)
    account.generate_credential_report(hours_ago=users_demo.REPORT_AGE_HOURS)


# Any request that moto does not answer would be sent through this proxy, where nothing listens.
UNREACHABLE_PROXY = "http://127.0.0.1:9"


@contextlib.contextmanager
def offline_environment() -> Iterator[None]:
    """Keep the demo inside the in-process mock, whatever credentials or endpoints are configured."""
    names = [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL") or n in (
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "NO_PROXY", "no_proxy")]
    saved = {n: os.environ.pop(n) for n in names}
    replaced = {n: os.environ.get(n) for n in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")}
    os.environ.update({n: UNREACHABLE_PROXY for n in replaced})
    try:
        yield
    finally:
        for name, value in replaced.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        os.environ.update(saved)


def collect_demo(
    options: CollectOptions = CollectOptions(), observe: Callable[[boto3.Session], None] | None = None,
) -> dict:
    """Seed the demo account in moto, then run the real collector against it.

    ``observe`` is called with the collector's session before it makes its first call (to record the calls).
    """
    with offline_environment(), mock_aws(), moto_gaps(), enabled_regions(regional_demo.DEMO_REGIONS):
        mock_random.seed(DEMO_RANDOM_SEED)  # the same key and certificate ids, so the same test ids, every run
        account = MotoAccount()
        seed_demo(account)
        session = boto3.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1")
        if observe is not None:
            observe(session)
        doc = collect(session, options)
    doc["demo"] = True  # marks the snapshot: it is replayed with --demo, which applies the demo's settings.yaml
    return doc
