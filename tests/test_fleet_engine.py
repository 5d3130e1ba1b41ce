"""Layer 6: ``python -m fleet preview|up|outputs`` over real stacks of the provider-only project.

The fleet command runs as users run it (a subprocess, ``--project-dir`` naming a copy of
tests/engine_project, engine_support's environment: file backend, HOME / PULUMI_HOME in the test's
temporary directory), its stacks' ``bitmovin:apiUrl`` the in-process Bitmovin emulator. The emulator is
on 127.0.0.1, so every stack is local-only to the fleet and runs only with ``--include-local``.
The last test prints (never asserts) the wall time of ``up --parallel 4`` against ``--parallel 1``.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bitmovin_emulator import EmulatorServer
from tests.engine_support import EngineStack, copy_engine_project, engine_env, skip_without_engine

pytestmark = [pytest.mark.layer6, skip_without_engine()]

API_KEY = "fleet-engine-key-2b8c"
SECRET_VALUE = "fleet-secret-output-91d0"
STACKS = ("acme", "globex", "initech", "umbrella")
TIMING_RUNS = 3


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(api_keys={API_KEY}) as server:
        yield server


class FleetProject:
    """A copy of the provider-only project (with fleet/) and its engine environment."""

    def __init__(self, tmp_path: Path, emulator: EmulatorServer) -> None:
        self.project = copy_engine_project(tmp_path / "project", dirs=("providers", "fleet"))
        self.env = engine_env(tmp_path / "home")
        self.emulator = emulator
        self._template: Path | None = None

    def add_stack(self, name: str) -> EngineStack:
        """A stack with its own Pulumi.<name>.yaml: the API key as a secret, the emulator's URL.

        The first stack is configured with ``pulumi config set``; later ones start from a copy of its
        file (the passphrase provider reuses the file's salt, so its secure values decrypt)."""
        stack = EngineStack(self.project, self.env, name)
        if self._template is None:
            stack.init()
            stack.config_set("bitmovin:apiKey", API_KEY, secret=True)
            stack.config_set("bitmovin:apiUrl", self.emulator.base_url)
            stack.config_set("secretValue", SECRET_VALUE, secret=True)
            self._template = self.project / f"Pulumi.{name}.yaml"
        else:
            shutil.copy2(self._template, self.project / f"Pulumi.{name}.yaml")
            stack.init()
        stack.config_set("outputName", f"fleet-{name}")
        return stack

    def fleet(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fleet", *args, "--include-local", "--project-dir", str(self.project)],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    def fleet_ok(self, *args: str) -> str:
        result = self.fleet(*args)
        assert result.returncode == 0, f"fleet {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout


def report_rows(output: str) -> dict[str, str]:
    """``{stack: result}`` from the closing tables."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if line.startswith("  ") and cells and cells[0] in STACKS and re.fullmatch(r"[\d.]+s", cells[-2]):
            rows[cells[0]] = cells[-1]
    return rows


def test_preview_up_and_outputs_over_four_real_stacks(tmp_path: Path, emulator: EmulatorServer):
    fleet = FleetProject(tmp_path, emulator)
    for name in STACKS:
        fleet.add_stack(name)

    preview = fleet.fleet_ok("preview")
    assert report_rows(preview) == dict.fromkeys(STACKS, "ok")
    assert f"preview: {len(STACKS)} stack(s): {len(STACKS)} ok" in preview
    assert len(emulator.outputs) == 0

    up = fleet.fleet_ok("up", "--yes")
    assert report_rows(up) == dict.fromkeys(STACKS, "ok")
    assert f"up: {len(STACKS)} stack(s): {len(STACKS)} ok" in up
    made = {output["name"]: output["id"] for output in emulator.outputs.list()}
    assert sorted(made) == sorted(f"fleet-{name}" for name in STACKS)  # one output per stack

    outputs = fleet.fleet_ok("outputs")
    assert report_rows(outputs) == dict.fromkeys(STACKS, "ok")
    for name in STACKS:
        assert re.search(rf"^{name}\s+\| outputId = {made[f'fleet-{name}']}$", outputs, re.MULTILINE), outputs
        assert re.search(rf"^{name}\s+\| secretValue = \[secret\]$", outputs, re.MULTILINE), outputs
    assert SECRET_VALUE not in outputs
    assert API_KEY not in preview + up + outputs


def test_up_wall_time_parallel_4_against_parallel_1(tmp_path: Path, emulator: EmulatorServer):
    """Fresh stacks for every run; prints the medians and their ratio, asserts only success."""
    fleet = FleetProject(tmp_path, emulator)
    seconds: dict[int, list[float]] = {4: [], 1: []}
    for run in range(TIMING_RUNS):
        for parallel in seconds:
            names = [f"t{run}p{parallel}-{name}" for name in STACKS]
            for name in names:
                fleet.add_stack(name)
            started = time.monotonic()
            fleet.fleet_ok("up", *names, "--yes", "--parallel", str(parallel))
            seconds[parallel].append(time.monotonic() - started)
    four, one = statistics.median(seconds[4]), statistics.median(seconds[1])
    runs = {parallel: ", ".join(f"{value:.1f}" for value in values) for parallel, values in seconds.items()}
    print(
        f"\nfleet up over {len(STACKS)} stacks, median of {TIMING_RUNS}: --parallel 4 {four:.1f}s, "
        f"--parallel 1 {one:.1f}s, ratio {four / one:.2f} (runs: 4: {runs[4]}; 1: {runs[1]})"
    )
    assert len(emulator.outputs) == 2 * TIMING_RUNS * len(STACKS)
