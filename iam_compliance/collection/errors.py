"""How the collector names a failure: the AWS error code and message, or the exception that stood in for one."""

from __future__ import annotations

from botocore.exceptions import ClientError

from iam_compliance.snapshot.failures import error_entry, printable


class CollectionError(Exception):
    """Nothing can be collected at all (no credentials, STS unreachable)."""


class DependencyUnavailable(Exception):
    """A source cannot be built because the source it is derived from could not be read."""

    code = "DependencyUnavailable"


class CollectionTimeout(Exception):
    """A data source did not become ready in time."""

    code = "Timeout"


def describe_error(exc: BaseException) -> dict[str, str]:
    """The AWS error code and message of a failed call, or the exception type for other failures."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return {"code": printable(error.get("Code") or "ClientError"),
                "message": printable(error.get("Message") or str(exc))}
    return {"code": printable(getattr(exc, "code", None) or type(exc).__name__), "message": printable(str(exc))}


def failed(exc: BaseException) -> dict:
    """The snapshot entry for a failed read: ``{"status": "error", "error": {"code", "message"}}``."""
    error = describe_error(exc)
    return error_entry(error["code"], error["message"])
