"""Fixtures of the provider tests; a module configures them with module-level constants.

- ``API_KEY``: the only key ``api`` (the emulator) accepts and the one ``host`` is configured with.
- ``READ_ONLY_API = True``: ``api`` also asserts after each test that nothing was created or deleted
  through the API (the promise of a reference).
- ``PROGRAM_RESOURCES``: ``(name, args)`` pairs a program registers (``programs``; ``program`` is the
  first), of ``RESOURCE_CLASS`` if the module sets it (``"module:Class"``, default the output).
- ``HOST_CONFIG``: plain stack config ``host`` gets through Configure besides the API URL;
  ``RESOURCE_TYPE``: the type token ``host`` serves (default the output's).
"""

from collections.abc import Iterator
from types import ModuleType

import pytest

from dev.bitmovin_emulator import EmulatorServer
from dev.support import host_harness
from dev.support.host_harness import API_KEY_CONFIG, API_URL_CONFIG, ProviderHost, SerializedResource


def _module(request: pytest.FixtureRequest) -> ModuleType:
    return request.module


@pytest.fixture(scope="module")
def programs(request: pytest.FixtureRequest) -> dict[str, SerializedResource]:
    """What a program registers, by resource name (the string ``__provider`` really is)."""
    module = _module(request)
    options = {"resource_class": module.RESOURCE_CLASS} if hasattr(module, "RESOURCE_CLASS") else {}
    registered = host_harness.serialize_resources(*module.PROGRAM_RESOURCES, **options)
    return {resource.name: resource for resource in registered}


@pytest.fixture(scope="module")
def program(request: pytest.FixtureRequest, programs: dict[str, SerializedResource]) -> SerializedResource:
    return programs[_module(request).PROGRAM_RESOURCES[0][0]]


@pytest.fixture(scope="module")
def host(
    request: pytest.FixtureRequest, emulator_server: EmulatorServer, program: SerializedResource
) -> Iterator[ProviderHost]:
    """One host for the module, configured as the engine would: the API key as a secret."""
    module = _module(request)
    resource_type = getattr(module, "RESOURCE_TYPE", host_harness.RESOURCE_TYPE)
    with ProviderHost.start(provider=program.provider, resource_type=resource_type) as started:
        started.configure(
            {**getattr(module, "HOST_CONFIG", {}), API_URL_CONFIG: emulator_server.base_url},
            secrets={API_KEY_CONFIG: module.API_KEY},
        )
        yield started


@pytest.fixture
def api(request: pytest.FixtureRequest, emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    """The emulator, accepting only the module's ``API_KEY``."""
    module = _module(request)
    emulator.options.api_keys = {module.API_KEY}
    yield emulator
    if getattr(module, "READ_ONLY_API", False):
        # The promise of a reference: whatever a test did, nothing was created or deleted through the API.
        assert emulator.requests.count(method="POST") == 0
        assert emulator.requests.count(method="DELETE") == 0
