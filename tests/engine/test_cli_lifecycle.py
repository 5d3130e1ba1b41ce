"""Layer 6: the ``local`` stack's whole lifecycle through the real Pulumi CLI, against both emulators.

Needs the engine (dev.support.engine) and pulumi-aws's plugin, pulumi-resource-aws: the module first asks
its engine environment (dev.support.engine's, but with plugin downloads on) to install the plugin, then
skips with the reason printed when ``pulumi plugin ls --json`` shows no aws resource plugin and none
is on PATH, as here, where it can be neither built nor downloaded. The GitHub test workflow downloads
it and runs the test. Marker ``aws_plugin``: ``-m "layer6 and not aws_plugin"`` deselects it.

Nothing of the user's is used or changed: the test starts moto (server mode) and the Bitmovin
emulator itself on free ports, runs a copy of the program whose ``Pulumi.yaml`` names the test's own
virtual environment (the project's ``venv/`` may not exist) with ``Pulumi.local.yaml`` moved to those
ports, and keeps the stack in a file backend in a temporary directory (dev.support.engine.engine_env: HOME and
PULUMI_HOME there too, the sandbox's passphrase via ``PULUMI_CONFIG_PASSPHRASE``; never ``pulumi login``).

1. ``preview`` sends no request to the Bitmovin API and creates nothing;
2. ``up`` creates the output (one POST) and a role that trusts Bitmovin's principal with exactly the
   output's external ID;
3. a second ``up`` and a ``refresh`` find nothing to change (``--expect-no-changes``);
4. a new ``outputName`` replaces the output: the new one exists, the trust policy follows its
   external ID (``GENERATED`` mode, so the ID really changes), the old one is deleted;
5. ``destroy`` deletes the output and the role and keeps the bucket (``retainBucketOnDestroy``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from analytics_export import policies
from dev.bitmovin_emulator import EmulatorServer
from dev.support import REPO_ROOT
from dev.support.engine import PULUMI, engine_env, skip_without_engine
from dev.support.sandbox_support import copy_project, free_port, load_sandbox, running_venv
from providers.output_model import user_name

pytestmark = [pytest.mark.layer6, pytest.mark.aws_plugin, skip_without_engine()]

NO_AWS_PLUGIN = (
    "needs the pulumi-aws provider plugin (pulumi-resource-aws), which cannot be built or downloaded "
    "here; the GitHub test workflow runs it"
)
sandbox = load_sandbox()
STACK = "local"
COMMAND_TIMEOUT_SECONDS = 900  # the first command downloads the pulumi-aws plugin
RENAMED_OUTPUT = "bitmovin-analytics-export-local-renamed"


@dataclass
class LocalStack:
    """The project copy, its Pulumi environment, and handles on both emulators."""

    project: Path
    env: dict[str, str]
    emulator: EmulatorServer
    moto_url: str

    def pulumi(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PULUMI), *args, "--non-interactive"],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )

    def ok(self, *args: str) -> str:
        result = self.pulumi(*args)
        assert result.returncode == 0, f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.ok("stack", "output", "--stack", STACK, "--json", "--show-secrets"))

    def aws(self, service_name: str) -> Any:
        return boto3.client(
            service_name,
            endpoint_url=self.moto_url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def trust_policy(self, role_name: str) -> dict[str, Any]:
        return self.aws("iam").get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]


def aws_plugin_available(env: dict[str, str]) -> bool:
    """pulumi-resource-aws is installed in ``env``'s PULUMI_HOME or on its PATH."""
    listed = subprocess.run(
        [str(PULUMI), "plugin", "ls", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    plugins = json.loads(listed.stdout or "[]") or []
    installed = any(plugin.get("name") == "aws" and plugin.get("kind") == "resource" for plugin in plugins)
    return installed or shutil.which("pulumi-resource-aws", path=env["PATH"]) is not None


@pytest.fixture(scope="module")
def aws_env(tmp_path_factory) -> dict[str, str]:
    """dev.support.engine's environment with plugin downloads on, pulumi-aws's plugin installed in it."""
    home = tmp_path_factory.mktemp("home")
    env = engine_env(home, {"PULUMI_CONFIG_PASSPHRASE": sandbox.PASSPHRASE}, plugin_downloads=True)
    version = metadata.version("pulumi_aws")
    subprocess.run(
        [str(PULUMI), "plugin", "install", "resource", "aws", f"v{version}", "--non-interactive"],
        env=env,
        capture_output=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,  # where nothing can be downloaded, the check below says so
    )
    if not aws_plugin_available(env):
        pytest.skip(NO_AWS_PLUGIN)
    return env


@pytest.fixture
def local_stack(tmp_path, aws_env) -> Iterator[LocalStack]:
    venv = running_venv()
    assert venv is not None  # skip_without_engine skips outside a virtual environment
    tracked = (REPO_ROOT / "Pulumi.local.yaml").read_text()
    defaults = sandbox.parse_stack_config(tracked)

    moto = sandbox.moto_service(Path(sys.executable), tmp_path / "moto", free_port())
    sandbox.start(moto, REPO_ROOT)
    emulator = EmulatorServer(api_keys={defaults.api_key}).start()
    try:
        project = copy_project(tmp_path / "project", venv=venv)
        (project / "Pulumi.local.yaml").write_text(
            sandbox.render_stack_config(tracked, defaults, moto.port, emulator.port)
        )
        stack = LocalStack(project, aws_env, emulator, moto.url)
        stack.ok("stack", "init", STACK, "--secrets-provider", "passphrase", "--no-select")
        # The committed salt opened with the sandbox passphrase, so `stack init` left the file alone.
        assert (
            yaml.safe_load((project / "Pulumi.local.yaml").read_text())["encryptionsalt"]
            == yaml.safe_load(tracked)["encryptionsalt"]
        )
        yield stack
        stack.pulumi("stack", "rm", STACK, "--yes", "--force")
    finally:
        emulator.close()
        sandbox.stop(moto)


def test_local_stack_lifecycle(local_stack: LocalStack):
    stack, emulator = local_stack, local_stack.emulator
    iam, s3 = stack.aws("iam"), stack.aws("s3")
    # A new external ID per output, so that step 4 can see the trust policy follow it.
    stack.ok("config", "set", "--stack", STACK, "externalIdMode", "GENERATED")

    # 1. preview: no Bitmovin request, nothing created.
    emulator.requests.clear()
    stack.ok("preview", "--stack", STACK)
    assert len(emulator.requests) == 0
    assert len(emulator.outputs) == 0
    assert iam.list_roles()["Roles"] == []
    assert s3.list_buckets()["Buckets"] == []

    # 2. up: the key's account (no tenantOrgId), the look for an interrupted create's output, one
    # POST; the role trusts Bitmovin's principal with exactly the output's external ID.
    stack.ok("up", "--stack", STACK, "--yes", "--skip-preview")
    assert [(r.route, r.status) for r in emulator.requests] == [
        ("account_information", 200),
        ("list", 200),
        ("create", 201),
    ]
    first = stack.outputs()
    stored = emulator.outputs.get(first["outputId"])
    assert stored is not None
    assert stored["externalIdMode"] == first["externalIdMode"] == "GENERATED"
    assert stored["externalId"] == first["externalId"]
    assert stored["bucketName"] == first["bucketName"]
    assert stored["roleArn"] == first["roleArn"] == f"arn:aws:iam::123456789012:role/{first['roleName']}"
    assert stack.trust_policy(first["roleName"]) == policies.trust_policy(first["externalId"])
    s3.head_bucket(Bucket=first["bucketName"])

    # 3. a second up and a refresh change nothing; the refresh reads the output once.
    emulator.requests.clear()
    stack.ok("up", "--stack", STACK, "--yes", "--skip-preview", "--expect-no-changes")
    stack.ok("refresh", "--stack", STACK, "--yes", "--skip-preview", "--expect-no-changes")
    assert [(r.route, r.status) for r in emulator.requests] == [("get", 200)]
    assert stack.outputs() == first

    # 4. a new outputName replaces the output; the trust policy follows the new external ID.
    stack.ok("config", "set", "--stack", STACK, "outputName", RENAMED_OUTPUT)
    emulator.requests.clear()
    stack.ok("up", "--stack", STACK, "--yes", "--skip-preview")
    second = stack.outputs()
    assert second["outputId"] != first["outputId"]
    assert second["externalId"] != first["externalId"]
    assert emulator.outputs.get(first["outputId"]) is None
    assert user_name(emulator.outputs.get(second["outputId"])["name"], RENAMED_OUTPUT) == RENAMED_OUTPUT
    # the old one deleted after the new one was created
    assert [r.route for r in emulator.requests] == ["account_information", "list", "create", "delete"]
    assert second["roleArn"] == first["roleArn"]  # the same role, its trust policy updated
    assert stack.trust_policy(second["roleName"]) == policies.trust_policy(second["externalId"])

    # 5. destroy: output and role gone, the bucket (and its public access block) kept.
    emulator.requests.clear()
    stack.ok("destroy", "--stack", STACK, "--yes", "--skip-preview")
    assert [r.route for r in emulator.requests] == ["delete"]
    assert len(emulator.outputs) == 0
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=second["roleName"])
    s3.head_bucket(Bucket=second["bucketName"])
    block = s3.get_public_access_block(Bucket=second["bucketName"])["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert stack.outputs() == {}
