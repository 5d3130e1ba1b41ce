"""Running the real Pulumi engine (layer 6 tests and ``dev/benchmark.py engine``) against a copy of a project, never the checkout.

The engine is the one ``scripts/engine`` builds (or any ``pulumi`` on PATH with its Python language
host and dynamic-provider plugin beside it). Every command runs with a file backend and HOME /
PULUMI_HOME in the test's temporary directory, a passphrase secrets provider, no update check and no
plugin downloads unless asked for (``PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION``: pulumi-aws's ``pulumi-plugin.json``
would otherwise make every preview try to download the aws plugin). Nothing of the user's shell
reaches the engine: AWS, Bitmovin and Pulumi variables are dropped.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dev.support import REPO_ROOT


def running_venv() -> Path | None:
    """The virtual environment running this Python (the tests' or the benchmark's), or None."""
    return Path(sys.prefix) if sys.prefix != sys.base_prefix else None


PULUMI = shutil.which("pulumi")
ENGINE_DIR = Path(PULUMI).resolve().parent if PULUMI else None
# What the engine needs beside `pulumi` for a Python program with dynamic resources.
COMPANIONS = ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python")
PASSPHRASE = "engine-tests-only"
COMMAND_TIMEOUT_SECONDS = 300
ENGINE_PROJECT = REPO_ROOT / "tests" / "engine_project"
# The real program, as copy_program() copies it (verify/ too, for `python -m verify` in the copy).
PROGRAM_FILES = ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.local.yaml", "__main__.py", "requirements.txt")
PROGRAM_DIRS = ("analytics_export", "providers", "bitmovin_api", "verify")
# Dropped from the engine's environment: the user's accounts, backend and Pulumi settings.
_FOREIGN_PREFIXES = ("AWS_", "BITMOVIN_", "PULUMI_", "SANDBOX_")


def engine_missing_reason() -> str | None:
    """Why the engine tests cannot run here, or None."""
    if PULUMI is None or ENGINE_DIR is None:
        return (
            "no `pulumi` binary on PATH: the engine tests need the engine that scripts/engine builds "
            '(PATH="$(scripts/engine | tail -n 1):$PATH")'
        )
    missing = [name for name in COMPANIONS if not os.access(ENGINE_DIR / name, os.X_OK)]
    if missing:
        return f"`pulumi` at {PULUMI} has no {', '.join(missing)} beside it (scripts/engine builds all four)"
    if running_venv() is None:
        return "the engine tests must run inside a virtual environment: the test programs' runtime uses it"
    return None


def skip_without_engine() -> Any:
    """``pytest.mark.skipif`` with the reason the engine tests cannot run here, if any."""
    import pytest  # only the tests need it

    reason = engine_missing_reason()
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def engine_env(
    home: Path, extra: Mapping[str, str] | None = None, *, plugin_downloads: bool = False
) -> dict[str, str]:
    """The environment every engine command gets: a private HOME, a file backend, no downloads
    (``plugin_downloads``: the engine may download plugins, e.g. pulumi-aws's, into that HOME)."""
    venv = running_venv()
    assert venv is not None
    env = {key: value for key, value in os.environ.items() if not key.startswith(_FOREIGN_PREFIXES)}
    (home / "state").mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "HOME": str(home),
            "PULUMI_HOME": str(home / ".pulumi"),
            "PULUMI_BACKEND_URL": f"file://{home / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # The language host built here ignores Pulumi.yaml's runtime options (docs/engine.md):
            # it runs the first python3 on PATH, which must be the virtual environment's.
            "PATH": os.pathsep.join([str(venv / "bin"), str(ENGINE_DIR), env.get("PATH", "")]),
        }
    )
    if plugin_downloads:
        del env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"]
    env.update(extra or {})
    return env


def copy_engine_project(
    target: Path,
    source: Path = ENGINE_PROJECT,
    dirs: Iterable[str] = ("providers", "bitmovin_api"),
    files: Iterable[str] | None = None,
    *,
    root: Path = REPO_ROOT,
    exist_ok: bool = False,
) -> Path:
    """``source``'s files (all, or only ``files``) plus the ``dirs`` of ``root`` (the checkout, or an
    older release's tree) in ``target`` (``exist_ok``: over what is there), ``virtualenv`` set to the
    tests' venv."""
    if files is None:
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        target.mkdir(parents=True, exist_ok=exist_ok)
        for name in files:
            shutil.copy2(source / name, target / name)
    for name in dirs:
        shutil.copytree(root / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    project_file = target / "Pulumi.yaml"
    text = project_file.read_text()
    assert "virtualenv: venv" in text
    project_file.write_text(text.replace("virtualenv: venv", f"virtualenv: {running_venv()}"))
    return target


def copy_program(
    target: Path, dirs: Iterable[str] = PROGRAM_DIRS, *, root: Path = REPO_ROOT, exist_ok: bool = False
) -> Path:
    """The real program (``Pulumi.yaml``, the committed stack files, ``__main__.py``) of ``root`` (the
    checkout, or an older release's tree) in ``target``."""
    return copy_engine_project(
        target, source=root, dirs=dirs, files=PROGRAM_FILES, root=root, exist_ok=exist_ok
    )


@dataclass
class EngineStack:
    """One stack of a project copy, driven through the real CLI."""

    project: Path
    env: dict[str, str]
    name: str
    transcript: list[str] = field(default_factory=list)

    def run(
        self, *args: str, timeout: float = COMMAND_TIMEOUT_SECONDS, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """One command; its output goes into ``transcript``. ``stdin`` is its standard input (a secret
        value for ``pulumi config set``, which reads it there when given none: never an argument)."""
        end = args.index("--") if "--" in args else len(args)  # flags before `--`, values after it
        command = [str(PULUMI), *args[:end], "--non-interactive", *args[end:]]
        result = subprocess.run(
            command,
            cwd=self.project,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.transcript.append(f"$ pulumi {' '.join(args)}\n{result.stdout}{result.stderr}")
        return result

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 0, f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def fails(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode != 0, f"pulumi {' '.join(args)} succeeded:\n{result.stdout}"
        return result.stdout + result.stderr

    def stack_args(self) -> tuple[str, str]:
        return ("--stack", self.name)

    def init(self) -> EngineStack:
        self.ok("stack", "init", self.name, "--secrets-provider", "passphrase", "--no-select")
        return self

    def config_set(self, key: str, value: str, *, secret: bool = False) -> None:
        """As users are taught to: a secret's value on standard input, never on the command line."""
        if secret:
            self.ok("config", "set", *self.stack_args(), "--secret", key, stdin=value)
        else:
            self.ok("config", "set", *self.stack_args(), key, "--", value)

    def up(self, *extra: str) -> str:
        return self.ok("up", *self.stack_args(), "--yes", "--skip-preview", *extra)

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.ok("stack", "output", *self.stack_args(), "--json", "--show-secrets"))

    def export(self) -> dict[str, Any]:
        return json.loads(self.ok("stack", "export", *self.stack_args()))

    def resources(self, type_suffix: str) -> list[dict[str, Any]]:
        deployment = self.export()["deployment"]
        return [r for r in deployment.get("resources", []) if r["type"].endswith(type_suffix)]

    def pickled_provider(self, type_suffix: str) -> bytes:
        """The ``__provider`` of the one resource of that type, decrypted and un-base64'd: the pickle
        the engine hands the provider host."""
        revealed = json.loads(self.ok("stack", "export", *self.stack_args(), "--show-secrets"))
        (resource,) = [r for r in revealed["deployment"]["resources"] if r["type"].endswith(type_suffix)]
        serialized = resource["inputs"]["__provider"]
        plaintext = serialized["plaintext"] if isinstance(serialized, dict) else serialized
        return base64.b64decode(json.loads(plaintext) if plaintext.startswith('"') else plaintext)

    def state_file(self) -> Path:
        """The checkpoint the file backend writes for this stack."""
        state = Path(self.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
        (found,) = state.glob(f".pulumi/stacks/*/{self.name}.json")
        return found

    def start(self, *args: str) -> subprocess.Popen[str]:
        """A command in its own process group, to be killed the way a cancelled CI job kills it."""
        return subprocess.Popen(
            [str(PULUMI), *args, "--non-interactive"],
            cwd=self.project,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def kill_group(process: subprocess.Popen[str], project: Path) -> str:
    """SIGKILL the CLI's whole process group, as a cancelled CI job does, and reap it.

    The engine starts its plugins (the dynamic-provider host among them) in process groups of their
    own, so they outlive the CLI's group; they are killed too (``reap_leftovers``).
    """
    os.killpg(process.pid, signal.SIGKILL)
    output, _ = process.communicate(timeout=60)
    reap_leftovers(project)
    return output


def reap_leftovers(directory: Path) -> list[int]:
    """SIGKILL every process still working in ``directory`` (a test's own project copy or temporary
    directory): a ``python -m pulumi.dynamic`` host or a plugin that outlived its engine. Returns their pids.

    Only they are killed: a process counts as the test's when its working directory is ``directory``
    or below it, and never this process itself.
    """
    killed: list[int] = []
    deadline = time.monotonic() + 30  # a bound, not a measurement: SIGKILL takes effect at once
    while (leftovers := processes_working_in(directory)) and time.monotonic() < deadline:
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.05)
    return sorted(set(killed))


def processes_working_in(directory: Path) -> list[int]:
    """Pids of the processes whose working directory is ``directory`` or below it (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:  # gone, or not ours to read
            continue
        if cwd == directory or directory in cwd.parents:
            found.append(int(entry.name))
    return found


class FleetProject:
    """A copy of the provider-only project (with fleet/) and its engine environment."""

    def __init__(self, tmp_path: Path, emulator: Any, *, api_key: str, secret_value: str) -> None:
        self.project = copy_engine_project(tmp_path / "project", dirs=("providers", "bitmovin_api", "fleet"))
        self.env = engine_env(tmp_path / "home")
        self.api_url = emulator.base_url
        self.api_key, self.secret_value = api_key, secret_value
        self._template: Path | None = None

    def add_stack(self, name: str) -> EngineStack:
        """A stack with its own Pulumi.<name>.yaml: the API key as a secret, the emulator's URL.

        The first stack is configured with ``pulumi config set``; later ones start from a copy of its
        file (the passphrase provider reuses the file's salt, so its secure values decrypt)."""
        stack = EngineStack(self.project, self.env, name)
        if self._template is None:
            stack.init()
            stack.config_set("bitmovin:apiKey", self.api_key, secret=True)
            stack.config_set("bitmovin:apiUrl", self.api_url)
            stack.config_set("secretValue", self.secret_value, secret=True)
            self._template = self.project / f"Pulumi.{name}.yaml"
        else:
            shutil.copy2(self._template, self.project / f"Pulumi.{name}.yaml")
            stack.init()
        stack.config_set("outputName", f"fleet-{name}")
        return stack

    def fleet(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fleet", *args, "--include-local", "--project-dir", str(self.project)],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    def fleet_ok(self, *args: str) -> str:
        result = self.fleet(*args)
        assert result.returncode == 0, f"fleet {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout
