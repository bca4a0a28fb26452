"""boto3 sessions and clients for the collector (read-only calls only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from iam_compliance import __version__

# Standard retry mode backs off on throttling; a source that is still throttled after this
# many attempts is recorded as failed and its checks ERROR.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 8},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra=f"iam-compliance/{__version__}",
)


@dataclass(frozen=True)
class CollectOptions:
    """What to collect; filled from the command line and the settings file."""

    regions: tuple[str, ...] | None = None  # None: every enabled region
    service_activity: bool = True
    credential_report_timeout: float = 300.0


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A session from the default credential chain (AWS_ENDPOINT_URL is honoured by botocore)."""
    return boto3.Session(profile_name=profile, region_name=region or None)


@dataclass
class AwsContext:
    """What a data source needs: clients, the account and the options."""

    session: boto3.Session
    account_id: str = ""
    partition: str = "aws"
    options: CollectOptions = field(default_factory=CollectOptions)
    # Results of the sources read so far, by name, for sources built on another source's data.
    collected: dict[str, dict] = field(default_factory=dict)
    _clients: dict = field(default_factory=dict)

    @property
    def home_region(self) -> str:
        return self.session.region_name or "us-east-1"

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.home_region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=key[1], config=CLIENT_CONFIG)
        return self._clients[key]
