"""Run a Pulumi program under ``pulumi.runtime.set_mocks`` the way ``pulumi up`` runs it.

One mechanism for every program: the project's ``__main__.py`` (:func:`run_program`) and the
consumer example ``examples/consumer/__main__.py`` (:func:`run_consumer`, whose export stack is a
stand-in answered through ``pulumi:pulumi:StackReference``). Each scenario runs in a fresh process,
so Pulumi's module-level state (root stack, settings, registered resources) never leaks between
scenarios. The process is a ``fork()`` of a per-test-process server (``python -m
dev.support.program_harness --serve``) that has imported pulumi and pulumi_aws once: that import is
most of a scenario's cost, and a forked child starts from the server's state, in which no program has
run and no mocks are set. ``PROGRAM_HARNESS_FRESH=1`` (or a platform without ``fork``) runs each
scenario in a new interpreter instead (``python -m dev.support.program_harness``), as it used to.

Inside the child, exactly like the Python language host:

* the working directory is the project's (``cwd``), which is first on ``sys.path``;
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

The child prints one JSON line prefixed with :data:`MARKER`; the parent parses the last such line.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dev.support import REPO_ROOT

PROGRAM = REPO_ROOT / "__main__.py"
PROJECT = "bitmovin-analytics-export"
MARKER = "@@HARNESS-RESULT@@"
MOCK_ACCOUNT = "123456789012"
MOCK_PARTITION = "aws"
DEFAULT_REGION = "us-east-1"
OUTPUT_TYPE = "pulumi-python:dynamic/bitmovin:AnalyticsS3RoleBasedOutput"
REFERENCE_TYPE = "pulumi-python:dynamic/bitmovin:AnalyticsOutputReference"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime.rpc.UNKNOWN on the wire
_FAKE_NAMESPACE = uuid.UUID("7d7b8f3e-9a42-4b8e-9d0c-5f2f8a1c2b10")

CONSUMER_DIR = REPO_ROOT / "examples" / "consumer"
CONSUMER_PROJECT = "bitmovin-analytics-consumer"
CONSUMER_ACCOUNT = "210987654321"

# What the server imports once so that every forked scenario finds it loaded (the expensive part):
# a module and one of its attributes, because pulumi_aws's submodules load lazily, on first use.
_PRELOADED = (
    ("pulumi.runtime", "Mocks"),
    ("pulumi.dynamic", "Resource"),
    ("pulumi_aws", "Provider"),
    ("pulumi_aws.s3", "Bucket"),
    ("pulumi_aws.iam", "Role"),
    ("pulumi_aws.glue", "Crawler"),
    ("google.protobuf.json_format", "MessageToDict"),
)
# The project's own packages, imported once too (only if their import reads no stack config: a read at
# import time would then be missed by ``config_reads``, so the server refuses to start instead).
_PRELOADED_PROJECT = ("analytics_export.component", "analytics_export.settings", "providers.output_reference")
# Variables a scenario never inherits: only the config a test gives counts.
_SCRUBBED_PREFIXES = ("PULUMI_", "BITMOVIN_", "AWS_")


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


@dataclass
class ConsumerRun:
    """The consumer example's run, as ``Mocks.new_resource`` saw its resources."""

    error: str | None
    resources: list[dict[str, Any]]  # type, name, inputs (plain), provider
    stack_outputs: dict[str, Any]
    references: list[str]  # the stack names read through StackReference
    stderr: str

    def one(self, type_: str) -> dict[str, Any]:
        found = [r for r in self.resources if r["type"] == type_]
        assert len(found) == 1, f"expected one {type_}, got {[r['name'] for r in found]}"
        return found[0]


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
    data, stdout, stderr = _run_scenario(
        {
            "existing_outputs": existing_outputs or {},
            "program": str(program),
            "cwd": str(REPO_ROOT),  # the project a program lives in, even one in a test's tmp_path
            "config": config,
            "stack": stack,
            "project": project,
            "secret_keys": list(secret_keys),
            "preview": preview,
            "account": account,
            "partition": partition,
        },
        timeout,
    )
    return ProgramRun(
        error=data["error"],
        error_type=data["error_type"],
        resources=[Registration(**r) for r in data["resources"]],
        stack_outputs=data["stack_outputs"],
        secret_outputs=data["secret_outputs"],
        calls=data["calls"],
        config_reads=data["config_reads"],
        stdout=stdout,
        stderr=stderr,
    )


def run_consumer(
    config: dict[str, Any],
    export_outputs: dict[str, Any],
    *,
    secret_outputs: tuple[str, ...] = (),
    stack: str = "acme-prod",
    timeout: float = 60,
) -> ConsumerRun:
    """Run ``examples/consumer`` with ``export_outputs`` as the referenced export stack's outputs
    (``secret_outputs`` of them secret, as the engine reads them from that stack's state)."""
    data, _, stderr = _run_scenario(
        {
            "existing_outputs": {},
            "program": str(CONSUMER_DIR / "__main__.py"),
            "cwd": str(CONSUMER_DIR),  # as `pulumi up` runs it: the program's own modules import from here
            "config": config,
            "stack": stack,
            "project": CONSUMER_PROJECT,
            "secret_keys": [],
            "preview": False,
            "account": CONSUMER_ACCOUNT,
            "partition": MOCK_PARTITION,
            "stack_reference_outputs": export_outputs,
            "stack_reference_secrets": list(secret_outputs),
        },
        timeout,
    )
    error = f"{data['error_type']}: {data['error']}" if data["error_type"] else None
    resources = [r for r in data["mocked"] if r["type"] != STACK_REFERENCE]
    return ConsumerRun(error, resources, data["stack_outputs"], data["references"], stderr)


def decode_provider_blob(registration: Registration) -> bytes:
    """The serialized dynamic provider sent as ``__provider`` (base64 of a dill pickle)."""
    value = registration.inputs.get("__provider")
    return base64.b64decode(value) if isinstance(value, str) else b""


# ---------------------------------------------------------------------------------------------
# Parent side: one scenario = one child process


def _scenario_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_SCRUBBED_PREFIXES)}
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


def _parse(stdout: str, stderr: str, returncode: int) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise RuntimeError(f"harness produced no result (rc={returncode}):\n{stdout}\n{stderr}")
    return json.loads(lines[-1][len(MARKER) :])


def _run_scenario(request: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str, str]:
    request = {**request, "env": _scenario_env()}
    if os.environ.get("PROGRAM_HARNESS_FRESH") == "1" or not hasattr(os, "fork"):
        proc = subprocess.run(
            [sys.executable, "-m", "dev.support.program_harness"],
            input=json.dumps(request),
            cwd=request["cwd"],
            env={**request["env"], "PYTHONPATH": str(REPO_ROOT)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        stdout, stderr, returncode = proc.stdout, proc.stderr, proc.returncode
    else:
        stdout, stderr, returncode = _ForkServer.shared().run(request, timeout)
    return _parse(stdout, stderr, returncode), stdout, stderr


def run_script(
    script: str, stdin: str, *, cwd: Path, env: Mapping[str, str], timeout: float = 120
) -> tuple[str, str, int]:
    """``python -c script`` with ``stdin``, in ``cwd`` with exactly ``env``: (stdout, stderr, exit code).

    A fork of the same server as the scenarios (a fresh process, never the test process), so a script
    that imports pulumi does not pay for the import; ``PROGRAM_HARNESS_FRESH=1`` runs a new interpreter.
    """
    if os.environ.get("PROGRAM_HARNESS_FRESH") == "1" or not hasattr(os, "fork"):
        proc = subprocess.run(
            [sys.executable, "-c", script],
            cwd=cwd,
            env=dict(env),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return proc.stdout, proc.stderr, proc.returncode
    request = {"script": script, "stdin": stdin, "cwd": str(cwd), "env": dict(env)}
    return _ForkServer.shared().run(request, timeout)


class _ForkServer:
    """The ``--serve`` process of this test process: one JSON request per line in, one reply out."""

    _instance: _ForkServer | None = None

    def __init__(self) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self._process = subprocess.Popen(
            [sys.executable, "-m", "dev.support.program_harness", "--serve"],
            cwd=REPO_ROOT,
            env={**_scenario_env(), "PYTHONPATH": str(REPO_ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,  # its own process group: a timeout ends the server and its child
        )

    @classmethod
    def shared(cls) -> _ForkServer:
        if cls._instance is None or cls._instance._process.poll() is not None:
            cls._instance = cls()
            atexit.register(cls._instance.stop)
        return cls._instance

    def stop(self) -> None:
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def run(self, request: Mapping[str, Any], timeout: float) -> tuple[str, str, int]:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        ready, _, _ = select.select([self._process.stdout], [], [], timeout)
        line = self._process.stdout.readline() if ready else ""
        if not line:
            self.stop()
            self._log.seek(0)
            raise RuntimeError(
                f"program harness server gave no reply within {timeout} s:\n"
                + self._log.read().decode(errors="replace")
            )
        reply = json.loads(line)
        return reply["stdout"], reply["stderr"], reply["returncode"]


# ---------------------------------------------------------------------------------------------
# Server side


def _serve() -> None:
    """Import what every scenario needs once, then fork one child per request line."""
    import importlib

    for module, attribute in _PRELOADED:
        getattr(importlib.import_module(module), attribute)
    reads = _Record()
    _record_config_reads(reads)
    for module in _PRELOADED_PROJECT:
        importlib.import_module(module)
    if reads.config_reads:
        raise SystemExit(f"program harness: importing the project read config {reads.config_reads}")

    protocol = sys.stdout
    base_path = [entry for entry in sys.path if entry not in ("", str(REPO_ROOT))]
    for line in sys.stdin:
        request = json.loads(line)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # the scenario: its stdout and stderr go to the two files
                status = 1
                try:
                    os.dup2(out.fileno(), 1)
                    os.dup2(err.fileno(), 2)
                    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
                    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
                    os.environ.clear()
                    os.environ.update(request.pop("env"))
                    os.chdir(request["cwd"])
                    sys.path[:] = [request["cwd"], *base_path]
                    status = _script(request) if "script" in request else _scenario(request) or 0
                except BaseException:
                    traceback.print_exc()
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(status)
            _, wait_status = os.waitpid(pid, 0)
            out.seek(0)
            err.seek(0)
            reply = {
                "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace"),
                "returncode": os.waitstatus_to_exitcode(wait_status),
            }
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()


def _script(request: dict[str, Any]) -> int:
    """Run ``request["script"]`` as ``python -c`` would, reading ``request["stdin"]``; its exit code."""
    import io

    sys.stdin = io.StringIO(request["stdin"])
    sys.argv = ["-c"]
    try:
        exec(compile(request["script"], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return 0


def _one_shot() -> None:
    """One scenario in this fresh interpreter (``PROGRAM_HARNESS_FRESH=1``); cwd is the program's."""
    request = json.loads(sys.stdin.read())
    request.pop("env", None)
    sys.path.insert(0, request["cwd"])
    _scenario(request)


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


def _fake_output(inputs: dict[str, Any], name: str, preview: bool) -> tuple[str | None, dict]:
    """The dynamic provider never runs under mocks: stand in for Bitmovin's API."""
    inputs.pop("__provider", None)
    mode = inputs.get("external_id_mode") or "GLOBAL"
    if mode == "GLOBAL":
        external_id = fake_global_external_id(inputs.get("tenant_org_id"))
    elif mode == "GENERATED":
        external_id = fake_generated_external_id(name)
    else:
        external_id = inputs.get("external_id")
    if preview:
        # In a preview the provider's create does not run: the ID and outputs are unknown.
        return None, {**inputs, "external_id_mode": mode}
    return fake_output_id(name), {
        **inputs,
        "external_id_mode": mode,
        "external_id": external_id,
        "created_at": "2025-01-01T00:00:00Z",
        "modified_at": "2025-01-01T00:00:00Z",
    }


def _fake_role(inputs: dict[str, Any], name: str, account: str, partition: str) -> tuple[str | None, dict]:
    """A role named by the program keeps its name; one it leaves to auto-naming gets a suffix."""
    if "name" not in inputs:
        return f"{name}-id", {**inputs, "arn": f"arn:{partition}:iam::{account}:role/{name}-abc"}
    role_name = inputs["name"]
    if not isinstance(role_name, str):  # unknown in a preview (e.g. named by an existing output)
        return None, inputs
    return role_name, {
        **inputs,
        "arn": f"arn:{partition}:iam::{account}:role{inputs.get('path') or '/'}{role_name}",
        "uniqueId": "AROAFAKE",
    }


@dataclass
class _Record:
    """What one scenario observed, filled in by its mocks and monitor."""

    registrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # URNs in registration order
    mocked: list[dict[str, Any]] = field(default_factory=list)  # every new_resource, as the mocks saw it
    references: list[str] = field(default_factory=list)  # stacks read through StackReference
    calls: list[dict[str, Any]] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    config_reads: list[str] = field(default_factory=list)


def _record_config_reads(record: _Record) -> None:
    """Record every config key the program (or anything it imports) asks for."""
    import pulumi
    import pulumi.config as pulumi_config_module
    from pulumi.runtime import config as runtime_config

    original_get_config = runtime_config.get_config

    def recording_get_config(key: str) -> Any:
        record.config_reads.append(key)
        return original_get_config(key)

    runtime_config.get_config = recording_get_config
    pulumi.runtime.get_config = recording_get_config
    pulumi_config_module.get_config = recording_get_config


def _invoke_answer(token: str, account: str, partition: str, region: str) -> dict[str, Any]:
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": account,
            "arn": f"arn:{partition}:iam::{account}:user/deployer",
            "userId": "AIDAEXAMPLEDEPLOYER",
            "id": account,
        }
    if token == "aws:index/getPartition:getPartition":
        return {"partition": partition, "dnsSuffix": "amazonaws.com", "id": partition}
    if token == "aws:index/getRegion:getRegion":
        return {"region": region, "name": region, "endpoint": f"ec2.{region}.amazonaws.com", "id": region}
    raise NotImplementedError(f"unexpected invoke {token}")


def _mocks(request: dict[str, Any], region: str, record: _Record) -> Any:
    """The mocks: AWS invokes and resources answered as AWS would, Bitmovin's as the fakes above."""
    import pulumi

    account, partition = request["account"], request["partition"]
    referenced = request.get("stack_reference_outputs", {})
    referenced_secrets = sorted(set(request.get("stack_reference_secrets", [])) & set(referenced))

    class Mocks(pulumi.runtime.Mocks):
        def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
            record.calls.append({"token": args.token, "args": args.args})
            return _invoke_answer(args.token, account, partition, region)

        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
            inputs = dict(args.inputs)
            record.mocked.append(
                {"type": args.typ, "name": args.name, "inputs": inputs, "provider": args.provider}
            )
            inputs = dict(inputs)
            if args.typ == STACK_REFERENCE:
                record.references.append(inputs["name"])
                return inputs["name"], {
                    "name": inputs["name"],
                    "outputs": referenced,
                    "secretOutputNames": referenced_secrets,
                }
            if args.typ == "aws:s3/bucket:Bucket":
                name = inputs["bucket"]
                return name, {**inputs, "id": name, "arn": f"arn:{partition}:s3:::{name}"}
            if args.typ == "aws:iam/role:Role":
                return _fake_role(inputs, args.name, account, partition)
            if args.typ == "aws:iam/rolePolicy:RolePolicy" and "name" in inputs:
                return f"{inputs['role']}:{inputs['name']}", inputs
            if args.typ == "aws:glue/crawler:Crawler":
                return f"{args.name}-abc", {**inputs, "name": f"{args.name}-abc"}
            if args.typ == OUTPUT_TYPE:
                return _fake_output(inputs, args.name, request["preview"])
            if args.typ == REFERENCE_TYPE:
                return _fake_reference(inputs, request)
            return f"{args.name}-id", inputs

    return Mocks()


def _registration(req: Any, urn: str) -> dict[str, Any]:
    """A ``RegisterResourceRequest`` as JSON: inputs plain and on the wire, the options the SDK sent."""
    from google.protobuf import json_format

    wire = json_format.MessageToDict(req.object)
    secrets: list[str] = []
    return {
        "type": req.type,
        "name": req.name,
        "urn": urn,
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
            "aliases": [json_format.MessageToDict(alias) for alias in req.aliases],
        },
    }


def _monitor(mocks: Any, record: _Record) -> Any:
    """The mock monitor, recording each raw registration and the registered outputs."""
    from google.protobuf import json_format
    from pulumi.runtime import mocks as pulumi_mocks

    class RecordingMonitor(pulumi_mocks.MockMonitor):
        def RegisterResource(self, req: Any) -> Any:
            response = super().RegisterResource(req)
            if req.type != "pulumi:pulumi:Stack":
                record.registrations[response.urn] = _registration(req, response.urn)
                record.order.append(response.urn)
            return response

        def RegisterResourceOutputs(self, req: Any) -> Any:
            outputs = json_format.MessageToDict(req.outputs)
            if "::pulumi:pulumi:Stack::" in req.urn:
                record.stack_outputs.update(outputs)
            elif req.urn in record.registrations:
                record.registrations[req.urn]["registered_outputs"] = _unwrap(outputs, "", [])
            return super().RegisterResourceOutputs(req)

    return RecordingMonitor(mocks)


def _scenario(request: dict[str, Any]) -> None:
    """Run the request's program once under mocks and print the result after :data:`MARKER`."""
    project = request["project"]
    config = {(key if ":" in key else f"{project}:{key}"): value for key, value in request["config"].items()}
    secret_keys = [key if ":" in key else f"{project}:{key}" for key in request["secret_keys"]]
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(secret_keys)

    import asyncio
    import runpy

    import pulumi
    from pulumi.runtime import settings as pulumi_settings

    record = _Record()
    _record_config_reads(record)
    # The loop must exist before set_mocks: the root stack it registers schedules work on it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = _mocks(request, config.get("aws:region") or DEFAULT_REGION, record)
    monitor = _monitor(mocks, record)
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=request["stack"], preview=request["preview"], monitor=monitor
    )
    # set_mocks installs a finished root stack for tests that import programs directly. Remove it so
    # that run_in_stack creates the stack and registers its outputs, as the language host does.
    pulumi_settings.set_root_resource(None)
    record.stack_outputs.clear()

    error = error_type = None
    try:
        loop.run_until_complete(
            pulumi.runtime.run_in_stack(lambda: runpy.run_path(request["program"], run_name="__main__"))
        )
    except BaseException as exc:
        error, error_type = str(exc), type(exc).__name__
        traceback.print_exc()

    for urn, state in monitor.resources.items():
        if urn in record.registrations:
            record.registrations[urn]["outputs"] = state.state
    secret_outputs: list[str] = []
    result = {
        "error": error,
        "error_type": error_type,
        "resources": [record.registrations[urn] for urn in record.order],
        "stack_outputs": _unwrap(record.stack_outputs, "", secret_outputs),
        "secret_outputs": secret_outputs,
        "calls": record.calls,
        "config_reads": sorted(set(record.config_reads)),
        "mocked": record.mocked,
        "references": record.references,
    }
    print(MARKER + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        _serve()
    else:
        _one_shot()
