"""Fault injection: make chosen requests fail, stall or lose their connection.

Reliability tests need failures that happen *before* the server acted (safe to
retry) and *after* it acted (a retried POST would duplicate the output). A fault
matches by operation name or path pattern and applies ``times`` times.
"""

import fnmatch
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from werkzeug.wrappers import Response

from .envelopes import default_error_for_status, json_response, status_line

ROUTES = (
    "create",
    "list",
    "get",
    "delete",
    "custom_data",
    "account_information",
    "export_create",
    "export_get",
    "export_list",
)
When = Literal["before", "after"]


@dataclass
class Fault:
    """One injected fault.

    ``target``: an operation name from ``ROUTES``, a path glob starting with ``/``
    (e.g. ``/v1/analytics/outputs/s3-role-based/*``) or ``*`` for every request.
    ``method`` optionally restricts the HTTP method. ``when``: "before" processing
    (nothing changes on the server) or "after" (the operation took effect).
    Effects, in order: sleep ``delay`` seconds, then either drop the connection
    (``drop``) or answer ``status`` with ``headers`` and ``body`` (None = Bitmovin
    ERROR envelope; dict/list = JSON; str/bytes = raw, with ``content_type``).
    ``times``: how many matching requests it affects (None = unlimited); ``hits``
    counts them.
    """

    target: str
    method: str | None = None
    when: When = "before"
    status: int | None = None
    delay: float = 0.0
    drop: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    content_type: str | None = None
    times: int | None = 1
    hits: int = 0

    def __post_init__(self) -> None:
        if self.when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', not {self.when!r}")
        if self.status is None and not self.drop and self.delay <= 0:
            raise ValueError("a fault needs a status, a delay or drop=True")
        if self.drop and self.status is not None:
            raise ValueError("a fault either drops the connection or answers a status, not both")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 or None")
        if self.target not in ROUTES and self.target != "*" and not self.target.startswith("/"):
            raise ValueError(f"target must be one of {ROUTES}, '*' or a path pattern starting with '/'")
        if self.method is not None:
            self.method = self.method.upper()

    @property
    def exhausted(self) -> bool:
        """True once the fault applied ``times`` times."""
        return self.times is not None and self.hits >= self.times

    @property
    def label(self) -> str:
        """Short description stored in the request log, e.g. ``status 503 before``."""
        parts = []
        if self.delay > 0:
            parts.append(f"delay {self.delay:g}s")
        if self.drop:
            parts.append("drop")
        if self.status is not None:
            parts.append(f"status {self.status}")
        return f"{' + '.join(parts)} {self.when}"

    def matches(self, method: str, path: str, route: str | None) -> bool:
        """Whether a request is targeted by this fault."""
        if self.method is not None and self.method != method.upper():
            return False
        if self.target == "*":
            return True
        if self.target in ROUTES:
            return route == self.target
        return fnmatch.fnmatchcase(path, self.target)

    def response(self) -> Response:
        """The response sent instead of the real one (only for status faults)."""
        assert self.status is not None
        if self.body is None:
            return json_response(default_error_for_status(self.status), self.status, self.headers)
        if isinstance(self.body, dict | list):
            data: str | bytes = json.dumps(self.body)
            mimetype = self.content_type or "application/json"
        else:
            data = self.body
            mimetype = self.content_type or _guess_text_type(self.body)
        response = Response(data, status=status_line(self.status), content_type=mimetype)
        for name, value in self.headers.items():
            response.headers[name] = value
        return response


def _guess_text_type(body: str | bytes) -> str:
    """HTML for bodies that look like markup (gateway error pages), else plain text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return "text/html; charset=utf-8" if text.lstrip().startswith("<") else "text/plain; charset=utf-8"


class FaultRegistry:
    """Active faults; the first matching, not yet exhausted one applies to a request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Register a prepared ``Fault``; returns it so tests can read ``hits`` later."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail(
        self,
        target: str,
        status: int,
        *,
        when: When = "before",
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
        method: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Answer ``status`` (e.g. 429, 500, 503) instead of the real response."""
        fault = Fault(
            target,
            method,
            when,
            status=status,
            headers=dict(headers or {}),
            body=body,
            content_type=content_type,
            times=times,
        )
        return self.add(fault)

    def delay(
        self,
        target: str,
        seconds: float,
        *,
        when: When = "before",
        method: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Sleep before or after processing; "after" emulates a client timeout where the server acted."""
        return self.add(Fault(target, method, when, delay=seconds, times=times))

    def drop_connection(
        self, target: str, *, when: When = "after", method: str | None = None, times: int | None = 1
    ) -> Fault:
        """Close the socket without any response (default: after the operation took effect)."""
        return self.add(Fault(target, method, when, drop=True, times=times))

    def take(self, method: str, path: str, route: str | None) -> Fault | None:
        """Consume one application of the first fault matching this request."""
        with self._lock:
            for fault in self._faults:
                if not fault.exhausted and fault.matches(method, path, route):
                    fault.hits += 1
                    return fault
        return None

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)
