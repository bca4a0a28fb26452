"""Read-only views of the regional sources (iam_compliance.collection.sources.regional): load balancer certificates, ACM
certificates and Access Analyzer analyzers, each per region.

A region whose source could not be read becomes one item that ERRORs with the region's AWS error
(``eu-west-1/unavailable``, or ``eu-west-1`` for per-region checks), so that the other regions
are still evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Callable

from iam_compliance.model.iam import BadData, CannotEvaluate, Snapshot, SourceUnavailable, Unavailable
from iam_compliance.model.principals import per_snapshot
from iam_compliance.snapshot.failures import failure_of
from iam_compliance.timeutil import parse_timestamp

UNAVAILABLE = "unavailable"
# Analyzer types that report access from outside the account or organization (not unused or internal access).
EXTERNAL_ACCESS_TYPES = ("ACCOUNT", "ORGANIZATION")
# ACM statuses of a certificate that was never issued or can no longer be used: nothing to renew.
ACM_NOT_RENEWABLE = ("PENDING_VALIDATION", "VALIDATION_TIMED_OUT", "FAILED", "REVOKED")


class RegionalSource:
    """One regional source of the snapshot: per region, its data or the AWS error."""

    def __init__(self, snapshot: Snapshot, name: str):
        self.snapshot = snapshot
        self.name = name

    @property
    def _regions(self) -> dict[str, dict]:
        regions = self.snapshot.data(self.name).get("regions")
        if not isinstance(regions, dict):
            raise BadData(f"Data source '{self.name}' in the snapshot has no per-region results.")
        return regions

    @property
    def regions(self) -> list[str]:
        return sorted(self._regions)

    def error(self, region: str) -> str | None:
        """Why the region could not be read, or None when it was read."""
        result = self._regions.get(region)
        if not isinstance(result, dict):
            return f"Data source '{self.name}' did not read region {region}."
        failure = failure_of(result)
        if failure is None:
            return None
        return f"Data source '{self.name}' could not be read in region {region}: {failure.describe()}"

    def data(self, region: str) -> Any:
        message = self.error(region)
        if message:
            raise SourceUnavailable(message)
        return self._regions[region]["data"]


def _unavailable(snapshot: Snapshot, message: str) -> Any:
    return Unavailable(message, snapshot.account_id)


def _per_region(
    snapshot: Snapshot, source: str, entities: Callable[[str, Any], dict[str, Any]],
    failed_id: str = "{region}/" + UNAVAILABLE,
) -> dict[str, Any]:
    """Every readable region's entities; a region that could not be read gives one ERROR item."""
    regional = RegionalSource(snapshot, source)
    try:
        regions = regional.regions
    except CannotEvaluate as exc:
        return {UNAVAILABLE: _unavailable(snapshot, str(exc))}
    items: dict[str, Any] = {}
    for region in regions:
        message = regional.error(region)
        if not message:
            try:
                items.update(entities(region, regional.data(region)))
                continue
            except (KeyError, TypeError, AttributeError) as exc:  # a damaged or hand-edited snapshot
                message = (f"Data source '{source}' has unreadable data for region {region} "
                           f"({type(exc).__name__}: {exc}).")
        items[failed_id.format(region=region)] = _unavailable(snapshot, message)
    return items


# --- ACM certificates ------------------------------------------------------------------------


class AcmCertificate:
    def __init__(self, region: str, detail: dict):
        self.region = region
        self.detail = detail
        self.arn: str = detail["CertificateArn"]
        self.domain: str = detail.get("DomainName") or "(no domain name)"

    def __repr__(self) -> str:
        return f"<AcmCertificate {self.key}>"

    @property
    def key(self) -> str:
        """``region/domain@id`` (the first 8 characters of the certificate id): readable and stable."""
        return f"{self.region}/{self.domain}@{self.arn.rsplit('/', 1)[-1][:8]}"

    @property
    def resource(self) -> str:
        return self.arn

    @property
    def status(self) -> str:
        return str(self.detail.get("Status", "UNKNOWN"))

    @property
    def type(self) -> str:
        return str(self.detail.get("Type", "UNKNOWN"))

    @property
    def in_use(self) -> bool:
        return bool(self.detail.get("InUse"))

    @property
    def renewable(self) -> bool:
        return self.status not in ACM_NOT_RENEWABLE

    @property
    def not_after(self) -> datetime:
        value = self.detail.get("NotAfter")
        if not isinstance(value, str):
            raise BadData(f"ACM certificate {self.arn} ({self.status}) has no NotAfter date in the snapshot.")
        try:
            return parse_timestamp(value)
        except ValueError:
            raise BadData(f"ACM certificate {self.arn} has an unreadable NotAfter {value!r}.") from None


def acm_certificates(snapshot: Snapshot) -> dict[str, Any]:
    def build(region: str, certificates: list[dict]) -> dict[str, AcmCertificate]:
        return {c.key: c for c in (AcmCertificate(region, detail) for detail in certificates)}

    return _per_region(snapshot, "acm_certificates", build)


# --- load balancer certificates ----------------------------------------------------------------


@dataclass(frozen=True)
class ListenerUse:
    """One load balancer listener presenting a certificate."""

    region: str
    load_balancer: str
    kind: str  # classic | application | network | gateway
    protocol: str
    port: int | None
    listener_arn: str | None = None  # ELBv2 only
    default: bool = True  # False: an extra (SNI) certificate of the listener

    def describe(self) -> str:
        sni = "" if self.default else ", SNI"
        return f"{self.kind} load balancer {self.load_balancer} ({self.protocol}:{self.port}{sni}) in {self.region}"


def _listener_uses(region: str, data: dict) -> list[tuple[str, ListenerUse]]:
    """(certificate ARN, listener) pairs of one region's load balancers."""
    uses = []
    for balancer in data.get("classic", []):
        for listener in balancer.get("Listeners", []):
            if listener.get("SSLCertificateId"):
                uses.append((listener["SSLCertificateId"], ListenerUse(
                    region, balancer["LoadBalancerName"], "classic", listener["Protocol"],
                    listener.get("LoadBalancerPort"),
                )))
    for balancer in data.get("v2", []):
        for listener in balancer.get("Listeners", []):
            for certificate in listener.get("Certificates", []):
                uses.append((certificate["CertificateArn"], ListenerUse(
                    region, balancer["LoadBalancerName"], str(balancer.get("Type", "application")),
                    listener["Protocol"], listener.get("Port"), listener["ListenerArn"],
                    bool(certificate.get("IsDefault")),
                )))
    return uses


class Regional:
    """Indexes over the regional sources, built once per snapshot."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.load_balancers = RegionalSource(snapshot, "load_balancers")
        self.acm = RegionalSource(snapshot, "acm_certificates")
        self.analyzers = RegionalSource(snapshot, "access_analyzers")

    @cached_property
    def acm_by_arn(self) -> dict[str, AcmCertificate]:
        """ACM certificates of the regions that could be read."""
        if not self.snapshot.status(self.acm.name).ok:
            return {}
        return {c.arn: c for c in acm_certificates(self.snapshot).values() if isinstance(c, AcmCertificate)}

    def acm_certificate(self, arn: str) -> AcmCertificate:
        region = arn.split(":")[3] if arn.count(":") >= 5 else ""
        self.acm.data(region)  # raises when that region's certificates could not be read
        if arn not in self.acm_by_arn:
            raise BadData(f"Certificate {arn} is not among the ACM certificates listed in {region}.")
        return self.acm_by_arn[arn]

    def server_certificate(self, arn: str) -> Any:
        self.snapshot.require("server_certificates")
        for certificate in self.snapshot.server_certificates.values():
            if certificate.arn == arn:
                return certificate
        raise BadData(f"Certificate {arn} is not among the IAM server certificates (ListServerCertificates).")

    def uses_of(self, arn: str) -> tuple[list[ListenerUse], list[str]]:
        """(listeners using the certificate, regions whose load balancers could not be read)."""
        if not self.snapshot.status(self.load_balancers.name).ok:
            return [], ["all regions"]
        uses, unread = [], []
        for region in self.load_balancers.regions:
            if self.load_balancers.error(region):
                unread.append(region)
                continue
            uses += [use for used, use in _listener_uses(region, self.load_balancers.data(region)) if used == arn]
        return uses, unread


@per_snapshot
def regional(snapshot: Snapshot) -> Regional:
    return Regional(snapshot)


class LoadBalancerCertificate:
    """A certificate presented by load balancer listeners in one region (IAM server or ACM certificate)."""

    def __init__(self, snapshot: Snapshot, region: str, arn: str, uses: list[ListenerUse]):
        self.snapshot = snapshot
        self.region = region
        self.arn = arn
        self.uses = uses

    def __repr__(self) -> str:
        return f"<LoadBalancerCertificate {self.region} {self.arn}>"

    @property
    def resource(self) -> str:
        return self.arn

    @property
    def is_acm(self) -> bool:
        return self.arn.split(":")[2:3] == ["acm"]

    @property
    def is_iam(self) -> bool:
        return self.arn.split(":")[2:3] == ["iam"] and ":server-certificate/" in self.arn

    @property
    def acm(self) -> AcmCertificate | None:
        """The ACM certificate, when this is one and its region's ACM data was read."""
        return regional(self.snapshot).acm_by_arn.get(self.arn) if self.is_acm else None

    @property
    def label(self) -> str:
        """The IAM server certificate name, or the ACM ``domain@id`` (just the id without ACM data)."""
        if self.is_iam:
            return self.arn.rsplit("/", 1)[-1]
        if self.acm is not None:
            return self.acm.key.split("/", 1)[1]
        return self.arn.rsplit("/", 1)[-1] if self.is_acm else self.arn

    @property
    def description(self) -> str:
        """For findings: ``IAM server certificate legacy-www``, ``ACM certificate shop.example.com``."""
        if self.is_iam:
            return f"IAM server certificate {self.label}"
        if self.acm is not None:
            return f"ACM certificate {self.acm.domain}"
        return f"Certificate {self.arn}"

    @property
    def expiration(self) -> datetime:
        if self.is_iam:
            expiration: datetime = regional(self.snapshot).server_certificate(self.arn).expiration
            return expiration
        if self.is_acm:
            return regional(self.snapshot).acm_certificate(self.arn).not_after
        raise BadData(f"Certificate {self.arn} is neither an ACM nor an IAM server certificate ARN.")


def load_balancer_certificates(snapshot: Snapshot) -> dict[str, Any]:
    def build(region: str, data: dict) -> dict[str, LoadBalancerCertificate]:
        by_arn: dict[str, list[ListenerUse]] = {}
        for arn, use in _listener_uses(region, data):
            by_arn.setdefault(arn, []).append(use)
        items: dict[str, LoadBalancerCertificate] = {}
        for arn, uses in sorted(by_arn.items()):
            certificate = LoadBalancerCertificate(snapshot, region, arn, uses)
            key = f"{region}/{certificate.label}"
            items[key if key not in items else f"{region}/{arn}"] = certificate
        return items

    return _per_region(snapshot, "load_balancers", build)


# --- Access Analyzer ---------------------------------------------------------------------------


class RegionAnalyzers:
    """The IAM Access Analyzer analyzers of one region."""

    def __init__(self, snapshot: Snapshot, region: str, analyzers: list[dict]):
        self.region = region
        self.analyzers = analyzers
        self.account_id = snapshot.account_id

    def __repr__(self) -> str:
        return f"<RegionAnalyzers {self.region}>"

    @property
    def resource(self) -> str:
        return self.account_id

    @property
    def active_external(self) -> list[dict]:
        return [a for a in self.analyzers if a.get("type") in EXTERNAL_ACCESS_TYPES and a.get("status") == "ACTIVE"]


def region_analyzers(snapshot: Snapshot) -> dict[str, Any]:
    def build(region: str, analyzers: list[dict]) -> dict[str, RegionAnalyzers]:
        return {region: RegionAnalyzers(snapshot, region, analyzers)}

    return _per_region(snapshot, "access_analyzers", build, failed_id="{region}")
