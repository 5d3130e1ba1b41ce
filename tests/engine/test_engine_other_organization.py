"""Layer 6: a key of another organization never makes a live output look deleted, through the engine.

``bitmovin:tenantOrgId`` unset (the key's own organization): the output is created with organization
A's key. A refresh or destroy with organization B's key (a rotated key of someone else, or the
``BITMOVIN_API_KEY`` fallback) gets Bitmovin's genuine 404, which must not drop the output from the
state nor report a destroy that deleted nothing. State of the previous release (no account recorded)
still refreshes with the right key, which records the account. The program is tests/engine_project.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dev.bitmovin_emulator import EmulatorServer
from dev.support.engine import EngineStack, copy_engine_project, engine_env, skip_without_engine
from dev.support.testing import ORG_ID, OTHER_ORG_ID

pytestmark = [pytest.mark.layer6, skip_without_engine()]

API_KEY = "engine-org-a-key-61d2"  # the module's key (tests/engine/conftest.py): organization A's
KEY_B = "engine-org-b-key-3e90"
OUTPUT_TYPE = "bitmovin:AnalyticsS3RoleBasedOutput"
ACCOUNT_KEY = "api_key_account_id"


@pytest.fixture
def orgs(emulator: EmulatorServer) -> EmulatorServer:
    """Two organizations with a key each; neither key names an organization (no tenantOrgId)."""
    emulator.options.api_keys = {API_KEY, KEY_B}
    emulator.options.home_orgs = {API_KEY: ORG_ID, KEY_B: OTHER_ORG_ID}
    return emulator


def new_stack(tmp_path: Path, emulator: EmulatorServer, key: str | None = API_KEY) -> EngineStack:
    project = copy_engine_project(tmp_path / "project")
    stack = EngineStack(project, engine_env(tmp_path / "home"), "orgs").init()
    if key is not None:
        stack.config_set("bitmovin:apiKey", key, secret=True)
    stack.config_set("bitmovin:apiUrl", emulator.base_url)
    return stack


def tracked(stack: EngineStack) -> list[dict]:
    return stack.resources(OUTPUT_TYPE)


def refresh(stack: EngineStack, *extra: str) -> tuple[str, ...]:
    return ("refresh", *stack.stack_args(), "--yes", "--skip-preview", *extra)


def destroy(stack: EngineStack) -> tuple[str, ...]:
    return ("destroy", *stack.stack_args(), "--yes", "--skip-preview")


def assert_refused(output: str, *, names: str) -> None:
    assert 'is not treated as "output deleted"' in output
    assert names in output
    assert "bitmovin:tenantOrgId" in output
    assert "bitmovin:apiKey" in output
    assert "pulumi state delete" in output
    assert API_KEY not in output
    assert KEY_B not in output


def test_refresh_and_destroy_with_another_organization_s_key_fail_and_keep_the_output(
    tmp_path: Path, orgs: EmulatorServer
):
    stack = new_stack(tmp_path, orgs)
    stack.up()
    (output,) = tracked(stack)
    account_a = orgs.options.account_id(API_KEY)
    assert orgs.outputs.get(output["id"], ORG_ID) is not None

    # The stack's key becomes organization B's; `up` records it for refresh and destroy, changing nothing.
    stack.config_set("bitmovin:apiKey", KEY_B, secret=True)
    orgs.requests.clear()
    stack.up("--expect-no-changes")
    assert list(orgs.requests) == []

    refused = stack.fails(*destroy(stack))
    assert_refused(refused, names=f"Bitmovin account {account_a}")
    assert [r["id"] for r in tracked(stack)] == [output["id"]]

    refused = stack.fails(*refresh(stack))
    assert_refused(refused, names=f"Bitmovin account {account_a}")
    assert [r["id"] for r in tracked(stack)] == [output["id"]]
    assert orgs.outputs.get(output["id"], ORG_ID) is not None
    assert [(r.route, r.status) for r in orgs.requests] == [
        ("delete", 404),
        ("account_information", 200),
        ("get", 404),
        ("account_information", 200),
    ]
    # What let the provider tell: the account the state recorded at create.
    assert tracked(stack)[0]["outputs"][ACCOUNT_KEY] == account_a

    # The fix the message names: organization A's key again, `up`, and both work.
    stack.config_set("bitmovin:apiKey", API_KEY, secret=True)
    stack.up("--expect-no-changes")
    stack.ok(*refresh(stack, "--expect-no-changes"))
    stack.ok(*destroy(stack))
    assert len(orgs.outputs) == 0


def test_the_environment_key_of_another_organization_is_refused_too(tmp_path: Path, orgs: EmulatorServer):
    stack = new_stack(tmp_path, orgs, key=None)  # the BITMOVIN_API_KEY fallback
    stack.env["BITMOVIN_API_KEY"] = API_KEY
    stack.up()
    (output,) = tracked(stack)

    stack.env["BITMOVIN_API_KEY"] = KEY_B
    assert_refused(stack.fails(*refresh(stack)), names="BITMOVIN_API_KEY")
    assert_refused(stack.fails(*destroy(stack)), names="BITMOVIN_API_KEY")
    assert [r["id"] for r in tracked(stack)] == [output["id"]]
    assert orgs.outputs.get(output["id"], ORG_ID) is not None


def drop_provider(inputs: dict) -> dict:
    """Inputs without ``__provider`` (a secret: its ciphertext changes on every write)."""
    return {key: value for key, value in inputs.items() if key != "__provider"}


def forget_the_account(stack: EngineStack) -> None:
    """Rewrite the state as the previous release wrote it: no account recorded for the output."""
    exported = stack.export()
    for resource in exported["deployment"]["resources"]:
        if resource["type"].endswith(OUTPUT_TYPE):
            resource["outputs"].pop(ACCOUNT_KEY, None)
    file = stack.project / "previous-release.json"
    file.write_text(json.dumps(exported))
    stack.ok("stack", "import", *stack.stack_args(), "--file", str(file))
    assert ACCOUNT_KEY not in tracked(stack)[0]["outputs"]


def test_state_of_the_previous_release_refreshes_with_the_right_key_and_records_the_account(
    tmp_path: Path, orgs: EmulatorServer
):
    stack = new_stack(tmp_path, orgs)
    stack.up()
    (output,) = tracked(stack)
    forget_the_account(stack)

    # Organization B's key: without a recorded account its 404 proves nothing; refresh keeps the output.
    stack.config_set("bitmovin:apiKey", KEY_B, secret=True)
    stack.up("--expect-no-changes")
    refused = stack.fails(*refresh(stack))
    assert "the state does not record which organization holds the output" in refused
    assert [r["id"] for r in tracked(stack)] == [output["id"]]

    # The right key: the refresh finds the output and records the account, at the cost of one request.
    stack.config_set("bitmovin:apiKey", API_KEY, secret=True)
    stack.up("--expect-no-changes")
    orgs.requests.clear()
    stack.ok(*refresh(stack))
    assert [(r.route, r.status) for r in orgs.requests] == [("get", 200), ("account_information", 200)]
    (refreshed,) = tracked(stack)
    assert refreshed["outputs"][ACCOUNT_KEY] == orgs.options.account_id(API_KEY)
    assert drop_provider(refreshed["inputs"]) == drop_provider(output["inputs"])
    # The new field is computed: no change to show, nothing to replace.
    stack.ok("preview", *stack.stack_args(), "--expect-no-changes", "--diff")
    stack.ok(*refresh(stack, "--expect-no-changes"))
    stack.ok(*destroy(stack))
    assert len(orgs.outputs) == 0
