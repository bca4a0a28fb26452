"""--ocsf PATH: the findings.json records as OCSF 1.3 Detection Findings (the format Prowler and Security Hub use).

One event per evaluated item: findings (status_code FAIL; waived ones Suppressed), passes (PASS) and
errors (ERROR, so a consumer never mistakes "could not evaluate" for compliance). Not-applicable
items are left out. Everything without an OCSF attribute (compliance references, evidence, waiver,
drift, finding id parts, the run's status) goes in ``unmapped``. Resources carry their AWS
CloudFormation type (``AWS::IAM::User``) and, when regional, their region; IAM is global and has none.
``missing_required`` checks an event against the attributes OCSF 1.x requires of a Detection Finding.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from iam_compliance.timeutil import parse_timestamp

OCSF_VERSION = "1.3.0"
SEVERITY_IDS = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
STATUS_CODES = {"failed": "FAIL", "waived": "FAIL", "passed": "PASS", "error": "ERROR"}
# AWS resource types (CloudFormation's names, as AWS Config and Security Lake use them) by the service and
# resource part of an ARN ("iam", "user/bob" -> AWS::IAM::User).
RESOURCE_TYPES = {
    ("iam", "user"): "AWS::IAM::User", ("iam", "role"): "AWS::IAM::Role", ("iam", "group"): "AWS::IAM::Group",
    ("iam", "policy"): "AWS::IAM::ManagedPolicy", ("iam", "server-certificate"): "AWS::IAM::ServerCertificate",
    ("iam", "instance-profile"): "AWS::IAM::InstanceProfile", ("iam", "saml-provider"): "AWS::IAM::SAMLProvider",
    ("iam", "oidc-provider"): "AWS::IAM::OIDCProvider", ("iam", "mfa"): "AWS::IAM::VirtualMFADevice",
    ("acm", "certificate"): "AWS::ACM::Certificate",
    ("access-analyzer", "analyzer"): "AWS::AccessAnalyzer::Analyzer",
    ("elasticloadbalancing", "loadbalancer"): "AWS::ElasticLoadBalancingV2::LoadBalancer",
}
ACCOUNT_TYPE = "AWS::::Account"
# Checks whose item is the account's setup in one region rather than the account itself.
CHECK_RESOURCE_TYPES = {"access_analyzer_enabled": "AWS::AccessAnalyzer::Analyzer"}


def resource_type(resource: str, check_id: str = "") -> str:
    if check_id in CHECK_RESOURCE_TYPES:
        return CHECK_RESOURCE_TYPES[check_id]
    if resource.isdigit():
        return ACCOUNT_TYPE
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return RESOURCE_TYPES.get((parts[2], parts[5].split("/", 1)[0].split(":", 1)[0]), "Other")
    return "Other"


def _resource(record: Mapping[str, Any], doc: Mapping[str, Any]) -> dict[str, Any]:
    resource = {"uid": record["resource"], "type": resource_type(record["resource"], record["check_id"]),
                "cloud_partition": doc["partition"]}
    if record["region"]:
        resource["region"] = record["region"]
    return resource


def event(record: Mapping[str, Any], doc: Mapping[str, Any]) -> dict[str, Any]:
    collected = parse_timestamp(doc["collected_at"])
    millis = int(collected.timestamp() * 1000)
    waived = record["outcome"] == "waived"
    return {
        "category_uid": 2, "category_name": "Findings",
        "class_uid": 2004, "class_name": "Detection Finding",
        "activity_id": 1, "activity_name": "Create",
        "type_uid": 200401, "type_name": "Detection Finding: Create",
        "time": millis, "time_dt": collected.isoformat(),
        "message": record["finding"] or record["title"],
        "severity_id": SEVERITY_IDS.get(record["severity"], 0),
        "severity": record["severity"].capitalize() or "Unknown",
        "status_id": 3 if waived else 1, "status": "Suppressed" if waived else "New",
        "status_code": STATUS_CODES[record["outcome"]],
        "status_detail": record["finding"],
        "finding_info": {"uid": record["id"], "title": record["title"], "desc": record["title"],
                         "types": [record["check_id"]], "created_time": millis},
        "resources": [_resource(record, doc)],
        "cloud": {"provider": "AWS", "account": {"uid": doc["account_id"], "type_id": 10, "type": "AWS Account"}},
        "remediation": {"desc": record["remediation"] or ""},
        "metadata": {"version": OCSF_VERSION, "event_code": record["check_id"], "profiles": ["cloud", "datetime"],
                     "product": {"uid": "iam-compliance", "name": "iam-compliance", "vendor_name": "iam-compliance",
                                 "version": doc["suite_version"]}},
        "unmapped": {key: record[key] for key in ("compliance", "evidence", "variant", "waiver", "drift", "test")}
        | {"run_status": doc.get("status"), "run_id": doc.get("run_id")},
    }


def events(doc: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [event(record, doc) for record in records if record["outcome"] in STATUS_CODES]


# What OCSF 1.x requires of a Detection Finding (base event, finding, the cloud profile and the objects used).
REQUIRED = ("activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time", "metadata.version",
            "metadata.product", "finding_info.uid", "cloud.provider")
INTEGERS = ("activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "status_id", "time")


def missing_required(event: Mapping[str, Any]) -> list[str]:
    """Why ``event`` is not a valid OCSF Detection Finding: the attributes missing or of the wrong type."""
    problems = []
    for path in REQUIRED:
        value: Any = event
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value in (None, "", {}):
            problems.append(f"{path} is missing")
    problems += [f"{name} is not an integer" for name in INTEGERS
                 if name in event and (not isinstance(event[name], int) or isinstance(event[name], bool))]
    if event.get("class_uid") != 2004 or event.get("category_uid") != 2:
        problems.append("not a Detection Finding (class_uid 2004, category_uid 2)")
    if event.get("type_uid") != 200400 + (event.get("activity_id") or 0):
        problems.append("type_uid is not class_uid * 100 + activity_id")
    if event.get("severity_id") not in (0, 1, 2, 3, 4, 5, 6, 99):
        problems.append("severity_id is not an OCSF severity")
    if event.get("status_id") not in (None, 0, 1, 2, 3, 4, 5, 6, 99):
        problems.append("status_id is not an OCSF finding status")
    for index, resource in enumerate(event.get("resources") or []):
        if not resource.get("uid") or not resource.get("type"):
            problems.append(f"resources[{index}] has no uid or type")
        if resource.get("region") == "global":
            problems.append(f"resources[{index}].region is not an AWS region")
    return problems
