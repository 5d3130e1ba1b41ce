"""Fixtures of the engine tests (layer 6): a module sets ``API_KEY``, the only key its emulator accepts."""

from collections.abc import Iterator

import pytest

from dev.bitmovin_emulator import EmulatorServer


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    """A fresh emulator of the test's own (the engine's providers reach it over HTTP), not the
    session one of the other folders: it accepts only the module's ``API_KEY``."""
    with EmulatorServer(api_keys={request.module.API_KEY}) as server:
        yield server
