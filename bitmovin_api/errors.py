"""The one exception type of the Bitmovin client, built from any reply the API (or a gateway) sends.

It carries what a user needs to act (HTTP status, Bitmovin ``code``, ``message``,
``developerMessage``, field ``details``, ``requestId`` for support) and never the API key (it is
replaced by ``redaction.SECRET_MASK``). Every text a server chose is kept with its control characters
escaped (``terminal_text.escape``: no escape sequence or newline reaches a terminal or log), and is cut
to a bounded length only when the error is shown, after the key was masked (a cut through a quoted key
would leave a piece of it no mask could find).

    Exception
    └── BitmovinApiError    any failed call: HTTP error, Bitmovin ERROR envelope, timeout, lost connection
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from typing import Any
from urllib.parse import quote, urljoin

import requests
from urllib3 import exceptions as urllib3_exceptions

from bitmovin_api.api_url import display_url
from bitmovin_api.redaction import SECRET_MASK
from bitmovin_api.terminal_text import escape, shown

_HINTS = {
    401: "check the API key: set it with `pulumi config set --secret bitmovin:apiKey` (it prompts for "
    "the key; never put it on the command line), or the BITMOVIN_API_KEY environment variable, which "
    "counts only when the stack config has no bitmovin:apiKey. `pulumi refresh` and `pulumi destroy` use the "
    "provider config recorded in the state by the last `pulumi up`: after changing the key, run "
    "`pulumi up` first or add `--run-program`",
    403: "the API key has no access to this organization: check `bitmovin:tenantOrgId` "
    "and that the key's user is a member of that organization",
}


class BitmovinApiError(Exception):
    """A failed call to the Bitmovin API.

    ``outcome_unknown`` is true when the server may have acted although the call failed (timeout,
    dropped connection, 5xx), which is what decides whether a create must be reconciled.
    ``api_envelope`` is true when the reply was a Bitmovin ``ERROR`` envelope (status ``ERROR`` and
    an integer ``data.code``), i.e. it came from the Bitmovin API and not from a gateway or a wrong
    server.
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
        api_envelope: bool = False,
    ) -> None:
        self.summary = escape(summary)
        self.method = method
        self.path = escape(path)
        self.status = status
        self.code = code
        self.message = _text(message)
        self.developer_message = _text(developer_message)
        self.details = [_escaped_detail(detail) for detail in details or [] if isinstance(detail, dict)]
        self.request_id = _text(request_id)
        self.outcome_unknown = outcome_unknown
        self.api_envelope = api_envelope
        super().__init__(self.__str__())

    @property
    def not_found(self) -> bool:
        """A 404 in a Bitmovin error envelope. Whether an output is gone is decided only by
        ``BitmovinClient.find_output``/``delete_output_if_exists``, which also confirm the URL."""
        return self.status == 404 and self.api_envelope

    def redacted(self, secret: str) -> BitmovinApiError:
        """This error with ``secret`` (raw or percent-encoded) removed from every text it carries.

        A server controls what it answers, so a reply may quote the API key it received.
        """
        forms = [form for form in dict.fromkeys((secret, quote(secret, safe=""), quote(secret))) if form]
        if not forms:
            return self
        state = _scrub(self.__dict__.copy(), forms)
        return _rebuild(state)

    @property
    def rejected_fields(self) -> list[str]:
        return [str(d["field"]) for d in self.details if isinstance(d, dict) and d.get("field")]

    def __str__(self) -> str:
        parts = [f"Bitmovin API {self.method} {shown(self.path, 300)} failed: {shown(self.summary, 1000)}"]
        if self.developer_message and self.developer_message != self.message:
            parts.append(f"({shown(self.developer_message)})")
        named = [d for d in self.details if d.get("field") or d.get("text")]
        for detail in named[:MAX_DETAILS_SHOWN]:
            field, text = detail.get("field") or "?", detail.get("text") or "rejected"
            parts.append(f"[field {shown(field, 100)}: {shown(text, 200)}]")
        if len(named) > MAX_DETAILS_SHOWN:
            parts.append(f"[and {len(named) - MAX_DETAILS_SHOWN} more fields]")
        if self.status in _HINTS:
            parts.append(f"- {_HINTS[self.status]}")
        if self.request_id:
            parts.append(f"(requestId {shown(self.request_id, 100)})")
        return " ".join(parts)

    def __repr__(self) -> str:
        message = shown(self.message) if self.message is not None else None
        request_id = shown(self.request_id, 100) if self.request_id is not None else None
        return (
            f"BitmovinApiError(status={self.status!r}, code={self.code!r}, message={message!r}, "
            f"method={self.method!r}, path={shown(self.path, 300)!r}, request_id={request_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions cross process boundaries in tests; keep them picklable with their fields.
        return (_rebuild, (self.__dict__.copy(),))


MAX_DETAILS_SHOWN = 10
"""Rejected fields named in a message; a reply may list thousands."""


def _text(value: Any) -> str | None:
    """A text field of a reply as a string with its control characters escaped (None stays None)."""
    if value is None:
        return None
    return escape(value if isinstance(value, str) else str(value))


def _escaped_detail(detail: dict[Any, Any]) -> dict[str, Any]:
    """One ``details`` entry with its text values escaped (``rejected_fields`` and messages read them)."""
    return {str(key): _text(value) if isinstance(value, str) else value for key, value in detail.items()}


def _scrub(value: Any, forms: list[str]) -> Any:
    if isinstance(value, str):
        for form in forms:
            value = value.replace(form, SECRET_MASK)
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, forms) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, forms) for item in value]
    return value


def _rebuild(state: dict[str, Any]) -> BitmovinApiError:
    error = BitmovinApiError.__new__(BitmovinApiError)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


def error_from_response(
    method: str, path: str, response: requests.Response, body: bytes | None = None
) -> BitmovinApiError:
    """Read the Bitmovin error envelope, or fall back to a gateway message or the reason phrase.

    ``body``: the reply's body as the client read it (bounded); default ``response.content``.
    """
    status = response.status_code
    content = response.content if body is None else body
    try:
        payload = json.loads(content) if content else None
    except ValueError:  # UnicodeDecodeError included
        payload = None
    outcome_unknown = status >= 500
    if (
        isinstance(payload, dict)
        and payload.get("status") == "ERROR"
        and isinstance(payload.get("data"), dict)
    ):
        data = payload["data"]
        code = data.get("code")
        message = data.get("message")
        details = data.get("details") if isinstance(data.get("details"), list) else []
        return BitmovinApiError(
            f"HTTP {status}, code {data.get('code')}: {message}",
            method=method,
            path=path,
            status=status,
            code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            message=message,
            developer_message=data.get("developerMessage"),
            details=details,
            request_id=payload.get("requestId"),
            outcome_unknown=outcome_unknown,
            api_envelope=isinstance(code, int) and not isinstance(code, bool),
        )
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        message = payload["message"]
    else:
        # Not cut here: the client masks the API key first, then the message is cut when shown.
        text = " ".join(content.decode(response.encoding or "utf-8", "replace").split()) if content else ""
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


def error_from_redirect(method: str, path: str, response: requests.Response) -> BitmovinApiError:
    """A 3xx answer. Redirects are never followed: ``requests`` would re-send ``X-Api-Key`` to the
    new address (it strips only ``Authorization`` across hosts), so the target is only named.

    Only 303 ("see other", the answer to a request that was processed) leaves a create's outcome
    open; every other redirect means the request was not handled at the configured address.
    """
    status = response.status_code
    location = response.headers.get("Location")
    where = display_url(urljoin(response.url or "", location)) if location else "no Location header"
    return BitmovinApiError(
        f"HTTP {status} redirect to {where}, not followed: a redirect would send the API key to another "
        "address. Set bitmovin:apiUrl to the API's final address, e.g. "
        "`pulumi config set bitmovin:apiUrl https://api.bitmovin.com/v1`",
        method=method,
        path=path,
        status=status,
        request_id=response.headers.get("X-Request-Id"),
        outcome_unknown=status == 303,
    )


def error_from_exception(method: str, path: str, exc: Exception) -> BitmovinApiError:
    """A transport failure, named for what happened (:func:`transport_summary`). Only a failed
    connect, or a request that could not even be built, proves the request never reached the server.

    The text of transport errors (host, port, timeout) is kept; any other error may quote a header
    value, the API key included, so only its type is reported.
    """
    transport = isinstance(exc, requests.ConnectionError | requests.Timeout | requests.exceptions.RetryError)
    # With a Retry mounted, requests reports an exhausted read timeout as ConnectionError(MaxRetryError).
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    never_sent = (
        not transport
        or isinstance(exc, requests.ConnectTimeout)
        or isinstance(reason, urllib3_exceptions.ConnectTimeoutError | urllib3_exceptions.NewConnectionError)
        or "NewConnectionError" in repr(exc)
    )
    if transport:
        summary = f"{transport_summary(exc)} ({type(exc).__name__}: {str(exc)[:300]})"
    else:
        summary = (
            f"the request could not be sent ({type(exc).__name__}); check bitmovin:apiUrl and bitmovin:apiKey"
        )
    return BitmovinApiError(summary, method=method, path=path, outcome_unknown=not never_sent)


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it wraps: ``MaxRetryError.reason``, exception arguments (requests
    wraps urllib3's errors, ``ProtocolError`` the socket's), ``__cause__`` and ``__context__``."""
    found: list[BaseException] = []
    pending: list[object] = [exc]
    while pending and len(found) < 32:
        item = pending.pop(0)
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        pending += [getattr(item, "reason", None), *item.args, item.__cause__, item.__context__]
    return found


# (what happened, the exception types that say so), most specific first. urllib3 2's
# NewConnectionError (refused, unreachable) and NameResolutionError (DNS) are subclasses of
# ConnectTimeoutError, so they must be told apart before any timeout.
_PROXY = (requests.exceptions.ProxyError, urllib3_exceptions.ProxyError)
_SSL = (requests.exceptions.SSLError, urllib3_exceptions.SSLError, ssl.SSLError)
_DNS = (urllib3_exceptions.NameResolutionError, socket.gaierror)
_CONNECT_TIMEOUT = (requests.exceptions.ConnectTimeout, urllib3_exceptions.ConnectTimeoutError)
_READ_TIMEOUT = (requests.exceptions.ReadTimeout, urllib3_exceptions.ReadTimeoutError, TimeoutError)
_DROPPED = (
    http.client.RemoteDisconnected,
    http.client.IncompleteRead,
    ConnectionAbortedError,
    BrokenPipeError,
    ConnectionResetError,
    urllib3_exceptions.ProtocolError,
    requests.exceptions.ChunkedEncodingError,
)


def transport_summary(exc: BaseException) -> str:
    """What went wrong on the way to the API, in words a user can act on (no exception text)."""
    causes = _causes(exc)

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(cause, kinds) for cause in causes)

    new_connection = [c for c in causes if isinstance(c, urllib3_exceptions.NewConnectionError)]
    if has(*_PROXY):
        return (
            "proxy error: the HTTP(S) proxy from HTTPS_PROXY/HTTP_PROXY/ALL_PROXY could not be used; "
            "check the proxy settings (or NO_PROXY)"
        )
    if has(*_SSL):
        return (
            "TLS/SSL error: the TLS handshake with the API failed (a certificate that is not trusted, "
            "or a server that does not speak TLS); check `bitmovin:apiUrl` and REQUESTS_CA_BUNDLE"
        )
    if has(*_DNS):
        return (
            "DNS lookup failed: the host of `bitmovin:apiUrl` could not be resolved; check `bitmovin:apiUrl`"
        )
    if has(ConnectionRefusedError) or any("refused" in str(c).lower() for c in new_connection):
        return (
            "connection refused: check `bitmovin:apiUrl` (nothing accepts connections at that host and port)"
        )
    if new_connection:
        return "could not connect: check `bitmovin:apiUrl` and the network (host unreachable)"
    if has(*_CONNECT_TIMEOUT):
        return (
            "timed out connecting: no connection within bitmovin:connectTimeoutSeconds; check "
            "`bitmovin:apiUrl` and the network"
        )
    if has(*_READ_TIMEOUT):
        return (
            "timed out waiting for the answer: none within bitmovin:readTimeoutSeconds (the request "
            "may have been processed)"
        )
    if has(*_DROPPED):
        return (
            "connection dropped: the server closed or reset it before answering (the request may have "
            "been processed)"
        )
    if has(requests.exceptions.RetryError, urllib3_exceptions.ResponseError):
        return "too many retries: the API kept answering with errors until the retries ran out"
    if has(urllib3_exceptions.MaxRetryError):
        return "too many retries: every attempt failed"
    return "connection failed"
