"""Service last accessed: which AWS services each IAM user and role has used, and when.

IAM has no account-wide call for this, so it is the one per-entity source. For every user and
role (service-linked roles excepted: AWS owns their permissions) it starts one
GenerateServiceLastAccessedDetails job (SERVICE_LEVEL), then reads the result with
GetServiceLastAccessedDetails. All jobs are started first, since IAM works on them in parallel;
then the job started last is polled with backoff, and once it has finished the others are read.
A run therefore costs about two calls per entity.

The users and roles are those of this run's ``authorization_details`` source (read earlier), so
the jobs cover exactly the entities the checks see; if that source failed, this one fails too.

A job that fails, or cannot be started for one ARN (AccessDenied), spoils only that entity:
its entry records the error and only its check items ERROR. When every entity fails, or nothing
finishes before the time limit, the whole source fails.

The jobs have a deadline: ``collection.service_activity_timeout_seconds`` (or less when the
collection's own deadline comes sooner). A job not started, or not finished and read, by then is
recorded as a ``Timeout`` for its entity. A result whose pages repeat a marker, or go past the page
ceiling of ``iam_compliance.collection.paging``, is recorded as a failure of that entity.

Data::

    {"enabled": true, "granularity": "SERVICE_LEVEL", "entities": {
        "<arn>": {"status": "ok", "job_completed": "<timestamp>", "services": [<ServicesLastAccessed entry>, ...]},
        "<arn>": {"status": "error", "error": {"code": "AccessDenied", "message": "..."}}}}

With collection turned off (``--no-service-activity``, ``collection.service_activity: false``)
the source is still recorded as read, with ``{"enabled": false, "reason": "...", "entities": {}}``:
that is a decision, not a failure, so the checks that need it skip with the reason.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from iam_compliance.collection.aws import AwsContext
from iam_compliance.collection.declaration import DataSource
from iam_compliance.collection.errors import failed
from iam_compliance.collection.paging import MarkerGuard
from iam_compliance.collection.pool import map_bounded
from iam_compliance.snapshot.failures import error_entry, ok_entry

GRANULARITY = "SERVICE_LEVEL"
DISABLED_REASON = (
    "service-last-accessed data was not collected in this run (--no-service-activity or "
    "collection.service_activity: false)."
)


@dataclass(frozen=True)
class Polling:
    first_wait: float = 1.0  # seconds between starting the last job and the first poll
    max_wait: float = 8.0  # backoff ceiling between polls of an unfinished job
    timeout: float = 600.0  # at most, for the whole source; unfinished jobs then count as failed
    page_size: int = 1000  # MaxItems for GetServiceLastAccessedDetails (the API maximum)
    workers: int = 8  # concurrent calls; throttling beyond that is retried by the client (iam_compliance.collection.aws)


POLLING = Polling()


class ServiceActivityError(Exception):
    """No entity's service activity could be read."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class Job:
    arn: str
    job_id: str


def _guarded(call: Callable[[], Any]) -> Any:
    """The call's result, or an error entry: one entity's failure must not stop the others."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - recorded against the entity, which then ERRORs
        return failed(exc)


def entity_arns(ctx: AwsContext) -> list[str]:
    """Users and roles from this run's GetAccountAuthorizationDetails, service-linked roles left out."""
    details = ctx.dependency("authorization_details")
    roles = [r for r in details.get("roles", []) if not r.get("Path", "/").startswith("/aws-service-role/")]
    return sorted(entity["Arn"] for entity in [*details.get("users", []), *roles])


def _timed_out(what: str, timeout: float) -> dict:
    return error_entry("Timeout", f"{what} when the {timeout:.0f}-second limit for this source ran out")


def _start(iam: Any, arn: str, deadline: float, timeout: float) -> Job | dict:
    if time.monotonic() > deadline:
        return _timed_out("its service-last-accessed job had not been started", timeout)
    started: Job | dict = _guarded(lambda: Job(arn, iam.generate_service_last_accessed_details(
        Arn=arn, Granularity=GRANULARITY)["JobId"]))
    return started


def _read(iam: Any, job: Job, page_size: int, deadline: float = float("inf")) -> dict | None:
    """The entity's entry once the job has ended; None while it is still running."""
    response = iam.get_service_last_accessed_details(JobId=job.job_id, MaxItems=page_size)
    status = response.get("JobStatus")
    if status == "IN_PROGRESS":
        return None
    if status == "FAILED":
        error = response.get("Error") or {}
        return error_entry(error.get("Code") or "JobFailed",
                      f"service-last-accessed job {job.job_id} failed: {error.get('Message') or 'no reason given'}")
    if status != "COMPLETED":
        return error_entry("UnexpectedJobStatus", f"service-last-accessed job {job.job_id} reported JobStatus {status!r}")
    services = list(response.get("ServicesLastAccessed", []))
    guard = MarkerGuard("iam:GetServiceLastAccessedDetails")
    while response.get("IsTruncated"):
        guard.follow(response.get("Marker"))  # a repeated marker or endless pages end here, for this entity
        if time.monotonic() > deadline:
            return error_entry("Timeout", f"the pages of service-last-accessed job {job.job_id} were still being "
                                          "read when the time limit for this source ran out")
        response = iam.get_service_last_accessed_details(JobId=job.job_id, MaxItems=page_size,
                                                         Marker=response["Marker"])
        services += response.get("ServicesLastAccessed", [])
    return ok_entry(job_completed=response.get("JobCompletionDate"),
                    services=sorted(services, key=lambda s: str(s.get("ServiceNamespace", ""))))


def _poll(iam: Any, job: Job, page_size: int, deadline: float) -> dict | None:
    entry: dict | None = _guarded(lambda: _read(iam, job, page_size, deadline))
    return entry


def run_jobs(iam: Any, arns: list[str], polling: Polling, timeout: float | None = None) -> dict[str, dict]:
    """Start a job per ARN, wait, then read every result; one entry per ARN.

    ``timeout`` (default ``polling.timeout``) bounds the whole: starting, waiting and reading.
    """
    timeout = polling.timeout if timeout is None else min(timeout, polling.timeout)
    deadline = time.monotonic() + timeout
    entries: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=polling.workers) as pool:
        pending: list[Job] = []
        for arn, started in zip(arns, map_bounded(lambda arn: _start(iam, arn, deadline, timeout), arns,
                                                  polling.workers)):
            if isinstance(started, Job):
                pending.append(started)
            else:
                entries[arn] = started
        wait, backoff, probing = polling.first_wait, polling.first_wait, True
        while pending:
            if time.monotonic() + wait > deadline:
                for job in pending:
                    entries[job.arn] = _timed_out(f"service-last-accessed job {job.job_id} had not finished", timeout)
                break
            time.sleep(wait)
            # Jobs end roughly in the order they started: until the last one has ended, poll only it.
            batch = pending[-1:] if probing else pending
            for job, entry in zip(batch, pool.map(lambda job: _poll(iam, job, polling.page_size, deadline), batch)):
                if entry is not None:
                    entries[job.arn] = entry
            pending = [job for job in pending if job.arn not in entries]
            if probing and batch[0].arn in entries:
                probing, wait = False, 0.0
            else:
                wait, backoff = backoff, min(backoff * 2, polling.max_wait)
    return {arn: entries[arn] for arn in arns}


def service_last_accessed(ctx: AwsContext) -> dict:
    if not ctx.options.service_activity:
        return {"enabled": False, "reason": DISABLED_REASON, "entities": {}}
    arns = entity_arns(ctx)
    timeout = max(0.0, min(ctx.options.service_activity_timeout, ctx.seconds_left()))
    entries = run_jobs(ctx.client("iam"), arns, POLLING, timeout)
    failed = [arn for arn, entry in entries.items() if entry["status"] != "ok"]
    if arns and len(failed) == len(arns):
        first = entries[failed[0]]["error"]
        raise ServiceActivityError(first["code"], (
            f"Service-last-accessed data could not be read for any of the {len(arns)} users and roles; "
            f"first error, for {failed[0]}: {first['code']}: {first['message']}"))
    return {"enabled": True, "granularity": GRANULARITY, "entities": entries}


DECLARATIONS = [
    DataSource("service_last_accessed", service_last_accessed,
               "Per user and role, the AWS services it used and when (one service-last-accessed job each).",
               actions=("iam:GenerateServiceLastAccessedDetails", "iam:GetServiceLastAccessedDetails"),
               reads=("authorization_details",)),
]
