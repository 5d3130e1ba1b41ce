"""The one exception type of the Bitmovin client, built from any reply the API (or a gateway) sends.

It carries what a user needs to act (HTTP status, Bitmovin ``code``, ``message``,
``developerMessage``, field ``details``, ``requestId`` for support) and never the API key.
"""

from __future__ import annotations

from typing import Any

import requests
from urllib3 import exceptions as urllib3_exceptions

_HINTS = {
    401: "check the API key: set it with `pulumi config set --secret bitmovin:apiKey <key>` "
    "(or the BITMOVIN_API_KEY environment variable)",
    403: "the API key has no access to this organization: check `bitmovin:tenantOrgId` "
    "and that the key's user is a member of that organization",
}


class BitmovinApiError(Exception):
    """A failed call to the Bitmovin API.

    ``outcome_unknown`` is true when the server may have acted although the call failed (timeout,
    dropped connection, 5xx), which is what decides whether a create must be reconciled.
    """

    def __init__(
        self,
        summary: str,
        *,
        method: str,
        path: str,
        status: int | None = None,
        code: int | None = None,
        message: str | None = None,
        developer_message: str | None = None,
        details: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        self.summary = summary
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = message
        self.developer_message = developer_message
        self.details = details or []
        self.request_id = request_id
        self.outcome_unknown = outcome_unknown
        super().__init__(self.__str__())

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def rejected_fields(self) -> list[str]:
        return [str(d["field"]) for d in self.details if isinstance(d, dict) and d.get("field")]

    def __str__(self) -> str:
        parts = [f"Bitmovin API {self.method} {self.path} failed: {self.summary}"]
        if self.developer_message and self.developer_message != self.message:
            parts.append(f"({self.developer_message})")
        for detail in self.details:
            if isinstance(detail, dict) and (detail.get("field") or detail.get("text")):
                parts.append(f"[field {detail.get('field') or '?'}: {detail.get('text') or 'rejected'}]")
        if self.status in _HINTS:
            parts.append(f"- {_HINTS[self.status]}")
        if self.request_id:
            parts.append(f"(requestId {self.request_id})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"BitmovinApiError(status={self.status!r}, code={self.code!r}, message={self.message!r}, "
            f"method={self.method!r}, path={self.path!r}, request_id={self.request_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions cross process boundaries in tests; keep them picklable with their fields.
        return (_rebuild, (self.__dict__.copy(),))


def _rebuild(state: dict[str, Any]) -> BitmovinApiError:
    error = BitmovinApiError.__new__(BitmovinApiError)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


def error_from_response(method: str, path: str, response: requests.Response) -> BitmovinApiError:
    """Read the Bitmovin error envelope, or fall back to a gateway message or the reason phrase."""
    status = response.status_code
    try:
        payload = response.json()
    except ValueError:
        payload = None
    outcome_unknown = status >= 500
    if (
        isinstance(payload, dict)
        and payload.get("status") == "ERROR"
        and isinstance(payload.get("data"), dict)
    ):
        data = payload["data"]
        message = data.get("message")
        details = data.get("details") if isinstance(data.get("details"), list) else []
        return BitmovinApiError(
            f"HTTP {status}, code {data.get('code')}: {message}",
            method=method,
            path=path,
            status=status,
            code=data.get("code") if isinstance(data.get("code"), int) else None,
            message=message,
            developer_message=data.get("developerMessage"),
            details=details,
            request_id=payload.get("requestId"),
            outcome_unknown=outcome_unknown,
        )
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        message = payload["message"]
    else:
        text = " ".join(response.text.split())[:200] if response.text else ""
        message = response.reason or "no reason given"
        if text and not text.startswith("<"):
            message = f"{message}: {text}"
    return BitmovinApiError(
        f"HTTP {status}: {message}",
        method=method,
        path=path,
        status=status,
        message=message,
        request_id=response.headers.get("X-Request-Id"),
        outcome_unknown=outcome_unknown,
    )


def error_from_exception(method: str, path: str, exc: Exception) -> BitmovinApiError:
    """A transport failure. Only a failed connect, or a request that could not even be built,
    proves the request never reached the server.

    The text of transport errors (host, port, timeout) is kept; any other error may quote a header
    value, the API key included, so only its type is reported.
    """
    transport = isinstance(exc, requests.ConnectionError | requests.Timeout)
    # With a Retry mounted, requests reports an exhausted read timeout as ConnectionError(MaxRetryError).
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    timed_out = isinstance(exc, requests.Timeout) or isinstance(reason, urllib3_exceptions.TimeoutError)
    never_sent = (
        not transport
        or isinstance(exc, requests.ConnectTimeout)
        or isinstance(reason, urllib3_exceptions.ConnectTimeoutError | urllib3_exceptions.NewConnectionError)
        or "NewConnectionError" in repr(exc)
    )
    if timed_out:
        summary = f"timed out ({type(exc).__name__}: {str(exc)[:300]})"
    elif transport:
        summary = f"connection failed ({type(exc).__name__}: {str(exc)[:300]})"
    else:
        summary = (
            f"the request could not be sent ({type(exc).__name__}); check bitmovin:apiUrl and bitmovin:apiKey"
        )
    return BitmovinApiError(summary, method=method, path=path, outcome_unknown=not never_sent)
