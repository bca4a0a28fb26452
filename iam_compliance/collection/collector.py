"""The collector: the only code that calls AWS. It reads every data source once into a snapshot."""

from __future__ import annotations

from typing import Iterable

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from iam_compliance import __version__
from iam_compliance.collection import progress
from iam_compliance.collection.aws import AwsContext, CollectOptions
from iam_compliance.collection.declaration import DataSource, ordered
from iam_compliance.collection.errors import CollectionError, describe_error, failed
from iam_compliance.collection.sources import account, activity, credentials, iam, regional
from iam_compliance.snapshot.document import SCHEMA_VERSION, json_safe
from iam_compliance.snapshot.failures import ok_entry
from iam_compliance.timeutil import to_iso, utc_now

# Every declared source, in reading order (each after the sources it reads).
DECLARATIONS: list[DataSource] = ordered([
    *iam.DECLARATIONS, *credentials.DECLARATIONS, *regional.DECLARATIONS, *account.DECLARATIONS,
    *activity.DECLARATIONS,
])
SOURCES: dict[str, DataSource] = {source.name: source for source in DECLARATIONS}


def caller_identity(session: boto3.Session, ctx: AwsContext) -> dict:
    try:
        identity: dict = ctx.client("sts").get_caller_identity()
        return identity
    except (ClientError, BotoCoreError) as exc:
        error = describe_error(exc)
        raise CollectionError(
            f"Cannot identify the AWS account (sts:GetCallerIdentity failed: {error['code']}: {error['message']}). "
            "Configure credentials (AWS_PROFILE, --aws-profile, environment or instance role), "
            "or run `pytest checks --demo` for the built-in demo account."
        ) from None


def collect(
    session: boto3.Session,
    options: CollectOptions = CollectOptions(),
    sources: Iterable[DataSource] | None = None,
) -> dict:
    """Read every data source (or those given, which must include what they read), each after its dependencies.

    A failed source is recorded with its AWS error instead of data.
    """
    plan = DECLARATIONS if sources is None else ordered(sources)
    by_name = {source.name: source for source in plan}
    ctx = AwsContext(session=session, options=options)
    identity = caller_identity(session, ctx)
    ctx.account_id = identity["Account"]
    ctx.partition = identity["Arn"].split(":")[1]
    doc: dict = {
        "schema_version": SCHEMA_VERSION,
        "generator": f"iam-compliance {__version__}",
        "account_id": ctx.account_id,
        "partition": ctx.partition,
        "caller_arn": identity["Arn"],
        "collected_at": to_iso(utc_now().replace(microsecond=0)),
        "sources": ctx.collected,
    }
    for source in plan:
        reading = ctx.reading(source.name, {name: by_name[name].as_dependency for name in source.reads})
        try:
            with progress.source(source.name):  # per-entity calls show their progress under this name
                doc["sources"][source.name] = ok_entry(data=json_safe(source.fetch(reading)))
        except Exception as exc:  # noqa: BLE001 - any failure must fail closed, never look like "no data"
            doc["sources"][source.name] = failed(exc)
    return doc
