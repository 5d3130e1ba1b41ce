"""Layer 6: ``python -m verify --stack`` reads real stacks through the Automation API and the real CLI.

Everything runs in project copies with dev.support.engine's environment (file backend, HOME /
PULUMI_HOME in the test's temporary directory), never in the checkout:

* the provider-only project (tests/engine_project, against the Bitmovin emulator) after a real
  ``pulumi up``: ``verify.stack.read_stack`` returns the outputs in plaintext with the secret one
  flagged (``[secret]`` where masked) and the API key as secret config; ``python -m verify --stack``
  stops with exit status 2 naming the outputs that only the real program exports, and prints
  neither the API key nor the secret output;
* the real program without ``pulumi up`` (no outputs at all): exit status 2 and the fix.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dev.bitmovin_emulator import EmulatorServer
from dev.support.engine import (
    EngineStack,
    copy_engine_project,
    copy_program,
    engine_env,
    skip_without_engine,
)
from verify.stack import SECRET_MASK, read_stack

pytestmark = [pytest.mark.layer6, skip_without_engine()]

API_KEY = "verify-cli-secret-key-0c1d"
SECRET_VALUE = "verify-secret-output-5e7a"
VERIFY_DIRS = ("providers", "bitmovin_api", "analytics_export", "verify")


def run_verify(stack: EngineStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verify", "--stack", stack.name, *args],
        cwd=stack.project,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def deployed(tmp_path: Path, emulator: EmulatorServer) -> EngineStack:
    """The provider-only project, deployed for real: outputId, externalId and a secret output."""
    project = copy_engine_project(tmp_path / "project", dirs=VERIFY_DIRS)
    stack = EngineStack(project, engine_env(tmp_path / "home"), "verify-engine").init()
    stack.config_set("bitmovin:apiKey", API_KEY, secret=True)
    stack.config_set("bitmovin:apiUrl", emulator.base_url)
    stack.config_set("secretValue", SECRET_VALUE, secret=True)
    stack.up()
    return stack


def test_read_stack_returns_plaintext_outputs_with_the_secret_ones_flagged(
    deployed: EngineStack, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
):
    from pulumi import automation

    # The Automation API runs `pulumi` with os.environ plus env_vars: only the engine env counts.
    for name in list(os.environ):
        if name.startswith(("PULUMI_", "AWS_", "BITMOVIN_")):
            monkeypatch.delenv(name)
    workspace = automation.LocalWorkspace(work_dir=str(deployed.project), env_vars=deployed.env)
    values = read_stack(deployed.name, deployed.project, workspace)

    (output,) = emulator.outputs.list()
    assert values.outputs["outputId"] == output["id"]
    assert values.outputs["secretValue"] == SECRET_VALUE
    assert values.secret_outputs == frozenset({"secretValue"})
    masked = values.masked_outputs()
    assert masked["secretValue"] == SECRET_MASK
    assert masked["outputId"] == output["id"]
    assert SECRET_VALUE not in repr(masked)
    assert values.config["bitmovin:apiKey"] == API_KEY
    assert "bitmovin:apiKey" in values.secret_config
    assert "bitmovin:apiUrl" not in values.secret_config


def test_verify_on_a_stack_without_the_programs_outputs_exits_2_naming_them(deployed: EngineStack):
    result = run_verify(deployed)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "stack output(s) roleArn, bucketName, region missing: run `pulumi up` first" in result.stderr
    assert API_KEY not in result.stdout + result.stderr
    assert SECRET_VALUE not in result.stdout + result.stderr


def test_verify_on_the_real_program_before_any_up_exits_2_with_the_fix(tmp_path: Path):
    project = copy_program(tmp_path / "project")
    stack = EngineStack(project, engine_env(tmp_path / "home"), "verify-cli-test").init()
    stack.config_set("aws:region", "eu-west-1")
    stack.config_set("bitmovin:apiKey", API_KEY, secret=True)
    result = run_verify(stack)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "outputId, externalId, roleArn, bucketName, region missing: run `pulumi up` first" in result.stderr
    assert API_KEY not in result.stdout + result.stderr
