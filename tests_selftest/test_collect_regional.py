"""Self-tests for the regional sources: region selection, per-region failures, calls made, Access Analyzer in moto."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from iam_compliance.collection.aws import CollectOptions
from iam_compliance.collection.collector import collect
from iam_compliance.simulated.demo import regional as regional_demo
from iam_compliance.simulated.moto_account import MotoAccount
from iam_compliance.simulated.moto_account.regional import acm_certificate_id
from iam_compliance.collection.sources.regional import DECLARATIONS
from tests_selftest.harness import ROOT, count_calls, moto_session
from tests_selftest.regional_audit import TWO_REGIONS, fail_in_region


def regional_snapshot(session: boto3.Session, options: CollectOptions = TWO_REGIONS) -> dict:
    return collect(session, options, sources=DECLARATIONS)["sources"]


def region_statuses(sources: dict, name: str) -> dict[str, str]:
    return {region: result["status"] for region, result in sources[name]["data"]["regions"].items()}


@pytest.mark.slow
def test_default_regions_are_every_enabled_region(aws):
    aws.classic_load_balancer("ap-southeast-2", "sydney", {443: aws.server_certificate("www", expires_in_days=90)})
    enabled = sorted(r["RegionName"] for r in boto3.client("ec2", region_name="us-east-1").describe_regions()["Regions"])
    started = time.perf_counter()
    sources = regional_snapshot(moto_session(), CollectOptions(service_activity=False))
    elapsed = time.perf_counter() - started
    assert sources["regions"]["data"] == {"selected_by": "ec2:DescribeRegions", "regions": enabled}
    assert len(enabled) > 30
    for name in ("load_balancers", "acm_certificates", "access_analyzers"):
        assert set(region_statuses(sources, name).values()) == {"ok"}, name
    balancers = {region: result["data"]["classic"] for region, result in sources["load_balancers"]["data"]["regions"].items()}
    assert [region for region, found in balancers.items() if found] == ["ap-southeast-2"]
    assert elapsed < 60, f"reading {len(enabled)} regions took {elapsed:.1f} s"


def test_regions_option_is_used_as_given_without_describe_regions(aws):
    session = moto_session()
    calls = count_calls(session)
    sources = regional_snapshot(session, CollectOptions(regions=("us-east-1", "eu-west-1", "us-east-1")))
    assert sources["regions"]["data"] == {"selected_by": "options", "regions": ["eu-west-1", "us-east-1"]}
    assert calls["DescribeRegions"] == 0
    assert list(sources["acm_certificates"]["data"]["regions"]) == ["eu-west-1", "us-east-1"]


def test_a_region_that_cannot_be_read_is_recorded_alone(aws):
    session = moto_session()
    fail_in_region(session, "eu-west-1", "DescribeLoadBalancers")
    sources = regional_snapshot(session, CollectOptions(regions=("eu-west-1", "us-east-1", "not a region")))
    assert sources["load_balancers"]["status"] == "ok"
    assert region_statuses(sources, "load_balancers") == {"eu-west-1": "error", "not a region": "error", "us-east-1": "ok"}
    assert sources["load_balancers"]["data"]["regions"]["eu-west-1"]["error"] == {
        "code": "AccessDenied", "message": "not authorized to perform DescribeLoadBalancers in eu-west-1"}
    assert sources["load_balancers"]["data"]["regions"]["not a region"]["error"]["code"] == "InvalidRegionError"
    assert region_statuses(sources, "acm_certificates") == {"eu-west-1": "ok", "not a region": "error", "us-east-1": "ok"}


def test_regional_sources_fail_when_the_regions_cannot_be_listed(aws):
    session = moto_session()
    fail_in_region(session, "us-east-1", "DescribeRegions", "UnauthorizedOperation")
    sources = regional_snapshot(session, CollectOptions())
    assert sources["regions"]["status"] == "error"
    for name in ("load_balancers", "acm_certificates", "access_analyzers"):
        assert sources[name]["status"] == "error"
        assert sources[name]["error"]["code"] == "DependencyUnavailable"
        assert "(UnauthorizedOperation: not authorized to perform DescribeRegions" in sources[name]["error"]["message"]


def test_listeners_and_certificates_are_read_with_few_calls(aws):
    iam = aws.server_certificate("www", expires_in_days=90)
    acm = aws.acm_certificate("us-east-1", "shop.example.com", expires_in_days=90)
    aws.classic_load_balancer("us-east-1", "legacy", {443: iam})
    aws.load_balancer("us-east-1", "shop", [acm, iam])
    aws.load_balancer("us-east-1", "plain", [iam], http=True)
    aws.load_balancer("us-east-1", "tls", [acm], kind="network", http=False)
    session = moto_session()
    calls = count_calls(session)
    acm_params: list[dict] = []
    session.events.register("before-parameter-build.acm.ListCertificates", lambda params, **_: acm_params.append(params))
    sources = regional_snapshot(session, CollectOptions(regions=("us-east-1",)))
    assert calls["DescribeListeners"] == 3  # one per ELBv2 load balancer
    assert calls["DescribeListenerCertificates"] == 3  # one per HTTPS/TLS listener, none for HTTP
    assert calls["DescribeCertificate"] == 0  # ListCertificates already gives NotAfter
    assert acm_params[0]["Includes"]["keyTypes"] == boto3.client(
        "acm", region_name="us-east-1").meta.service_model.shape_for("KeyAlgorithm").enum
    data = sources["load_balancers"]["data"]["regions"]["us-east-1"]["data"]
    assert data["classic"] == [{"LoadBalancerName": "legacy", "DNSName": "legacy.us-east-1.elb.amazonaws.com",
                                "Listeners": [{"Protocol": "HTTPS", "LoadBalancerPort": 443, "SSLCertificateId": iam}]}]
    shop = next(b for b in data["v2"] if b["LoadBalancerName"] == "shop")
    assert [(listener["Protocol"], listener["Port"]) for listener in shop["Listeners"]] == [("HTTPS", 443)]
    assert shop["Listeners"][0]["Certificates"] == [{"CertificateArn": acm, "IsDefault": True},
                                                    {"CertificateArn": iam, "IsDefault": False}]
    assert [b["Type"] for b in data["v2"]] == ["application", "application", "network"]
    certificate = sources["acm_certificates"]["data"]["regions"]["us-east-1"]["data"][0]
    assert certificate["DomainName"] == "shop.example.com" and certificate["KeyAlgorithm"] == "EC_prime256v1"
    assert certificate["Status"] == "ISSUED" and certificate["Type"] == "IMPORTED" and certificate["NotAfter"]


def test_access_analyzer_extension_lists_seeded_analyzers(aws):
    aws.access_analyzer("eu-west-1", "external-access")
    aws.access_analyzer("eu-west-1", "unused", type="ACCOUNT_UNUSED_ACCESS", status="CREATING")
    client = boto3.client("accessanalyzer", region_name="eu-west-1")
    pages = list(client.get_paginator("list_analyzers").paginate(PaginationConfig={"PageSize": 1}))
    assert len(pages) == 2
    assert [(a["name"], a["type"], a["status"]) for p in pages for a in p["analyzers"]] == [
        ("external-access", "ACCOUNT", "ACTIVE"), ("unused", "ACCOUNT_UNUSED_ACCESS", "CREATING")]
    assert [a["name"] for a in client.list_analyzers(type="ACCOUNT")["analyzers"]] == ["external-access"]
    assert boto3.client("accessanalyzer", region_name="us-east-1").list_analyzers()["analyzers"] == []
    with pytest.raises(ClientError, match="Not yet implemented"):  # other operations keep moto's answer
        client.get_analyzer(analyzerName="external-access")


@pytest.mark.slow
def test_access_analyzer_extension_serves_a_moto_server(monkeypatch):
    import logging

    from moto.server import ThreadedMotoServer

    from iam_compliance.simulated.moto_account import moto_gaps

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    with moto_gaps():
        server.start()
        try:
            host, port = server.get_host_and_port()
            for name, value in {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "server",
                                "AWS_SECRET_ACCESS_KEY": "server"}.items():
                monkeypatch.setenv(name, value)
            MotoAccount().access_analyzer("eu-west-1", "external-access")
            analyzers = boto3.client("accessanalyzer", region_name="eu-west-1").list_analyzers()["analyzers"]
            assert [(a["name"], a["status"]) for a in analyzers] == [("external-access", "ACTIVE")]
        finally:
            server.stop()


@pytest.mark.slow
def test_demo_regions_and_the_regions_option(pytester):
    checks = "control(id='access_analyzer_enabled') or control(id='elb_certificate_not_expiring')"
    api_id = acm_certificate_id("123456789012", "eu-west-1", "api.example.eu")
    common = [str(ROOT / "checks"), "-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), "--demo",
              "-p", "no:cacheprovider", "-m", checks, "-q"]
    narrowed = pytester.inline_run(*common, "--reports-dir", str(pytester.path / "narrowed"), "--regions", "eu-west-1")
    ids = sorted(r.nodeid.rsplit("[", 1)[1].rstrip("]") for r in narrowed.getreports("pytest_runtest_logreport")
                 if r.when == "call")
    assert ids == ["eu-west-1", "eu-west-1/api-internal", f"eu-west-1/api.example.eu@{api_id[:8]}"]
    default = pytester.inline_run(*common, "--reports-dir", str(pytester.path / "default"))
    outcomes = {r.nodeid.rsplit("[", 1)[1].rstrip("]"): r.outcome
                for r in default.getreports("pytest_runtest_logreport") if r.when == "call"}
    assert {k: v for k, v in outcomes.items() if "/" not in k} == {
        region: "passed" if region == "us-east-1" else "failed" for region in regional_demo.DEMO_REGIONS}
    assert outcomes["us-east-1/legacy-www"] == "failed"
    assert outcomes["us-east-1/www-2027"] == "passed"

