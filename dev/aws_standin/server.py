"""The gRPC ResourceProvider service the engine talks to, and the plugin's life around it.

- Started by the engine with its address as the one argument: prints its port, says in one engine
  warning that the stand-in serves this run, and exits when the engine is gone (it polls the engine's
  gRPC health service, as Pulumi's Go plugins do with ``rpcutil.Healthcheck`` in pulumi/pulumi
  ``sdk/go/common/util/rpcutil/health.go``, every 5 minutes there; every second here) or on SIGINT/SIGTERM.
- Without an argument it serves for ``PULUMI_DEBUG_PROVIDERS`` (the engine then calls ``Attach``).
- Secrets: ``Configure`` answers ``acceptSecrets=False``, so the engine unwraps them and marks outputs
  secret itself; nothing here logs a property value.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent import futures
from importlib import metadata
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, plugin_pb2, provider_pb2, provider_pb2_grpc

from dev.aws_standin import checks, config, invokes, resources
from dev.aws_standin.aws import Aws
from dev.aws_standin.schema import RESOURCES, ResourceSpec

HEALTH_INTERVAL_SECONDS = 1.0
NOTICE = (
    "pulumi-resource-aws is the project's stand-in (dev/aws_standin), not pulumi-aws: AWS calls go to "
    "the local endpoints of aws:endpoints (moto); see docs/aws-standin.md"
)
_HEALTH_CHECK = "/grpc.health.v1.Health/Check"


def sdk_version() -> str:
    """The pulumi_aws SDK's version: the plugin version the program asks the engine for."""
    return metadata.version("pulumi_aws")


def to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as plain Python, integral numbers as ints (the wire carries only doubles)."""
    return _ints(json_format.MessageToDict(message))


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_ints(item) for item in value]
    return value


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update({key: value for key, value in values.items() if value is not None})
    return message


def token_of(urn: str) -> str:
    """The resource type of ``urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>``."""
    return urn.split("::")[2].split("$")[-1]


class EngineLog:
    """Warnings through the engine's Log service: the CLI shows them (stderr of a plugin it hides)."""

    def __init__(self) -> None:
        self.address: str | None = None
        self._said = False
        self._lock = threading.Lock()

    def notice_once(self) -> None:
        with self._lock:
            if self._said or self.address is None:
                return
            self._said = True
        with grpc.insecure_channel(self.address) as channel:
            engine_pb2_grpc.EngineStub(channel).Log(
                engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=NOTICE), timeout=10
            )


class Provider(provider_pb2_grpc.ResourceProviderServicer):
    """The ResourceProvider service: one configured provider per plugin process, as the engine starts them."""

    def __init__(self, log: EngineLog) -> None:
        self._log = log
        self._aws: Aws | None = None

    # -- plugin and provider config -----------------------------------------------------------------

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=sdk_version())

    def Attach(self, request: Any, context: Any) -> Any:
        self._log.address = request.address
        return empty_pb2.Empty()

    def GetSchema(self, request: Any, context: Any) -> Any:
        # Names only: the stand-in has no schema of its own to offer (docs/aws-standin.md).
        schema = {
            "name": "aws",
            "version": sdk_version(),
            "description": NOTICE,
            "resources": {token: {} for token in RESOURCES},
            "functions": {token: {} for token in invokes.INVOKES},
        }
        return provider_pb2.GetSchemaResponse(schema=json.dumps(schema))

    def CheckConfig(self, request: Any, context: Any) -> Any:
        news = to_dict(request.news)
        try:
            config.parse(news)
        except config.ConfigError as error:
            key = str(error).split(" ", 1)[0].removeprefix("aws:")
            return provider_pb2.CheckResponse(
                failures=[provider_pb2.CheckFailure(property=key, reason=str(error))]
            )
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> Any:
        # A config change (a moved endpoint, new keys) updates the provider in place and replaces no
        # resource: UNCONFIRMED how pulumi-aws's bridge diffs every key; the program never changes them.
        olds, news = to_dict(request.olds), to_dict(request.news)
        changed = sorted(key for key in set(olds) | set(news) if olds.get(key) != news.get(key))
        kind = provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE
        return provider_pb2.DiffResponse(changes=kind, diffs=changed)

    def Configure(self, request: Any, context: Any) -> Any:
        args = to_dict(request.args)
        if not args:  # an engine that sends only the variables: "aws:region" -> "region"
            args = {
                key.split(":", 1)[-1].removeprefix("config:"): value
                for key, value in request.variables.items()
            }
        try:
            self._aws = Aws(config.parse(args))
        except config.ConfigError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        self._log.notice_once()
        return provider_pb2.ConfigureResponse(acceptSecrets=False, supportsPreview=True)

    @property
    def aws(self) -> Aws:
        if self._aws is None:
            raise RuntimeError("the aws stand-in was not configured")
        return self._aws

    # -- resources --------------------------------------------------------------------------------

    def _spec(self, urn: str, context: Any) -> ResourceSpec:
        token = token_of(urn)
        spec = RESOURCES.get(token)
        if spec is None:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"the aws stand-in (dev/aws_standin) does not serve {token}: it serves only "
                f"{', '.join(sorted(RESOURCES))} (docs/aws-standin.md)",
            )
        return spec  # type: ignore[return-value]

    def Check(self, request: Any, context: Any) -> Any:
        spec = self._spec(request.urn, context)
        inputs, failures = checks.check(spec, to_dict(request.news))
        return provider_pb2.CheckResponse(
            inputs=to_struct(inputs),
            failures=[provider_pb2.CheckFailure(property=f.property, reason=f.reason) for f in failures],
        )

    def Diff(self, request: Any, context: Any) -> Any:
        spec = self._spec(request.urn, context)
        result = checks.diff(spec, to_dict(request.olds), to_dict(request.news))
        ignored = set(request.ignoreChanges)
        changed = [name for name in result.changed if name not in ignored]
        replaces = [name for name in result.replaces if name not in ignored]
        kind = provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE
        detailed = {
            name: provider_pb2.PropertyDiff(
                kind=provider_pb2.PropertyDiff.UPDATE_REPLACE
                if name in replaces
                else provider_pb2.PropertyDiff.UPDATE,
                inputDiff=True,
            )
            for name in changed
        }
        return provider_pb2.DiffResponse(
            changes=kind, diffs=changed, replaces=replaces, detailedDiff=detailed, hasDetailedDiff=True
        )

    def Create(self, request: Any, context: Any) -> Any:
        token = token_of(request.urn)
        self._spec(request.urn, context)
        inputs = to_dict(request.properties)
        if request.preview:
            return provider_pb2.CreateResponse(id="", properties=to_struct(self._preview(token, inputs)))
        resource_id, outputs = self._call(
            context, lambda: resources.OPERATIONS[token].create(self.aws, inputs)
        )
        return provider_pb2.CreateResponse(id=resource_id, properties=to_struct(outputs))

    def Read(self, request: Any, context: Any) -> Any:
        spec = self._spec(request.urn, context)
        olds = {**to_dict(request.inputs), **to_dict(request.properties)}
        ops = resources.OPERATIONS[spec.token]
        outputs = self._call(context, lambda: ops.read(self.aws, request.id, olds))
        if outputs is None:
            return provider_pb2.ReadResponse(id="")  # gone: the engine drops it from the state
        inputs = {name: outputs[name] for name in to_dict(request.inputs) if name in outputs}
        return provider_pb2.ReadResponse(
            id=request.id, properties=to_struct(outputs), inputs=to_struct(inputs)
        )

    def Update(self, request: Any, context: Any) -> Any:
        token = token_of(request.urn)
        self._spec(request.urn, context)
        olds, news = to_dict(request.olds), to_dict(request.news)
        if request.preview:
            return provider_pb2.UpdateResponse(properties=to_struct({**olds, **news}))
        outputs = self._call(
            context, lambda: resources.OPERATIONS[token].update(self.aws, request.id, olds, news)
        )
        return provider_pb2.UpdateResponse(properties=to_struct(outputs))

    def Delete(self, request: Any, context: Any) -> Any:
        token = token_of(request.urn)
        self._spec(request.urn, context)
        olds = {**to_dict(request.old_inputs), **to_dict(request.properties)}
        self._call(context, lambda: resources.OPERATIONS[token].delete(self.aws, request.id, olds))
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> Any:
        function = invokes.INVOKES.get(request.tok)
        if function is None:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"the aws stand-in (dev/aws_standin) does not serve the function {request.tok}: it serves only "
                f"{', '.join(sorted(invokes.INVOKES))}",
            )
        args = to_dict(request.args)
        result = self._call(context, lambda: function(self.aws, args))  # type: ignore[misc]
        return provider_pb2.InvokeResponse(**{"return": to_struct(result)})

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def _preview(self, token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """A planned create: the inputs, and every computed output unknown."""
        spec = RESOURCES[token]
        computed = {name: checks.UNKNOWN for name, prop in spec.props.items() if not prop.input}
        return {**computed, **inputs}

    @staticmethod
    def _call(context: Any, call: Callable[[], Any]) -> Any:
        """``call()``; an AWS or argument error reaches the engine as the operation's error, with its text."""
        try:
            return call()
        except (invokes.InvokeError, config.ConfigError) as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except Exception as error:  # botocore's errors: their text is the message
            context.abort(grpc.StatusCode.UNKNOWN, f"aws stand-in: {type(error).__name__}: {error}")


def engine_alive(address: str, timeout: float = 5.0) -> bool:
    """The engine's health service answers (UNIMPLEMENTED counts as alive, as in rpcutil.Healthcheck)."""
    with grpc.insecure_channel(address) as channel:
        check = channel.unary_unary(_HEALTH_CHECK, request_serializer=bytes, response_deserializer=bytes)
        try:
            check(b"", timeout=timeout)
        except grpc.RpcError as error:
            return error.code() == grpc.StatusCode.UNIMPLEMENTED
    return True


def main(args: list[str]) -> None:
    engine = next((arg for arg in args if not arg.startswith("-")), None)
    log = EngineLog()
    log.address = engine
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(Provider(log), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(HEALTH_INTERVAL_SECONDS):
        if engine is not None and not engine_alive(engine):
            break
    server.stop(grace=1).wait()
    sys.exit(0)
