"""Run ``__main__.py`` under ``pulumi.runtime.set_mocks`` the way ``pulumi up`` runs it.

Each scenario runs in a fresh Python subprocess (``python -m tests.program_harness``), so Pulumi's
module-level state (root stack, settings, registered resources) never leaks between scenarios.
Inside the child, exactly like the Python language host:

* stack config arrives through ``PULUMI_CONFIG`` / ``PULUMI_CONFIG_SECRET_KEYS`` and
  ``pulumi.runtime.set_all_config``;
* the program file runs with ``runpy.run_path(..., run_name="__main__")`` inside
  ``pulumi.runtime.run_in_stack``, which creates the root ``pulumi:pulumi:Stack`` and registers the
  stack outputs through ``RegisterResourceOutputs`` when the program finishes.

The mock monitor is subclassed to record the raw ``RegisterResourceRequest`` of every resource,
so resource *options* that ``MockResourceArgs`` does not expose (``retainOnDelete``, ``protect``,
``deleteBeforeReplace``, ``dependencies``, ``parent``) are observed as the SDK sends them to the
engine. That proves what the program asks the engine to do; the engine's own behaviour on
``pulumi destroy`` is not exercised (no CLI here).

The child prints one JSON line prefixed with :data:`MARKER`; :func:`run_program` parses it.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support import run_marked_child

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "__main__.py"
PROJECT = "bitmovin-analytics-export"
MARKER = "@@HARNESS-RESULT@@"
MOCK_ACCOUNT = "123456789012"
MOCK_PARTITION = "aws"
DEFAULT_REGION = "us-east-1"
OUTPUT_TYPE = "pulumi-python:dynamic/bitmovin:AnalyticsS3RoleBasedOutput"
REFERENCE_TYPE = "pulumi-python:dynamic/bitmovin:AnalyticsOutputReference"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime.rpc.UNKNOWN on the wire
_FAKE_NAMESPACE = uuid.UUID("7d7b8f3e-9a42-4b8e-9d0c-5f2f8a1c2b10")


def fake_global_external_id(tenant_org_id: str | None) -> str:
    """What the fake Bitmovin returns for GLOBAL: stable per organization."""
    return str(uuid.uuid5(_FAKE_NAMESPACE, f"global:{tenant_org_id or 'own-organization'}"))


def fake_generated_external_id(resource_name: str) -> str:
    return str(uuid.uuid5(_FAKE_NAMESPACE, f"generated:{resource_name}"))


def fake_output_id(resource_name: str) -> str:
    return str(uuid.uuid5(_FAKE_NAMESPACE, f"output:{resource_name}"))


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]  # plain values (secrets unwrapped), wire (camelCase) names
    wire_inputs: dict[str, Any]  # the protobuf struct as JSON, secrets still wrapped
    options: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    registered_outputs: dict[str, Any] = field(default_factory=dict)  # components: register_outputs


@dataclass
class ProgramRun:
    error: str | None
    error_type: str | None
    resources: list[Registration]
    stack_outputs: dict[str, Any]
    secret_outputs: list[str]
    calls: list[dict[str, Any]]
    config_reads: list[str]
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.error is None

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Registration:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, got {[r.name for r in found]}"
        return found[0]

    @property
    def types(self) -> set[str]:
        return {r.type for r in self.resources}

    def everything_json(self) -> str:
        """All inputs, outputs, options, invoke args and stack outputs as one searchable string."""
        return json.dumps(
            {
                "resources": [r.__dict__ for r in self.resources],
                "stack_outputs": self.stack_outputs,
                "calls": self.calls,
            },
            default=str,
        )


def run_program(
    config: dict[str, Any],
    *,
    stack: str = "dev",
    project: str = PROJECT,
    secret_keys: tuple[str, ...] = (),
    preview: bool = False,
    account: str = MOCK_ACCOUNT,
    partition: str = MOCK_PARTITION,
    timeout: float = 60,
    program: Path = PROGRAM,
    existing_outputs: dict[str, dict[str, Any]] | None = None,
) -> ProgramRun:
    """Run ``program`` (default: the project's ``__main__.py``) once with this stack config.

    ``existing_outputs`` is what the fake Bitmovin API returns for a GET of an output id, per
    organization: ``{"<org or ''>/<output id>": {"bucketName": ..., "roleArn": ..., ...}}``.
    """
    request = {
        "existing_outputs": existing_outputs or {},
        "program": str(program),
        "config": config,
        "stack": stack,
        "project": project,
        "secret_keys": list(secret_keys),
        "preview": preview,
        "account": account,
        "partition": partition,
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PULUMI_", "BITMOVIN_"))}
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    data, proc = run_marked_child(
        [sys.executable, "-m", "tests.program_harness"],
        request,
        marker=MARKER,
        cwd=REPO,
        env=env,
        timeout=timeout,
    )
    return ProgramRun(
        error=data["error"],
        error_type=data["error_type"],
        resources=[Registration(**r) for r in data["resources"]],
        stack_outputs=data["stack_outputs"],
        secret_outputs=data["secret_outputs"],
        calls=data["calls"],
        config_reads=data["config_reads"],
        stdout=proc.stdout,
        stderr=proc.stderr,
    )


# ---------------------------------------------------------------------------------------------
# Child side


def _unwrap(value: Any, path: str, secrets: list[str]) -> Any:
    """Wire JSON -> plain values; records the paths of secret values."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            secrets.append(path)
            return _unwrap(value.get("value"), path, secrets)
        return {key: _unwrap(item, f"{path}.{key}" if path else key, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap(item, f"{path}[{index}]", secrets) for index, item in enumerate(value)]
    return value


def _fake_reference(inputs: dict[str, Any], request: dict[str, Any]) -> tuple[str | None, dict]:
    """Stand in for the reference provider's one GET: the output, or the provider's not-found error."""
    inputs.pop("__provider", None)
    if request["preview"]:
        return None, inputs
    key = f"{inputs.get('tenant_org_id') or ''}/{inputs['output_id']}"
    found = request["existing_outputs"].get(key)
    if found is None:
        raise RuntimeError(
            f"Bitmovin Analytics output {inputs['output_id']} (existingOutputId) was not found"
        )
    fields = {"bucket_name": "bucketName", "role_arn": "roleArn", "external_id": "externalId"}
    outputs = {key: found[field] for key, field in fields.items() if found.get(field)}
    outputs["external_id_mode"] = found.get("externalIdMode")
    return inputs["output_id"], {**inputs, **outputs}


def _child() -> None:
    request = json.loads(sys.stdin.read())
    config = {
        (key if ":" in key else f"{request['project']}:{key}"): value
        for key, value in request["config"].items()
    }
    secret_keys = [key if ":" in key else f"{request['project']}:{key}" for key in request["secret_keys"]]
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(secret_keys)
    sys.path.insert(0, str(REPO))

    import asyncio
    import runpy
    import traceback

    import pulumi

    # Record every config key the program (or anything it imports) asks for.
    import pulumi.config as pulumi_config_module
    from google.protobuf import json_format
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import settings as pulumi_settings

    config_reads: list[str] = []
    original_get_config = runtime_config.get_config

    def recording_get_config(key: str) -> Any:
        config_reads.append(key)
        return original_get_config(key)

    runtime_config.get_config = recording_get_config
    pulumi.runtime.get_config = recording_get_config
    pulumi_config_module.get_config = recording_get_config

    account, partition = request["account"], request["partition"]
    region = config.get("aws:region") or DEFAULT_REGION
    registrations: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    calls: list[dict[str, Any]] = []
    stack_outputs: dict[str, Any] = {}

    class Mocks(pulumi.runtime.Mocks):
        def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
            calls.append({"token": args.token, "args": args.args})
            if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    "accountId": account,
                    "arn": f"arn:{partition}:iam::{account}:user/deployer",
                    "userId": "AIDAEXAMPLEDEPLOYER",
                    "id": account,
                }
            if args.token == "aws:index/getPartition:getPartition":
                return {"partition": partition, "dnsSuffix": "amazonaws.com", "id": partition}
            if args.token == "aws:index/getRegion:getRegion":
                return {
                    "region": region,
                    "name": region,
                    "endpoint": f"ec2.{region}.amazonaws.com",
                    "id": region,
                }
            raise NotImplementedError(f"unexpected invoke {args.token}")

        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
            inputs = dict(args.inputs)
            if args.typ == "aws:s3/bucket:Bucket":
                name = inputs["bucket"]
                return name, {**inputs, "id": name, "arn": f"arn:{partition}:s3:::{name}"}
            if args.typ == "aws:iam/role:Role":
                name = inputs["name"]
                if not isinstance(name, str):  # unknown in a preview (e.g. named by an existing output)
                    return None, inputs
                return name, {
                    **inputs,
                    "arn": f"arn:{partition}:iam::{account}:role{inputs.get('path') or '/'}{name}",
                    "uniqueId": "AROAFAKE",
                }
            if args.typ == "aws:iam/rolePolicy:RolePolicy":
                return f"{inputs['role']}:{inputs['name']}", inputs
            if args.typ == OUTPUT_TYPE:
                # The dynamic provider never runs under mocks: stand in for Bitmovin's API.
                inputs.pop("__provider", None)
                mode = inputs.get("external_id_mode") or "GLOBAL"
                if mode == "GLOBAL":
                    external_id = fake_global_external_id(inputs.get("tenant_org_id"))
                elif mode == "GENERATED":
                    external_id = fake_generated_external_id(args.name)
                else:
                    external_id = inputs.get("external_id")
                if request["preview"]:
                    # In a preview the provider's create does not run: the ID and outputs are unknown.
                    return None, {**inputs, "external_id_mode": mode}
                return fake_output_id(args.name), {
                    **inputs,
                    "external_id_mode": mode,
                    "external_id": external_id,
                    "created_at": "2025-01-01T00:00:00Z",
                    "modified_at": "2025-01-01T00:00:00Z",
                }
            if args.typ == REFERENCE_TYPE:
                return _fake_reference(inputs, request)
            return f"{args.name}-id", inputs

    class RecordingMonitor(pulumi_mocks.MockMonitor):
        def RegisterResource(self, req: Any) -> Any:
            response = super().RegisterResource(req)
            if req.type != "pulumi:pulumi:Stack":
                wire = json_format.MessageToDict(req.object)
                secrets: list[str] = []
                registrations[response.urn] = {
                    "type": req.type,
                    "name": req.name,
                    "urn": response.urn,
                    "parent": req.parent,
                    "custom": req.custom,
                    "wire_inputs": wire,
                    "inputs": _unwrap(wire, "", secrets),
                    "options": {
                        "retainOnDelete": req.retainOnDelete if req.HasField("retainOnDelete") else None,
                        "protect": req.protect if req.HasField("protect") else None,
                        "deleteBeforeReplace": req.deleteBeforeReplace,
                        "dependencies": list(req.dependencies),
                        "secretInputs": secrets,
                    },
                }
                order.append(response.urn)
            return response

        def RegisterResourceOutputs(self, req: Any) -> Any:
            outputs = json_format.MessageToDict(req.outputs)
            if "::pulumi:pulumi:Stack::" in req.urn:
                stack_outputs.update(outputs)
            elif req.urn in registrations:
                registrations[req.urn]["registered_outputs"] = _unwrap(outputs, "", [])
            return super().RegisterResourceOutputs(req)

    # The loop must exist before set_mocks: the root stack it registers schedules work on it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = Mocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(
        mocks, project=request["project"], stack=request["stack"], preview=request["preview"], monitor=monitor
    )
    # set_mocks installs a finished root stack for tests that import programs directly. Remove it so
    # that run_in_stack creates the stack and registers its outputs, as the language host does.
    pulumi_settings.set_root_resource(None)
    stack_outputs.clear()

    error = error_type = None
    try:
        loop.run_until_complete(
            pulumi.runtime.run_in_stack(lambda: runpy.run_path(request["program"], run_name="__main__"))
        )
    except BaseException as exc:
        error, error_type = str(exc), type(exc).__name__
        traceback.print_exc()

    for urn, state in monitor.resources.items():
        if urn in registrations:
            registrations[urn]["outputs"] = state.state
    secret_outputs: list[str] = []
    plain_outputs = _unwrap(stack_outputs, "", secret_outputs)
    result = {
        "error": error,
        "error_type": error_type,
        "resources": [registrations[urn] for urn in order],
        "stack_outputs": plain_outputs,
        "secret_outputs": secret_outputs,
        "calls": calls,
        "config_reads": sorted(set(config_reads)),
    }
    print(MARKER + json.dumps(result, default=str), flush=True)


def decode_provider_blob(registration: Registration) -> bytes:
    """The serialized dynamic provider sent as ``__provider`` (base64 of a dill pickle)."""
    value = registration.inputs.get("__provider")
    return base64.b64decode(value) if isinstance(value, str) else b""


if __name__ == "__main__":
    _child()
