"""Layer 6: every move between an owned, an adopted and a referenced output, through the real engine.

The program is ``tests/engine_project`` with ``componentName`` set: the output is the component's
child, registered by ``analytics_export.output_child`` as ``BitmovinAnalyticsExport`` registers it
(names, parent type, the reference's alias), without the AWS resources the engine cannot run here.
Each test asserts what reached the Bitmovin emulator: above all, that no move sent a DELETE for an
output the stack should keep (docs/stack-config.md, "Moving between owned, adopted and referenced").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dev.bitmovin_emulator import EmulatorServer
from dev.support import REPO_ROOT
from dev.support.engine import EngineStack, copy_engine_project, engine_env, skip_without_engine

pytestmark = [pytest.mark.layer6, skip_without_engine()]

API_KEY = "engine-moves-key-3c81d2a4"
COMPONENT = "analytics-export"
OWNED_TYPE = "bitmovin:AnalyticsS3RoleBasedOutput"
REFERENCE_TYPE = "bitmovin:AnalyticsOutputReference"
# What the engine project's owned output is created with (its Pulumi.yaml defaults).
OWNED_FIELDS = {
    "name": "engine-test-output",
    "bucketName": "engine-test-bucket",
    "roleArn": "arn:aws:iam::123456789012:role/bitmovin-engine-test",
    "externalIdMode": "GLOBAL",
}


@pytest.fixture
def stack(tmp_path: Path, emulator: EmulatorServer) -> EngineStack:
    project = copy_engine_project(
        tmp_path / "project", dirs=("providers", "bitmovin_api", "analytics_export")
    )
    stack = EngineStack(project, engine_env(tmp_path / "home"), "moves").init()
    stack.config_set("bitmovin:apiKey", API_KEY, secret=True)
    stack.config_set("bitmovin:apiUrl", emulator.base_url)
    stack.config_set("componentName", COMPONENT)
    return stack


def sent(emulator: EmulatorServer) -> list[tuple[str, str]]:
    """(route, output id or "") of every request on outputs, in order; the key's account look-up
    (``providers.organization``, no output involved) is left out."""
    return [
        (record.route, record.path.rsplit("/outputs/s3-role-based", 1)[-1].strip("/"))
        for record in emulator.requests
        if record.route != "account_information"
    ]


def deletes(emulator: EmulatorServer) -> list[str]:
    return [record.path for record in emulator.requests.filter(route="delete")]


def held(stack: EngineStack) -> dict[str, list[str]]:
    """The output ids the state holds, by kind."""
    return {
        "owned": [r["id"] for r in stack.resources(OWNED_TYPE)],
        "referenced": [r["id"] for r in stack.resources(REFERENCE_TYPE)],
    }


def hand_made(emulator: EmulatorServer, **fields: str) -> str:
    return emulator.outputs.create({**OWNED_FIELDS, "name": "made-by-hand", **fields})["id"]


def owned_output(stack: EngineStack, emulator: EmulatorServer) -> str:
    stack.up()
    (output_id,) = held(stack)["owned"]
    emulator.requests.clear()
    return output_id


def test_owned_to_referenced_keeps_the_output_and_the_stack_stops_managing_it(
    stack: EngineStack, emulator: EmulatorServer
):
    own = owned_output(stack, emulator)
    stack.config_set("existingOutputId", own)

    preview = stack.ok("preview", *stack.stack_args(), "--diff")
    assert "~ 1 to update" in preview
    assert "to delete" not in preview
    assert "replace" not in preview
    assert list(emulator.requests) == []

    stack.up()
    assert [route for route, _ in sent(emulator)] == ["get"]
    assert held(stack) == {"owned": [], "referenced": [own]}
    assert emulator.outputs.get(own) is not None
    stack.up("--expect-no-changes")

    # The stack no longer owns it: destroy sends nothing, the output stays.
    emulator.requests.clear()
    stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
    assert sent(emulator) == []
    assert emulator.outputs.get(own) is not None


def test_adopted_to_referenced_is_handled_like_owned(stack: EngineStack, emulator: EmulatorServer):
    adopted = hand_made(emulator, name=OWNED_FIELDS["name"])
    stack.config_set("adoptOutputId", adopted)
    stack.up()
    assert held(stack) == {"owned": [adopted], "referenced": []}

    stack.ok("config", "rm", *stack.stack_args(), "adoptOutputId")
    stack.config_set("existingOutputId", adopted)
    emulator.requests.clear()
    stack.up()
    assert deletes(emulator) == []
    assert held(stack) == {"owned": [], "referenced": [adopted]}
    emulator.requests.clear()
    stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
    assert sent(emulator) == []
    assert emulator.outputs.get(adopted) is not None


def test_owned_to_another_output_is_refused_at_preview_and_the_printed_fix_works(
    stack: EngineStack, emulator: EmulatorServer
):
    own = owned_output(stack, emulator)
    other = hand_made(emulator)
    stack.config_set("existingOutputId", other)

    for command in (("preview",), ("up", "--yes", "--skip-preview")):
        output = stack.fails(*command, *stack.stack_args())
        assert f"existingOutputId names another output, {other}" in output
        assert f"this stack owns Bitmovin Analytics output {own}" in output
        assert "would delete it" in output
        assert "`pulumi config rm existingOutputId`" in output
        assert f"`pulumi config set existingOutputId {own}`" in output
    assert list(emulator.requests) == []  # refused before any request, not only before the DELETE
    assert held(stack) == {"owned": [own], "referenced": []}

    # The fix as printed: reference the stack's own output first (nothing deleted) ...
    stack.config_set("existingOutputId", own)
    stack.up()
    # ... then point at the other one: a reference replaces a reference, sending no DELETE.
    stack.config_set("existingOutputId", other)
    stack.up()
    assert deletes(emulator) == []
    assert held(stack) == {"owned": [], "referenced": [other]}
    assert emulator.outputs.get(own) is not None
    assert emulator.outputs.get(other) is not None


def test_after_pulumi_state_delete_the_switch_deletes_nothing(stack: EngineStack, emulator: EmulatorServer):
    own = owned_output(stack, emulator)
    (urn,) = [r["urn"] for r in stack.resources(OWNED_TYPE)]
    stack.ok("state", "delete", *stack.stack_args(), "--yes", urn)
    stack.config_set("existingOutputId", own)
    stack.up()
    assert [route for route, _ in sent(emulator)] == ["get"]
    assert held(stack) == {"owned": [], "referenced": [own]}
    assert emulator.outputs.get(own) is not None


def test_referenced_to_owned_creates_a_new_output_and_deletes_nothing(
    stack: EngineStack, emulator: EmulatorServer
):
    existing = hand_made(emulator)
    stack.config_set("existingOutputId", existing)
    stack.up()
    stack.ok("config", "rm", *stack.stack_args(), "existingOutputId")
    emulator.requests.clear()
    stack.up()
    routes = [route for route, _ in sent(emulator)]
    assert routes.count("create") == 1
    assert "delete" not in routes
    (created,) = held(stack)["owned"]
    assert held(stack)["referenced"] == []
    assert created != existing
    assert emulator.outputs.get(existing) is not None


def test_referenced_to_adopted_takes_the_output_over_with_one_get(
    stack: EngineStack, emulator: EmulatorServer
):
    existing = hand_made(emulator, name=OWNED_FIELDS["name"])
    stack.config_set("existingOutputId", existing)
    stack.up()
    stack.ok("config", "rm", *stack.stack_args(), "existingOutputId")
    stack.config_set("adoptOutputId", existing)
    emulator.requests.clear()
    stack.up()
    assert sent(emulator) == [("get", existing)]
    assert held(stack) == {"owned": [existing], "referenced": []}


def test_a_referencing_stack_of_the_previous_release_sees_no_change(
    stack: EngineStack, emulator: EmulatorServer
):
    # The previous release registered the same reference without the alias.
    child = stack.project / "analytics_export" / "output_child.py"
    text = child.read_text()
    without_alias = text.replace("aliases=reference_aliases(name)", "aliases=[]")
    assert without_alias != text
    child.write_text(without_alias)
    existing = hand_made(emulator)
    stack.config_set("existingOutputId", existing)
    stack.up()

    shutil.copy2(REPO_ROOT / "analytics_export" / "output_child.py", child)
    emulator.requests.clear()
    stack.up("--expect-no-changes")
    assert deletes(emulator) == []
    assert held(stack) == {"owned": [], "referenced": [existing]}
