"""Regional data sources: load balancer listeners, ACM certificates and Access Analyzer analyzers.

The ``regions`` source chooses the regions: the account's enabled regions (``ec2:DescribeRegions``
without ``AllRegions`` returns exactly those), or exactly the regions named by ``--regions`` /
``collection.regions``. Each regional source then reads those regions concurrently and records,
per region, either the data or the AWS error, so that a region that cannot be read spoils only
its own items::

    {"regions": {"us-east-1": {"status": "ok", "data": ...},
                 "eu-west-1": {"status": "error", "error": {"code": "AccessDenied", "message": "..."}}}}
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from iam_compliance.collection.aws import AwsContext
from iam_compliance.collection.declaration import DataSource
from iam_compliance.collection.errors import failed
from iam_compliance.collection.paging import ELB_PAGE_SIZE, items
from iam_compliance.snapshot.failures import ok_entry

# Regions are independent network round trips; a few at a time keeps throttling away.
MAX_REGION_WORKERS = 8

# ELB classic listener protocols and ELBv2 listener protocols that carry a certificate.
CLASSIC_SECURE_PROTOCOLS = {"HTTPS", "SSL"}
CLASSIC_LISTENER_FIELDS = ("Protocol", "LoadBalancerPort", "SSLCertificateId")
V2_SECURE_PROTOCOLS = {"HTTPS", "TLS"}

# boto3 sessions are not thread-safe: clients are created one at a time, then used concurrently.
_CLIENT_LOCK = threading.Lock()

RegionReader = Callable[[AwsContext, str], Any]


def _client(ctx: AwsContext, service: str, region: str) -> Any:
    with _CLIENT_LOCK:
        return ctx.client(service, region)


def regions(ctx: AwsContext) -> dict:
    """The regions the regional sources read: the options' list as given, else every enabled region."""
    if ctx.options.regions:
        return {"selected_by": "options", "regions": sorted(set(ctx.options.regions))}
    enabled = ctx.client("ec2").describe_regions()["Regions"]  # without AllRegions: enabled regions only
    return {"selected_by": "ec2:DescribeRegions", "regions": sorted(region["RegionName"] for region in enabled)}


def _read_region(ctx: AwsContext, read: RegionReader, region: str) -> dict:
    try:
        return ok_entry(data=read(ctx, region))
    except Exception as exc:  # noqa: BLE001 - a failed region is recorded, never mistaken for an empty one
        return failed(exc)


def per_region(ctx: AwsContext, read: RegionReader) -> dict:
    """Run ``read(ctx, region)`` for every selected region in a bounded thread pool."""
    selected: list[str] = ctx.dependency("regions")["regions"]
    workers = max(1, min(MAX_REGION_WORKERS, len(selected)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="region") as pool:
        results = {region: pool.submit(_read_region, ctx, read, region) for region in selected}
        return {"regions": {region: results[region].result() for region in selected}}


# --- load balancers --------------------------------------------------------------------------


def _classic_load_balancers(ctx: AwsContext, region: str) -> list[dict]:
    """Classic load balancers with HTTPS/SSL listeners; DescribeLoadBalancers includes the listeners."""
    kept = []
    for balancer in items(_client(ctx, "elb", region), "describe_load_balancers", "LoadBalancerDescriptions",
                          ELB_PAGE_SIZE):
        listeners = [
            {key: value for key, value in d["Listener"].items() if key in CLASSIC_LISTENER_FIELDS}
            for d in balancer.get("ListenerDescriptions", [])
            if str(d["Listener"].get("Protocol", "")).upper() in CLASSIC_SECURE_PROTOCOLS
        ]
        if listeners:
            kept.append({"LoadBalancerName": balancer["LoadBalancerName"], "DNSName": balancer.get("DNSName"),
                         "Listeners": listeners})
    return sorted(kept, key=lambda b: b["LoadBalancerName"])


def _listener_certificates(client: Any, listener: dict) -> list[dict]:
    """The default certificate and the SNI extras (DescribeListeners alone shows only the default)."""
    certificates = {c["CertificateArn"]: {"CertificateArn": c["CertificateArn"], "IsDefault": True}
                    for c in listener.get("Certificates", [])}
    for certificate in items(client, "describe_listener_certificates", "Certificates", ELB_PAGE_SIZE,
                             ListenerArn=listener["ListenerArn"]):
        certificates[certificate["CertificateArn"]] = {
            "CertificateArn": certificate["CertificateArn"], "IsDefault": bool(certificate.get("IsDefault")),
        }
    return sorted(certificates.values(), key=lambda c: (not c["IsDefault"], c["CertificateArn"]))


def _v2_load_balancers(ctx: AwsContext, region: str) -> list[dict]:
    """Application and network load balancers with HTTPS/TLS listeners (one DescribeListeners per balancer)."""
    client = _client(ctx, "elbv2", region)
    kept = []
    for balancer in items(client, "describe_load_balancers", "LoadBalancers", ELB_PAGE_SIZE):
        listeners = [
            {"ListenerArn": listener["ListenerArn"], "Protocol": listener["Protocol"], "Port": listener.get("Port"),
             "Certificates": _listener_certificates(client, listener)}
            for listener in items(client, "describe_listeners", "Listeners", ELB_PAGE_SIZE,
                                  LoadBalancerArn=balancer["LoadBalancerArn"])
            # Gate on the protocol: SslPolicy alone does not mean TLS (some endpoints report it on HTTP).
            if listener.get("Protocol") in V2_SECURE_PROTOCOLS
        ]
        if listeners:
            kept.append({
                "LoadBalancerArn": balancer["LoadBalancerArn"], "LoadBalancerName": balancer["LoadBalancerName"],
                "Type": balancer.get("Type", "application"),
                "Listeners": sorted(listeners, key=lambda listener: listener["Port"] or 0),
            })
    return sorted(kept, key=lambda b: b["LoadBalancerName"])


def _region_load_balancers(ctx: AwsContext, region: str) -> dict:
    return {"classic": _classic_load_balancers(ctx, region), "v2": _v2_load_balancers(ctx, region)}


def load_balancers(ctx: AwsContext) -> dict:
    return per_region(ctx, _region_load_balancers)


# --- ACM -------------------------------------------------------------------------------------

ACM_FIELDS = ("CertificateArn", "DomainName", "Status", "Type", "InUse", "KeyAlgorithm", "RenewalEligibility",
              "NotBefore", "NotAfter")
# Certificates in these states were never issued: no call can give them a NotAfter.
ACM_NEVER_ISSUED = ("PENDING_VALIDATION", "VALIDATION_TIMED_OUT", "FAILED")


def _region_acm_certificates(ctx: AwsContext, region: str) -> list[dict]:
    """Every certificate of every key type (ListCertificates returns only RSA-2048 ones unless told).

    The summary carries NotAfter, Type, Status and InUse; DescribeCertificate is called only for an
    issued certificate whose summary lacks NotAfter.
    """
    client = _client(ctx, "acm", region)
    key_types = client.meta.service_model.shape_for("KeyAlgorithm").enum
    certificates = []
    for summary in items(client, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": key_types}):
        if "NotAfter" not in summary and summary.get("Status") not in ACM_NEVER_ISSUED:
            detail = client.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
            summary = {**summary, **detail}
        certificates.append({key: summary[key] for key in ACM_FIELDS if key in summary})
    return sorted(certificates, key=lambda c: c["CertificateArn"])


def acm_certificates(ctx: AwsContext) -> dict:
    return per_region(ctx, _region_acm_certificates)


# --- IAM Access Analyzer ----------------------------------------------------------------------

ANALYZER_FIELDS = ("arn", "name", "type", "status", "statusReason", "createdAt")


def _region_access_analyzers(ctx: AwsContext, region: str) -> list[dict]:
    analyzers = items(_client(ctx, "accessanalyzer", region), "list_analyzers", "analyzers")
    return sorted(({key: a[key] for key in ANALYZER_FIELDS if key in a} for a in analyzers), key=lambda a: a["name"])


def access_analyzers(ctx: AwsContext) -> dict:
    return per_region(ctx, _region_access_analyzers)


REGIONAL = ("regions",)
REGIONS_AS_DEPENDENCY = "this source reads the regions of the 'regions' source"

DECLARATIONS = [
    DataSource("regions", regions, "The regions the regional sources read: the options' list, else every enabled region.",
               actions=("ec2:DescribeRegions",), as_dependency=REGIONS_AS_DEPENDENCY),
    DataSource("load_balancers", load_balancers,
               "Per region, classic and v2 load balancers with their HTTPS/TLS listeners and certificates.",
               actions=("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
                        "elasticloadbalancing:DescribeListenerCertificates"),
               reads=REGIONAL),
    DataSource("acm_certificates", acm_certificates, "Per region, every ACM certificate with its status and expiry.",
               actions=("acm:ListCertificates", "acm:DescribeCertificate"), reads=REGIONAL),
    DataSource("access_analyzers", access_analyzers, "Per region, the IAM Access Analyzer analyzers.",
               actions=("access-analyzer:ListAnalyzers",), reads=REGIONAL),
]
