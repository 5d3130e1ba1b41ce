"""Layer 6: ``python -m fleet preview|up|outputs`` over real stacks of the provider-only project.

The fleet command runs as users run it (a subprocess, ``--project-dir`` naming a copy of
tests/engine_project, dev.support.engine's environment: file backend, HOME / PULUMI_HOME in the test's
temporary directory), its stacks' ``bitmovin:apiUrl`` the in-process Bitmovin emulator. The emulator is
on 127.0.0.1, so every stack is local-only to the fleet and runs only with ``--include-local``.
``python dev/benchmark.py engine`` measures ``up --parallel 4`` against ``--parallel 1`` with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dev.bitmovin_emulator import EmulatorServer
from dev.support.engine import FleetProject, skip_without_engine
from providers.output_model import user_name

pytestmark = [pytest.mark.layer6, skip_without_engine()]

API_KEY = "fleet-engine-key-2b8c"
SECRET_VALUE = "fleet-secret-output-91d0"
STACKS = ("acme", "globex", "initech", "umbrella")


def report_rows(output: str) -> dict[str, str]:
    """``{stack: result}`` from the closing tables."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if line.startswith("  ") and cells and cells[0] in STACKS and re.fullmatch(r"[\d.]+s", cells[-2]):
            rows[cells[0]] = cells[-1]
    return rows


def test_preview_up_and_outputs_over_four_real_stacks(tmp_path: Path, emulator: EmulatorServer):
    fleet = FleetProject(tmp_path, emulator, api_key=API_KEY, secret_value=SECRET_VALUE)
    for name in STACKS:
        fleet.add_stack(name)

    preview = fleet.fleet_ok("preview")
    assert report_rows(preview) == dict.fromkeys(STACKS, "ok")
    assert f"preview: {len(STACKS)} stack(s): {len(STACKS)} ok" in preview
    assert len(emulator.outputs) == 0

    up = fleet.fleet_ok("up", "--yes")
    assert report_rows(up) == dict.fromkeys(STACKS, "ok")
    assert f"up: {len(STACKS)} stack(s): {len(STACKS)} ok" in up
    made = {user_name(output["name"], None): output["id"] for output in emulator.outputs.list()}
    assert sorted(made) == sorted(f"fleet-{name}" for name in STACKS)  # one output per stack

    outputs = fleet.fleet_ok("outputs")
    assert report_rows(outputs) == dict.fromkeys(STACKS, "ok")
    for name in STACKS:
        assert re.search(rf"^{name}\s+\| outputId = {made[f'fleet-{name}']}$", outputs, re.MULTILINE), outputs
        assert re.search(rf"^{name}\s+\| secretValue = \[secret\]$", outputs, re.MULTILINE), outputs
    assert SECRET_VALUE not in outputs
    assert API_KEY not in preview + up + outputs
