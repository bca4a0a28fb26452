"""boto3 sessions and clients for the collector (read-only calls only)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

import boto3
import botocore.loaders
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ProfileNotFound

from iam_compliance import __version__
from iam_compliance.collection.errors import CollectionError, DependencyUnavailable
from iam_compliance.snapshot.failures import failure_of

# Adaptive retry mode backs off on throttling and then paces the client's requests (the per-entity
# calls run concurrently); a source that is still throttled after this many attempts is recorded
# as failed and its checks ERROR. The timeouts come from CollectOptions.
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 8},
    user_agent_extra=f"iam-compliance/{__version__}",
)


@dataclass(frozen=True)
class CollectOptions:
    """What to collect and how long it may take; filled from the command line and the settings file.

    The defaults are those of ``iam-compliance.yaml`` (section ``collection``).
    """

    regions: tuple[str, ...] | None = None  # None: every enabled region
    service_activity: bool = True
    credential_report_timeout: float = 300.0
    connect_timeout: float = 10.0  # seconds to open a connection to an AWS endpoint
    read_timeout: float = 30.0  # seconds to wait for a response; a call that times out is retried, then fails
    deadline: float = 3600.0  # seconds for the whole collection; calls after it fail, and so do their sources
    service_activity_timeout: float = 600.0  # seconds for the service-last-accessed jobs


class CollectionDeadline(BotoCoreError):
    """The collection's total time ran out: every call after it fails, recording its source as failed.

    A botocore error, so that every caller that handles a failed call handles this one too.
    """

    fmt = "{message}"
    code = "CollectionDeadline"


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A session from the default credential chain (AWS_ENDPOINT_URL is honoured by botocore).

    An unknown profile is a CollectionError naming the profiles that exist, before any call is made.
    """
    try:
        return boto3.Session(profile_name=profile, region_name=region or None)
    except ProfileNotFound:
        known = ", ".join(sorted(boto3.Session().available_profiles)) or "none"
        raise CollectionError(
            f"AWS profile '{profile}' is not configured (profiles in ~/.aws/config and ~/.aws/credentials: {known})."
        ) from None


def unknown_regions(regions: Iterable[str]) -> list[str]:
    """The names that are no region of any AWS partition, by botocore's own endpoint data (no call is made)."""
    # Read the endpoint data directly: a session would read the AWS config and fail on a missing profile.
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    known = {region for partition in endpoints["partitions"] for region in partition["regions"]}
    return [region for region in regions if region not in known]


@dataclass
class AwsContext:
    """What a data source needs: clients, the account and the options."""

    session: boto3.Session
    account_id: str = ""
    partition: str = "aws"
    options: CollectOptions = field(default_factory=CollectOptions)
    # Results of the sources read so far, by name, for sources built on another source's data.
    collected: dict[str, dict] = field(default_factory=dict)
    # The source being read, and the sources it declares it reads (name -> how to name it when it failed).
    source: str = ""
    reads: Mapping[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)  # the deadline counts from here
    _clients: dict = field(default_factory=dict)

    def seconds_left(self) -> float:
        return self.started + self.options.deadline - time.monotonic()

    def _check_deadline(self, **_: Any) -> None:
        """Before every call and retry: after the deadline, the call fails instead of being made."""
        if self.seconds_left() <= 0:
            raise CollectionDeadline(message=
                f"the collection's {self.options.deadline:.0f}-second deadline (collection.deadline_seconds) "
                "passed before this call")

    @property
    def home_region(self) -> str:
        return self.session.region_name or "us-east-1"

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.home_region)
        if key not in self._clients:
            make_client: Callable[..., Any] = self.session.client  # any service name, not only the stubs' literals
            config = CLIENT_CONFIG.merge(Config(connect_timeout=self.options.connect_timeout,
                                                read_timeout=self.options.read_timeout))
            client = make_client(service, region_name=key[1], config=config)
            # Before every call and every retry of it; first, so that no other handler answers in its place.
            client.meta.events.register_first("before-call.*.*", self._check_deadline)
            client.meta.events.register_first("before-send.*.*", self._check_deadline)
            self._clients[key] = client
        return self._clients[key]

    def reading(self, source: str, reads: Mapping[str, str]) -> AwsContext:
        """The context for one source: the same clients and results, and only its declared dependencies."""
        return replace(self, source=source, reads=dict(reads))

    def dependency(self, name: str) -> Any:
        """The data of source ``name``, which this source must declare in ``reads``.

        Raises DependencyUnavailable, naming the source and its error, when it was not read.
        """
        if name not in self.reads:
            raise UndeclaredDependency(
                f"data source '{self.source}' reads source '{name}' without declaring it in its reads")
        result = self.collected.get(name)
        if result is None:
            raise DependencyUnavailable(f"{self.reads[name]}, which was not collected")
        failure = failure_of(result)
        if failure is not None:
            raise DependencyUnavailable(f"{self.reads[name]}, which could not be read ({failure.describe()})")
        return result["data"]


class UndeclaredDependency(Exception):
    """A source read another source that its declaration does not list in ``reads`` (a bug in the source)."""
