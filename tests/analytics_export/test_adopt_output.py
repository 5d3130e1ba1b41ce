"""Layer 4: adopting an existing output (``adoptOutputId`` / ``adopt_output_id``) under Pulumi mocks.

Adopting takes an existing output over on create (the stack then owns and deletes it); the provider's
own tests (tests/providers/test_provider.py) prove the take-over. Here: the key reaches the dynamic resource's
inputs, its absence leaves them as they were, and it never makes a diff on later runs. That it cannot
be combined with ``existingOutputId`` is a rule of the config key (tests of analytics_export's args
and settings).
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import pytest

from dev.support.program_harness import OUTPUT_TYPE, ProgramRun, run_program
from providers import output_model as model
from providers.analytics_output import AnalyticsS3RoleBasedOutputProvider

pytestmark = pytest.mark.layer4

ADOPTED = "cb90b80c-8867-4e3b-8479-174aa2843f62"
BASE = {"aws:region": "eu-central-1", "bitmovin:apiKey": "bmv-API-KEY-MARKER-adopt"}
ROLE_ARN = "arn:aws:iam::123456789012:role/bitmovin-analytics-export-dev"


@functools.cache
def from_config(adopt: str | None) -> ProgramRun:
    config = {**BASE, "adoptOutputId": adopt} if adopt else BASE
    run = run_program(config, secret_keys=("bitmovin:apiKey",))
    assert run.ok, f"{run.error_type}: {run.error}\n{run.stderr}"
    return run


def _consumer_program(tmp_path: Path, args: str) -> Path:
    """A program that builds the component from code, as a consumer of the package does."""
    program = tmp_path / "__main__.py"
    program.write_text(
        textwrap.dedent(
            f"""
            from analytics_export.args import BitmovinAnalyticsExportArgs
            from analytics_export.component import BitmovinAnalyticsExport

            BitmovinAnalyticsExport("analytics-export", BitmovinAnalyticsExportArgs({args}))
            """
        )
    )
    return program


def test_adopt_output_id_from_the_stack_config_reaches_the_output_inputs():
    assert from_config(ADOPTED).one(OUTPUT_TYPE).inputs["adopt_output_id"] == ADOPTED


def test_without_adopt_output_id_the_output_inputs_do_not_carry_it():
    assert "adopt_output_id" not in from_config(None).one(OUTPUT_TYPE).inputs


def test_the_component_passes_adopt_output_id_to_the_output(tmp_path):
    run = run_program(BASE, program=_consumer_program(tmp_path, f"adopt_output_id={ADOPTED!r}"))
    assert run.ok, f"{run.error_type}: {run.error}\n{run.stderr}"
    assert run.one(OUTPUT_TYPE).inputs["adopt_output_id"] == ADOPTED


def test_setting_or_removing_adopt_output_id_on_a_later_run_is_no_change():
    provider = AnalyticsS3RoleBasedOutputProvider()
    news = {"bucket_name": "acme-analytics", "role_arn": ROLE_ARN}
    state = model.with_defaults(news)
    assert model.ADOPT_KEY not in model.INPUT_KEYS
    with_adopt = provider.check({}, {**news, "adopt_output_id": ADOPTED}).inputs
    assert provider.diff("id", state, with_adopt).changes is False
    assert provider.diff("id", {**state, "adopt_output_id": ADOPTED}, state).changes is False
