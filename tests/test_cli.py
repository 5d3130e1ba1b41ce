"""Layer 6: the real Pulumi CLI against a local file backend. Runs only where a `pulumi` binary exists.

These machines have no Pulumi CLI, so the module skips with the reason printed by pytest's ``-ra``
summary. Where the CLI exists it proves what no lower layer can: that the engine accepts
``Pulumi.yaml`` and that a bad stack value stops ``pulumi preview`` before anything is created.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PULUMI = shutil.which("pulumi")

pytestmark = [
    pytest.mark.layer6,
    pytest.mark.skipif(
        PULUMI is None,
        reason="no `pulumi` binary on PATH: CLI-level tests need the Pulumi CLI (https://www.pulumi.com/docs/install/)",
    ),
]

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _pulumi(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PULUMI), *args, "--non-interactive"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def local_stack(tmp_path):
    """A throw-away stack in a file backend; the program runs from the project directory."""
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{tmp_path}",
        "PULUMI_CONFIG_PASSPHRASE": "test-only",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    stack = "cli-test"
    result = _pulumi(["stack", "init", stack], env, PROJECT_DIR)
    assert result.returncode == 0, result.stderr
    yield env, stack
    _pulumi(["stack", "rm", stack, "--yes", "--force"], env, PROJECT_DIR)
    (PROJECT_DIR / f"Pulumi.{stack}.yaml").unlink(missing_ok=True)


def test_bad_stack_config_stops_preview_with_the_key_and_fix(local_stack):
    env, stack = local_stack
    for args in (["aws:region", "eu-west-1"], ["exportPrefix", "/analytics"]):
        assert _pulumi(["config", "set", "--stack", stack, *args], env, PROJECT_DIR).returncode == 0
    result = _pulumi(["preview", "--stack", stack], env, PROJECT_DIR)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "exportPrefix" in output
    assert "pulumi config set exportPrefix" in output
