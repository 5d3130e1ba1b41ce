"""Timeouts and the retry policy of the Bitmovin HTTP client, as plain values.

The session that applies them is built by ``bitmovin_api.http_session``, which imports ``requests``
and urllib3: this module does not, so that ``check`` and ``diff`` (which read the configuration but
never call Bitmovin) start without them. Every pause and every reading of the retry budget goes
through ``HttpPolicy.clock``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "DELETE"})


class Clock(Protocol):
    """What the client waits on: retry pauses, the retry budget and the create settle loop.

    Production uses ``SYSTEM_CLOCK``; tests pass one that records the pauses the client decides on
    (e.g. ``Retry-After: 1`` -> one pause of 1.0 s) instead of sleeping.
    """

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """``time.monotonic`` and ``time.sleep``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True)
class HttpPolicy:
    """How long to wait for Bitmovin and how hard to retry; all configurable per stack."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 6
    retry_budget_seconds: float = 60.0
    backoff_factor: float = 0.5
    backoff_max: float = 15.0
    backoff_jitter: float = 0.5
    # How long to keep looking for an output whose create request had an unknown outcome: a
    # gateway timeout or a client timeout can be followed by the server still acting.
    create_settle_seconds: float = 10.0
    # What retry pauses, the retry budget and the settle loop wait on; tests record the waits instead.
    clock: Clock = field(default=SYSTEM_CLOCK, repr=False, compare=False)

    @property
    def timeout(self) -> tuple[float, float]:
        """The ``(connect, read)`` pair that ``requests`` expects."""
        return (self.connect_timeout, self.read_timeout)
