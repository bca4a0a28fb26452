"""Certificate controls (catalogue section H): certificates on load balancer listeners, IAM server
certificates and ACM certificates.

"Days left" counts a started day as one, measured from the snapshot's collected_at: a certificate
expiring 29 days and 23 hours after collection has 30 days left. A certificate whose expiry is at
or before collected_at is expired.
"""

from __future__ import annotations

from datetime import datetime

from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import ServerCertificate
from iam_compliance.model.regional import AcmCertificate, ListenerUse, LoadBalancerCertificate, days_left, regional
from iam_compliance.settings import Settings
from iam_compliance.timeutil import age_days, short_date, to_iso


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def _when(expiry: datetime, now: datetime) -> str:
    """'expires in 12 days, on 2026-12-11' or 'expired 3 days ago, on 2026-11-26'."""
    if expiry <= now:
        ago = age_days(expiry, now)
        return f"expired {'today' if ago == 0 else _days(ago) + ' ago'}, on {short_date(expiry)}"
    return f"expires in {_days(days_left(expiry, now))}, on {short_date(expiry)}"


def _listeners(uses: list[ListenerUse]) -> str:
    return "; ".join(use.describe() for use in uses)


def _elb_remediation(certificate: LoadBalancerCertificate) -> str:
    use = certificate.uses[0]
    region = f"--region {certificate.region}"
    acm = certificate.acm
    if acm is not None and acm.type == "AMAZON_ISSUED":
        return (f"ACM renews this certificate once its domain validation records resolve: check "
                f"aws acm describe-certificate --certificate-arn {certificate.arn} {region} (RenewalSummary).")
    if certificate.is_acm:
        return (f"Re-import the renewed certificate under the same ARN, which every listener keeps using: "
                f"aws acm import-certificate --certificate-arn {certificate.arn} --certificate fileb://cert.pem "
                f"--private-key fileb://key.pem --certificate-chain fileb://chain.pem {region}")
    if use.kind == "classic":
        switch = (f"aws elb set-load-balancer-listener-ssl-certificate --load-balancer-name {use.load_balancer} "
                  f"--load-balancer-port {use.port} --ssl-certificate-id <new certificate ARN> {region}")
    else:
        switch = (f"aws elbv2 modify-listener --listener-arn {use.listener_arn} "
                  f"--certificates CertificateArn=<new certificate ARN> {region}")
    return (f"Issue a replacement in ACM (aws acm request-certificate ... {region}) or upload one to IAM "
            f"(aws iam upload-server-certificate ...), then switch every listener to it, e.g. {switch}")


@control(
    "elb_certificate_not_expiring", severity="medium", sources=["load_balancers"],
    headline="Load balancer certificate expired or expiring within {certificates.min_days_to_expiry} days",
    refs={"seed": 22},
    remediation="Renew the certificate (ACM re-import or renewal, or a new IAM server certificate) and "
                "point every listener that uses it at the renewed certificate.",
)
def test_elb_certificate_not_expiring(elb_certificate: LoadBalancerCertificate, settings: Settings,
                                      collected_at: datetime) -> None:
    """Certificates used by load balancers are renewed at least {certificates.min_days_to_expiry} days before they expire.

    One item per region and certificate presented by a classic load balancer HTTPS/SSL listener or
    an ELBv2 HTTPS/TLS listener (default and SNI certificates). The expiry comes from ACM
    (NotAfter) or from ListServerCertificates (Expiration). Fails when fewer than
    ``certificates.min_days_to_expiry`` days are left. The control's severity is medium; a
    certificate that has already expired is a high finding (the item's severity in every report and
    for ``--fail-on``, stated in its sentence from the same value), because its listeners are failing now.
    """
    minimum = settings.certificates.min_days_to_expiry
    expiry = elb_certificate.expiration
    left = days_left(expiry, collected_at)
    expired = expiry <= collected_at
    if expired or left < minimum:
        severity = "high" if expired else "medium"
        consequence = ("clients of these listeners are refused or warned now" if expired
                       else f"renew at least {_days(minimum)} before expiry")
        raise Finding(
            f"{elb_certificate.description} used by "
            f"{_listeners(elb_certificate.uses)} {_when(expiry, collected_at)}: {consequence} "
            f"(severity {severity}).",
            evidence={"severity": severity, "certificate_arn": elb_certificate.arn, "expiration": to_iso(expiry),
                      "days_left": left, "min_days_to_expiry": minimum,
                      "listeners": [use.describe() for use in elb_certificate.uses]},
            remediation=_elb_remediation(elb_certificate),
            severity=severity,
        )


@control(
    "iam_server_certificate_not_expired", severity="medium", sources=["server_certificates"],
    headline="Expired IAM server certificate is kept",
    refs={"cis-v5.0": "1.18", "cis-v3.0": "1.19", "security-hub": "IAM.26"},
    remediation="Delete the expired certificate: aws iam delete-server-certificate --server-certificate-name <name> "
                "(first move any load balancer listener that still uses it to a valid certificate).",
)
def test_iam_server_certificate_not_expired(server_certificate: ServerCertificate, collected_at: datetime) -> None:
    """Expired IAM server certificates are removed.

    Fails when the certificate's Expiration (ListServerCertificates) is at or before collected_at,
    whether or not anything uses it. The finding names the load balancer listeners (in the audited
    regions) that still present it, read from the load_balancers source when it is available.
    """
    expiry = server_certificate.expiration
    if expiry > collected_at:
        return
    uses, unread = regional(server_certificate.snapshot).uses_of(server_certificate.arn)
    if uses:
        usage = f"it is still used by {_listeners(uses)}: replace it there before deleting it"
    else:
        usage = "no load balancer listener in the audited regions uses it"
    if unread:
        usage += f" (load balancers unknown in {', '.join(unread)})"
    raise Finding(
        f"IAM server certificate {server_certificate.name} {_when(expiry, collected_at)}; {usage}.",
        evidence={"expiration": to_iso(expiry), "listeners": [use.describe() for use in uses],
                  "regions_not_read": unread},
        remediation=f"aws iam delete-server-certificate --server-certificate-name {server_certificate.name}"
                    + (" (after moving its listeners to a valid certificate)" if uses else ""),
    )


@control(
    "acm_certificate_renewed", severity="medium", sources=["acm_certificates"],
    headline="ACM certificate expired or expiring within {certificates.acm_days_to_expiration} days",
    refs={"security-hub": "ACM.1"},
    remediation="Renew the certificate: ACM-issued certificates renew once their validation records resolve; "
                "re-import a renewed certificate under the same ARN for imported ones "
                "(aws acm import-certificate --certificate-arn <arn> ...), or delete a certificate nothing uses.",
)
def test_acm_certificate_renewed(acm_certificate: AcmCertificate, settings: Settings, collected_at: datetime) -> None:
    """ACM certificates are renewed at least {certificates.acm_days_to_expiration} days before they expire.

    One item per region and ACM certificate of any key type. Fails when fewer than
    ``certificates.acm_days_to_expiration`` days are left before NotAfter (Security Hub ACM.1),
    expired certificates included. Certificates that were never issued or were revoked
    (PENDING_VALIDATION, VALIDATION_TIMED_OUT, FAILED, REVOKED) have nothing to renew: not applicable.
    """
    if not acm_certificate.renewable:
        not_applicable(f"ACM certificate {acm_certificate.domain} in {acm_certificate.region} is "
                       f"{acm_certificate.status}: it has no issued certificate to renew.")
    minimum = settings.certificates.acm_days_to_expiration
    expiry = acm_certificate.not_after
    left = days_left(expiry, collected_at)
    if expiry <= collected_at or left < minimum:
        use = "in use" if acm_certificate.in_use else "not in use"
        region = f"--region {acm_certificate.region}"
        if acm_certificate.type == "AMAZON_ISSUED":
            fix = (f"aws acm describe-certificate --certificate-arn {acm_certificate.arn} {region} "
                   "(RenewalSummary shows why managed renewal has not happened)")
        elif acm_certificate.in_use:
            fix = (f"aws acm import-certificate --certificate-arn {acm_certificate.arn} --certificate fileb://cert.pem "
                   f"--private-key fileb://key.pem --certificate-chain fileb://chain.pem {region}")
        else:
            fix = f"aws acm delete-certificate --certificate-arn {acm_certificate.arn} {region}"
        raise Finding(
            f"ACM certificate {acm_certificate.domain} ({acm_certificate.type.lower().replace('_', '-')}, {use}) "
            f"in {acm_certificate.region} {_when(expiry, collected_at)}; it must be renewed at least "
            f"{_days(minimum)} before expiry.",
            evidence={"certificate_arn": acm_certificate.arn, "status": acm_certificate.status,
                      "type": acm_certificate.type, "in_use": acm_certificate.in_use, "not_after": to_iso(expiry),
                      "days_left": left, "days_to_expiration": minimum},
            remediation=fix,
        )
