"""--ocsf PATH: the findings.json records as OCSF 1.3 Detection Findings (the format Prowler and Security Hub use).

One event per evaluated item: findings (status_code FAIL; waived ones Suppressed), passes (PASS) and
errors (ERROR, so a consumer never mistakes "could not evaluate" for compliance). Not-applicable
items are left out. Everything without an OCSF attribute (compliance references, evidence, waiver,
drift, finding id parts) goes in ``unmapped``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from iam_compliance.timeutil import parse_timestamp

OCSF_VERSION = "1.3.0"
SEVERITY_IDS = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
STATUS_CODES = {"failed": "FAIL", "waived": "FAIL", "passed": "PASS", "error": "ERROR"}
# Security Hub resource types by the resource part of an IAM ARN ("user/bob" -> AwsIamUser).
RESOURCE_TYPES = {"user": "AwsIamUser", "role": "AwsIamRole", "group": "AwsIamGroup", "policy": "AwsIamPolicy",
                  "server-certificate": "AwsIamServerCertificate"}


def resource_type(resource: str) -> str:
    if resource.isdigit():
        return "AwsAccount"
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[2] == "iam":
        return RESOURCE_TYPES.get(parts[5].split("/", 1)[0], "Other")
    return "Other"


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
        "resources": [{"uid": record["resource"], "type": resource_type(record["resource"]),
                       "cloud_partition": doc["partition"], "region": record["region"] or "global"}],
        "cloud": {"provider": "AWS", "account": {"uid": doc["account_id"], "type_id": 10, "type": "AWS Account"}},
        "remediation": {"desc": record["remediation"] or ""},
        "metadata": {"version": OCSF_VERSION, "event_code": record["check_id"], "profiles": ["cloud", "datetime"],
                     "product": {"uid": "iam-compliance", "name": "iam-compliance", "vendor_name": "iam-compliance",
                                 "version": doc["suite_version"]}},
        "unmapped": {key: record[key] for key in ("compliance", "evidence", "variant", "waiver", "drift", "test")},
    }


def events(doc: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [event(record, doc) for record in records if record["outcome"] in STATUS_CODES]
