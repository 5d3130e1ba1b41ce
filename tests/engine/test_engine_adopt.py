"""Layer 6: an adopted output through the real engine (issue 22, item 1).

``adoptOutputId`` changes nothing after the first ``up`` (docs/stack-config.md): a later change that
replaces the output creates a new one and deletes the adopted one, however long the key stays set.
The engine decides the order (create the successor, then delete the replaced output), so only the
engine proves that what state names is live. Skips with a printed reason where no engine is on PATH.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dev.bitmovin_emulator import EmulatorServer
from dev.support.engine import EngineStack, copy_engine_project, engine_env, skip_without_engine

pytestmark = [pytest.mark.layer6, skip_without_engine()]

API_KEY = "engine-adopt-key-7e21c0d4"
OUTPUT_TYPE = "bitmovin:AnalyticsS3RoleBasedOutput"
# What tests/engine_project/Pulumi.yaml configures by default.
HAND_MADE = {
    "name": "engine-test-output",
    "bucketName": "engine-test-bucket",
    "roleArn": "arn:aws:iam::123456789012:role/bitmovin-engine-test",
    "externalIdMode": "GLOBAL",
    "description": "made by hand",
}


@pytest.fixture
def stack(tmp_path: Path, emulator: EmulatorServer) -> EngineStack:
    stack = EngineStack(copy_engine_project(tmp_path / "project"), engine_env(tmp_path / "home"), "adopt")
    stack.init()
    stack.config_set("bitmovin:apiKey", API_KEY, secret=True)
    stack.config_set("bitmovin:apiUrl", emulator.base_url)
    return stack


def state_output_ids(stack: EngineStack) -> list[str]:
    return [resource["id"] for resource in stack.resources(OUTPUT_TYPE)]


def test_an_up_that_replaces_an_adopted_output_leaves_one_live_output_that_state_names(
    stack: EngineStack, emulator: EmulatorServer
):
    hand_made = emulator.outputs.create(HAND_MADE)
    stack.config_set("adoptOutputId", hand_made["id"])
    stack.config_set("outputDescription", HAND_MADE["description"])
    stack.up()
    assert state_output_ids(stack) == [hand_made["id"]]
    # adopted: nothing created (the key's account is recorded first: the stack sets no tenantOrgId)
    assert [record.route for record in emulator.requests] == ["account_information", "get"]

    # A change that replaces the output, adoptOutputId still set.
    stack.config_set("outputDescription", "follows exportPrefix")
    emulator.requests.clear()
    stack.up()
    (live,) = emulator.outputs.list()
    assert live["id"] != hand_made["id"]
    assert live["description"] == "follows exportPrefix"
    assert state_output_ids(stack) == [live["id"]] == [stack.outputs()["outputId"]]
    # a new output (the key's account first: no tenantOrgId), then the adopted one deleted
    assert [record.route for record in emulator.requests] == [
        "account_information",
        "list",
        "create",
        "delete",
    ]

    stack.ok("refresh", *stack.stack_args(), "--yes", "--skip-preview", "--expect-no-changes")
    stack.up("--expect-no-changes")
    stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
    assert len(emulator.outputs) == 0


def test_an_adoption_the_outputs_fields_contradict_is_refused_before_anything_changes(
    stack: EngineStack, emulator: EmulatorServer
):
    hand_made = emulator.outputs.create(HAND_MADE)
    stack.config_set("adoptOutputId", hand_made["id"])
    stack.config_set("outputDescription", "the stack's own")
    output = stack.fails("up", *stack.stack_args(), "--yes", "--skip-preview")
    assert "cannot be adopted: description is 'made by hand', not \"the stack's own\"" in output
    assert "pulumi config rm adoptOutputId" in output
    assert state_output_ids(stack) == []
    assert [output["id"] for output in emulator.outputs.list()] == [hand_made["id"]]
