"""Record of every request the emulator received.

Tests count API calls per operation with it (e.g. "the client retried the GET
three times but never the POST"). The API key is a secret: its value is replaced
before anything is stored, so logs can be printed or attached to reports safely.
"""

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bitmovin_api.redaction import SECRET_MASK

SECRET_NAMES = frozenset({"x-api-key"})
SECRET_BODY_FIELDS = frozenset({"licenseKey"})


@dataclass(frozen=True)
class RequestRecord:
    """One request as received.

    ``route`` is the operation ("create", "list", "get", "delete", "custom_data",
    "account_information", "export_create", "export_get", "export_list") or None for
    paths/methods the API does not serve. ``status`` is what the client got,
    None when the connection was dropped. ``fault`` describes the injected fault that
    applied (e.g. "status 503 before"), None for normal requests.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int | None
    route: str | None
    fault: str | None
    time: float


def redact_body(body: Any) -> Any:
    """A JSON body with secret top-level fields (the export tasks' ``licenseKey``) replaced."""
    if isinstance(body, dict) and SECRET_BODY_FIELDS & body.keys():
        return {name: SECRET_MASK if name in SECRET_BODY_FIELDS else value for name, value in body.items()}
    return body


def redact(values: Mapping[str, str]) -> dict[str, str]:
    """Copy of headers or query params with secret values replaced by ``SECRET_MASK``."""
    return {name: SECRET_MASK if name.lower() in SECRET_NAMES else value for name, value in values.items()}


class RequestLog:
    """Thread-safe, append-only list of ``RequestRecord`` (until ``clear``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recorded = threading.Condition(self._lock)
        self._records: list[RequestRecord] = []

    def record(
        self,
        *,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
        status: int | None,
        route: str | None,
        fault: str | None = None,
    ) -> RequestRecord:
        """Append one request; secret headers/query values are redacted here."""
        entry = RequestRecord(
            method=method,
            path=path,
            query=redact(query),
            headers=redact(headers),
            body=redact_body(body),
            status=status,
            route=route,
            fault=fault,
            time=time.time(),
        )
        with self._recorded:
            self._records.append(entry)
            self._recorded.notify_all()
        return entry

    def filter(self, route: str | None = None, method: str | None = None) -> list[RequestRecord]:
        """Records of one operation and/or HTTP method (None = any)."""
        with self._lock:
            return self._matching(route, method)

    def _matching(self, route: str | None, method: str | None) -> list[RequestRecord]:
        return [
            r
            for r in self._records
            if (route is None or r.route == route) and (method is None or r.method == method.upper())
        ]

    def wait_for(
        self, count: int = 1, *, route: str | None = None, method: str | None = None, timeout: float
    ) -> bool:
        """Block until ``count`` matching requests are recorded; False if ``timeout`` s passed first.

        A request delayed "before" processing is recorded only when it is handled: this waits for a
        late server to act without polling.
        """
        with self._recorded:
            return self._recorded.wait_for(lambda: len(self._matching(route, method)) >= count, timeout)

    def count(self, route: str | None = None, method: str | None = None) -> int:
        """Number of requests of one operation and/or HTTP method (None = any)."""
        return len(self.filter(route, method))

    def clear(self) -> None:
        """Forget all records."""
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        with self._lock:
            return iter(list(self._records))

    def __getitem__(self, index: int) -> RequestRecord:
        with self._lock:
            return self._records[index]
