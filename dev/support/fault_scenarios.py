"""Named faults on the local Bitmovin API emulator, and what each one means for a client.

``tests/bitmovin_api/test_reliability.py`` proves how the provider behaves under these faults and
``dev/benchmark.py provider`` measures it, so both take them from here. A scenario arms itself on an
``EmulatorServer`` for one route (``"get"``, ``"delete"``, ``"create"``, ``"list"``, ...). Faults that
stall the server are built for a delay ``slow`` that the caller chooses longer than its client's read
timeout: the stall is real, it is what makes the client's socket time out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dev.bitmovin_emulator import EmulatorServer

Arm = Callable[[EmulatorServer, str], Any]


@dataclass(frozen=True)
class FaultScenario:
    """One fault (or a sequence of them) on a route, with the facts a client's behaviour follows from."""

    name: str
    arm: Arm
    faults: int | None = 1  # requests it spoils before the route answers normally again (None: all)
    min_wait: float = 0.0  # the client must wait at least this long (s): what a 429 asks, less a margin
    server_acted: bool = False  # the operation took effect, although the client saw a failure
    acts_late: bool = False  # the server acts only after the stall, when the client may have given up
    outcome_known: bool = False  # the answer (a 4xx) proves that nothing happened


def by_name(*scenarios: FaultScenario) -> dict[str, FaultScenario]:
    """A catalogue: scenarios by name, in the order given."""
    return {scenario.name: scenario for scenario in scenarios}


def _status(status: int, when: str = "before", **kwargs: Any) -> Arm:
    return lambda emulator, route: emulator.fail(route, status, when=when, **kwargs)


def _rate_limit_reset_in_one_second_as_epoch(emulator: EmulatorServer, route: str) -> Any:
    """Some gateways send ``X-RateLimit-Reset`` as an epoch timestamp rather than seconds."""
    return emulator.fail(route, 429, headers={"X-RateLimit-Reset": str(math.ceil(time.time()) + 1)})


def _drop_then_503_then_429(emulator: EmulatorServer, route: str) -> Any:
    emulator.drop_connection(route, when="before")
    emulator.fail(route, 503)
    return emulator.fail(route, 429, headers={"Retry-After": "0"})


def retried_faults(slow: float) -> dict[str, FaultScenario]:
    """Faults a GET or DELETE recovers from by retrying; ``slow`` s stalls outlast the read timeout."""
    return by_name(
        FaultScenario("drop-before", lambda emu, route: emu.drop_connection(route, when="before")),
        FaultScenario(
            "drop-after", lambda emu, route: emu.drop_connection(route, when="after"), server_acted=True
        ),
        FaultScenario("429-retry-after-1", _status(429, headers={"Retry-After": "1"}), min_wait=0.9),
        FaultScenario(
            "429-x-ratelimit-reset-1", _status(429, headers={"X-RateLimit-Reset": "1"}), min_wait=0.9
        ),
        FaultScenario("429-x-ratelimit-reset-epoch", _rate_limit_reset_in_one_second_as_epoch, min_wait=0.9),
        FaultScenario("502", _status(502)),
        FaultScenario("503", _status(503)),
        FaultScenario("504", _status(504)),
        FaultScenario("503-after-processing", _status(503, "after"), server_acted=True),
        FaultScenario(
            "read-timeout", lambda emu, route: emu.delay(route, slow, when="after"), server_acted=True
        ),
        FaultScenario("drop-then-503-then-429", _drop_then_503_then_429, faults=3),
    )


# Faults that never end: only the retry budget (or maxRetries) stops a client.
PERSISTENT_FAULTS = by_name(
    FaultScenario("persistent-503", _status(503, times=None), faults=None),
    FaultScenario(
        "429-retry-after-beyond-budget", _status(429, headers={"Retry-After": "30"}, times=None), faults=None
    ),
    FaultScenario(
        "persistent-drop",
        lambda emu, route: emu.drop_connection(route, when="before", times=None),
        faults=None,
    ),
)

VALIDATION_ERROR_400 = {
    "requestId": "r-400",
    "status": "ERROR",
    "data": {
        "code": 1000,
        "message": "Required attribute/field not valid or not present",
        "developerMessage": "Invalid fields: bucketName, roleArn",
        "details": [
            {"type": "ERROR", "field": "bucketName", "text": "bucket does not exist"},
            {"type": "ERROR", "field": "roleArn", "text": "must be an IAM role ARN"},
        ],
    },
}


def create_faults(slow: float) -> dict[str, FaultScenario]:
    """Faults on the POST that creates an output (route ``"create"``); a POST is never re-sent.

    ``slow`` s stalls outlast the read timeout: "timeout-after" stalls once the output exists,
    "timeout-before" stalls first, so the server creates the output after the client gave up.
    """
    return by_name(
        *(FaultScenario(f"{s}-after", _status(s, "after"), server_acted=True) for s in (500, 502, 503, 504)),
        *(FaultScenario(f"{s}-before", _status(s)) for s in (500, 502, 503, 504)),
        FaultScenario(
            "timeout-after", lambda emu, route: emu.delay(route, slow, when="after"), server_acted=True
        ),
        FaultScenario("timeout-before", lambda emu, route: emu.delay(route, slow), acts_late=True),
        FaultScenario(
            "drop-after", lambda emu, route: emu.drop_connection(route, when="after"), server_acted=True
        ),
        FaultScenario("drop-before", lambda emu, route: emu.drop_connection(route, when="before")),
        FaultScenario("429-before", _status(429, headers={"Retry-After": "1"}), outcome_known=True),
        FaultScenario("400", _status(400, body=VALIDATION_ERROR_400), outcome_known=True),
    )
