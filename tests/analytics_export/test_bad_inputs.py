"""Layer 1: every catalogued bad input is rejected with an error that names the config key or
resource input and says how to fix it.

The stack-config cases run the program's pure config validation (the program calls it before
registering any resource): it has no client and never sees the API key, so only its message is
checked. The resource-input and provider-config cases run the provider's ``check``, which is what
``pulumi preview`` calls, on a provider configured with an API key and pointed at the emulator: they
must also send no request (the emulator counts them) and never echo the key.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dev.support import REPO_ROOT
from dev.support.bad_inputs import CASES, TEST_API_KEY, error_for

pytestmark = [pytest.mark.layer1, pytest.mark.usefixtures("no_bitmovin_env")]

STACK_CONFIG_CASES = [case for case in CASES if case.kind == "stack config"]
PROVIDER_CASES = [case for case in CASES if case.kind != "stack config"]
UNUSED_API_URL = "http://127.0.0.1:9/v1"  # stack config is validated without any client


def _case_id(case) -> str:
    return f"{case.kind.split()[0]}-{case.key}-{case.why}".replace(" ", "_")


def test_catalogue_has_at_least_25_distinct_cases():
    assert len({(c.kind, c.key, repr(c.value)) for c in CASES}) == len(CASES) >= 25


@pytest.mark.parametrize("case", STACK_CONFIG_CASES, ids=_case_id)
def test_bad_stack_config_names_key_and_fix(case):
    message = error_for(case, UNUSED_API_URL)
    assert case.key in message
    assert "pulumi config set" in message or "pulumi config rm" in message
    if case.secret:
        assert case.value not in message
        assert "pulumi config set --secret " in message.partition("Fix: `")[2]


def test_catalogue_has_a_secret_stack_config_case():
    assert any(case.secret and case.kind == "stack config" for case in CASES)


@pytest.mark.parametrize("case", PROVIDER_CASES, ids=_case_id)
def test_bad_provider_input_fails_before_any_request_naming_key_and_fix(case, emulator):
    message = error_for(case, emulator.base_url)
    assert len(emulator.requests) == 0
    assert case.key in message
    assert TEST_API_KEY not in message
    if case.kind == "provider config":
        assert (
            f"pulumi config set --secret {case.key}" in message
            or f"pulumi config set {case.key}" in message
            or f"pulumi config rm {case.key} && pulumi config set" in message
            or f"pulumi config get {case.key} | pulumi config set" in message  # a move, unseen
        )


@pytest.mark.parametrize(
    "case",
    [c for c in STACK_CONFIG_CASES if c.key.lower().replace("_", "") == "bitmovin:apikey"],
    ids=_case_id,
)
def test_a_misspelt_api_key_is_never_shown_and_is_moved_as_a_secret(case):
    message = error_for(case, UNUSED_API_URL)
    assert case.value not in message
    assert "pulumi config set --secret bitmovin:apiKey" in message


def test_docs_table_is_generated_from_the_current_messages():
    result = subprocess.run(
        [sys.executable, "dev/bad_inputs_table.py", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("BITMOVIN_")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
