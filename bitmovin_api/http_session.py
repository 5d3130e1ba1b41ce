"""The ``requests`` session that applies an ``HttpPolicy``: urllib3's ``Retry`` restricted to
idempotent methods, so that a create (POST) is never re-sent blindly; a wall-clock budget bounds the
total time a single call may spend retrying, and ``X-RateLimit-Reset`` is honoured like
``Retry-After``. Imported only when a client is built (see ``bitmovin_api.http_policy``).
"""

from __future__ import annotations

import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bitmovin_api.http_policy import IDEMPOTENT_METHODS, RETRY_STATUSES, SYSTEM_CLOCK, Clock, HttpPolicy


class BudgetedRetry(Retry):
    """``Retry`` with a total time budget and support for ``X-RateLimit-Reset``.

    The budget starts at the first failure of a call; once it is spent the last response (or
    error) is returned to the caller instead of sleeping again.
    """

    def __init__(
        self,
        *args: Any,
        budget_seconds: float = 60.0,
        started_at: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.budget_seconds = budget_seconds
        self.started_at = started_at
        self.clock = clock

    def new(self, **kwargs: Any) -> BudgetedRetry:
        started_at = self.started_at if self.started_at is not None else self.clock.monotonic()
        kwargs.setdefault("budget_seconds", self.budget_seconds)
        kwargs.setdefault("started_at", started_at)
        kwargs.setdefault("clock", self.clock)
        return super().new(**kwargs)  # type: ignore[return-value]

    def _remaining(self) -> float:
        if self.started_at is None:
            return self.budget_seconds
        return self.budget_seconds - (self.clock.monotonic() - self.started_at)

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or self._remaining() <= 0

    def get_retry_after(self, response: Any) -> float | None:
        delay = super().get_retry_after(response)
        if delay is None:
            delay = _rate_limit_reset_delay(response.headers.get("X-RateLimit-Reset"))
        if delay is None:
            return None
        return max(0.0, min(delay, self._remaining()))

    def get_backoff_time(self) -> float:
        return max(0.0, min(super().get_backoff_time(), self._remaining()))

    # urllib3 pauses through these two public methods (urllib3 2.x: ``sleep`` after a failed attempt,
    # ``sleep_for_retry`` before following a redirect); same decisions as urllib3, paused on our clock.
    def sleep_for_retry(self, response: Any) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after:
            self.clock.sleep(retry_after)
            return True
        return False

    def sleep(self, response: Any = None) -> None:
        if self.respect_retry_after_header and response and self.sleep_for_retry(response):
            return
        backoff = self.get_backoff_time()
        if backoff > 0:
            self.clock.sleep(backoff)


def _rate_limit_reset_delay(value: str | None) -> float | None:
    """``X-RateLimit-Reset`` is seconds until reset, or an epoch timestamp on some gateways."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if seconds > 1_000_000_000:
        seconds -= time.time()
    return max(0.0, seconds)


def build_retry(policy: HttpPolicy) -> BudgetedRetry:
    """Retries for connection errors, 429 and 502/503/504 on GET and DELETE only; no redirects."""
    return BudgetedRetry(
        total=policy.max_retries,
        connect=policy.max_retries,
        read=policy.max_retries,
        status=policy.max_retries,
        other=0,
        # Never follow a redirect, neither here nor in requests (see BitmovinClient._call): it would
        # re-send X-Api-Key to wherever the server points. A 3xx is returned to the client as is.
        redirect=0,
        allowed_methods=IDEMPOTENT_METHODS,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        backoff_jitter=policy.backoff_jitter,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        budget_seconds=policy.retry_budget_seconds,
        clock=policy.clock,
    )


def build_session(policy: HttpPolicy) -> requests.Session:
    """One session per provider process: connection reuse plus the retry policy."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=build_retry(policy))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
