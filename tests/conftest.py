"""Shared pytest fixtures.

``emulator`` (function scope) is the handle on an in-process Bitmovin Analytics API
emulator (``dev.bitmovin_emulator.EmulatorServer``). One server runs per test session;
its outputs, request log, faults and options are reset before and after each test.

- ``emulator.base_url``: ``"http://127.0.0.1:<port>/v1"``; give it to SDKs/clients as base URL.
- ``emulator.options``: ``EmulatorOptions`` (switches for UNCONFIRMED API behaviour and
  auth); change fields per test, e.g. ``emulator.options.create_status = 200`` or
  ``emulator.options.api_keys = {"good-key"}``.
- ``emulator.outputs``: ``OutputStore``: ``.list(org_id)``, ``.get(output_id, org_id)``,
  ``.find(output_id)`` -> ``(org_id, output)``, ``.all()``, ``len(...)``, and
  ``.create(fields, org_id)`` to seed outputs without HTTP. ``org_id`` defaults to
  ``DEFAULT_ORG_ID``, the org of requests without ``X-Tenant-Org-Id``.
- ``emulator.requests``: ``RequestLog`` of ``RequestRecord`` (method, path, query, headers
  with the API key redacted, body, status (None = connection dropped), route, fault):
  ``.count(route=None, method=None)``, ``.filter(...)``, indexing, ``.clear()``, and
  ``.wait_for(count=1, route=None, method=None, timeout=...)`` to wait for a late (delayed) request.
  Routes: ``"create"``, ``"list"``, ``"get"``, ``"delete"``, ``"custom_data"``,
  ``"account_information"`` (``GET /account/information``: the key's account).
- Faults (``target`` = a route name, ``"*"`` or a path glob starting with ``/``; each
  applies ``times`` matching requests, None = forever; they return the ``Fault``, whose
  ``hits`` counts applications):

  - ``emulator.fail(target, status, *, when="before", headers=None, body=None,
    content_type=None, method=None, times=1)``: answer ``status`` before ("before":
    nothing changes) or after ("after": the operation took effect) processing.
  - ``emulator.delay(target, seconds, *, when="before", method=None, times=1)``.
  - ``emulator.drop_connection(target, *, when="after", method=None, times=1)``.
  - ``emulator.clear_faults()``.

Any non-empty ``X-Api-Key`` is accepted unless ``options.api_keys`` is set. Keys and organizations:
``options.home_orgs`` (key -> the organization it acts in without ``X-Tenant-Org-Id``),
``options.org_access`` (organizations a key may select), ``options.accounts`` (key -> its account;
``options.account_id(key)`` is what ``/account/information`` answers, by default one account per home
organization). Two organizations with a key each: ``home_orgs = {KEY_A: ORG_A, KEY_B: ORG_B}``.

Also here, because several folders use them: ``moto`` (a moto server per module, for the closed
loop of iam/ and verify/), ``sink`` (a server that records whatever reaches it and must stay
untouched), ``no_bitmovin_env``. Fixtures one folder uses are in that folder's conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from dev.bitmovin_emulator import EmulatorServer
from dev.support.sink_server import RecordingSink

# pytester runs pytest in-process for the no-skips plugin's own test (tests/repo/test_no_skips.py).
pytest_plugins = ("pytester",)

if TYPE_CHECKING:  # moto is imported only by the modules that use it
    from dev.support.aws_loop import MotoServer


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    """The session's running emulator; tests should use ``emulator`` (which resets it)."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def no_bitmovin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ignore BITMOVIN_API_KEY and BITMOVIN_API_URL from the shell that runs the tests: only the stack
    config a test gives counts (use with ``pytest.mark.usefixtures("no_bitmovin_env")``)."""
    for name in ("BITMOVIN_API_KEY", "BITMOVIN_API_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session emulator with fresh state, empty log, no faults and default options."""
    emulator_server.reset()
    yield emulator_server
    emulator_server.reset()


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    """A moto server for the module; the tests' own fixtures reset it and create the accounts."""
    from dev.support.aws_loop import MotoServer

    with MotoServer() as server:
        yield server


@pytest.fixture
def sink() -> Iterator[RecordingSink]:
    """A server that records every request reaching it (where nothing may be sent)."""
    with RecordingSink() as server:
        yield server


# Folders whose modules start real processes or moto servers, and so take longest. `-n auto --dist
# loadfile` hands modules to workers in collection order, so running these first keeps one worker
# from finishing a long module alone at the end (measured: the suite's wall time, not any test).
LONG_FOLDERS_FIRST = ("sandbox", "verify", "iam", "providers")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the modules of :data:`LONG_FOLDERS_FIRST` first, keeping the order within each folder."""

    def rank(item: pytest.Item) -> int:
        folder = item.path.parent.name
        return LONG_FOLDERS_FIRST.index(folder) if folder in LONG_FOLDERS_FIRST else len(LONG_FOLDERS_FIRST)

    items.sort(key=rank)
