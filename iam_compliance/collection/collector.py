"""The collector: the only code that calls AWS. It reads every data source once into a snapshot."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from iam_compliance import __version__
from iam_compliance.collection.sources import account as sources_account, activity as sources_activity, credentials as sources_credentials, iam as sources_iam, regional as sources_regional
from iam_compliance.collection.errors import CollectionError, describe_error
from iam_compliance.collection.aws import AwsContext, CollectOptions
from iam_compliance.snapshot.document import SCHEMA_VERSION, json_safe
from iam_compliance.timeutil import to_iso, utc_now

Source = Callable[[AwsContext], Any]

# name -> fetch function; every source is read independently so one failure spoils only its checks.
SOURCES: dict[str, Source] = {
    **sources_iam.SOURCES, **sources_credentials.SOURCES, **sources_regional.SOURCES, **sources_account.SOURCES,
    **sources_activity.SOURCES,  # after sources_iam: it reads the users and roles of authorization_details
}


def caller_identity(session: boto3.Session, ctx: AwsContext) -> dict:
    try:
        return ctx.client("sts").get_caller_identity()
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
    sources: Mapping[str, Source] | None = None,
) -> dict:
    """Read every data source; a failed source is recorded with its AWS error instead of data."""
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
    for name, fetch in (sources if sources is not None else SOURCES).items():
        try:
            doc["sources"][name] = {"status": "ok", "data": json_safe(fetch(ctx))}
        except Exception as exc:  # noqa: BLE001 - any failure must fail closed, never look like "no data"
            doc["sources"][name] = {"status": "error", "error": describe_error(exc)}
    return doc
