"""Layer 6: both dynamic resources' whole lifecycle through the real Pulumi engine.

The engine is the one ``scripts/engine`` builds; the program is ``tests/engine_project`` (both
dynamic resources, configured as users configure stacks: ``pulumi config set --secret
bitmovin:apiKey``), run in a copy against the in-process Bitmovin API emulator. Every request the
engine's provider processes send is in the emulator's log, so each step asserts exactly what was sent.
Skips with a printed reason where no engine is on PATH; ``.ci/run`` runs it with skips forbidden.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dev.bitmovin_emulator import EmulatorServer
from dev.support.engine import (
    COMMAND_TIMEOUT_SECONDS as COMMAND_TIMEOUT,
)
from dev.support.engine import (
    EngineStack,
    copy_engine_project,
    engine_env,
    kill_group,
    processes_working_in,
    skip_without_engine,
)
from providers.output_model import user_name

pytestmark = [pytest.mark.layer6, skip_without_engine()]

API_KEY = "engine-test-key-5b1f0c9e"
OUTPUT_TYPE = "bitmovin:AnalyticsS3RoleBasedOutput"
REFERENCE_TYPE = "bitmovin:AnalyticsOutputReference"


def new_stack(tmp_path: Path, emulator: EmulatorServer, name: str = "engine") -> EngineStack:
    project = copy_engine_project(tmp_path / "project")
    stack = EngineStack(project, engine_env(tmp_path / "home"), name).init()
    stack.config_set("bitmovin:apiKey", API_KEY, secret=True)
    stack.config_set("bitmovin:apiUrl", emulator.base_url)
    return stack


@pytest.fixture
def stack(tmp_path: Path, emulator: EmulatorServer) -> EngineStack:
    return new_stack(tmp_path, emulator)


def routes(emulator: EmulatorServer) -> list[tuple[str, int | None]]:
    return [(record.route, record.status) for record in emulator.requests]


def state_output_ids(stack: EngineStack) -> list[str]:
    return [resource["id"] for resource in stack.resources(OUTPUT_TYPE)]


def test_preview_up_refresh_replace_and_destroy(stack: EngineStack, emulator: EmulatorServer):
    # preview: the provider's check and diff are offline; nothing is created.
    stack.ok("preview", *stack.stack_args())
    assert routes(emulator) == []
    assert len(emulator.outputs) == 0

    # up: the key's account (no tenantOrgId: it names the output's organization), a look for the
    # output by its creation token (none yet), then the create.
    stack.up()
    assert routes(emulator) == [("account_information", 200), ("list", 200), ("create", 201)]
    (first,) = emulator.outputs.list()
    assert state_output_ids(stack) == [first["id"]] == [stack.outputs()["outputId"]]

    # A second up and a refresh change nothing; the refresh reads the output once.
    emulator.requests.clear()
    stack.up("--expect-no-changes")
    assert routes(emulator) == []
    stack.ok("refresh", *stack.stack_args(), "--yes", "--skip-preview", "--expect-no-changes")
    assert routes(emulator) == [("get", 200)]

    # An input change replaces the output: the new one is created before the old one is deleted.
    stack.config_set("outputName", "engine-test-renamed")
    emulator.requests.clear()
    stack.up()
    assert [route for route, _ in routes(emulator)] == ["account_information", "list", "create", "delete"]
    (second,) = emulator.outputs.list()
    assert second["id"] != first["id"]
    assert user_name(second["name"], "engine-test-renamed") == "engine-test-renamed"  # Bitmovin's is tagged
    assert state_output_ids(stack) == [second["id"]]

    # Deleted behind the engine's back: refresh drops it (the API confirms the 404, to the key of the
    # account that created it), up recreates it.
    emulator.outputs.delete(second["id"])
    emulator.requests.clear()
    stack.ok("refresh", *stack.stack_args(), "--yes", "--skip-preview")
    assert routes(emulator) == [("get", 404), ("account_information", 200), ("list", 200)]
    assert state_output_ids(stack) == []
    stack.up()
    (third,) = emulator.outputs.list()
    assert state_output_ids(stack) == [third["id"]]

    # A gateway's own 404 (no Bitmovin envelope) is not "gone": refresh fails and keeps the output.
    emulator.fail("get", 404, body="<html>Not Found</html>", content_type="text/html")
    output = stack.fails("refresh", *stack.stack_args(), "--yes", "--skip-preview")
    assert "404" in output
    assert state_output_ids(stack) == [third["id"]]
    assert emulator.outputs.get(third["id"]) is not None

    # destroy: one DELETE; nothing left in the emulator or in the state.
    emulator.requests.clear()
    stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
    assert routes(emulator) == [("delete", 200)]
    assert len(emulator.outputs) == 0
    assert state_output_ids(stack) == []


def test_a_reference_reads_once_on_create_and_sends_nothing_on_destroy(
    stack: EngineStack, emulator: EmulatorServer
):
    existing = emulator.outputs.create(
        {
            "name": "made-by-hand",
            "bucketName": "hand-made-bucket",
            "roleArn": "arn:aws:iam::123456789012:role/hand-made",
            "externalIdMode": "GLOBAL",
        }
    )
    stack.config_set("referenceOutputId", existing["id"])
    stack.up()
    reads = emulator.requests.filter(route="get")
    assert [record.path.rsplit("/", 1)[-1] for record in reads] == [existing["id"]]
    assert stack.outputs()["referenceBucketName"] == "hand-made-bucket"

    emulator.requests.clear()
    stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
    managed = [record for record in emulator.requests if existing["id"] not in record.path]
    assert [record.route for record in managed] == ["delete"]
    assert [record for record in emulator.requests if existing["id"] in record.path] == []
    assert emulator.outputs.get(existing["id"]) is not None


def test_the_api_key_is_stored_only_as_ciphertext_and_never_printed(stack: EngineStack):
    stack.up()
    stack.ok("refresh", *stack.stack_args(), "--yes", "--skip-preview")
    exported = stack.export()
    assert API_KEY not in json.dumps(exported)
    assert API_KEY not in stack.state_file().read_text()
    (default_provider,) = [
        r for r in exported["deployment"]["resources"] if r["type"] == "pulumi:providers:pulumi-python"
    ]
    recorded = default_provider["inputs"]["bitmovin:apiKey"]
    assert isinstance(recorded, dict)
    assert "ciphertext" in recorded
    stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
    assert all(API_KEY not in entry for entry in stack.transcript)


def test_the_serialized_provider_is_small_and_holds_no_configuration(stack: EngineStack):
    stack.up()
    (stored,) = stack.resources(OUTPUT_TYPE)
    # The Python SDK stores __provider as a secret: ciphertext in the state file.
    assert "ciphertext" in stored["inputs"]["__provider"]
    pickled = stack.pickled_provider(OUTPUT_TYPE)
    assert b"providers.analytics_output" in pickled
    assert b"AnalyticsS3RoleBasedOutputProvider" in pickled
    assert API_KEY.encode() not in pickled
    assert stack.env["PULUMI_BACKEND_URL"].encode() not in pickled
    ciphertext = stored["inputs"]["__provider"]["ciphertext"]
    print(
        f"__provider in a real state file: {len(pickled)} bytes pickled, {len(ciphertext)} characters stored"
    )
    assert len(pickled) < 1024


def test_key_rotation_refresh_uses_the_key_recorded_by_the_last_up(
    stack: EngineStack, emulator: EmulatorServer
):
    stack.up()
    # Rotate: the new key is valid, the old one revoked, the stack file holds the new one.
    emulator.options.api_keys = frozenset({"rotated-key-9d2e"})
    stack.config_set("bitmovin:apiKey", "rotated-key-9d2e", secret=True)

    # refresh and destroy configure the provider from the state, i.e. with the revoked key.
    output = stack.fails("refresh", *stack.stack_args(), "--yes", "--skip-preview")
    assert "401" in output
    assert "run `pulumi up` first or add `--run-program`" in output
    assert "rotated-key-9d2e" not in output

    # As the 401 says: `--run-program` uses the current stack config ...
    stack.ok("refresh", *stack.stack_args(), "--yes", "--skip-preview", "--run-program")
    # ... and after an `up` the state records the new key, so plain refresh and destroy work.
    stack.up()
    stack.ok("refresh", *stack.stack_args(), "--yes", "--skip-preview")
    stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
    assert len(emulator.outputs) == 0
    assert all("rotated-key-9d2e" not in entry and API_KEY not in entry for entry in stack.transcript)


def kill_up_while_the_create_is_in_flight(stack: EngineStack, emulator: EmulatorServer) -> dict:
    """Start ``pulumi up``, let the emulator process its POST but hold the answer back, and kill the
    CLI's whole process group then, as a cancelled CI job does. Returns the output that was made."""
    before = {output["id"] for output in emulator.outputs.list()}
    emulator.requests.clear()
    emulator.delay("create", 300, when="after")
    process = stack.start("up", *stack.stack_args(), "--yes", "--skip-preview")
    try:
        made = emulator.requests.wait_for(count=1, route="create", timeout=COMMAND_TIMEOUT)
    finally:
        transcript = kill_group(process, stack.project)
        emulator.clear_faults()
        emulator.app.wake_sleepers()
    assert made, f"the create never reached the emulator:\n{transcript}"
    (orphan,) = [output for output in emulator.outputs.list() if output["id"] not in before]
    assert processes_working_in(stack.project) == []  # nothing of the killed run lives on
    return orphan


def resume_after_the_kill(stack: EngineStack) -> None:
    """What the README's troubleshooting says to do: the file backend's lock outlives the killed CLI."""
    assert "locked" in stack.fails("up", *stack.stack_args(), "--yes", "--skip-preview")
    stack.ok("cancel", *stack.stack_args(), "--yes")
    pending = stack.export()["deployment"].get("pending_operations") or []
    assert [operation["type"] for operation in pending] == ["creating"]


def test_a_create_killed_with_the_cli_is_adopted_by_the_next_up(stack: EngineStack, emulator: EmulatorServer):
    orphan = kill_up_while_the_create_is_in_flight(stack, emulator)
    assert state_output_ids(stack) == []
    resume_after_the_kill(stack)

    emulator.requests.clear()
    stack.up()
    assert [output["id"] for output in emulator.outputs.list()] == [orphan["id"]]
    assert state_output_ids(stack) == [orphan["id"]]
    assert [route for route, _ in routes(emulator)] == ["account_information", "list", "custom_data"]
    stack.up("--expect-no-changes")

    # The engine keeps its record of the interrupted create until told that it is settled.
    assert stack.export()["deployment"].get("pending_operations")
    stack.ok("refresh", *stack.stack_args(), "--yes", "--skip-preview", "--clear-pending-creates")
    assert not stack.export()["deployment"].get("pending_operations")
    assert state_output_ids(stack) == [orphan["id"]]
    assert [output["id"] for output in emulator.outputs.list()] == [orphan["id"]]


def test_a_replacement_killed_with_the_cli_completes_with_one_output(
    stack: EngineStack, emulator: EmulatorServer
):
    stack.up()
    (old,) = emulator.outputs.list()
    stack.config_set("outputName", "engine-test-renamed")
    new = kill_up_while_the_create_is_in_flight(stack, emulator)
    resume_after_the_kill(stack)

    stack.up()
    assert [output["id"] for output in emulator.outputs.list()] == [new["id"]]
    assert state_output_ids(stack) == [new["id"]]
    assert emulator.outputs.get(old["id"]) is None


def test_a_forced_replacement_with_unchanged_inputs_keeps_the_live_output(
    stack: EngineStack, emulator: EmulatorServer
):
    """``pulumi up --replace`` with unchanged inputs computes the live output's own token: the create
    finds it and takes it over, and the replacement's delete leaves it alone."""
    stack.up()
    (old,) = stack.resources(OUTPUT_TYPE)
    emulator.requests.clear()
    stack.up("--replace", old["urn"])
    assert [output["id"] for output in emulator.outputs.list()] == [old["id"]]
    assert state_output_ids(stack) == [old["id"]]
    assert {route for route, _ in routes(emulator)} <= {"account_information", "list", "custom_data", "get"}
    stack.ok("refresh", *stack.stack_args(), "--yes", "--skip-preview", "--expect-no-changes")
