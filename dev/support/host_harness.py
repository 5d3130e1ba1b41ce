"""Drive the real dynamic-provider host (``python -m pulumi.dynamic``) over gRPC, like the engine does.

The Pulumi CLI is not needed. The harness imitates what the engine does for a dynamic resource:

- it starts ``python -u -m pulumi.dynamic 127.0.0.1:1`` with the project root as working directory
  (the engine's ``ctx.Pwd``) and no ``PYTHONPATH``, so the host imports ``providers.*`` exactly as
  under ``pulumi up``; ``PULUMI_PROJECT`` and ``PULUMI_CONFIG="{}"`` are set as the engine sets them;
- it reads the port from the first stdout line and talks ``pulumirpc.ResourceProvider`` to it;
- ``Configure`` gets namespaced keys, secrets wrapped as the engine wraps them;
- every resource call carries ``__provider`` as a plain string (the host answers
  ``acceptSecrets=False``, so the engine strips the secret wrapper the program put around it).

``__provider`` is the string the resource class really serializes in a program: see
``serialize_resources``. Replies are decoded to plain dicts; ``Unknown`` values come back as the
wire sentinel ``UNKNOWN`` so tests can compare them.

Not imitated (engine semantics): skipping Create in preview, ``ignore_changes``, secret
re-annotation of outputs, merging outputs into state. Tests do that bookkeeping themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from dev.support import REPO_ROOT
from dev.support.program_harness import run_script

PROJECT = "bitmovin-analytics-export"
STACK = "dev"
RESOURCE_TYPE = "pulumi-python:dynamic/bitmovin:AnalyticsS3RoleBasedOutput"
PROVIDER_KEY = "__provider"
UNKNOWN = rpc.UNKNOWN
"""The wire sentinel for a value not known during preview."""

API_KEY_CONFIG = "bitmovin:apiKey"
API_URL_CONFIG = "bitmovin:apiUrl"

# Variables the harness never inherits from the test process: the host must see only what a test
# passes, so a developer's own key or a stray PYTHONPATH cannot make a test pass by accident.
_SCRUBBED_PREFIXES = ("BITMOVIN_", "PULUMI_")
_SCRUBBED_NAMES = frozenset({"PYTHONPATH"})

START_TIMEOUT_SECONDS = 30.0
CALL_TIMEOUT_SECONDS = 60.0

DIFF_NAMES = {
    provider_pb2.DiffResponse.DIFF_UNKNOWN: "UNKNOWN",
    provider_pb2.DiffResponse.DIFF_NONE: "NONE",
    provider_pb2.DiffResponse.DIFF_SOME: "SOME",
}


def urn(name: str = "export", stack: str = STACK, type_: str = RESOURCE_TYPE) -> str:
    """``urn:pulumi:<stack>::<project>::<type>::<name>``, as the engine builds it."""
    return f"urn:pulumi:{stack}::{PROJECT}::{type_}::{name}"


def host_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the engine would give the host: ours minus Bitmovin/Pulumi/PYTHONPATH settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_SCRUBBED_PREFIXES) and name not in _SCRUBBED_NAMES
    }
    env.update({"PULUMI_PROJECT": PROJECT, "PULUMI_CONFIG": "{}"})
    env.update(extra or {})
    return env


# -- the serialized provider, as a program produces it -------------------------------------------

# Runs as ``python -c`` in a fresh process (a fork of the program harness's server) with the project
# root as cwd, first on sys.path as running ``__main__.py`` has it for ``pulumi up``. Not this process, because
# ``set_mocks`` replaces Pulumi's global runtime settings and the mocks tests of the same pytest run
# rely on their own; a fresh process also proves the string does not depend on test-process state.
_SERIALIZE_SCRIPT = r"""
import json, sys
import pulumi
from pulumi.runtime import rpc

request = json.load(sys.stdin)
captured = []

class CaptureMocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        captured.append({"type": args.typ, "name": args.name, "inputs": dict(args.inputs)})
        return (args.name + "-id", dict(args.inputs))

    def call(self, args):
        return {}

pulumi.runtime.set_mocks(CaptureMocks(), project=request["project"], stack=request["stack"], preview=False)

import importlib
module_name, _, class_name = request["resource_class"].partition(":")
resource_class = getattr(importlib.import_module(module_name), class_name)

@pulumi.runtime.test
def program():
    resources = [resource_class(r["name"], **r["args"]) for r in request["resources"]]
    return pulumi.Output.all(*[r.urn for r in resources])

program()
result = []
for item in captured:
    inputs = item["inputs"]
    wrapped = inputs.pop("__provider")
    result.append({
        "type": item["type"],
        "name": item["name"],
        "provider": rpc.unwrap_rpc_secret(wrapped),
        "provider_was_secret": rpc.is_rpc_secret(wrapped),
        "inputs": inputs,
    })
print(json.dumps(result))
"""


@dataclass(frozen=True)
class SerializedResource:
    """What a program registers for one resource: its type, inputs and ``__provider``."""

    type: str
    name: str
    provider: str
    provider_was_secret: bool
    inputs: dict[str, Any]
    """Program inputs without ``__provider`` (``None`` placeholders are absent, as on the wire)."""


DEFAULT_RESOURCE_CLASS = "providers.analytics_output:AnalyticsS3RoleBasedOutput"


def serialize_resources(
    *resources: tuple[str, Mapping[str, Any]], resource_class: str = DEFAULT_RESOURCE_CLASS
) -> list[SerializedResource]:
    """Construct ``<resource_class>(name, **args)`` under mocks in a fresh process.

    ``resources`` are ``(name, kwargs)`` pairs with JSON-serializable kwargs; ``resource_class`` is
    ``"module:Class"`` (default: the output resource).
    """
    request = {
        "project": PROJECT,
        "stack": STACK,
        "resource_class": resource_class,
        "resources": [{"name": name, "args": dict(args)} for name, args in resources],
    }
    stdout, stderr, returncode = run_script(
        _SERIALIZE_SCRIPT, json.dumps(request), cwd=REPO_ROOT, env=host_env()
    )
    if returncode != 0:
        raise RuntimeError(f"serializing the provider failed:\n{stderr}")
    items = json.loads(stdout.strip().splitlines()[-1])
    return [SerializedResource(**item) for item in items]


def serialized_provider(**args: Any) -> str:
    """``__provider`` of one resource built with ``args`` (defaults: valid bucket and role)."""
    args = {"bucket_name": "acme-analytics-export", "role_arn": "arn:aws:iam::123456789012:role/x", **args}
    return serialize_resources(("export", args))[0].provider


# -- wire encoding -------------------------------------------------------------------------------


def _drop_none(value: Any) -> Any:
    """The engine drops ``None`` properties; nested ones too."""
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_drop_none(props))
    return struct


def _sentinels(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _sentinels(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sentinels(v) for v in value]
    return value


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Plain dict; numbers are floats; ``Unknown`` becomes the ``UNKNOWN`` sentinel string."""
    return _sentinels(rpc.deserialize_properties(struct, keep_unknowns=True))


def without_provider(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


# -- results -------------------------------------------------------------------------------------


class HostCallError(Exception):
    """A gRPC call to the host failed; ``code`` and ``details`` as the engine would see them."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{method} failed with {code.name}: {details}")
        self.method = method
        self.code = code
        self.details = details


class HostStartError(Exception):
    """The host did not print a port (it died or hung); the message holds its stderr."""


@dataclass(frozen=True)
class CheckOutcome:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]
    """``(property, reason)`` pairs."""


@dataclass(frozen=True)
class DiffOutcome:
    changes: str
    """``"NONE"``, ``"SOME"`` or ``"UNKNOWN"``."""
    replaces: list[str]
    delete_before_replace: bool
    stables: list[str]
    diffs: list[str]
    has_detailed_diff: bool


@dataclass(frozen=True)
class CreateOutcome:
    id: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class ReadOutcome:
    id: str
    """Empty when the provider reports the resource as gone."""
    properties: dict[str, Any]
    inputs: dict[str, Any] | None
    """``None`` when the provider returned no inputs."""


@dataclass
class ConfigureOutcome:
    accept_secrets: bool
    supports_preview: bool
    accept_resources: bool
    accept_outputs: bool


@dataclass
class TranscriptEntry:
    """One call: method, the plain request dict, and the reply dict or the error details."""

    method: str
    request: dict[str, Any]
    response: Any = None
    error: str | None = None


# -- the host ------------------------------------------------------------------------------------


@dataclass
class ProviderHost:
    """One ``python -m pulumi.dynamic`` process. Use ``ProviderHost.start(...)`` and ``close()``.

    ``provider`` is added as ``__provider`` to every call's properties that lack it; URNs and
    requests carry ``resource_type`` (default: the output resource's type token).
    ``stdout``/``stderr`` hold everything the host wrote (after the port line), complete after
    ``close()``. ``transcript`` records every call with its decoded request and reply/error.
    """

    proc: subprocess.Popen[bytes]
    provider: str | None = None
    resource_type: str = RESOURCE_TYPE
    port: int = 0
    port_line: str = ""
    startup_seconds: float = 0.0
    """From ``Popen`` to the port line, plus until the gRPC channel was ready."""
    transcript: list[TranscriptEntry] = field(default_factory=list)
    _stdout: list[bytes] = field(default_factory=list)
    _stderr: list[bytes] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _first_line: threading.Event = field(default_factory=threading.Event)
    channel: grpc.Channel | None = None
    stub: provider_pb2_grpc.ResourceProviderStub | None = None
    returncode: int | None = None

    @classmethod
    def start(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] = REPO_ROOT,
        provider: str | None = None,
        timeout: float = START_TIMEOUT_SECONDS,
        resource_type: str = RESOURCE_TYPE,
    ) -> ProviderHost:
        """Start the host in ``cwd`` with ``host_env(env)``; wait for the port and the channel."""
        began = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:1"],
            cwd=os.fspath(cwd),
            env=host_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        host = cls(proc=proc, provider=provider, resource_type=resource_type)
        host._drain(proc.stdout, host._stdout, first_line=True)
        host._drain(proc.stderr, host._stderr)
        if not host._first_line.wait(timeout) or not host.port_line.strip().isdigit():
            host.close()
            raise HostStartError(
                f"the host printed no port (first line {host.port_line!r}); stderr:\n{host.stderr}"
            )
        host.port = int(host.port_line)
        host.channel = grpc.insecure_channel(f"127.0.0.1:{host.port}")
        try:
            grpc.channel_ready_future(host.channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            host.close()
            raise HostStartError(f"no gRPC connection to port {host.port}; stderr:\n{host.stderr}") from None
        host.stub = provider_pb2_grpc.ResourceProviderStub(host.channel)
        host.startup_seconds = time.monotonic() - began
        return host

    def _drain(self, stream: Any, sink: list[bytes], first_line: bool = False) -> None:
        def run() -> None:
            if first_line:
                self.port_line = stream.readline().decode(errors="replace").rstrip("\n")
                self._first_line.set()
            for chunk in iter(lambda: stream.read1(65536), b""):
                sink.append(chunk)
            if first_line:
                self._first_line.set()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self._threads.append(thread)

    # -- output ----------------------------------------------------------------------------

    @property
    def stdout(self) -> str:
        """What the host wrote to stdout after the port line."""
        return b"".join(self._stdout).decode(errors="replace")

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def close(self) -> None:
        """Close the channel, terminate (then kill) the host, and collect its remaining output."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.returncode = self.proc.returncode
        for thread in self._threads:
            thread.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> ProviderHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -----------------------------------------------------------------------------

    def _call(self, method: str, request_message: Any, request_dict: dict[str, Any]) -> Any:
        assert self.stub is not None, "host is closed"
        entry = TranscriptEntry(method, request_dict)
        self.transcript.append(entry)
        try:
            return getattr(self.stub, method)(request_message, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            entry.error = error.details() or ""
            raise HostCallError(method, error.code(), entry.error) from None

    def _urn(self, name: str) -> str:
        return urn(name, type_=self.resource_type)

    def _with_provider(self, props: Mapping[str, Any] | None) -> dict[str, Any]:
        props = dict(props or {})
        if self.provider is not None:
            props.setdefault(PROVIDER_KEY, self.provider)
        return props

    def get_plugin_info(self) -> str:
        return self._call("GetPluginInfo", empty_pb2.Empty(), {}).version

    def handshake(self) -> Any:
        return self._call("Handshake", provider_pb2.ProviderHandshakeRequest(), {})

    def configure(
        self, config: Mapping[str, Any] | None = None, *, secrets: Mapping[str, Any] | None = None
    ) -> ConfigureOutcome:
        """``Configure`` with namespaced keys (``bitmovin:apiUrl``); ``secrets`` are sent wrapped.

        Must be the host's first call for a given ``__provider``: the host configures each
        provider instance once, on first use, with the config it has at that moment.
        """
        args = dict(config or {})
        args.update({key: rpc.wrap_rpc_secret(value) for key, value in (secrets or {}).items()})
        reply = self._call("Configure", provider_pb2.ConfigureRequest(args=to_struct(args)), args)
        outcome = ConfigureOutcome(
            accept_secrets=reply.acceptSecrets,
            supports_preview=reply.supportsPreview,
            accept_resources=reply.acceptResources,
            accept_outputs=reply.acceptOutputs,
        )
        self.transcript[-1].response = outcome
        return outcome

    def _change_request(
        self,
        request_type: Any,
        id_: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        old_inputs: Mapping[str, Any] | None,
        name: str,
    ) -> tuple[Any, dict[str, Any]]:
        """A Diff or Update request (they carry the same fields), and what the transcript records of it."""
        olds, news = self._with_provider(olds), self._with_provider(news)
        old_inputs = self._with_provider(old_inputs) if old_inputs is not None else None
        request = request_type(
            id=id_,
            urn=self._urn(name),
            name=name,
            type=self.resource_type,
            olds=to_struct(olds),
            news=to_struct(news),
            old_inputs=to_struct(old_inputs) if old_inputs is not None else None,
        )
        return request, {"olds": olds, "news": news, "old_inputs": old_inputs}

    def check(
        self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None, *, name: str = "export"
    ) -> CheckOutcome:
        news, olds = self._with_provider(news), dict(olds or {})
        request = provider_pb2.CheckRequest(urn=self._urn(name), olds=to_struct(olds), news=to_struct(news))
        reply = self._call("Check", request, {"olds": olds, "news": news})
        outcome = CheckOutcome(
            inputs=from_struct(reply.inputs), failures=[(f.property, f.reason) for f in reply.failures]
        )
        self.transcript[-1].response = outcome
        return outcome

    def diff(
        self,
        id_: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        name: str = "export",
    ) -> DiffOutcome:
        """``olds`` = old outputs (state), ``news`` = checked new inputs, as the engine sends them."""
        request, sent = self._change_request(provider_pb2.DiffRequest, id_, olds, news, old_inputs, name)
        reply = self._call("Diff", request, sent)
        outcome = DiffOutcome(
            changes=DIFF_NAMES[reply.changes],
            replaces=list(reply.replaces),
            delete_before_replace=reply.deleteBeforeReplace,
            stables=list(reply.stables),
            diffs=list(reply.diffs),
            has_detailed_diff=reply.hasDetailedDiff,
        )
        self.transcript[-1].response = outcome
        return outcome

    def create(self, properties: Mapping[str, Any], *, name: str = "export") -> CreateOutcome:
        """``properties`` = checked inputs."""
        props = self._with_provider(properties)
        request = provider_pb2.CreateRequest(urn=self._urn(name), properties=to_struct(props))
        reply = self._call("Create", request, {"properties": props})
        outcome = CreateOutcome(id=reply.id, properties=from_struct(reply.properties))
        self.transcript[-1].response = outcome
        return outcome

    def read(
        self,
        id_: str,
        properties: Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        *,
        name: str = "export",
    ) -> ReadOutcome:
        """Refresh: ``properties`` = old outputs, ``inputs`` = old inputs."""
        props = self._with_provider(properties)
        ins = self._with_provider(inputs) if inputs is not None else None
        request = provider_pb2.ReadRequest(
            id=id_, urn=self._urn(name), properties=to_struct(props), inputs=to_struct(ins) if ins else None
        )
        reply = self._call("Read", request, {"properties": props, "inputs": ins})
        outcome = ReadOutcome(
            id=reply.id,
            properties=from_struct(reply.properties),
            inputs=from_struct(reply.inputs) if reply.HasField("inputs") else None,
        )
        self.transcript[-1].response = outcome
        return outcome

    def update(
        self,
        id_: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        name: str = "export",
    ) -> dict[str, Any]:
        request, sent = self._change_request(provider_pb2.UpdateRequest, id_, olds, news, old_inputs, name)
        reply = self._call("Update", request, sent)
        outs = from_struct(reply.properties)
        self.transcript[-1].response = outs
        return outs

    def delete(
        self,
        id_: str,
        properties: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        name: str = "export",
    ) -> None:
        """``properties`` = old outputs (state)."""
        props = self._with_provider(properties)
        old_inputs = self._with_provider(old_inputs) if old_inputs is not None else None
        request = provider_pb2.DeleteRequest(
            id=id_,
            urn=self._urn(name),
            name=name,
            type=self.resource_type,
            properties=to_struct(props),
            old_inputs=to_struct(old_inputs) if old_inputs is not None else None,
        )
        self._call("Delete", request, {"properties": props, "old_inputs": old_inputs})
