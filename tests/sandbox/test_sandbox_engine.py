"""Layer 6: ``./sandbox up``, ``python -m verify --stack local --export`` and ``./sandbox down`` through the
real engine, with the aws stand-in (no pulumi-aws plugin in the test's HOME), in a copy of the project.

The closed loop: the emulator, acting as Bitmovin, assumes the role the engine created with the external
ID of the output the engine created, and writes into the bucket the engine created; verify reads all of
it independently. ``down`` runs with no ``pulumi`` on PATH: it uses the CLI ``up`` recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from dev.support.engine import ENGINE_DIR, reap_leftovers, skip_without_engine
from dev.support.sandbox_support import copy_project, free_port, load_sandbox, running_venv

pytestmark = [pytest.mark.layer6, skip_without_engine()]

sandbox = load_sandbox()


def run(
    project: Path, env: dict[str, str], *argv: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), cwd=project, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_up_then_verify_export_then_down_without_a_cli_on_path(tmp_path):
    venv = running_venv()
    assert venv is not None
    assert ENGINE_DIR is not None
    project = copy_project(tmp_path / "project", venv=venv, with_sandbox=True)
    ports = {"SANDBOX_MOTO_PORT": str(free_port()), "SANDBOX_BITMOVIN_PORT": str(free_port())}
    plain_path = os.pathsep.join(
        entry for entry in os.environ["PATH"].split(os.pathsep) if not (Path(entry) / "pulumi").exists()
    )
    base = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "AWS_", "BITMOVIN_"))},
        **ports,
        "HOME": str(tmp_path / "home"),  # no pulumi-aws plugin there: the stand-in serves aws
        # A shell set up for real accounts: none of it may reach Pulumi, the emulators or verify.
        "AWS_PROFILE": "production",
        "BITMOVIN_API_KEY": "real-bitmovin-key",
    }
    work = project / ".sandbox"
    moto = sandbox.moto_service(venv / "bin" / "python", work, int(ports["SANDBOX_MOTO_PORT"]))
    bitmovin = sandbox.bitmovin_service(
        venv / "bin" / "python",
        work,
        int(ports["SANDBOX_BITMOVIN_PORT"]),
        sandbox.EMULATOR_API_KEY,
        work / "bitmovin-emulator.json",
    )
    try:
        up = run(project, {**base, "PATH": f"{ENGINE_DIR}{os.pathsep}{plain_path}"}, "./sandbox", "up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert up.stdout.count("the project's stand-in serves aws") == 1
        outputs = json.loads(
            up.stdout.split("Stack outputs of `local`:\n", 1)[1].split("\n}\n", 1)[0] + "\n}"
        )
        assert outputs["roleName"] == "bitmovin-analytics-export-local"

        verified = run(
            project,
            {**base, "PATH": plain_path},
            str(venv / "bin" / "python"),
            "-m",
            "verify",
            "--stack",
            "local",
            "--export",
            "--poll-seconds",
            "0.5",
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "stack local is the sandbox's" in verified.stderr
        assert f"output {outputs['outputId']} exists" in verified.stdout
        assert f"sts:ExternalId = {outputs['externalId']}" in verified.stdout
        assert "files landed under" in verified.stdout
        assert ", 0 failed," in verified.stdout

        down = run(project, {**base, "PATH": plain_path}, "./sandbox", "down")
        assert down.returncode == 0, down.stdout + down.stderr
        assert "Destroyed the output and the role" in down.stdout
        assert not sandbox.answers(moto)
        assert not sandbox.answers(bitmovin)
        state = json.loads((work / "bitmovin-emulator.json").read_text())
        assert outputs["outputId"] not in json.dumps(state["outputs"])
    finally:
        for service in (moto, bitmovin):
            sandbox.stop(service)
        reap_leftovers(project)
