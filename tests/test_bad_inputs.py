"""Layer 1 (with the emulator as a request counter): every catalogued bad input fails before any
API request, names the config key or resource input, and says how to fix it.

The stack-config cases run the program's pure config validation (the program calls it before
registering any resource); the resource-input and provider-config cases run the provider's
``check``, which is what ``pulumi preview`` calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bad_inputs import CASES, TEST_API_KEY, error_for

pytestmark = pytest.mark.layer1

ROOT = Path(__file__).resolve().parent.parent


def _case_id(case) -> str:
    return f"{case.kind.split()[0]}-{case.key}-{case.why}".replace(" ", "_")


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    for name in ("BITMOVIN_API_KEY", "BITMOVIN_API_URL"):
        monkeypatch.delenv(name, raising=False)


def test_catalogue_has_at_least_25_distinct_cases():
    assert len({(c.kind, c.key, repr(c.value)) for c in CASES}) == len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_bad_input_fails_early_naming_key_and_fix(case, emulator):
    message = error_for(case, emulator.base_url)
    assert len(emulator.requests) == 0
    assert case.key in message
    assert TEST_API_KEY not in message
    if case.kind == "stack config":
        assert "pulumi config set" in message or "pulumi config rm" in message
    elif case.kind == "provider config":
        assert (
            f"pulumi config set --secret {case.key}" in message or f"pulumi config set {case.key}" in message
        )


def test_docs_table_is_generated_from_the_current_messages():
    result = subprocess.run(
        [sys.executable, "scripts/bad_inputs_table.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("BITMOVIN_")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
