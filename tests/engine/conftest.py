"""Fixtures of the engine tests (layer 6): a module sets ``API_KEY``, the only key its emulator
accepts; a transition-matrix module sets ``WALK``, the walk its ``walker`` plays."""

from collections.abc import Iterator

import pytest

from dev.bitmovin_emulator import EmulatorServer
from dev.support.engine import reap_leftovers
from dev.support.transitions import API_KEYS, Walker
from dev.support.whole_program import whole_program


@pytest.fixture(autouse=True)
def no_leftover_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After each test, kill what the engine left running in this worker's temporary directories
    (every project copy is there): the engine does not stop a dynamic-provider host or plugin whose
    CLI was killed, and such a process would outlive the run (docs/troubleshooting.md)."""
    yield
    reap_leftovers(tmp_path_factory.getbasetemp())


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    """A fresh emulator of the test's own (the engine's providers reach it over HTTP), not the
    session one of the other folders: it accepts only the module's ``API_KEY``."""
    with EmulatorServer(api_keys={request.module.API_KEY}) as server:
        yield server


@pytest.fixture(scope="module")
def walker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walker]:
    """The module's ``WALK`` on a ``local`` stack of its own (moto, emulator, backend); its up times
    are printed at the end."""
    name = request.module.WALK
    with whole_program(tmp_path_factory.mktemp(name), api_keys=API_KEYS) as program:
        walker = Walker(program)
        walker.prepare()
        yield walker
        print(f"\nwalk {name}: {len(walker.seconds)} ups, {sum(walker.seconds):.1f} s: {walker.seconds}")
