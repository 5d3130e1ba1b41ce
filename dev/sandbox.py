#!/usr/bin/env python3
"""The whole stack on this machine, against local emulators: ``./sandbox up`` and ``./sandbox down``.

``up``    finds the Pulumi CLI first, before anything else happens: ``pulumi`` on PATH, else the
          project's engine, built (or taken from its cache) by ``scripts/engine``, which needs Go;
          creates the project's virtual environment if it is missing (``venv/``, the one ``Pulumi.yaml``
          names) and installs ``requirements-sandbox.lock`` (hash-locked) into it; starts moto (AWS S3,
          IAM, STS, with Bitmovin's IAM user) and the Bitmovin API emulator (acting as Bitmovin toward
          moto for export tasks) in the background and waits until both answer; creates the ``local``
          stack in a file backend under ``.sandbox/state`` if it is missing; runs ``pulumi up --stack
          local --yes`` with ``venv/bin`` first on PATH (the engine's old language host runs the first
          ``python3``) and, unless pulumi-aws's plugin is installed, the project's stand-in for it
          (``dev/aws_standin``); prints the stack outputs; records in ``.sandbox/session.json`` what
          ``python -m verify --stack local`` needs to check the stack.
``down``  destroys the ``local`` stack (the output and the role; the bucket is kept, as
          ``retainBucketOnDestroy`` says) against the emulators on the ports ``up`` recorded in
          ``.sandbox/ports.json``, then stops both emulators. Without a CLI (none on PATH, none recorded
          by ``up``) it says that the stack stays and stops the emulators all the same.
``env``   prints the environment for running ``pulumi`` by hand against the sandbox's backend.

Nothing outside the project directory is changed: no ``pulumi login``; the backend, the fixed
passphrase of the local stack and the emulator endpoints reach Pulumi only through the environment
and ``Pulumi.local.yaml``. AWS and Bitmovin variables of your shell are not passed on, so nothing
can reach a real account. Standard library only: this runs before the virtual environment exists.

Only processes this sandbox started are ever signalled. A PID file records the pid, the process's start
time (``/proc/<pid>/stat`` field 22 on Linux, ``ps -o lstart`` elsewhere), the boot it belongs to, the
port, the project directory and the exact command line; ``down`` signals a process only while all of
them still match, and its process group only when that process leads the group (it was started in a
session of its own). A PID file that does not match is reported and removed, never acted on.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACK = "local"
STACK_CONFIG = f"Pulumi.{STACK}.yaml"
SANDBOX_DIR = ".sandbox"
# Hash-locked (scripts/lock) from the ranges in requirements-sandbox.txt: a fresh machine installs
# exactly what the tests ran against, never whatever the ranges would allow that day.
SANDBOX_REQUIREMENTS = "requirements-sandbox.lock"
PULUMI_INSTALL_URL = "https://www.pulumi.com/docs/install/"
GO_INSTALL_URL = "https://go.dev/doc/install"
# Builds the project's Pulumi engine from Go modules (cached); its last stdout line is the directory.
ENGINE_SCRIPT = "scripts/engine"
ENGINE_NOTE = (
    "`pulumi` is not on PATH: building the project's Pulumi engine with scripts/engine. That needs Go 1.26 "
    f"or newer (`go` on PATH, {GO_INSTALL_URL}) and takes about 7-20 minutes the first time; later runs "
    "take seconds (cached under ~/.cache/bitmovin-analytics-export/engine). Without Go, install the Pulumi "
    f"CLI instead ({PULUMI_INSTALL_URL}) and run ./sandbox up again."
)
# The stand-in for pulumi-aws's plugin (docs/aws-standin.md), used where no real plugin is installed.
STANDIN_BIN = "dev/aws_standin/bin"
STANDIN_HANDOVER = "dev/aws_standin/handover.py"
# What `up` used, for `down` without a CLI and for `python -m verify --stack local` (verify/sandbox_session.py).
SESSION_FORMAT = 1
# Placeholders that open nothing but the sandbox's moto: Bitmovin's IAM user there (dev/sandbox_moto.py
# creates it with this key), the customer's credentials (moto accepts any), an Analytics license key
# (the emulator accepts any non-empty one).
BITMOVIN_AWS_KEYS = (
    ("EMULATOR_BITMOVIN_AWS_ACCESS_KEY_ID", "AKIASANDBOXBITMOVIN0"),
    ("EMULATOR_BITMOVIN_AWS_SECRET_ACCESS_KEY", "sandbox-bitmovin-user-not-a-secret"),
)
CUSTOMER_AWS_KEYS = (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"))
LICENSE_KEY = "sandbox-license-key-not-a-secret"
# Protects only the local stack's state under .sandbox/state; Pulumi.local.yaml's encryptionsalt
# belongs to it (tests/analytics_export/test_local_stack_config.py checks that they match).
PASSPHRASE = "local-sandbox-not-a-secret"
# The key the local Bitmovin emulator accepts. Pulumi.local.yaml holds it encrypted with PASSPHRASE
# (tests/analytics_export/test_local_stack_config.py decrypts it and compares).
EMULATOR_API_KEY = "local-sandbox-emulator-key"
MOTO_PORT_ENV = "SANDBOX_MOTO_PORT"
BITMOVIN_PORT_ENV = "SANDBOX_BITMOVIN_PORT"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
# Put into each emulator's command line (``python -X bitmovin_sandbox_project=<dir>``; Python keeps
# unknown -X options in sys._xoptions) so that the command line names the project that started it.
PROJECT_TAG = "bitmovin_sandbox_project"
PID_FILE_FORMAT = 2
# Modules the program, its dynamic provider and both emulators import (requirements-sandbox.txt).
REQUIRED_MODULES = ("pulumi", "pulumi_aws", "requests", "urllib3", "werkzeug", "moto", "flask", "flask_cors")
# Variables never passed to Pulumi: a sandbox run must not pick up real AWS or Bitmovin credentials,
# endpoints or profiles, nor another backend or passphrase.
SCRUBBED_PREFIXES = ("AWS_", "BITMOVIN_")
SCRUBBED_NAMES = ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
# ... nor to the emulators (MOTO_ACCOUNT_ID, for one, would move moto away from its default account).
SERVICE_SCRUBBED_PREFIXES = (*SCRUBBED_PREFIXES, "MOTO_")
LOCALHOST = "127.0.0.1"

MOTO_RESTART_NOTE = (
    "moto keeps AWS state in memory only. When it stops (./sandbox down, a reboot, a kill), the bucket "
    "and the role are gone while the `local` stack still records them; the next ./sandbox up notices it "
    "and refreshes the stack first, so they are created again (or run ./sandbox down, then ./sandbox up). "
    "The Bitmovin emulator keeps its outputs in .sandbox/bitmovin-emulator.json and loses nothing."
)


class SandboxError(Exception):
    """Stops the sandbox; the message is printed as one line."""


# -- the local stack's config (single source of the ports and the emulator key) ------------------


@dataclass(frozen=True)
class LocalStackConfig:
    """What the sandbox needs from ``Pulumi.local.yaml``."""

    moto_port: int
    bitmovin_port: int
    api_key: str


_ENDPOINT = re.compile(r"^\s*(?:-\s*)?(s3|iam|sts):\s*\"?http://127\.0\.0\.1:(\d+)\"?\s*$", re.MULTILINE)
_API_URL = re.compile(r"^\s*bitmovin:apiUrl:\s*\"?http://127\.0\.0\.1:(\d+)/v1\"?\s*$", re.MULTILINE)


def parse_stack_config(text: str) -> LocalStackConfig:
    """Ports from the stack file's text (no YAML library before the venv exists); the emulator's key."""
    endpoints = dict((service, int(port)) for service, port in _ENDPOINT.findall(text))
    api_url = _API_URL.search(text)
    if set(endpoints) != {"s3", "iam", "sts"} or len(set(endpoints.values())) != 1:
        raise SandboxError(
            f"{STACK_CONFIG} must point aws:endpoints s3, iam and sts at one http://127.0.0.1:<port>"
        )
    if api_url is None:
        raise SandboxError(f"{STACK_CONFIG} must set bitmovin:apiUrl to http://127.0.0.1:<port>/v1")
    return LocalStackConfig(endpoints["s3"], int(api_url.group(1)), EMULATOR_API_KEY)


def render_stack_config(text: str, defaults: LocalStackConfig, moto_port: int, bitmovin_port: int) -> str:
    """The stack file with the emulator ports moved; everything else (salt included) unchanged."""
    text = text.replace(f"http://{LOCALHOST}:{defaults.moto_port}", f"http://{LOCALHOST}:{moto_port}")
    return text.replace(
        f"http://{LOCALHOST}:{defaults.bitmovin_port}/v1", f"http://{LOCALHOST}:{bitmovin_port}/v1"
    )


def port_from_env(name: str, default: int, environ: Mapping[str, str]) -> int:
    """A port override such as ``SANDBOX_MOTO_PORT=19455``; anything else is refused by name."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise SandboxError(f"{name} must be a port number from 1024 to 65535, got {raw!r}")
    return int(raw)


# -- paths ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where everything lives, relative to one project directory."""

    project: Path

    @property
    def work(self) -> Path:
        return self.project / SANDBOX_DIR

    @property
    def state(self) -> Path:
        return self.work / "state"

    @property
    def emulator_state(self) -> Path:
        return self.work / "bitmovin-emulator.json"

    @property
    def rendered_config(self) -> Path:
        return self.work / STACK_CONFIG

    @property
    def ports_file(self) -> Path:
        """The emulator ports ``up`` used: the endpoints the stack's state records until ``down``."""
        return self.work / "ports.json"

    @property
    def session_file(self) -> Path:
        """What ``up`` used (the CLI, its PATH, the emulators): for ``down`` and for verify."""
        return self.work / "session.json"

    @property
    def venv(self) -> Path:
        """The virtual environment ``Pulumi.yaml`` names (``runtime.options.virtualenv``)."""
        text = (self.project / "Pulumi.yaml").read_text(encoding="utf-8")
        match = re.search(r"^\s*virtualenv:\s*\"?([^\"\s#]+)\"?\s*$", text, re.MULTILINE)
        return self.project / (match.group(1) if match else "venv")

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


# -- the virtual environment ----------------------------------------------------------------------


def missing_modules(python: Path) -> list[str]:
    """Required modules the interpreter cannot import (checked without importing them)."""
    probe = (
        "import importlib.util, json, sys; "
        "print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))"
    )
    completed = subprocess.run(
        [str(python), "-c", probe, *REQUIRED_MODULES], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        return list(REQUIRED_MODULES)
    return list(json.loads(completed.stdout))


def ensure_venv(layout: Layout, say: Callable[[str], None]) -> None:
    """Create the virtual environment if it is missing; install what the sandbox needs if anything is."""
    if layout.python.exists() and not missing_modules(layout.python):
        return
    say(
        f"Installing {SANDBOX_REQUIREMENTS} into {layout.venv.name}/ (the one Pulumi.yaml names; about a "
        "minute the first time, seconds once its packages are in the wheelhouse) ..."
    )
    # scripts/venv: hash-checked, from the local wheelhouse, downloading only what it lacks.
    install = [str(layout.project / "scripts" / "venv"), str(layout.venv), SANDBOX_REQUIREMENTS]
    if subprocess.run(install, cwd=layout.project, check=False).returncode:
        raise SandboxError(
            f"installing {SANDBOX_REQUIREMENTS} into {layout.venv} failed (see the output above)"
        )
    still = missing_modules(layout.python)
    if still:
        raise SandboxError(
            f"{layout.venv} still lacks {', '.join(still)} after installing {SANDBOX_REQUIREMENTS}"
        )


# -- background services --------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """A local emulator the sandbox runs in the background, with its PID file and log."""

    name: str
    title: str
    argv: tuple[str, ...]
    port: int
    ready_path: str
    port_env: str
    work: Path
    headers: tuple[tuple[str, str], ...] = ()
    project: Path | None = None  # the project it belongs to; default: the directory holding ``work``
    env: tuple[tuple[str, str], ...] = ()  # set in its environment (placeholder credentials only)

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def project_dir(self) -> Path:
        return (self.project if self.project is not None else self.work.parent).resolve()

    @property
    def module(self) -> str:
        """The module run with ``python -m`` (part of how a running instance is recognised)."""
        return self.argv[self.argv.index("-m") + 1] if "-m" in self.argv else self.name

    @property
    def pid_file(self) -> Path:
        return self.work / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.work / f"{self.name}.log"


def _tag(work: Path, project: Path | None) -> tuple[str, str]:
    """``-X bitmovin_sandbox_project=<dir>``: the command line names the project that started it."""
    return "-X", f"{PROJECT_TAG}={(project if project is not None else work.parent).resolve()}"


def moto_service(python: Path, work: Path, port: int, project: Path | None = None) -> Service:
    """moto's server mode (S3, IAM and STS on one port, state in memory) with Bitmovin's IAM user and
    bucket policies judged as for a TLS client (``dev/sandbox_moto.py``)."""
    return Service(
        name="moto",
        title="moto (AWS S3, IAM, STS)",
        argv=(str(python), *_tag(work, project), "-m", "dev.sandbox_moto", "-H", LOCALHOST, "-p", str(port)),
        port=port,
        ready_path="/moto-api/",
        port_env=MOTO_PORT_ENV,
        work=work,
        project=project,
        env=BITMOVIN_AWS_KEYS,
    )


def bitmovin_service(
    python: Path,
    work: Path,
    port: int,
    api_key: str,
    state_file: Path,
    project: Path | None = None,
    aws_endpoint_url: str | None = None,
) -> Service:
    """The project's Bitmovin API emulator, accepting only ``api_key``, outputs kept in ``state_file``;
    with ``aws_endpoint_url`` (the sandbox's moto) it performs export tasks as Bitmovin does."""
    acting = ("--aws-endpoint-url", aws_endpoint_url) if aws_endpoint_url else ()
    return Service(
        name="bitmovin-emulator",
        title="Bitmovin API emulator",
        argv=(
            str(python),
            *_tag(work, project),
            "-m",
            "dev.bitmovin_emulator",
            "--host",
            LOCALHOST,
            "--port",
            str(port),
            "--api-key",
            api_key,
            "--state-file",
            str(state_file),
            *acting,
        ),
        port=port,
        ready_path="/v1/analytics/outputs/s3-role-based?limit=1",
        port_env=BITMOVIN_PORT_ENV,
        work=work,
        headers=(("X-Api-Key", api_key),),
        project=project,
        # Bitmovin's user assumes the role; the customer's placeholder key reads trust policies.
        env=(*BITMOVIN_AWS_KEYS, *CUSTOMER_AWS_KEYS) if aws_endpoint_url else (),
    )


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP proxy


def answers(service: Service, timeout: float = 2.0) -> bool:
    """True when the service answers its readiness request with 200."""
    url = service.url + service.ready_path  # always http://127.0.0.1:<port>/...
    request = urllib.request.Request(url, headers=dict(service.headers))  # noqa: S310
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


# -- who listens on a port ----------------------------------------------------------------------------
# A 200 on the port proves only that *something* answers there: a program that bound the port first (or
# between the sandbox's check and its child's start) would be taken for the emulator, and the stack
# would talk to it. So a service counts as ready only once the process the sandbox started (or one of
# its children) holds the listening socket.

_TCP_LISTEN = "0A"  # st column of /proc/net/tcp{,6}


def listening_pids(port: int) -> set[int] | None:
    """The pids (visible to this user) holding a TCP socket listening on ``port``; None if this system
    can tell neither through /proc (Linux) nor through ``lsof`` (macOS)."""
    inodes = _listening_inodes(port)
    if inodes is not None:
        return {pid for pid in _visible_pids() if _holds_socket(pid, inodes)} if inodes else set()
    return _lsof_listeners(port)


def _listening_inodes(port: int) -> set[str] | None:
    """Socket inodes listening on ``port`` from /proc/net/tcp and tcp6; None without them."""
    found: set[str] | None = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        found = found or set()
        for row in rows:
            fields = row.split()  # sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if len(fields) > 9 and fields[3] == _TCP_LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])
    return found


def _visible_pids() -> list[int]:
    with contextlib.suppress(OSError):
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    return []


def _holds_socket(pid: int, inodes: set[str]) -> bool:
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:  # gone, or another user's process
        return False
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return True
    return False


def _lsof_listeners(port: int) -> set[int] | None:
    try:
        lsof = subprocess.run(
            ["lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN", "-t"],  # noqa: S607 - macOS has no /proc
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if lsof.returncode not in (0, 1):  # 1: nothing listens
        return None
    return {int(line) for line in lsof.stdout.split() if line.isdigit()}


def _parent_pid(pid: int) -> int | None:
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    ppid = _ps_column(pid, "ppid")
    return int(ppid) if ppid and ppid.isdigit() else None


def _descends_from(pid: int, ancestor: int) -> bool:
    for _ in range(64):  # a bounded walk up the parent chain
        if pid == ancestor:
            return True
        parent = _parent_pid(pid)
        if parent is None or parent <= 1 or parent == pid:
            return False
        pid = parent
    return False


def port_holder_problem(service: Service, pid: int) -> str | None:
    """Why what listens on the service's port is not ``pid`` (the process this sandbox started) or one
    of its children; None when it is."""
    holders = listening_pids(service.port)
    if holders is None:
        return (
            f"which process listens on port {service.port} cannot be told (no /proc/net/tcp and no lsof), so "
            f"{service.title} cannot be told apart from another program"
        )
    if any(_descends_from(holder, pid) for holder in holders):
        return None
    if not holders:
        return f"port {service.port} is held by a process of another user, not by {service.title} (pid {pid})"
    others = ", ".join(f"pid {holder} ({_shown_command(holder)})" for holder in sorted(holders))
    return f"port {service.port} is held by {others}, not by {service.title} (pid {pid})"


def _shown_command(pid: int) -> str:
    command = _command_line(pid)
    text = " ".join(command) if isinstance(command, list) else command or "unknown command"
    return text if len(text) <= 120 else text[:117] + "..."


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; an exited process is dead even before its parent reaps it."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child that exited: reaped now
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):  # Linux: a zombie only waits for its parent
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _command_line(pid: int) -> list[str] | str | None:
    """The process's argv (Linux), its command line as one string (``ps``), or None if unreadable."""
    with contextlib.suppress(OSError):
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return [part.decode(errors="surrogateescape") for part in raw.split(b"\0")[:-1]]
    return _ps_column(pid, "command")


def start_time(pid: int) -> str | None:
    """When ``pid`` started: ``/proc/<pid>/stat`` field 22 (clock ticks since boot), else ``ps``'s lstart.

    With the pid (and the boot) it names one process: a later process reusing the pid differs.
    """
    with contextlib.suppress(OSError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # fields 3, 4, ...
        return fields[22 - 3]
    lstart = _ps_column(pid, "lstart", env={**os.environ, "LC_ALL": "C"})
    return "lstart " + " ".join(lstart.split()) if lstart else None


def _ps_column(pid: int, column: str, env: dict[str, str] | None = None) -> str | None:
    """One ``ps`` column of ``pid``, where there is no /proc (macOS); None if ``ps`` cannot tell."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        ps = subprocess.run(
            ["ps", "-o", f"{column}=", "-p", str(pid)],  # noqa: S607 - macOS has no /proc
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        return ps.stdout.strip() if ps.returncode == 0 and ps.stdout.strip() else None
    return None


def boot_id() -> str | None:
    """This boot's id (Linux); start times in clock ticks only compare within one boot."""
    with contextlib.suppress(OSError):
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    return None


@dataclass(frozen=True)
class PidRecord:
    """What a PID file records about the process the sandbox started."""

    pid: int
    start_time: str
    boot_id: str | None
    port: int
    project: str
    argv: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": PID_FILE_FORMAT,
                "pid": self.pid,
                "startTime": self.start_time,
                "bootId": self.boot_id,
                "port": self.port,
                "project": self.project,
                "argv": list(self.argv),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> PidRecord | None:
        """The record, or None for anything else (an older sandbox's bare pid included)."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != PID_FILE_FORMAT:
                return None
            argv = data["argv"]
            if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
                return None
            record = cls(
                pid=data["pid"],
                start_time=data["startTime"],
                boot_id=data["bootId"],
                port=data["port"],
                project=data["project"],
                argv=tuple(argv),
            )
        except (ValueError, KeyError, TypeError):
            return None
        types_ok = (
            type(record.pid) is int
            and record.pid > 1
            and isinstance(record.start_time, str)
            and record.start_time
            and (record.boot_id is None or isinstance(record.boot_id, str))
            and type(record.port) is int
            and isinstance(record.project, str)
        )
        return record if types_ok else None


def _names_dir(argv: Sequence[str], directory: str) -> bool:
    """True if an argument is ``directory``, a path inside it, or ``name=`` one of those."""
    for arg in argv:
        value = arg.split("=", 1)[1] if "=" in arg else arg
        if value == directory or value.startswith(directory.rstrip(os.sep) + os.sep):
            return True
    return False


def _record_problem(service: Service, record: PidRecord) -> str | None:
    """Why the record does not describe this service of this project, or None if it does."""
    project = str(service.project_dir)
    if record.project != project:
        return f"it was written for the project {record.project}, not {project}"
    if record.port != service.port:
        return f"it records port {record.port}, not {service.port}"
    if service.module not in record.argv or str(service.port) not in record.argv:
        return f"its command line is not {service.title} on port {service.port}"
    if not _names_dir(record.argv, project):
        return f"its command line does not name the project {project}"
    return None


def _process_problem(record: PidRecord) -> str | None:
    """Why ``record.pid`` is not (any more) the process the record describes, or None if it is."""
    if not _alive(record.pid):
        return f"process {record.pid} no longer runs"
    current_boot = boot_id()
    if record.boot_id is not None and current_boot is not None and record.boot_id != current_boot:
        return f"it was written before the last reboot (pid {record.pid} is another process now)"
    started = start_time(record.pid)
    if started is None:
        return f"the start time of process {record.pid} cannot be read"
    if started != record.start_time:
        return f"process {record.pid} started at {started}, not {record.start_time}: another process reuses the pid"
    command = _command_line(record.pid)
    if command is None:
        return f"the command line of process {record.pid} cannot be read"
    if isinstance(command, str) and command != " ".join(record.argv):
        return f"process {record.pid} runs another command: {command}"
    if isinstance(command, list) and tuple(command) != record.argv:
        return f"process {record.pid} runs another command: {' '.join(command)}"
    return None


def owned_process(service: Service, say: Callable[[str], None] | None = None) -> PidRecord | None:
    """The record of the running process this sandbox started for ``service``, or None.

    A PID file that does not match (stale, from an older sandbox, another project or port, or naming a
    pid another process reuses by now) is reported through ``say`` (default: stderr) and removed; the
    process it names is never signalled.
    """
    try:
        text = service.pid_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        _report(say, f"{service.pid_file} cannot be read ({error.strerror}); nothing was signalled")
        return None
    record = PidRecord.from_json(text)
    if record is None:
        bare = text.strip()
        detail = (
            f" (it names pid {bare}; stop that process yourself if it is still yours)"
            if bare.isdigit()
            else ""
        )
        problem = f"it does not record which process the sandbox started{detail}"
    else:
        problem = _record_problem(service, record) or _process_problem(record)
    if problem is None:
        return record
    service.pid_file.unlink(missing_ok=True)
    _report(say, f"ignored and removed the PID file {service.pid_file}: {problem}; nothing was signalled")
    return None


def _report(say: Callable[[str], None] | None, message: str) -> None:
    if say is not None:
        say(message)
    else:
        print(f"sandbox: {message}", file=sys.stderr)


def running_pid(service: Service, say: Callable[[str], None] | None = None) -> int | None:
    """The PID of the service's process if it runs and is exactly the one this sandbox started.

    A PID file left from before a reboot, or naming an unrelated process by now, is removed: that
    process is neither reused nor ever signalled (see ``owned_process``).
    """
    record = owned_process(service, say)
    return record.pid if record is not None else None


def write_pid_file(service: Service, pid: int) -> PidRecord:
    """Record the process just started for ``service`` (pid, start time, boot, port, project, argv)."""
    started = start_time(pid)
    if started is None:
        raise SandboxError(
            f"cannot read the start time of {service.title} (pid {pid}), so it could not be told apart "
            "from a later process with the same pid"
        )
    record = PidRecord(pid, started, boot_id(), service.port, str(service.project_dir), tuple(service.argv))
    service.work.mkdir(parents=True, exist_ok=True)
    temporary = service.pid_file.with_name(service.pid_file.name + ".tmp")
    temporary.write_text(record.to_json() + "\n", encoding="utf-8")
    os.replace(temporary, service.pid_file)
    return record


def wait_until_ready(
    service: Service,
    process: subprocess.Popen[bytes] | None,
    timeout: float = READY_TIMEOUT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    *,
    pid: int | None = None,
) -> float:
    """Seconds until the service answered from the process this sandbox started (``process``, or the
    running ``pid`` its PID file records); fails if it exits, stays silent for ``timeout``, or another
    program answers on its port."""
    owner = process.pid if process is not None else pid
    if owner is None:
        raise ValueError("wait_until_ready needs the process it waits for")
    began = clock()
    while True:
        if answers(service):
            problem = port_holder_problem(service, owner)
            if problem is None:
                return clock() - began
            raise SandboxError(
                f"{service.url} answers, but not from the {service.title} this sandbox started: {problem}. "
                f"Stop that program or set {service.port_env} to a free port"
            )
        if process is not None and process.poll() is not None:
            raise SandboxError(
                f"{service.title} exited during start-up (exit code {process.returncode}): "
                f"{_last_line(service.log_file)} (log: {service.log_file})"
            )
        if clock() - began >= timeout:
            raise SandboxError(
                f"{service.title} did not answer on {service.url} within {timeout:g} s (log: {service.log_file})"
            )
        sleep(0.1)


def _last_line(path: Path) -> str:
    with contextlib.suppress(OSError):
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return "no output"


@dataclass(frozen=True)
class Started:
    """Outcome of ``start``: the PID, whether it was started now, and how long it took to answer."""

    pid: int
    fresh: bool
    seconds: float


def service_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The emulators' environment: ours without AWS, Bitmovin and moto settings."""
    return {k: v for k, v in environ.items() if not k.upper().startswith(SERVICE_SCRUBBED_PREFIXES)}


def start(
    service: Service,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    say: Callable[[str], None] | None = None,
) -> Started:
    """Reuse the running service, or start it in the background (it outlives the sandbox command).

    ``env`` defaults to ``service_env(os.environ)``; ``say`` reports an ignored PID file (default: stderr).
    """
    pid = running_pid(service, say)
    if pid is not None:
        return Started(pid, False, wait_until_ready(service, None, pid=pid))
    if answers(service):
        raise SandboxError(
            f"port {service.port} already answers, but not as this sandbox's {service.title}: stop that "
            f"program or set {service.port_env} to a free port"
        )
    service.work.mkdir(parents=True, exist_ok=True)
    environment = {**(dict(env) if env is not None else service_env(os.environ)), **dict(service.env)}
    with service.log_file.open("ab") as log:
        process = subprocess.Popen(
            list(service.argv),
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not stopped by Ctrl-C in this terminal; ./sandbox down stops it
        )
    try:
        write_pid_file(service, process.pid)
        seconds = wait_until_ready(service, process)
    except SandboxError:
        _stop_child(process)
        service.pid_file.unlink(missing_ok=True)
        raise
    return Started(process.pid, True, seconds)


def _stop_child(process: subprocess.Popen[bytes]) -> None:
    """Stop a child just started in its own session: until it is reaped, its pid is still its own."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)  # start_new_session=True: it leads a group of its own
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT_SECONDS)


def _leads_own_group(pid: int) -> bool:
    """True if ``pid`` leads its process group (the new session it was started in)."""
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False


def stop(
    service: Service, timeout: float = STOP_TIMEOUT_SECONDS, say: Callable[[str], None] | None = None
) -> bool:
    """Stop the service if it runs (SIGTERM, then SIGKILL); True if it was running.

    Signals only the process the PID file records while its pid, start time and command line still
    match; its process group only if that process leads it (``start`` created the group). Anything
    else is reported and its PID file removed, nothing signalled.
    """
    record = owned_process(service, say)
    if record is None:
        return False
    pid = record.pid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if _process_problem(record) is not None:  # checked again before every signal
            break
        with contextlib.suppress(ProcessLookupError):
            if _leads_own_group(pid):
                os.killpg(pid, sig)  # the group start() created: the service and its children
            else:
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _alive(pid):
            break
    else:
        raise SandboxError(f"{service.title} (pid {pid}) did not stop")
    service.pid_file.unlink(missing_ok=True)
    return True


# -- Pulumi ----------------------------------------------------------------------------------------


def pulumi_binary(path: str | None = None) -> str:
    """The ``pulumi`` executable on ``path``; without it nothing else is attempted."""
    found = shutil.which("pulumi", path=path)
    if found is None:
        raise SandboxError(
            f"the Pulumi CLI is needed but `pulumi` is not on PATH: install it from {PULUMI_INSTALL_URL} "
            "and run this again"
        )
    return found


def build_engine(project: Path, environ: Mapping[str, str], say: Callable[[str], None]) -> str:
    """The ``pulumi`` of the project's engine: ``scripts/engine`` builds it once (Go), then reuses it."""
    say(ENGINE_NOTE)
    path = environ.get("PATH", os.defpath)
    if shutil.which("go", path=path) is None:
        raise SandboxError(
            f"Go is not on PATH, so the engine cannot be built: install Go 1.26 or newer ({GO_INSTALL_URL}) "
            f"or the Pulumi CLI ({PULUMI_INSTALL_URL}), then run ./sandbox up again"
        )
    completed = subprocess.run(  # its progress (stderr) goes to the terminal; stdout ends with the dir
        [str(project / ENGINE_SCRIPT)],
        cwd=project,
        env=dict(environ),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = [line.strip() for line in completed.stdout.splitlines() if line.strip()]
    if completed.returncode != 0 or not lines:
        raise SandboxError(
            f"{ENGINE_SCRIPT} failed (exit code {completed.returncode}; its output is above): fix that, or "
            f"install the Pulumi CLI ({PULUMI_INSTALL_URL}), then run ./sandbox up again"
        )
    binary = Path(lines[-1]) / "pulumi"
    if not os.access(binary, os.X_OK):
        raise SandboxError(f"{ENGINE_SCRIPT} printed {lines[-1]!r}, which holds no executable `pulumi`")
    say(f"Using the project's engine: {binary}")
    return str(binary)


def aws_plugin_version(python: Path) -> str:
    """The pulumi-aws SDK version in the venv: the plugin version the program asks the engine for."""
    probe = "from importlib.metadata import version; print(version('pulumi_aws'))"
    completed = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    return completed.stdout.strip() if completed.returncode == 0 else "<pulumi_aws version>"


def real_aws_plugin(project: Path, environ: Mapping[str, str]) -> Path | None:
    """An installed pulumi-aws plugin (v7, plugin cache or PATH), as the stand-in's own hand-over finds it."""
    spec = importlib.util.spec_from_file_location("sandbox_aws_handover", project / STANDIN_HANDOVER)
    if spec is None or spec.loader is None:
        raise SandboxError(f"{STANDIN_HANDOVER} is missing from the project")
    handover = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handover)  # standard library only
    found: Path | None = handover.real_plugin(environ, project / STANDIN_BIN)
    return found


def path_first(layout: Layout, binary: str | None, standin: bool) -> list[str]:
    """The directories put before the user's PATH for ``pulumi`` (see ``pulumi_env``)."""
    first = [str(layout.venv / "bin"), *([str(layout.project / STANDIN_BIN)] if standin else [])]
    return [*first, *([str(Path(binary).parent)] if binary is not None else [])]


def pulumi_env(
    layout: Layout,
    environ: Mapping[str, str],
    binary: str | None = None,
    standin: bool = False,
) -> dict[str, str]:
    """The environment of every ``pulumi`` command run here (see the module docstring).

    PATH starts with the venv's ``bin`` (the engine's old language host runs the first ``python3`` on
    PATH), then the stand-in for pulumi-aws's plugin if ``standin``, then the directory of ``binary``.
    """
    env = {
        name: value
        for name, value in environ.items()
        if not name.upper().startswith(SCRUBBED_PREFIXES) and name.upper() not in SCRUBBED_NAMES
    }
    no_proxy = ",".join(filter(None, [env.get("NO_PROXY") or env.get("no_proxy"), LOCALHOST, "localhost"]))
    env.update(
        {
            "PULUMI_BACKEND_URL": layout.state.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }
    )
    first = path_first(layout, binary, standin)
    env["PATH"] = os.pathsep.join([*first, *([env["PATH"]] if env.get("PATH") else [])])
    if standin:  # the stand-in serves aws: no attempt to download pulumi-aws's plugin
        env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
    return env


@dataclass
class Pulumi:
    """Runs ``pulumi`` in the project with the sandbox's environment, echoing each command."""

    binary: str
    layout: Layout
    env: dict[str, str]
    config_file: Path | None
    say: Callable[[str], None]

    def run(self, *args: str, config: bool = False) -> None:
        argv = [*args, *(["--config-file", str(self.config_file)] if config and self.config_file else [])]
        self.say("$ pulumi " + " ".join(argv))
        returncode = subprocess.run(
            [self.binary, *argv], cwd=self.layout.project, env=self.env, check=False
        ).returncode
        if returncode != 0:
            raise SandboxError(
                f"`pulumi {args[0]}` failed with exit code {returncode} (its output is above); the emulators "
                "keep running: run ./sandbox up or ./sandbox down again once it is fixed"
            )

    def capture(self, *args: str) -> str:
        completed = subprocess.run(
            [self.binary, *args],
            cwd=self.layout.project,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            detail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            raise SandboxError(f"`pulumi {' '.join(args)}` failed: {detail}")
        return completed.stdout

    def stack_summary(self) -> dict[str, object] | None:
        """The ``local`` stack as ``pulumi stack ls --json`` lists it, or None if it does not exist."""
        for entry in json.loads(self.capture("stack", "ls", "--json") or "[]"):
            name = str(entry.get("name", ""))
            if name == STACK or name.endswith("/" + STACK):
                return entry
        return None


# -- commands ---------------------------------------------------------------------------------------


@dataclass
class Sandbox:
    """``up``, ``down`` and ``env`` for one project directory."""

    layout: Layout
    environ: Mapping[str, str]
    say: Callable[[str], None] = print

    def defaults(self) -> LocalStackConfig:
        return parse_stack_config((self.layout.project / STACK_CONFIG).read_text(encoding="utf-8"))

    def config(self) -> tuple[LocalStackConfig, int, int]:
        """The stack file's settings and the ports asked for now (``SANDBOX_*_PORT`` or the defaults)."""
        defaults = self.defaults()
        moto_port = port_from_env(MOTO_PORT_ENV, defaults.moto_port, self.environ)
        bitmovin_port = port_from_env(BITMOVIN_PORT_ENV, defaults.bitmovin_port, self.environ)
        if moto_port == bitmovin_port:
            raise SandboxError(f"{MOTO_PORT_ENV} and {BITMOVIN_PORT_ENV} must differ, both are {moto_port}")
        return defaults, moto_port, bitmovin_port

    def recorded_ports(self) -> tuple[int, int] | None:
        """The (moto, Bitmovin emulator) ports ``up`` recorded, or None if none are recorded."""
        path = self.layout.ports_file
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            data = None
        ports = (data.get("moto"), data.get("bitmovin")) if isinstance(data, dict) else (None, None)
        if not all(type(port) is int and 1024 <= port <= 65535 for port in ports) or ports[0] == ports[1]:
            raise SandboxError(
                f"{path} does not hold the emulator ports `up` used (moto and bitmovin); restore it, or "
                "delete it if no emulator of this sandbox runs and nothing is deployed"
            )
        return ports[0], ports[1]

    def record_ports(self, moto_port: int, bitmovin_port: int) -> None:
        path = self.layout.ports_file
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(
            json.dumps({"moto": moto_port, "bitmovin": bitmovin_port}) + "\n", encoding="utf-8"
        )
        os.replace(temporary, path)

    def up_config(self) -> tuple[LocalStackConfig, int, int]:
        """The ports for ``up``: those asked for, which must be the recorded ones if any are recorded."""
        defaults, moto_port, bitmovin_port = self.config()
        recorded = self.recorded_ports()
        if recorded is not None and recorded != (moto_port, bitmovin_port):
            raise SandboxError(
                f"the sandbox is up with moto on port {recorded[0]} and the Bitmovin emulator on port "
                f"{recorded[1]} (recorded in {self.layout.ports_file}), and the `{STACK}` stack's state "
                f"points at those; refusing to move them to {moto_port} and {bitmovin_port}: set "
                f"{MOTO_PORT_ENV}={recorded[0]} {BITMOVIN_PORT_ENV}={recorded[1]}, or run ./sandbox down "
                "first (it uses the recorded ports) and then ./sandbox up with the new ones"
            )
        return defaults, moto_port, bitmovin_port

    def down_config(self) -> tuple[LocalStackConfig, int, int]:
        """The ports for ``down``: the recorded ones (the endpoints the stack was created with), if any."""
        recorded = self.recorded_ports()
        if recorded is None:
            return self.config()
        defaults = self.defaults()
        try:
            asked: tuple[int, int] | None = (
                port_from_env(MOTO_PORT_ENV, defaults.moto_port, self.environ),
                port_from_env(BITMOVIN_PORT_ENV, defaults.bitmovin_port, self.environ),
            )
        except SandboxError:  # not used by down anyway
            asked = None
        if asked is not None and asked != recorded:
            self.say(
                f"Using the ports `up` recorded in {self.layout.ports_file} (moto {recorded[0]}, Bitmovin "
                f"emulator {recorded[1]}), the endpoints the stack was created with, not {MOTO_PORT_ENV}/"
                f"{BITMOVIN_PORT_ENV} ({asked[0]}, {asked[1]})."
            )
        return defaults, *recorded

    def config_file(self, defaults: LocalStackConfig, moto_port: int, bitmovin_port: int) -> Path | None:
        """None with the default ports; else a copy of the stack file with the ports moved."""
        if (moto_port, bitmovin_port) == (defaults.moto_port, defaults.bitmovin_port):
            return None
        text = (self.layout.project / STACK_CONFIG).read_text(encoding="utf-8")
        self.layout.rendered_config.write_text(render_stack_config(text, defaults, moto_port, bitmovin_port))
        return self.layout.rendered_config

    def services(
        self, defaults: LocalStackConfig, moto_port: int, bitmovin_port: int
    ) -> tuple[Service, Service]:
        layout = self.layout
        moto = moto_service(layout.python, layout.work, moto_port, layout.project)
        return (
            moto,
            bitmovin_service(
                layout.python,
                layout.work,
                bitmovin_port,
                defaults.api_key,
                layout.emulator_state,
                layout.project,
                aws_endpoint_url=moto.url,
            ),
        )

    def find_cli(self, *, build: bool) -> str | None:
        """``pulumi`` on PATH; else for ``up`` (``build``) the project's engine, for ``down`` the CLI
        ``up`` recorded (None if there is none)."""
        found = shutil.which("pulumi", path=self.environ.get("PATH", os.defpath))
        if found is not None:
            return found
        if build:
            return build_engine(self.layout.project, self.environ, self.say)
        recorded = self.session().get("pulumi")
        return recorded if isinstance(recorded, str) and os.access(recorded, os.X_OK) else None

    def session(self) -> dict[str, object]:
        """What ``up`` recorded in ``.sandbox/session.json`` (empty if nothing usable is recorded)."""
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self.layout.session_file.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("format") == SESSION_FORMAT:
                return data
        return {}

    def choose_aws_plugin(self, binary: str) -> bool:
        """True if the stand-in serves aws (no real plugin is installed); says which, in one line."""
        probe_env = {**pulumi_env(self.layout, self.environ, binary), "HOME": self.environ.get("HOME", "~")}
        if "PULUMI_HOME" in self.environ:
            probe_env["PULUMI_HOME"] = self.environ["PULUMI_HOME"]
        real = real_aws_plugin(self.layout.project, probe_env)
        if real is not None:
            self.say(f"pulumi-aws's plugin: {real}")
            return False
        version = aws_plugin_version(self.layout.python)
        self.say(
            "pulumi-aws's plugin is not installed, so the project's stand-in serves aws (dev/aws_standin: moto "
            f"through boto3, docs/aws-standin.md); for the real one run `pulumi plugin install resource aws "
            f"v{version}` where the internet is reachable, then ./sandbox up again"
        )
        return True

    def prepare(
        self,
        ports: Callable[[], tuple[LocalStackConfig, int, int]] | None = None,
        binary: str | None = None,
    ) -> tuple[Pulumi, Service, Service]:
        """Everything up to running emulators: the CLI first, then config, venv, aws plugin, services.

        ``ports`` picks the ports (default: ``up_config``, which records them for ``down``); ``binary``
        is the CLI already found (default: found now, the engine built if need be).
        """
        if binary is None:
            binary = self.find_cli(build=True)
            assert binary is not None
        if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 is on PATH
            raise SandboxError(
                f"Python 3.11 or newer is needed, this is {sys.version.split()[0]} ({sys.executable})"
            )
        defaults, moto_port, bitmovin_port = (ports or self.up_config)()
        self.layout.work.mkdir(exist_ok=True)
        self.layout.state.mkdir(exist_ok=True)
        if ports is None:
            self.record_ports(moto_port, bitmovin_port)
        ensure_venv(self.layout, self.say)
        standin = self.choose_aws_plugin(binary)
        pulumi = Pulumi(
            binary,
            self.layout,
            pulumi_env(self.layout, self.environ, binary, standin),
            self.config_file(defaults, moto_port, bitmovin_port),
            self.say,
        )
        return pulumi, *self.services(defaults, moto_port, bitmovin_port)

    def record_session(self, pulumi: Pulumi, moto: Service, bitmovin: Service) -> None:
        """``.sandbox/session.json``: the CLI and environment ``up`` used, for ``down`` and for verify.

        ``.sandbox/engine/bin/pulumi`` links to the CLI: the Automation API finds a CLI as ``<root>/bin/pulumi``.
        """
        standin = "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION" in pulumi.env
        link = self.layout.work / "engine" / "bin" / "pulumi"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(pulumi.binary)
        session = {
            "format": SESSION_FORMAT,
            "stack": STACK,
            "pulumi": pulumi.binary,
            "pulumiRoot": str(link.parent.parent),
            "pathFirst": path_first(self.layout, pulumi.binary, standin),
            "backend": pulumi.env["PULUMI_BACKEND_URL"],
            "passphrase": PASSPHRASE,
            "awsEndpoint": moto.url,
            "awsKeys": dict(CUSTOMER_AWS_KEYS),
            "bitmovinApiUrl": f"{bitmovin.url}/v1",
            "licenseKey": LICENSE_KEY,
            "awsPlugin": "stand-in" if standin else "real",
        }
        path = self.layout.session_file
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(session, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)

    def start_services(self, moto: Service, bitmovin: Service) -> bool:
        """Start (or reuse) both emulators; True if moto was started now, i.e. with empty state."""
        env = service_env(self.environ)
        fresh = False
        for service in (moto, bitmovin):
            started = start(service, self.layout.project, env, self.say)
            verb = f"started, answered after {started.seconds:.1f} s" if started.fresh else "already running"
            self.say(f"{service.title}: {service.url} ({verb}; pid {started.pid}, log {service.log_file})")
            fresh = fresh or (service is moto and started.fresh)
        return fresh

    def up(self) -> None:
        pulumi, moto, bitmovin = self.prepare()
        moto_fresh = self.start_services(moto, bitmovin)
        self.record_session(pulumi, moto, bitmovin)
        summary = pulumi.stack_summary()
        if summary is None:
            pulumi.run("stack", "init", STACK, "--secrets-provider", "passphrase", "--no-select")
        refresh = moto_fresh and summary is not None and summary.get("resourceCount") != 0
        if refresh:
            self.say(
                "moto was not running, so the AWS resources the stack records are gone (moto keeps them in "
                "memory only): refreshing the stack first, so that `up` creates them again."
            )
        pulumi.run("up", "--stack", STACK, "--yes", *(["--refresh"] if refresh else []), config=True)
        outputs = json.loads(pulumi.capture("stack", "output", "--stack", STACK, "--json") or "{}")
        self.say("")
        self.say(f"Stack outputs of `{STACK}`:")
        self.say(json.dumps(outputs, indent=2, sort_keys=True))
        self.say("")
        self.say(f"Bitmovin API emulator: {bitmovin.url}/v1 (state: {self.layout.emulator_state})")
        self.say(
            f"moto (S3, IAM, STS): {moto.url}, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
            f"aws --endpoint-url {moto.url} iam get-role --role-name {outputs.get('roleName', '<roleName>')}"
        )
        self.say(
            f"Prove that Bitmovin can write: venv/bin/python -m verify --stack {STACK} --export "
            "(the emulator acts as Bitmovin, through the role just created)"
        )
        self.say(f'Run pulumi by hand: eval "$(./sandbox env)" && pulumi stack --stack {STACK}')
        self.say(MOTO_RESTART_NOTE)
        self.say("Remove everything: ./sandbox down")

    def down(self) -> None:
        binary = self.find_cli(build=False)
        defaults, moto_port, bitmovin_port = self.down_config()
        moto, bitmovin = self.services(defaults, moto_port, bitmovin_port)
        summary = None
        if binary is None:
            self.say(
                f"No Pulumi CLI (no `pulumi` on PATH, none recorded by ./sandbox up): whatever the `{STACK}` stack holds "
                f"is not destroyed and its state stays in {self.layout.state}; to destroy it, put pulumi on PATH and "
                "run ./sandbox down again. Stopping the emulators."
            )
        elif self.layout.state.is_dir():
            pulumi = Pulumi(
                binary, self.layout, pulumi_env(self.layout, self.environ, binary), None, self.say
            )
            summary = pulumi.stack_summary()
        if binary is not None and summary is not None and summary.get("resourceCount") != 0:
            # Destroy (and its refresh) use the provider settings the state recorded at `up`, so the
            # emulators must answer on the ports recorded then: down_config, never the current ones.
            pulumi, moto, bitmovin = self.prepare(lambda: (defaults, moto_port, bitmovin_port), binary)
            moto_fresh = self.start_services(moto, bitmovin)
            refresh = ["--refresh"] if moto_fresh else []
            pulumi.run("destroy", "--stack", STACK, "--yes", *refresh, config=True)
            self.say("Destroyed the output and the role; the bucket was kept (retainBucketOnDestroy).")
        elif binary is not None:
            self.say(f"Nothing is deployed in the `{STACK}` stack.")
        if stop(moto, say=self.say):
            self.say(f"Stopped {moto.title}: its in-memory state, the kept bucket included, is gone.")
        if stop(bitmovin, say=self.say):
            self.say(f"Stopped the {bitmovin.title}; its outputs stay in {self.layout.emulator_state}.")
        self.layout.ports_file.unlink(missing_ok=True)  # nothing deployed, nothing running: ports are free
        if binary is not None:  # kept without a CLI: the next down finds the one up used
            self.layout.session_file.unlink(missing_ok=True)
            (self.layout.work / "engine" / "bin" / "pulumi").unlink(missing_ok=True)

    def env(self) -> None:
        session = self.session()
        env = pulumi_env(self.layout, {})
        names = ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_SKIP_UPDATE_CHECK"]
        for name in names:
            self.say(f"export {name}={shlex.quote(env[name])}")
        first = session.get("pathFirst")
        if isinstance(first, list) and all(isinstance(entry, str) for entry in first):
            # venv/bin, the stand-in, the CLI `up` used; then yours
            self.say(f'export PATH={shlex.quote(os.pathsep.join(first))}"{os.pathsep}$PATH"')
        if session.get("awsPlugin") == "stand-in":
            self.say("export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true")
        recorded = self.recorded_ports()
        defaults, moto_port, bitmovin_port = (
            self.config() if recorded is None else (self.defaults(), *recorded)
        )
        if (moto_port, bitmovin_port) != (defaults.moto_port, defaults.bitmovin_port):
            self.say(
                f"# moved ports: add --config-file {self.layout.rendered_config} to pulumi up/preview/destroy"
            )


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./sandbox",
        description="Deploy the whole stack against local emulators of AWS (moto) and the Bitmovin API.",
    )
    parser.add_argument(
        "command",
        choices=("up", "down", "env"),
        help="up: start the emulators and deploy the `local` stack; down: destroy it and stop them; "
        "env: print the environment for running pulumi by hand",
    )
    args = parser.parse_args(argv)
    sandbox = Sandbox(Layout(PROJECT_DIR), os.environ if environ is None else environ)
    try:
        getattr(sandbox, args.command)()
    except SandboxError as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sandbox: interrupted; the emulators keep running (./sandbox down stops them)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
