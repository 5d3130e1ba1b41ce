"""Run ``examples/consumer/__main__.py`` under ``pulumi.runtime.set_mocks``, in a fresh subprocess.

The export stack it references is a stand-in: the mock answers the ``pulumi:pulumi:StackReference``
read with the outputs given here, as the engine would from the referenced stack's state (secret
ones wrapped as secrets). Every other resource echoes its inputs, plus an ARN for IAM roles. The child
prints one JSON line after :data:`MARKER`; :func:`run_consumer` parses it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONSUMER_DIR = REPO / "examples" / "consumer"
PROJECT = "bitmovin-analytics-consumer"
MARKER = "@@CONSUMER-RESULT@@"
MOCK_ACCOUNT = "210987654321"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
SECRET_SIG = "4dabf18193072939515e22adb298388d"


@dataclass
class ConsumerRun:
    error: str | None
    resources: list[dict[str, Any]]  # type, name, inputs (plain), provider
    stack_outputs: dict[str, Any]
    references: list[str]  # the stack names read through StackReference
    stderr: str

    def one(self, type_: str) -> dict[str, Any]:
        found = [r for r in self.resources if r["type"] == type_]
        assert len(found) == 1, f"expected one {type_}, got {[r['name'] for r in found]}"
        return found[0]


def run_consumer(
    config: dict[str, Any],
    export_outputs: dict[str, Any],
    *,
    secret_outputs: tuple[str, ...] = (),
    stack: str = "acme-prod",
    timeout: float = 60,
) -> ConsumerRun:
    request = {
        "config": config,
        "export_outputs": export_outputs,
        "secret_outputs": list(secret_outputs),
        "stack": stack,
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PULUMI_", "AWS_"))}
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    from tests.support import run_marked_child  # parent side only: the child runs as a plain script

    data, proc = run_marked_child(
        [sys.executable, str(Path(__file__).resolve())],
        request,
        marker=MARKER,
        cwd=CONSUMER_DIR,
        env=env,
        timeout=timeout,
    )  # as `pulumi up` runs it: the program's own modules import from here
    return ConsumerRun(
        data["error"], data["resources"], data["stack_outputs"], data["references"], proc.stderr
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return _plain(value.get("value"))
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _child() -> None:
    request = json.loads(sys.stdin.read())
    config = {(key if ":" in key else f"{PROJECT}:{key}"): value for key, value in request["config"].items()}
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    sys.path.insert(0, str(CONSUMER_DIR))

    import asyncio
    import runpy
    import traceback

    import pulumi
    from google.protobuf import json_format
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import settings as pulumi_settings

    resources: list[dict[str, Any]] = []
    references: list[str] = []
    stack_outputs: dict[str, Any] = {}
    secret_names = set(request["secret_outputs"])

    class Mocks(pulumi.runtime.Mocks):
        def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
            if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    "accountId": MOCK_ACCOUNT,
                    "arn": f"arn:aws:iam::{MOCK_ACCOUNT}:user/x",
                    "userId": "x",
                }
            if args.token == "aws:index/getPartition:getPartition":
                return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
            raise NotImplementedError(args.token)

        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
            inputs = dict(args.inputs)
            if args.typ == STACK_REFERENCE:
                references.append(inputs["name"])
                return inputs["name"], {
                    "name": inputs["name"],
                    "outputs": request["export_outputs"],
                    "secretOutputNames": sorted(secret_names & set(request["export_outputs"])),
                }
            resources.append(
                {"type": args.typ, "name": args.name, "inputs": inputs, "provider": args.provider}
            )
            if args.typ == "aws:iam/role:Role":
                return f"{args.name}-id", {
                    **inputs,
                    "arn": f"arn:aws:iam::{MOCK_ACCOUNT}:role/{args.name}-abc",
                }
            if args.typ == "aws:glue/crawler:Crawler":
                return f"{args.name}-abc", {**inputs, "name": f"{args.name}-abc"}
            return f"{args.name}-id", inputs

    class Monitor(pulumi_mocks.MockMonitor):
        def RegisterResourceOutputs(self, req: Any) -> Any:
            if "::pulumi:pulumi:Stack::" in req.urn:
                stack_outputs.update(_plain(json_format.MessageToDict(req.outputs)))
            return super().RegisterResourceOutputs(req)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = Mocks()
    pulumi.runtime.set_all_config(config, [])
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=request["stack"], preview=False, monitor=Monitor(mocks)
    )
    pulumi_settings.set_root_resource(None)  # let run_in_stack create the stack and register its outputs
    error = None
    try:
        loop.run_until_complete(
            pulumi.runtime.run_in_stack(
                lambda: runpy.run_path(str(CONSUMER_DIR / "__main__.py"), run_name="__main__")
            )
        )
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    result = {
        "error": error,
        "resources": resources,
        "stack_outputs": stack_outputs,
        "references": references,
    }
    print(MARKER + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    _child()
