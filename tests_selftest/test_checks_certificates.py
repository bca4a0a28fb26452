"""Self-tests for the certificate checks: load balancer certificates, IAM server certificates, ACM."""

from __future__ import annotations

from iam_compliance.collection.collector import collect
from tests_selftest.harness import audit_snapshot, moto_session
from tests_selftest.regional_audit import TWO_REGIONS, audit_failing_region
from tests_selftest.clock import SECOND, exact_collection_clock  # noqa: F401 - autouse fixture: exact ages


def acm_id(region: str, domain: str, arn: str) -> str:
    return f"{region}/{domain}@{arn.rsplit('/', 1)[-1][:8]}"


def test_elb_certificate_not_expiring(aws, audit):
    fine = aws.server_certificate("www-fine", expires_in_days=200)
    at_threshold = aws.server_certificate("www-30", expires_in_days=30)
    expired = aws.server_certificate("legacy-www", expires_in_days=-5)
    unused = aws.server_certificate("unused", expires_in_days=-100)
    soon = aws.acm_certificate("eu-west-1", "api.example.eu", expires_in_days=29)
    sni = aws.acm_certificate("eu-west-1", "shop.example.eu", expires_in_days=120)
    aws.classic_load_balancer("us-east-1", "legacy", {443: expired, 8443: fine})
    aws.load_balancer("us-east-1", "www", [at_threshold])
    aws.load_balancer("eu-west-1", "api", [soon, sni])
    aws.load_balancer("eu-west-1", "mqtt", [fine], kind="network", port=8883)
    result = audit("elb_certificate_not_expiring", options=TWO_REGIONS)
    assert result.entities("elb_certificate_not_expiring") == sorted([
        "us-east-1/legacy-www", "us-east-1/www-fine", "us-east-1/www-30", "eu-west-1/www-fine",
        acm_id("eu-west-1", "api.example.eu", soon), acm_id("eu-west-1", "shop.example.eu", sni),
    ]), f"{unused} is used by no listener and must not be listed"
    assert result.outcome("elb_certificate_not_expiring", "us-east-1/www-fine") == "passed"
    assert result.outcome("elb_certificate_not_expiring", "eu-west-1/www-fine") == "passed"
    assert result.outcome("elb_certificate_not_expiring", "us-east-1/www-30") == "passed"
    assert result.outcome("elb_certificate_not_expiring", acm_id("eu-west-1", "shop.example.eu", sni)) == "passed"
    assert result.outcome("elb_certificate_not_expiring", acm_id("eu-west-1", "api.example.eu", soon)) == "failed"
    assert result.message("elb_certificate_not_expiring", acm_id("eu-west-1", "api.example.eu", soon)).startswith(
        "ACM certificate api.example.eu used by application load balancer api "
        f"(HTTPS:443) in eu-west-1 expires in 29 days, on {aws.ago(-29):%Y-%m-%d}: "
        "renew at least 30 days before expiry (severity medium).\n"
        f"Fix: Re-import the renewed certificate under the same ARN, which every listener keeps using: "
        f"aws acm import-certificate --certificate-arn {soon} "
    )
    assert result.outcome("elb_certificate_not_expiring", "us-east-1/legacy-www") == "failed"
    assert result.message("elb_certificate_not_expiring", "us-east-1/legacy-www").startswith(
        "IAM server certificate legacy-www used by classic load balancer legacy (HTTPS:443) in us-east-1 "
        f"expired 5 days ago, on {aws.ago(5):%Y-%m-%d}: clients of these listeners are refused or warned now "
        "(severity high).\nFix: Issue a replacement in ACM"
    )
    assert "aws elb set-load-balancer-listener-ssl-certificate --load-balancer-name legacy --load-balancer-port 443" \
        in result.message("elb_certificate_not_expiring", "us-east-1/legacy-www")


def test_elb_certificate_not_expiring_threshold_setting_and_sni(aws, audit):
    ten_days = aws.server_certificate("ten-days", expires_in_days=10)
    main = aws.acm_certificate("us-east-1", "main.example.com", expires_in_days=300)
    aws.load_balancer("us-east-1", "www", [main, ten_days])
    result = audit("elb_certificate_not_expiring", options=TWO_REGIONS)
    assert result.outcome("elb_certificate_not_expiring", "us-east-1/ten-days") == "failed"
    assert "application load balancer www (HTTPS:443, SNI) in us-east-1 expires in 10 days" in result.message(
        "elb_certificate_not_expiring", "us-east-1/ten-days")
    # an SNI certificate is swapped in the listener's certificate list; modify-listener would replace the default
    message = result.message("elb_certificate_not_expiring", "us-east-1/ten-days")
    assert "aws elbv2 add-listener-certificates --listener-arn arn:aws:elasticloadbalancing:us-east-1:" in message
    assert (f"aws elbv2 remove-listener-certificates --listener-arn arn:aws:elasticloadbalancing:us-east-1:"
            in message and f"--certificates CertificateArn={ten_days} --region us-east-1" in message)
    assert "modify-listener" not in message
    relaxed = audit("elb_certificate_not_expiring", options=TWO_REGIONS,
                    args=["--set", "certificates.min_days_to_expiry=10"])
    assert relaxed.outcome("elb_certificate_not_expiring", "us-east-1/ten-days") == "passed"


def test_elb_certificate_not_expiring_without_listeners_is_not_applicable(aws, audit):
    aws.server_certificate("unused", expires_in_days=-3)
    aws.classic_load_balancer("us-east-1", "plain-http", {})
    result = audit("elb_certificate_not_expiring", options=TWO_REGIONS)
    assert result.outcome("elb_certificate_not_expiring", "none") == "skipped"
    assert result.message("elb_certificate_not_expiring", "none") == (
        "Not applicable: account 123456789012 has no HTTPS/SSL/TLS load balancer listeners in the audited regions."
    )


def test_elb_certificate_not_expiring_errors_only_in_the_failed_region(aws, pytester, tmp_path):
    fine = aws.server_certificate("www-fine", expires_in_days=200)
    aws.classic_load_balancer("us-east-1", "www", {443: fine})
    aws.classic_load_balancer("eu-west-1", "www-eu", {443: fine})
    result = audit_failing_region(pytester, tmp_path, ["elb_certificate_not_expiring"], "eu-west-1",
                                  "DescribeLoadBalancers")
    assert result.entities("elb_certificate_not_expiring") == ["eu-west-1/unavailable", "us-east-1/www-fine"]
    assert result.outcome("elb_certificate_not_expiring", "us-east-1/www-fine") == "passed"
    assert result.outcome("elb_certificate_not_expiring", "eu-west-1/unavailable") == "error"
    assert result.message("elb_certificate_not_expiring", "eu-west-1/unavailable") == (
        "Data source 'load_balancers' could not be read in region eu-west-1: AccessDenied: "
        "not authorized to perform DescribeLoadBalancers in eu-west-1"
    )


def test_elb_certificate_not_expiring_errors_when_the_expiry_cannot_be_read(aws, pytester, tmp_path):
    iam = aws.server_certificate("www-fine", expires_in_days=200)
    acm = aws.acm_certificate("eu-west-1", "api.example.eu", expires_in_days=200)
    aws.load_balancer("eu-west-1", "api", [acm, iam])
    result = audit_failing_region(pytester, tmp_path, ["elb_certificate_not_expiring"], "eu-west-1",
                                  "ListCertificates")
    assert result.outcome("elb_certificate_not_expiring", "eu-west-1/www-fine") == "passed"
    unresolved = f"eu-west-1/{acm.rsplit('/', 1)[-1]}"  # without ACM data the id falls back to the certificate id
    assert result.outcome("elb_certificate_not_expiring", unresolved) == "error"
    assert result.message("elb_certificate_not_expiring", unresolved) == (
        "Could not evaluate: Data source 'acm_certificates' could not be read in region eu-west-1: "
        "AccessDenied: not authorized to perform ListCertificates in eu-west-1"
    )


def test_iam_server_certificate_not_expired(aws, audit):
    expired = aws.server_certificate("legacy-www", expires_in_days=-30)
    aws.server_certificate("expires-now", expires_in_days=0)
    aws.server_certificate("one-day-left", expires_in_days=1)
    aws.server_certificate("valid", expires_in_days=300)
    aws.classic_load_balancer("us-east-1", "legacy", {443: expired})
    result = audit("iam_server_certificate_not_expired", options=TWO_REGIONS)
    assert result.outcome("iam_server_certificate_not_expired", "valid") == "passed"
    assert result.outcome("iam_server_certificate_not_expired", "one-day-left") == "passed"
    assert result.outcome("iam_server_certificate_not_expired", "expires-now") == "failed"
    assert result.message("iam_server_certificate_not_expired", "expires-now") == (
        f"IAM server certificate expires-now expired today, on {aws.now:%Y-%m-%d}; no load balancer listener in "
        "the audited regions uses it.\nFix: aws iam delete-server-certificate --server-certificate-name expires-now"
    )
    assert result.outcome("iam_server_certificate_not_expired", "legacy-www") == "failed"
    assert result.message("iam_server_certificate_not_expired", "legacy-www") == (
        f"IAM server certificate legacy-www expired 30 days ago, on {aws.ago(30):%Y-%m-%d}; it is still used by "
        "classic load balancer legacy (HTTPS:443) in us-east-1: replace it there before deleting it.\n"
        "Fix: aws elb set-load-balancer-listener-ssl-certificate --load-balancer-name legacy --load-balancer-port 443 "
        "--ssl-certificate-id <ARN of the new certificate> --region us-east-1\n"
        "aws iam delete-server-certificate --server-certificate-name legacy-www"
    )


def test_iam_server_certificate_not_expired_without_certificates_is_not_applicable(aws, audit):
    result = audit("iam_server_certificate_not_expired", options=TWO_REGIONS)
    assert result.outcome("iam_server_certificate_not_expired", "none") == "skipped"
    assert "has no IAM server certificates" in result.message("iam_server_certificate_not_expired", "none")


def test_acm_certificate_renewed(aws, audit):
    fine = aws.acm_certificate("us-east-1", "www.example.com", expires_in_days=200)
    at_threshold = aws.acm_certificate("us-east-1", "at.example.com", expires_in_days=30)
    soon = aws.acm_certificate("eu-west-1", "api.example.eu", expires_in_days=29)
    expired = aws.acm_certificate("eu-west-1", "old.example.eu", expires_in_days=-3)
    aws.load_balancer("eu-west-1", "api", [soon])
    pending = aws.regional_client("acm", "us-east-1").request_certificate(DomainName="new.example.com")
    result = audit("acm_certificate_renewed", options=TWO_REGIONS)
    assert result.outcome("acm_certificate_renewed", acm_id("us-east-1", "www.example.com", fine)) == "passed"
    assert result.outcome("acm_certificate_renewed", acm_id("us-east-1", "at.example.com", at_threshold)) == "passed"
    assert result.outcome("acm_certificate_renewed", acm_id("eu-west-1", "api.example.eu", soon)) == "failed"
    assert result.message("acm_certificate_renewed", acm_id("eu-west-1", "api.example.eu", soon)) == (
        f"ACM certificate api.example.eu (imported, in use) in eu-west-1 expires in 29 days, on "
        f"{aws.ago(-29):%Y-%m-%d}; it must be renewed at least 30 days before expiry.\n"
        f"Fix: aws acm import-certificate --certificate-arn {soon} --certificate fileb://cert.pem "
        "--private-key fileb://key.pem --certificate-chain fileb://chain.pem --region eu-west-1"
    )
    assert result.outcome("acm_certificate_renewed", acm_id("eu-west-1", "old.example.eu", expired)) == "failed"
    assert result.message("acm_certificate_renewed", acm_id("eu-west-1", "old.example.eu", expired)) == (
        f"ACM certificate old.example.eu (imported, not in use) in eu-west-1 expired 3 days ago, on "
        f"{aws.ago(3):%Y-%m-%d}; it must be renewed at least 30 days before expiry.\n"
        f"Fix: aws acm delete-certificate --certificate-arn {expired} --region eu-west-1"
    )
    pending_id = acm_id("us-east-1", "new.example.com", pending["CertificateArn"])
    assert result.outcome("acm_certificate_renewed", pending_id) == "skipped"
    assert result.message("acm_certificate_renewed", pending_id) == (
        "Not applicable: ACM certificate new.example.com in us-east-1 is PENDING_VALIDATION: "
        "it has no issued certificate to renew."
    )


def test_acm_certificate_renewed_errors_only_in_the_failed_region(aws, pytester, tmp_path):
    fine = aws.acm_certificate("us-east-1", "www.example.com", expires_in_days=200)
    aws.acm_certificate("eu-west-1", "api.example.eu", expires_in_days=200)
    result = audit_failing_region(pytester, tmp_path, ["acm_certificate_renewed"], "eu-west-1", "ListCertificates")
    assert result.entities("acm_certificate_renewed") == sorted(
        ["eu-west-1/unavailable", acm_id("us-east-1", "www.example.com", fine)])
    assert result.outcome("acm_certificate_renewed", acm_id("us-east-1", "www.example.com", fine)) == "passed"
    assert result.outcome("acm_certificate_renewed", "eu-west-1/unavailable") == "error"


def test_acm_certificate_renewed_without_certificates_is_not_applicable(aws, audit):
    result = audit("acm_certificate_renewed", options=TWO_REGIONS)
    assert result.outcome("acm_certificate_renewed", "none") == "skipped"
    assert result.message("acm_certificate_renewed", "none") == (
        "Not applicable: account 123456789012 has no ACM certificates in the audited regions."
    )


def test_elb_certificate_not_expiring_refuses_a_damaged_snapshot_region(aws, pytester, tmp_path):
    """A region whose load balancer data lacks a container is refused on load (exit 4), never read as "none"."""
    fine = aws.server_certificate("www-fine", expires_in_days=200)
    aws.classic_load_balancer("us-east-1", "www", {443: fine})
    doc = collect(moto_session(), TWO_REGIONS)
    doc["sources"]["load_balancers"]["data"]["regions"]["eu-west-1"]["data"] = {"classic": [{"Listeners": "<b>x</b>"}]}
    result = audit_snapshot(pytester, tmp_path, doc, ["elb_certificate_not_expiring"])
    assert result.exit_code == 4
    assert not result.results.items


def test_certificate_days_left_boundaries(aws, audit):
    """Fewer than 30 days left means less than 30 x 24 h: 29.5 days fails (and reads "29 days"); exactly 30,
    or 30 days + 1 s, meets the rule; 30 days - 1 s does not."""
    cases = {"half": 29.5, "exact": 30, "over": 30 + SECOND, "under": 30 - SECOND}
    acm = {label: aws.acm_certificate("us-east-1", f"{label}.example.com", expires_in_days=days)
           for label, days in cases.items()}
    iam = {label: aws.server_certificate(f"www-{label}", expires_in_days=days) for label, days in cases.items()}
    aws.load_balancer("us-east-1", "www", list(iam.values()))
    result = audit("acm_certificate_renewed", "elb_certificate_not_expiring")
    expected = {"half": "failed", "exact": "passed", "over": "passed", "under": "failed"}
    for label, outcome in expected.items():
        item = acm_id("us-east-1", f"{label}.example.com", acm[label])
        assert result.outcome("acm_certificate_renewed", item) == outcome, label
        assert result.outcome("elb_certificate_not_expiring", f"us-east-1/www-{label}") == outcome, label
    assert result.message("acm_certificate_renewed", acm_id("us-east-1", "half.example.com", acm["half"])).startswith(
        "ACM certificate half.example.com (imported, not in use) in us-east-1 expires in 29 days, on "
    )
    assert "expires in 29 days" in result.message("elb_certificate_not_expiring", "us-east-1/www-half")
