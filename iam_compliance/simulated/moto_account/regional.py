"""Regional resources for the simulated account: ACM certificates, load balancers, Access Analyzer.

Mixed into ``MotoAccount``; dates are relative to the builder's ``now`` like everything else.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Callable, Iterable, Iterator, Mapping
from unittest import mock

import boto3
from cryptography import x509
from moto.acm.models import acm_backends
from moto.acm.responses import AWSCertificateManagerResponse

from iam_compliance.simulated.moto_account.access_analyzer import add_analyzer
from iam_compliance.simulated.moto_account.certs import self_signed

SEED_CREDENTIALS = {"aws_access_key_id": "seed", "aws_secret_access_key": "seed"}

# ACM certificates whose ListCertificates summary leaves out NotBefore and NotAfter, so that a reader
# needs DescribeCertificate for their dates (moto's summaries always carry them).
UNDATED_SUMMARIES: set[str] = set()


def _without_default_amis() -> Any:
    """Load balancers need moto's EC2 backend of their region, whose ~1,300 default AMIs cost half a
    second per region to load and are never used here."""
    return mock.patch.dict(os.environ, {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})


def acm_certificate_id(account_id: str, region: str, domain: str, ordinal: int = 0) -> str:
    """The id of the ``ordinal``-th seeded certificate for a domain: name-based instead of random,
    so that test ids and ARNs are the same on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account_id}/{region}/{domain}/{ordinal}"))


class RegionalResources:
    """Builder methods for regional resources; MotoAccount provides ``account_id`` and ``now``."""

    account_id: str
    now: datetime

    @cached_property
    def _regional_clients(self) -> dict[tuple[str, str], Any]:
        return {}

    def regional_client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._regional_clients:
            make_client: Callable[..., Any] = boto3.client  # any service name, not only the stubs' literals
            self._regional_clients[key] = make_client(service, region_name=region, **SEED_CREDENTIALS)
        return self._regional_clients[key]

    def acm_certificate(
        self, region: str, domain: str, *, expires_in_days: int, age_days: int = 300, summary_dates: bool = True,
    ) -> str:
        """An imported ACM certificate valid from ``age_days`` ago until ``expires_in_days`` from now.

        ACM refuses to import an expired certificate, so an expired one is imported valid and its
        body is swapped afterwards; moto then reports it EXPIRED, as AWS does. The certificate id
        is derived from the account, region and domain, so that it is the same on every run.
        With ``summary_dates=False`` its ListCertificates summary has no NotBefore or NotAfter
        (within ``moto_gaps``), so only DescribeCertificate gives its dates.
        """
        not_before, not_after = self.now - timedelta(days=age_days), self.now + timedelta(days=expires_in_days)
        valid_until = not_after if expires_in_days > 0 else self.now + timedelta(days=1)
        body, key = self_signed(domain, not_before, valid_until)
        imported = self.regional_client("acm", region).import_certificate(Certificate=body, PrivateKey=key)
        backend = acm_backends[self.account_id][region]
        bundle = backend._certificates.pop(imported["CertificateArn"])
        same_domain = sum(1 for other in backend._certificates.values() if other.common_name == domain)
        bundle.arn = imported["CertificateArn"].rsplit("/", 1)[0] + "/" + acm_certificate_id(
            self.account_id, region, domain, same_domain)
        backend._certificates[bundle.arn] = bundle
        if valid_until != not_after:
            expired_body, _ = self_signed(domain, not_before, not_after)
            bundle.cert = expired_body.encode()
            bundle._cert = x509.load_pem_x509_certificate(bundle.cert)
        if not summary_dates:
            UNDATED_SUMMARIES.add(bundle.arn)
        return bundle.arn

    def classic_load_balancer(self, region: str, name: str, listeners: Mapping[int, str], *, http: bool = True) -> None:
        """A classic load balancer with an HTTPS listener per ``{port: certificate ARN}`` (and HTTP on 80)."""
        descriptions = [
            {"Protocol": "HTTPS", "LoadBalancerPort": port, "InstanceProtocol": "HTTP", "InstancePort": 80,
             "SSLCertificateId": arn}
            for port, arn in listeners.items()
        ]
        if http:
            descriptions.append(
                {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80})
        with _without_default_amis():
            self.regional_client("elb", region).create_load_balancer(
                LoadBalancerName=name, Listeners=descriptions, AvailabilityZones=[f"{region}a"],
            )

    def load_balancer(
        self, region: str, name: str, certificates: Iterable[str], *, kind: str = "application", port: int = 443,
        http: bool = True,
    ) -> str:
        """An ELBv2 load balancer with one HTTPS (application) or TLS (network) listener.

        The first certificate is the listener's default, the others its SNI certificates;
        ``http`` adds a plain HTTP (or TCP) listener on port 80.
        """
        from moto.ec2.models import ec2_backends  # imported on first use: moto's EC2 module takes seconds to load

        client = self.regional_client("elbv2", region)
        with _without_default_amis():  # the region's default VPC, read from moto (an EC2 client costs a second)
            subnets = [subnet.id for subnet in ec2_backends[self.account_id][region].get_default_subnets().values()][:2]
        balancer = client.create_load_balancer(Name=name, Subnets=subnets, Type=kind)["LoadBalancers"][0]
        secure, plain = ("HTTPS", "HTTP") if kind == "application" else ("TLS", "TCP")
        vpc = balancer["VpcId"]
        group = client.create_target_group(Name=f"{name}-targets", Protocol=plain, Port=80, VpcId=vpc)
        forward = [{"Type": "forward", "TargetGroupArn": group["TargetGroups"][0]["TargetGroupArn"]}]
        default, *extra = list(certificates)
        listener = client.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"], Protocol=secure, Port=port,
            Certificates=[{"CertificateArn": default}], DefaultActions=forward,
        )["Listeners"][0]
        if extra:
            client.add_listener_certificates(
                ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": arn} for arn in extra],
            )
        if http:
            client.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol=plain, Port=80,
                                   DefaultActions=forward)
        arn: str = balancer["LoadBalancerArn"]
        return arn

    def access_analyzer(
        self, region: str, name: str, *, type: str = "ACCOUNT", status: str = "ACTIVE", age_days: int = 200,
    ) -> str:
        """An IAM Access Analyzer analyzer (served by the access_analyzer moto extension)."""
        return add_analyzer(self.account_id, region, name, type, status, self.now - timedelta(days=age_days))


def _list_certificates_without_dates(original: Any) -> Any:
    def handler(self: AWSCertificateManagerResponse) -> Any:
        result = original(self)
        for summary in result.result["CertificateSummaryList"]:
            if summary.get("CertificateArn") in UNDATED_SUMMARIES:
                summary.pop("NotBefore", None)
                summary.pop("NotAfter", None)
        return result

    return handler


@contextlib.contextmanager
def undated_acm_summaries() -> Iterator[None]:
    """ListCertificates leaves the dates out of the summaries of the certificates in UNDATED_SUMMARIES."""
    original = AWSCertificateManagerResponse.list_certificates
    with mock.patch.object(AWSCertificateManagerResponse, "list_certificates",
                           _list_certificates_without_dates(original)):
        try:
            yield
        finally:
            UNDATED_SUMMARIES.clear()


@contextlib.contextmanager
def enabled_regions(regions: Iterable[str]) -> Iterator[None]:
    """ec2:DescribeRegions reports exactly ``regions`` as the account's enabled regions (moto reports all 38)."""
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend  # slow: on first use only

    enabled = set(regions)
    original = RegionsAndZonesBackend.describe_regions

    def describe_regions(self: RegionsAndZonesBackend, region_names: list[str] | None = None) -> Any:
        return [region for region in original(self, region_names) if region.name in enabled]

    with mock.patch.object(RegionsAndZonesBackend, "describe_regions", describe_regions):
        yield
