"""Layer 6: the real program through the real Pulumi CLI, as far as it goes without the aws plugin.

Every command runs in a copy of the program (``dev.support.engine.copy_program``) with a file backend and
HOME / PULUMI_HOME in the test's temporary directory, never in the checkout. What is proved here:

* ``pulumi config`` reads the committed stack files: ``Pulumi.dev.yaml`` with the project's defaults,
  and ``Pulumi.local.yaml``'s secure ``bitmovin:apiKey``, which decrypts with the sandbox's passphrase
  to the emulator's key;
* a bad stack value stops ``pulumi preview`` before any resource is registered: with the program's
  message (the key and the ``pulumi config set`` fix) for the program's rules, and with the CLI's
  own type error, before the program runs, for the keys ``Pulumi.yaml`` types as integer or boolean.
  ``docs/bad-inputs.md`` states both (``dev.support.bad_inputs.cli_type_error``), checked here.

With a valid config the program's first AWS call needs pulumi-resource-aws, which cannot be built or
downloaded here: the whole program's lifecycle is tests/engine/test_cli_lifecycle.py (marker ``aws_plugin``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from analytics_export.settings import PLAINTEXT_API_KEY
from dev.support import REPO_ROOT
from dev.support.bad_inputs import BadInput, cli_type_error, error_for
from dev.support.engine import EngineStack, copy_program, engine_env, skip_without_engine
from dev.support.sandbox_support import load_sandbox

pytestmark = [pytest.mark.layer6, skip_without_engine()]

sandbox = load_sandbox()
PROJECT = "bitmovin-analytics-export"
API_KEY = "cli-test-key-7d41a0"
UNUSED_API_URL = "http://127.0.0.1:9/v1"  # the program's config rules make no request


def program_stack(tmp_path: Path, name: str) -> EngineStack:
    """A stack of a copy of the real program; the sandbox's passphrase opens Pulumi.local.yaml."""
    project = copy_program(tmp_path / "project")
    env = engine_env(tmp_path / "home", {"PULUMI_CONFIG_PASSPHRASE": sandbox.PASSPHRASE})
    return EngineStack(project, env, name).init()


def config_json(stack: EngineStack, *flags: str) -> dict[str, dict]:
    return json.loads(stack.ok("config", *stack.stack_args(), "--json", *flags))


def values(config: dict[str, dict]) -> dict[str, object]:
    return {key: entry.get("objectValue", entry["value"]) for key, entry in config.items()}


def test_config_reads_the_committed_dev_stack_file(tmp_path):
    stack = program_stack(tmp_path, "dev")
    shown = values(config_json(stack))
    committed = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]
    for key, value in committed.items():
        assert shown[key] == value, key
    assert shown["aws:region"] == "eu-central-1"
    assert "bitmovin:tenantOrgId" not in shown  # no placeholder: the API key's own organization
    assert shown[f"{PROJECT}:exportPrefix"] == "analytics/"
    assert shown[f"{PROJECT}:retentionDays"] == "90"
    # Keys the stack file leaves out come from Pulumi.yaml's defaults.
    assert shown[f"{PROJECT}:retainBucketOnDestroy"] == "true"
    assert shown[f"{PROJECT}:objectOwnership"] == "BucketOwnerEnforced"
    assert shown[f"{PROJECT}:bucketName"] == ""
    assert "bitmovin:apiKey" not in shown  # the user sets it with --secret


def test_config_decrypts_the_committed_local_stack_key(tmp_path):
    stack = program_stack(tmp_path, "local")
    tracked = yaml.safe_load((REPO_ROOT / "Pulumi.local.yaml").read_text())
    # The committed salt belongs to the sandbox's passphrase: `stack init` left the file as it is.
    assert yaml.safe_load((stack.project / "Pulumi.local.yaml").read_text()) == tracked

    masked = config_json(stack)
    assert masked["bitmovin:apiKey"]["secret"] is True
    assert sandbox.EMULATOR_API_KEY not in json.dumps(masked)

    revealed = config_json(stack, "--show-secrets")
    assert revealed["bitmovin:apiKey"] == {"value": sandbox.EMULATOR_API_KEY, "secret": True}
    shown = values(revealed)
    assert shown["bitmovin:apiUrl"] == "http://127.0.0.1:18456/v1"
    assert shown["aws:region"] == "us-east-1"
    assert shown["aws:endpoints"] == [{name: "http://127.0.0.1:18455" for name in ("iam", "s3", "sts")}]
    assert shown[f"{PROJECT}:retainBucketOnDestroy"] == "true"
    assert shown[f"{PROJECT}:externalIdMode"] == "GLOBAL"


def registered_resource_types(stack: EngineStack) -> list[str]:
    return [resource["type"] for resource in stack.export()["deployment"].get("resources") or []]


def created_types(output: str) -> set[str]:
    """The types on the preview's ``+`` lines: what it would create."""
    return {match[1] for match in re.finditer(r"^\s*\+\s+(\S+:\S+:\S+) ", output, flags=re.MULTILINE)}


def bad_stack(tmp_path: Path, key: str, value: str, *, secret_key: bool = True) -> EngineStack:
    stack = program_stack(tmp_path, "cli-test")
    stack.config_set("aws:region", "eu-west-1")
    if secret_key:
        stack.config_set("bitmovin:apiKey", API_KEY, secret=True)
    stack.config_set(key, value)
    return stack


# The program's rules (analytics_export/settings.py): its message names the key and the fix.
PROGRAM_RULES = [
    ("exportPrefix", "/analytics"),
    ("bucketName", "Bad_Bucket"),
    ("externalIdMode", "custom"),
    ("retentionDays", "-7"),  # an integer to the CLI, refused by the program
    ("bitmovin:apiKey", "plain-text-key-0c9f"),  # set without --secret
]


@pytest.mark.parametrize(("key", "value"), PROGRAM_RULES, ids=[key for key, _ in PROGRAM_RULES])
def test_bad_stack_config_stops_preview_with_the_programs_message(tmp_path, key, value):
    stack = bad_stack(tmp_path, key, value, secret_key=key != "bitmovin:apiKey")
    expected = (
        str(PLAINTEXT_API_KEY)
        if key == "bitmovin:apiKey"
        else error_for(BadInput("stack config", key, value, ""), UNUSED_API_URL)
    )
    assert f"{key}: " in expected
    assert "pulumi config set" in expected

    output = stack.fails("preview", *stack.stack_args())
    assert "Invalid stack configuration (1 problem)" in output
    assert expected in output
    assert created_types(output) == {"pulumi:pulumi:Stack"}  # no aws: or bitmovin: resource
    assert "no resource plugin" not in output  # stopped before the first AWS call
    assert registered_resource_types(stack) == []
    if key == "bitmovin:apiKey":
        assert value not in output


# Keys Pulumi.yaml types: the CLI refuses the value before the program runs.
TYPED_RULES = [
    ("retentionDays", "thirty"),
    ("retentionDays", "1.5"),
    ("retainBucketOnDestroy", "True"),
    ("retainBucketOnDestroy", "yes"),
]


@pytest.mark.parametrize(("key", "value"), TYPED_RULES, ids=[f"{k}={v}" for k, v in TYPED_RULES])
def test_a_badly_typed_value_is_refused_by_the_cli_before_the_program_runs(tmp_path, key, value):
    stack = bad_stack(tmp_path, key, value)
    expected = cli_type_error(key, value, stack.name)
    assert expected is not None

    output = stack.fails("preview", *stack.stack_args())
    print(output)
    assert expected in output  # as docs/bad-inputs.md says
    kind = "integer" if key == "retentionDays" else "boolean"
    assert (
        f"error: validating stack config: Stack 'cli-test' with configuration key '{key}' must be of type '{kind}'"
        in output
    )
    assert "Invalid stack configuration" not in output  # the program never ran
    assert created_types(output) == set()
    assert registered_resource_types(stack) == []


@pytest.mark.parametrize(("key", "value"), [("retentionDays", "+7"), ("retainBucketOnDestroy", "false")])
def test_values_the_cli_type_rule_lets_through_reach_the_program(tmp_path, key, value):
    """The other half of cli_type_error's rule: the CLI accepts these and runs the program (which then
    stops at its first AWS call where no aws plugin is installed)."""
    assert cli_type_error(key, value) is None
    stack = bad_stack(tmp_path, key, value)
    output = stack.run("preview", *stack.stack_args())
    text = output.stdout + output.stderr
    assert "validating stack config" not in text
    assert "Invalid stack configuration" not in text
    assert f"pulumi:pulumi:Stack {PROJECT}-cli-test" in text  # the program ran


def test_the_dev_stack_passes_the_programs_checks_as_written_once_a_key_is_set(tmp_path):
    """As far as it goes here: the program accepts the committed dev stack, and the preview stops only
    at the first AWS resource, for want of pulumi-aws's plugin (which GitHub has)."""
    stack = program_stack(tmp_path, "dev")
    stack.config_set("bitmovin:apiKey", "dev-stack-key-7c1e", secret=True)
    output = stack.fails("preview", *stack.stack_args())
    assert "Invalid stack configuration" not in output
    assert re.search(
        r"no resource plugin 'pulumi-resource-aws'|plugin.*aws.*not found|resource plugin aws", output, re.I
    ), output
    assert "dev-stack-key-7c1e" not in output
