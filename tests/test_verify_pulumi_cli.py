"""Layer 6: ``python -m verify --stack`` through the real Pulumi CLI (Automation API, file backend).
Runs only where a ``pulumi`` binary exists; skipped here with the reason printed by ``-ra``.

Without ``pulumi up`` the stack has config but no outputs: verify must read both through the CLI
(``pulumi stack output --json --show-secrets``, ``pulumi config --json --show-secrets``) and stop with
exit status 2 and the fix, without printing the decrypted API key.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PULUMI = shutil.which("pulumi")
ROOT = Path(__file__).resolve().parent.parent
SECRET = "verify-cli-secret-key-0c1d"

pytestmark = [
    pytest.mark.layer6,
    pytest.mark.skipif(
        PULUMI is None,
        reason="no `pulumi` binary on PATH: CLI-level tests need the Pulumi CLI (https://www.pulumi.com/docs/install/)",
    ),
]


def test_verify_reads_the_stack_through_the_automation_api(tmp_path):
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{tmp_path}",
        "PULUMI_CONFIG_PASSPHRASE": "test-only",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    stack = "verify-cli-test"

    def pulumi(*args):
        result = subprocess.run(
            [str(PULUMI), *args, "--non-interactive"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result

    pulumi("stack", "init", stack)
    try:
        pulumi("config", "set", "--stack", stack, "aws:region", "eu-west-1")
        pulumi("config", "set", "--stack", stack, "--secret", "bitmovin:apiKey", SECRET)
        result = subprocess.run(
            [sys.executable, "-m", "verify", "--stack", stack],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert "missing: run `pulumi up` first" in result.stderr
        assert SECRET not in result.stdout + result.stderr
    finally:
        subprocess.run(
            [str(PULUMI), "stack", "rm", stack, "--yes", "--force", "--non-interactive"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=300,
            check=False,
        )
        (ROOT / f"Pulumi.{stack}.yaml").unlink(missing_ok=True)
