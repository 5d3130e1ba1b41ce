"""The whole program (``__main__.py``) through the real engine, offline: the ``local`` stack of a
project copy, its AWS side served by the stand-in (``dev/aws_standin``) against a moto server of its
own, its Bitmovin side by an emulator of its own (layer 6; docs/aws-standin.md).

Used by ``tests/engine/test_whole_program.py`` (one lifecycle), the transition matrix
(``dev/support/transitions.py``) and the upgrade test (a stack deployed by the previous release's
code, then run with this release's: ``replace_program``).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml

from dev.bitmovin_emulator import EmulatorServer
from dev.support import REPO_ROOT
from dev.support.aws_loop import MotoServer
from dev.support.engine import PROGRAM_DIRS, EngineStack, copy_program, engine_env
from dev.support.sandbox_support import load_sandbox

sandbox = load_sandbox()  # the local stack's passphrase and the emulator key its config encrypts
STACK = "local"
STANDIN_BIN = REPO_ROOT / "dev" / "aws_standin" / "bin"
REGION = "us-east-1"  # Pulumi.local.yaml's
STACK_FILE = f"Pulumi.{STACK}.yaml"


@dataclass
class AwsRequest:
    method: str
    path: str
    action: str  # the query protocol's Action (IAM, STS), "" for S3

    @property
    def write(self) -> bool:
        if self.action:
            return not self.action.startswith(("Get", "List"))
        return self.method not in ("GET", "HEAD")


@dataclass
class Recorder:
    """Every request moto answers (its WSGI app wrapped): the AWS side of the figures."""

    requests: list[AwsRequest] = field(default_factory=list)

    def wrap(self, app: Any) -> Any:
        def recording(environ: dict[str, Any], start_response: Any) -> Any:
            action = ""
            if environ["REQUEST_METHOD"] == "POST" and "form" in environ.get("CONTENT_TYPE", ""):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length)
                action = parse_qs(body.decode()).get("Action", [""])[0]
                environ["wsgi.input"] = io.BytesIO(body)
            self.requests.append(AwsRequest(environ["REQUEST_METHOD"], environ["PATH_INFO"], action))
            return app(environ, start_response)

        return recording

    def writes(self) -> list[AwsRequest]:
        return [request for request in self.requests if request.write]


@dataclass
class WholeProgram:
    """The ``local`` stack of one project copy, with the moto server and emulator it runs against."""

    stack: EngineStack
    emulator: EmulatorServer
    moto: MotoServer
    aws_log: Recorder
    home: Path
    figures: dict[str, Any] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict)

    def aws(self, service: str) -> Any:
        """A boto3 client of the moto server in the stack's region (made once per service)."""
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.moto.url,
                region_name=REGION,
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
        return self._clients[service]

    def timed(self, *args: str) -> tuple[str, float]:
        started = time.perf_counter()
        output = self.stack.ok(*args)
        return output, time.perf_counter() - started

    def clear_logs(self) -> None:
        self.emulator.requests.clear()
        self.aws_log.requests.clear()


def local_stack_file(moto_url: str, emulator_url: str, source: Path = REPO_ROOT) -> str:
    """``source``'s committed ``Pulumi.local.yaml`` with its endpoints moved to this moto and emulator."""
    text = (source / STACK_FILE).read_text()
    config = yaml.safe_load(text)["config"]
    (endpoints,) = config["aws:endpoints"]
    for url in set(endpoints.values()):
        text = text.replace(url, moto_url)
    return text.replace(config["bitmovin:apiUrl"], emulator_url)


@contextmanager
def whole_program(
    tmp: Path, *, api_keys: Collection[str] = (sandbox.EMULATOR_API_KEY,), source: Path = REPO_ROOT
) -> Iterator[WholeProgram]:
    """An initialised ``local`` stack of a copy of ``source``'s program (the checkout, or an older
    release's tree), the stand-in first on the engine's PATH; the stack is removed afterwards."""
    aws_log = Recorder()
    with MotoServer() as moto, EmulatorServer(api_keys=set(api_keys)) as emulator:
        moto.reset()  # moto's backends are the process's: empty what an earlier module left
        werkzeug = moto._server._server  # ThreadedMotoServer's werkzeug server: wrap its WSGI app
        assert werkzeug is not None
        werkzeug.app = aws_log.wrap(werkzeug.app)
        project = copy_program(tmp / "project", root=source)
        (project / STACK_FILE).write_text(local_stack_file(moto.url, emulator.base_url, source))
        env = engine_env(tmp / "home", {"PULUMI_CONFIG_PASSPHRASE": sandbox.PASSPHRASE})
        env["PATH"] = f"{STANDIN_BIN}:{env['PATH']}"
        stack = EngineStack(project, env, STACK).init()
        try:
            yield WholeProgram(stack, emulator, moto, aws_log, tmp / "home")
        finally:
            stack.run("stack", "rm", STACK, "--yes", "--force")


def replace_program(project: Path, source: Path = REPO_ROOT) -> None:
    """Put ``source``'s program into ``project`` in place of the one there, keeping the stack file
    (its config and endpoints): an upgrade of the code under a deployed stack."""
    for name in PROGRAM_DIRS:
        shutil.rmtree(project / name)
    kept = (project / STACK_FILE).read_text()
    copy_program(project, root=source, exist_ok=True)
    (project / STACK_FILE).write_text(kept)


# The previous release: main before issue 23's changes (and issue 22's), the code whose state this
# release must keep refreshing, previewing and destroying (tests/engine/test_upgrade.py).
PREVIOUS_RELEASE = "eb6009f11d12e25b09bd56c7b84ff5d7efa0a97e"


def release_tree(commit: str, target: Path) -> Path:
    """The checkout's tree at ``commit`` (from its git history, ``git archive``) in ``target``."""
    git = shutil.which("git")
    assert git is not None, "the upgrade test reads the previous release from git history: install git"
    target.mkdir(parents=True)
    archive = subprocess.run(
        [git, "-C", str(REPO_ROOT), "archive", "--format=tar", commit],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target
