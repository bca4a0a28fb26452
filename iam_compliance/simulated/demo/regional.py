"""The demo account's regional part: load balancers with IAM and ACM certificates, and Access Analyzer.

us-east-1 has an active external access analyzer, a classic load balancer still presenting the
expired IAM certificate legacy-www, and an application load balancer with a valid IAM certificate
plus a valid ACM SNI certificate; an unused ACM certificate there has expired (its ListCertificates
summary has no dates, so the collector reads them with DescribeCertificate). eu-west-1 has only
an unused-access analyzer, an application load balancer whose ACM certificate expires in 12 days
and a network load balancer on the IAM certificate api-internal (10 days left). eu-central-1 has nothing.
"""

from __future__ import annotations

from iam_compliance.simulated.moto_account.builder import MotoAccount

# The demo account's enabled regions (ec2:DescribeRegions reports these, not moto's 38: reading them all
# would add seconds); --regions can still name others.
DEMO_REGIONS = ("eu-central-1", "eu-west-1", "us-east-1")


def seed(account: MotoAccount, arns: dict[str, str]) -> None:
    iam = {name: account.arn("server-certificate", name) for name in ("legacy-www", "www-2027", "api-internal")}

    shop = account.acm_certificate("us-east-1", "shop.example.com", expires_in_days=300, age_days=65)
    account.acm_certificate("us-east-1", "spring-sale.example.com", expires_in_days=-20, age_days=385,
                            summary_dates=False)
    account.classic_load_balancer("us-east-1", "legacy-www", {443: iam["legacy-www"]})
    account.load_balancer("us-east-1", "www", [iam["www-2027"], shop])
    account.access_analyzer("us-east-1", "external-access")

    api = account.acm_certificate("eu-west-1", "api.example.eu", expires_in_days=12, age_days=353)
    account.load_balancer("eu-west-1", "api-eu", [api])
    account.load_balancer("eu-west-1", "mqtt-eu", [iam["api-internal"]], kind="network", port=8883, http=False)
    account.access_analyzer("eu-west-1", "unused-access", type="ACCOUNT_UNUSED_ACCESS")
