"""Layer 2: ``./sandbox`` without a real Pulumi CLI: its emulators over real HTTP, and its orchestration.

- Without ``pulumi`` on PATH it stops at once with one line, before creating anything.
- Its two emulators start in the background, answer, persist (the Bitmovin emulator) and stop.
- It signals only the processes it started (pid, start time, port, project and command line as its PID
  file records them): never another checkout's emulators, never a pid reused by another process, and
  never a process group it did not create.
- After ``up``, moved ports are refused by ``up`` and ignored by ``down``, which uses the recorded ones.
- ``up``/``down`` run end to end against a stand-in ``pulumi`` that records every call and does over
  HTTP what the program would do: the exact commands, the environment (file backend and passphrase
  in the project, no AWS or Bitmovin variables of the shell), reuse of running emulators, the refresh
  after a moto restart, and that the emulator's outputs survive its restart between ``up`` and ``down``.

What the real CLI does with the stack is proven in tests/engine/test_cli_lifecycle.py (layer 6).
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
import requests
import yaml

from analytics_export import policies
from dev.bitmovin_emulator import EmulatorServer
from dev.support import REPO_ROOT
from dev.support.sandbox_support import copy_project, free_port, load_sandbox, running_venv

pytestmark = pytest.mark.layer2

sandbox = load_sandbox()
PYTHON = Path(sys.executable)
COLLECTION = "/v1/analytics/outputs/s3-role-based"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics-export-local"


def aws(service_name: str, url: str):
    return boto3.client(
        service_name,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


# -- no Pulumi CLI -----------------------------------------------------------------------------------


def test_up_without_pulumi_or_go_says_what_is_needed_first_and_creates_nothing(tmp_path):
    project = copy_project(tmp_path / "project", with_sandbox=True)
    bin_dir = tmp_path / "bin"  # python3 and bash, but neither pulumi nor go
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    (bin_dir / "bash").symlink_to(shutil.which("bash"))
    assert shutil.which("pulumi", path=str(bin_dir)) is None

    completed = subprocess.run(
        [str(project / "sandbox"), "up"],
        cwd=tmp_path,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 1
    assert completed.stdout == sandbox.ENGINE_NOTE + "\n"  # said first: Go, the time, the way without Go
    for needed in ("scripts/engine", "Go 1.26", "7-20 minutes", "https://www.pulumi.com/docs/install/"):
        assert needed in completed.stdout
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("sandbox: Go is not on PATH")
    assert "https://go.dev/doc/install" in lines[0]
    assert not (project / ".sandbox").exists()  # stopped before anything was created
    assert not (project / "venv").exists()


# -- the emulators ------------------------------------------------------------------------------------


def test_moto_starts_answers_like_aws_and_stops(tmp_path):
    service = sandbox.moto_service(PYTHON, tmp_path, free_port())
    started = sandbox.start(service, REPO_ROOT)
    try:
        assert started.fresh
        assert sandbox.running_pid(service) == started.pid
        # What aws.get_caller_identity() returns in the sandbox: the account of the role and bucket.
        assert aws("sts", service.url).get_caller_identity()["Account"] == "123456789012"
        again = sandbox.start(service, REPO_ROOT)
        assert (again.pid, again.fresh) == (started.pid, False)
    finally:
        assert sandbox.stop(service)
    assert not service.pid_file.exists()
    assert not sandbox.answers(service)
    assert sandbox.stop(service) is False


def test_moto_server_holds_what_the_stack_creates(tmp_path):
    """The API calls behind the stack's bucket and role work against moto's server mode (path style)."""
    service = sandbox.moto_service(PYTHON, tmp_path, free_port())
    sandbox.start(service, REPO_ROOT)
    try:
        s3, iam = aws("s3", service.url), aws("iam", service.url)
        bucket = "bitmovin-analytics-local-123456789012"
        s3.create_bucket(Bucket=bucket)
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration=dict.fromkeys(
                ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
            ),
        )
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policies.tls_only_bucket_policy("aws", bucket)))
        trust = policies.trust_policy("ext-id-1", policies.BITMOVIN_PRINCIPAL)
        iam.create_role(
            RoleName="bitmovin-analytics-export-local", AssumeRolePolicyDocument=json.dumps(trust)
        )
        iam.put_role_policy(
            RoleName="bitmovin-analytics-export-local",
            PolicyName="bitmovin-analytics-export-write",
            PolicyDocument=json.dumps(policies.write_policy("aws", bucket, "", None)),
        )
        changed = policies.trust_policy("ext-id-2", policies.BITMOVIN_PRINCIPAL)
        iam.update_assume_role_policy(
            RoleName="bitmovin-analytics-export-local", PolicyDocument=json.dumps(changed)
        )

        role = iam.get_role(RoleName="bitmovin-analytics-export-local")["Role"]
        assert role["Arn"] == ROLE  # the ARN the program computes before the role exists
        assert role["AssumeRolePolicyDocument"] == changed
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Effect"] == "Deny"
    finally:
        sandbox.stop(service)


def test_the_bitmovin_emulator_keeps_its_outputs_across_a_restart(tmp_path):
    def service():
        return sandbox.bitmovin_service(PYTHON, tmp_path, port, "sandbox-key", tmp_path / "emulator.json")

    port = free_port()
    headers = {"X-Api-Key": "sandbox-key"}
    first = sandbox.start(service(), REPO_ROOT)
    try:
        url = service().url + COLLECTION
        created = requests.post(url, json={"bucketName": "b", "roleArn": ROLE}, headers=headers, timeout=5)
        assert created.status_code == 201
        output = created.json()["data"]["result"]
        assert requests.get(url, headers={"X-Api-Key": "other"}, timeout=5).status_code == 401
    finally:
        assert sandbox.stop(service())

    second = sandbox.start(service(), REPO_ROOT)
    try:
        assert second.fresh
        assert second.pid != first.pid
        again = requests.get(f"{url}/{output['id']}", headers=headers, timeout=5)
        assert again.status_code == 200
        assert again.json()["data"]["result"] == output
    finally:
        sandbox.stop(service())


def test_a_stale_pid_file_naming_another_process_is_ignored_and_never_signalled(tmp_path):
    service = sandbox.moto_service(PYTHON, tmp_path, free_port())
    service.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not moto: e.g. a PID reused after a reboot
    assert sandbox.running_pid(service) is None
    assert sandbox.stop(service) is False  # this test process is still here to assert it
    assert not service.pid_file.exists()


# -- only what the sandbox started is ever signalled -------------------------------------------------

# A stand-in emulator: answers every GET with 200 (so `start` sees it ready) on the port its argv names.
FAKE_EMULATOR = (
    "import http.server, sys\n"
    "port = int(sys.argv[sys.argv.index('--port') + 1])\n"
    "class Ok(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()\n"
    "    def log_message(self, *args):\n"
    "        pass\n"
    "http.server.HTTPServer(('127.0.0.1', port), Ok).serve_forever()\n"
)


def fake_service(project: Path, name: str, module: str, port: int, code: str = FAKE_EMULATOR):
    """A service of ``project`` whose command line names the module, the port and the project."""
    return sandbox.Service(
        name=name,
        title=f"fake {name}",
        argv=(
            sys.executable,
            "-c",
            code,
            "-m",
            module,
            "--port",
            str(port),
            "--project",
            str(project),
        ),
        port=port,
        ready_path="/",
        port_env="SANDBOX_TEST_PORT",
        work=project / ".sandbox",
    )


@pytest.fixture
def fakes():
    """Starts fake emulators through ``sandbox.start``; kills every one still running afterwards."""
    started: list[int] = []

    def start(service) -> int:
        pid = sandbox.start(service, REPO_ROOT).pid
        started.append(pid)
        return pid

    yield start
    for pid in started:
        try:  # only an unreaped child of this process: its pid cannot belong to anyone else yet
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                continue
        except ChildProcessError:
            continue
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def alive(pid: int) -> bool:
    """True while ``pid``, a child of this process, runs (reaps it once it has exited)."""
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return False


def checkout(root: Path) -> Path:
    """A project directory with the two files ``./sandbox down`` reads before it starts anything."""
    root.mkdir(parents=True)
    for name in ("Pulumi.yaml", "Pulumi.local.yaml"):
        shutil.copy2(REPO_ROOT / name, root / name)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text("#!/bin/sh\nexit 3\n")  # never run: nothing is deployed
    (bin_dir / "pulumi").chmod(0o755)
    return root


def test_down_in_one_checkout_never_signals_the_emulators_of_another(tmp_path, fakes):
    mine, theirs = checkout(tmp_path / "mine"), checkout(tmp_path / "theirs")
    my_moto = fake_service(mine, "moto", "dev.sandbox_moto", free_port())
    my_bitmovin_port = free_port()
    their_bitmovin = fake_service(theirs, "bitmovin-emulator", "dev.bitmovin_emulator", free_port())
    my_pid = fakes(my_moto)
    their_pid = fakes(their_bitmovin)
    # My PID file of the Bitmovin emulator names theirs, e.g. a .sandbox/ copied from their checkout.
    (mine / ".sandbox" / "bitmovin-emulator.pid").write_bytes(their_bitmovin.pid_file.read_bytes())
    their_pid_file = their_bitmovin.pid_file.read_bytes()

    said: list[str] = []
    environ = {
        "PATH": str(mine / "bin"),
        "SANDBOX_MOTO_PORT": str(my_moto.port),
        "SANDBOX_BITMOVIN_PORT": str(my_bitmovin_port),
    }
    sandbox.Sandbox(sandbox.Layout(mine), environ, said.append).down()

    assert alive(their_pid)
    assert sandbox.answers(their_bitmovin)
    assert their_bitmovin.pid_file.read_bytes() == their_pid_file
    assert sandbox.running_pid(their_bitmovin) == their_pid  # theirs still recognises it
    assert not alive(my_pid)  # mine was stopped
    assert not (mine / ".sandbox" / "bitmovin-emulator.pid").exists()
    assert not my_moto.pid_file.exists()
    ignored = [line for line in said if "ignored and removed the PID file" in line]
    assert len(ignored) == 1, said
    assert f"written for the project {theirs.resolve()}" in ignored[0]
    assert "nothing was signalled" in ignored[0]
    assert any(line.startswith("Stopped moto") for line in said), said


def test_a_pid_file_without_start_time_is_never_acted_on_even_if_the_command_line_matches(
    tmp_path, fakes, capsys
):
    """An older sandbox's bare pid, naming a process whose command line has the module and the port."""
    theirs = fake_service(tmp_path / "theirs", "bitmovin-emulator", "dev.bitmovin_emulator", free_port())
    their_pid = fakes(theirs)
    mine = fake_service(tmp_path / "mine", "bitmovin-emulator", "dev.bitmovin_emulator", theirs.port)
    mine.work.mkdir(parents=True)
    mine.pid_file.write_text(f"{their_pid}\n")
    capsys.readouterr()

    assert sandbox.stop(mine) is False

    assert alive(their_pid)
    assert not mine.pid_file.exists()
    said = capsys.readouterr().err.splitlines()  # reported on stderr when no `say` is given
    assert len(said) == 1
    assert said[0].startswith("sandbox: ignored and removed the PID file")
    assert f"it names pid {their_pid}" in said[0]
    assert "nothing was signalled" in said[0]


def test_a_reused_pid_with_the_same_command_line_but_another_start_time_is_not_signalled(tmp_path, fakes):
    service = fake_service(tmp_path / "project", "moto", "dev.sandbox_moto", free_port())
    pid = fakes(service)
    record = json.loads(service.pid_file.read_text())
    assert record["pid"] == pid
    assert record["port"] == service.port
    assert record["project"] == str((tmp_path / "project").resolve())
    assert record["argv"] == list(service.argv)
    assert record["startTime"] == Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    # The record is of an earlier process that had this pid; the one running now started later.
    record["startTime"] = str(int(record["startTime"]) - 1)
    service.pid_file.write_text(json.dumps(record))
    said: list[str] = []

    assert sandbox.running_pid(service, said.append) is None
    assert sandbox.stop(service, say=said.append) is False

    assert alive(pid)
    assert sandbox.answers(service)
    assert not service.pid_file.exists()
    assert "another process reuses the pid" in said[0]


def test_stop_signals_only_the_recorded_process_when_it_does_not_lead_its_group(tmp_path):
    """A recorded process that is not a group leader (not started by ``start``) gets os.kill, not killpg."""
    service = fake_service(tmp_path / "project", "moto", "dev.sandbox_moto", free_port())
    neighbour = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # same group
    process = subprocess.Popen(list(service.argv))  # in this test's process group, not its own
    try:
        sandbox.write_pid_file(service, process.pid)
        sandbox.wait_until_ready(service, process, timeout=30)
        assert os.getpgid(process.pid) == os.getpgid(0) != process.pid

        assert sandbox.stop(service) is True

        assert process.poll() is not None  # gone (stop reaped its child already)
        assert neighbour.poll() is None  # this test's group (pytest included) was not signalled
    finally:
        for child in (process, neighbour):
            if child.poll() is None:
                child.kill()
            child.wait()


def test_a_port_answered_by_another_program_is_refused_with_the_variable_to_change(tmp_path):
    with EmulatorServer() as foreign:  # answers the readiness request, but was not started by the sandbox
        port = foreign.port
        service = sandbox.bitmovin_service(PYTHON, tmp_path, port, "k", tmp_path / "e.json")
        with pytest.raises(sandbox.SandboxError) as raised:
            sandbox.start(service, REPO_ROOT)
    assert f"port {port} already answers" in str(raised.value)
    assert "SANDBOX_BITMOVIN_PORT" in str(raised.value)
    assert not service.pid_file.exists()


def test_a_service_that_cannot_bind_fails_with_its_own_reason(tmp_path):
    with socket.socket() as busy:
        # Bound, not listening: moto cannot bind the port, and a probe of it is refused at once
        # (a listening socket that never answers would hold every probe for its whole timeout).
        busy.bind(("127.0.0.1", 0))
        service = sandbox.moto_service(PYTHON, tmp_path, busy.getsockname()[1])
        with pytest.raises(sandbox.SandboxError) as raised:
            sandbox.start(service, REPO_ROOT)
    message = str(raised.value)
    assert "moto (AWS S3, IAM, STS) exited during start-up" in message
    assert "in use" in message  # moto's own last log line
    assert not service.pid_file.exists()


# -- only the process the sandbox started counts as ready --------------------------------------------

# A stand-in service that starts but never binds its port (as when another program holds it).
NEVER_BINDS = "import time; time.sleep(60)"


def silent_service(project: Path, port: int):
    return fake_service(project, "moto", "dev.sandbox_moto", port, code=NEVER_BINDS)


@contextmanager
def impostor(port: int, first_status: int = 200):
    """A program of someone else's (this test process) answering on ``port``: ``first_status`` to the
    first request, 200 to every later one."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(first_status if not seen else 200)
            seen.append(self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_program_that_answers_on_the_port_during_start_up_is_not_taken_for_the_service(tmp_path):
    """It binds the port after the sandbox looked (it says 503 then), before the child could."""
    service = silent_service(tmp_path / "project", free_port())
    with impostor(service.port, first_status=503) as seen, pytest.raises(sandbox.SandboxError) as raised:
        sandbox.start(service, REPO_ROOT)
    message = str(raised.value)
    assert len(seen) >= 2  # the sandbox's own look, then the readiness probe that got 200
    assert f"{service.url} answers, but not from the fake moto this sandbox started" in message
    assert f"held by pid {os.getpid()}" in message
    assert "SANDBOX_TEST_PORT" in message
    assert not service.pid_file.exists()  # its child was stopped and forgotten


def test_a_recorded_service_whose_port_another_program_answers_on_is_not_reused(tmp_path):
    service = silent_service(tmp_path / "project", free_port())
    child = subprocess.Popen(list(service.argv), start_new_session=True)
    try:
        sandbox.write_pid_file(service, child.pid)  # the sandbox started it; it never bound the port
        with impostor(service.port), pytest.raises(sandbox.SandboxError) as raised:
            sandbox.start(service, REPO_ROOT)
        assert f"not by fake moto (pid {child.pid})" in str(raised.value)
        assert child.poll() is None  # nothing was signalled
    finally:
        child.kill()
        child.wait()


def test_waiting_for_a_silent_service_is_bounded(tmp_path):
    service = sandbox.moto_service(PYTHON, tmp_path, free_port())  # nothing listens there
    now = [0.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    with pytest.raises(sandbox.SandboxError, match=r"did not answer on http://127\.0\.0\.1:\d+ within 2 s"):
        sandbox.wait_until_ready(service, None, timeout=2, clock=lambda: now[0], sleep=sleep, pid=os.getpid())
    assert 15 <= len(pauses) <= 25  # polled every 0.1 s of the fake clock, no real waiting


def test_moved_ports_must_be_numbers_and_differ(tmp_path):
    assert sandbox.port_from_env("SANDBOX_MOTO_PORT", 18455, {}) == 18455
    assert sandbox.port_from_env("SANDBOX_MOTO_PORT", 18455, {"SANDBOX_MOTO_PORT": "19000"}) == 19000
    with pytest.raises(sandbox.SandboxError, match="SANDBOX_MOTO_PORT must be a port number"):
        sandbox.port_from_env("SANDBOX_MOTO_PORT", 18455, {"SANDBOX_MOTO_PORT": "http://x"})


def test_pulumi_runs_with_the_project_backend_and_never_with_real_credentials():
    layout = sandbox.Layout(REPO_ROOT)
    env = sandbox.pulumi_env(
        layout,
        {
            "PATH": "/usr/bin",
            "AWS_PROFILE": "production",
            "aws_secret_access_key": "x",
            "BITMOVIN_API_KEY": "real",
            "PULUMI_BACKEND_URL": "https://api.pulumi.com",
            "PULUMI_CONFIG_PASSPHRASE_FILE": "/secret",
            "NO_PROXY": "corp.example",
        },
    )
    assert env["PULUMI_BACKEND_URL"] == (REPO_ROOT / ".sandbox" / "state").as_uri()
    assert env["PULUMI_CONFIG_PASSPHRASE"] == sandbox.PASSPHRASE
    assert env["PULUMI_SKIP_UPDATE_CHECK"] == "true"
    assert env["NO_PROXY"] == env["no_proxy"] == "corp.example,127.0.0.1,localhost"
    assert not [name for name in env if name.upper().startswith(("AWS_", "BITMOVIN_"))]
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in env
    assert env["PATH"] == f"{REPO_ROOT / 'venv' / 'bin'}:/usr/bin"  # the venv's python3 first


# -- up and down, end to end, with a stand-in pulumi -------------------------------------------------

FAKE_PULUMI = r'''#!{python}
"""Stand-in for the Pulumi CLI: records each call, and does over HTTP what the program would."""
import json, os, re, sys, urllib.error, urllib.request
from pathlib import Path

LOG, WORLD, KEY = Path({log!r}), Path({world!r}), {key!r}  # KEY: what Pulumi decrypts from the stack file
args = sys.argv[1:]
record = {{"args": args, "cwd": os.getcwd(), "path": os.environ["PATH"].split(os.pathsep),
           "env": {{k: v for k, v in os.environ.items() if k.upper().startswith(("PULUMI_", "AWS_", "BITMOVIN_"))}}}}
opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))


def stack_config():
    path = args[args.index("--config-file") + 1] if "--config-file" in args else "Pulumi.local.yaml"
    text = Path(path).read_text()
    return (re.search(r"s3: (\S+)", text).group(1), re.search(r"bitmovin:apiUrl: (\S+)", text).group(1), KEY)


def call(method, url, key="", body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={{"X-Api-Key": key, "Content-Type": "application/json"}})
    try:
        with opener.open(request, timeout=5) as response:
            raw = response.read()
            return response.status, json.loads(raw) if "json" in response.headers.get("Content-Type", "") else None
    except urllib.error.HTTPError as error:
        return error.code, None


world = json.loads(WORLD.read_text()) if WORLD.exists() else {{"stack": None}}
code = 0
if args[:2] == ["stack", "ls"]:
    stack = world["stack"]
    print(json.dumps([] if stack is None else [{{"name": "local", "resourceCount": stack["resources"]}}]))
elif args[:2] == ["stack", "init"]:
    world["stack"] = {{"resources": 0, "outputs": {{}}}}
elif args[0] == "up":
    moto, api, key = stack_config()
    record["moto"] = call("GET", moto + "/moto-api/")[0]
    existing = world["stack"]["outputs"].get("outputId")
    if existing:
        record["existing_output"] = call("GET", api + "/analytics/outputs/s3-role-based/" + existing, key)[0]
    else:
        status, body = call("POST", api + "/analytics/outputs/s3-role-based", key,
                            {{"bucketName": "b", "roleArn": "arn:aws:iam::123456789012:role/r"}})
        record["create"] = status
        world["stack"] = {{"resources": 8, "outputs": {{"outputId": body["data"]["result"]["id"]}}, "api": api}}
elif args[0] == "destroy":  # like Pulumi: the provider settings the state recorded, not the stack file
    moto, api, key = stack_config()
    record["config_api"], api = api, world["stack"].get("api", api)
    record["delete"] = call("DELETE", api + "/analytics/outputs/s3-role-based/" + world["stack"]["outputs"]["outputId"], key)[0]
    world["stack"] = {{"resources": 0, "outputs": {{}}}}
elif args[:2] == ["stack", "output"]:
    print(json.dumps(world["stack"]["outputs"]))
else:
    code = 3  # anything else, `pulumi login` above all, must never be called
WORLD.write_text(json.dumps(world))
with LOG.open("a") as log:
    log.write(json.dumps(record) + "\n")
sys.exit(code)
'''


@pytest.fixture
def sandbox_project(tmp_path):
    """A project copy whose Pulumi.yaml names the test venv, a stand-in pulumi, moved ports."""
    venv = running_venv()
    if venv is None:
        pytest.skip("the sandbox end-to-end test needs the tests to run inside a virtual environment")
    project = copy_project(tmp_path / "project", venv=venv, with_sandbox=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(
        FAKE_PULUMI.format(
            python=sys.executable,
            log=str(tmp_path / "calls.jsonl"),
            world=str(tmp_path / "world.json"),
            key=sandbox.EMULATOR_API_KEY,
        )
    )
    fake.chmod(0o755)
    ports = {"SANDBOX_MOTO_PORT": str(free_port()), "SANDBOX_BITMOVIN_PORT": str(free_port())}
    env = {
        **{k: v for k, v in os.environ.items() if k != "PULUMI_HOME"},
        **ports,
        "HOME": str(tmp_path),  # no pulumi-aws plugin installed there: the stand-in serves aws
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        # A shell set up for real accounts: none of this may reach Pulumi or the emulators.
        "AWS_PROFILE": "production",
        "AWS_ACCESS_KEY_ID": "AKIAREALKEY",
        "BITMOVIN_API_KEY": "real-bitmovin-key",
        "PULUMI_BACKEND_URL": "https://api.pulumi.com",
    }
    work = project / ".sandbox"
    services = (
        sandbox.moto_service(venv / "bin" / "python", work, int(ports["SANDBOX_MOTO_PORT"])),
        sandbox.bitmovin_service(
            venv / "bin" / "python",
            work,
            int(ports["SANDBOX_BITMOVIN_PORT"]),
            "x",
            work / "bitmovin-emulator.json",
        ),
    )
    yield project, env, tmp_path / "calls.jsonl", services
    for service in services:  # whatever happened, leave no emulator behind
        sandbox.stop(service)


def run_sandbox(project: Path, env: dict, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(project / "dev" / "sandbox.py"), command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def calls(log: Path) -> list[dict]:
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    return records


def test_up_and_down_end_to_end(sandbox_project):
    project, env, log, (moto, bitmovin) = sandbox_project
    tracked = (project / "Pulumi.local.yaml").read_text()
    rendered = project / ".sandbox" / "Pulumi.local.yaml"
    backend = (project / ".sandbox" / "state").as_uri()

    # First up: both emulators start, the stack is created, `pulumi up` runs, the outputs are printed.
    first = run_sandbox(project, env, "up")
    assert first.returncode == 0, first.stderr
    recorded = calls(log)
    assert [r["args"] for r in recorded] == [
        ["stack", "ls", "--json"],
        ["stack", "init", "local", "--secrets-provider", "passphrase", "--no-select"],
        ["up", "--stack", "local", "--yes", "--config-file", str(rendered)],
        ["stack", "output", "--stack", "local", "--json"],
    ]
    for record in recorded:
        assert record["cwd"] == str(project)
        assert record["env"] == {
            "PULUMI_BACKEND_URL": backend,
            "PULUMI_CONFIG_PASSPHRASE": sandbox.PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",  # the stand-in serves aws
        }
        # The venv first (the old language host runs the first python3), then the aws stand-in.
        assert record["path"][:2] == [str(running_venv() / "bin"), str(project / "dev/aws_standin/bin")]
    assert (recorded[2]["moto"], recorded[2]["create"]) == (200, 201)  # both answered during `up`
    output_id = json.loads(
        first.stdout.split("Stack outputs of `local`:\n", 1)[1].split("\n}\n", 1)[0] + "\n}"
    )["outputId"]
    assert "started, answered after" in first.stdout
    assert "moto keeps AWS state in memory only" in first.stdout
    moved = yaml.safe_load(rendered.read_text())
    assert moved["config"]["aws:endpoints"][0]["s3"] == moto.url
    assert moved["config"]["bitmovin:apiUrl"] == bitmovin.url + "/v1"
    assert moved["encryptionsalt"] == yaml.safe_load(tracked)["encryptionsalt"]
    assert (project / "Pulumi.local.yaml").read_text() == tracked  # the tracked file never changes
    assert sandbox.running_pid(moto)
    assert sandbox.running_pid(bitmovin)

    # Second up: the running emulators are reused; the stack exists, no refresh.
    second = run_sandbox(project, env, "up")
    assert second.returncode == 0, second.stderr
    assert [r["args"][:2] for r in calls(log)] == [["stack", "ls"], ["up", "--stack"], ["stack", "output"]]
    assert second.stdout.count("already running") == 2

    # Both emulators die: moto's state is gone, the Bitmovin emulator's is in its state file.
    assert sandbox.stop(moto)
    assert sandbox.stop(bitmovin)
    third = run_sandbox(project, env, "up")
    assert third.returncode == 0, third.stderr
    up = next(r for r in calls(log) if r["args"][0] == "up")
    assert up["args"] == ["up", "--stack", "local", "--yes", "--refresh", "--config-file", str(rendered)]
    assert up["existing_output"] == 200  # the output created by the first up survived the restart
    assert "moto was not running" in third.stdout

    # Down: destroy, then both emulators stop.
    down = run_sandbox(project, env, "down")
    assert down.returncode == 0, down.stderr
    destroy = [r for r in calls(log) if r["args"][0] == "destroy"]
    assert [r["args"] for r in destroy] == [
        ["destroy", "--stack", "local", "--yes", "--config-file", str(rendered)]
    ]
    assert destroy[0]["delete"] == 200
    assert sandbox.running_pid(moto) is None
    assert sandbox.running_pid(bitmovin) is None
    assert not sandbox.answers(moto)
    assert not sandbox.answers(bitmovin)
    state = json.loads((project / ".sandbox" / "bitmovin-emulator.json").read_text())
    assert output_id not in json.dumps(state["outputs"])

    # Down again: nothing deployed, nothing started.
    again = run_sandbox(project, env, "down")
    assert again.returncode == 0, again.stderr
    assert [r["args"] for r in calls(log)] == [["stack", "ls", "--json"]]
    assert "Nothing is deployed" in again.stdout


def test_moved_ports_after_up_are_refused_by_up_and_down_uses_the_recorded_ones(sandbox_project, request):
    project, env, log, (moto, listed) = sandbox_project
    key, work = sandbox.EMULATOR_API_KEY, project / ".sandbox"
    bitmovin = sandbox.bitmovin_service(PYTHON, work, listed.port, key, work / "bitmovin-emulator.json")
    rendered = project / ".sandbox" / "Pulumi.local.yaml"
    first = run_sandbox(project, env, "up")
    assert first.returncode == 0, first.stderr
    calls(log)
    moved = {**env, "SANDBOX_MOTO_PORT": str(free_port()), "SANDBOX_BITMOVIN_PORT": str(free_port())}
    elsewhere = [
        sandbox.moto_service(PYTHON, project / ".sandbox", int(moved["SANDBOX_MOTO_PORT"])),
        sandbox.bitmovin_service(
            PYTHON, project / ".sandbox", int(moved["SANDBOX_BITMOVIN_PORT"]), key, Path("e")
        ),
    ]
    for service in elsewhere:  # whatever happens, leave no emulator behind on the new ports either
        request.addfinalizer(lambda service=service: sandbox.stop(service))

    # up with other ports: refused, nothing run, the emulators keep their ports.
    refused = run_sandbox(project, moved, "up")
    assert refused.returncode == 1
    assert f"the sandbox is up with moto on port {moto.port}" in refused.stderr
    assert f"SANDBOX_MOTO_PORT={moto.port} SANDBOX_BITMOVIN_PORT={bitmovin.port}" in refused.stderr
    assert "./sandbox down" in refused.stderr
    assert calls(log) == []
    assert sandbox.answers(moto)
    assert sandbox.answers(bitmovin)
    assert json.loads((project / ".sandbox" / "ports.json").read_text()) == {
        "moto": moto.port,
        "bitmovin": bitmovin.port,
    }

    # down with other ports: destroys against the recorded ones, then stops those emulators.
    down = run_sandbox(project, moved, "down")
    assert down.returncode == 0, down.stderr
    assert "Using the ports `up` recorded" in down.stdout
    destroy = next(r for r in calls(log) if r["args"][0] == "destroy")
    assert destroy["args"] == ["destroy", "--stack", "local", "--yes", "--config-file", str(rendered)]
    assert destroy["config_api"] == bitmovin.url + "/v1"  # the file passed names the recorded port
    assert destroy["delete"] == 200  # the emulator the state points at answered
    assert yaml.safe_load(rendered.read_text())["config"]["aws:endpoints"][0]["s3"] == moto.url
    for service in (moto, bitmovin, *elsewhere):
        assert not sandbox.answers(service)
        assert sandbox.running_pid(service) is None
    assert not (project / ".sandbox" / "ports.json").exists()

    # With nothing deployed and nothing running, up may use the new ports.
    again = run_sandbox(project, moved, "up")
    assert again.returncode == 0, again.stderr
    assert all(sandbox.answers(service) for service in elsewhere)
    assert run_sandbox(project, moved, "down").returncode == 0
    assert not any(sandbox.answers(service) for service in elsewhere)


# -- no Pulumi CLI on PATH: the project's engine (a fake scripts/engine), down with or without a CLI ---

FAKE_ENGINE_SCRIPT = """#!/bin/sh
# Stand-in for scripts/engine: counts its calls, reports progress on stderr, prints the directory last.
echo call >> {calls}
echo "scripts/engine: building Pulumi (fake) ..." >&2
echo "some line before the directory"
echo {engine_dir}
"""


def without_pulumi(project: Path, env: dict, tmp_path: Path) -> tuple[dict, Path]:
    """Move the fake pulumi off PATH into an engine directory that a fake scripts/engine prints; put a
    fake `go` on PATH. Returns the environment and the engine's pulumi."""
    bin_dir = tmp_path / "bin"
    engine_dir = tmp_path / "engine-cache" / "pulumi-v0-key"
    engine_dir.mkdir(parents=True)
    (bin_dir / "pulumi").rename(engine_dir / "pulumi")
    (bin_dir / "go").write_text("#!/bin/sh\nexit 0\n")  # only looked for: the fake script builds nothing
    (bin_dir / "go").chmod(0o755)
    script = project / "scripts" / "engine"
    script.parent.mkdir(exist_ok=True)
    script.write_text(FAKE_ENGINE_SCRIPT.format(calls=tmp_path / "engine-calls", engine_dir=engine_dir))
    script.chmod(0o755)
    paths = [entry for entry in env["PATH"].split(os.pathsep) if not shutil.which("pulumi", path=entry)]
    return {**env, "PATH": os.pathsep.join(paths)}, engine_dir / "pulumi"


def answering(project: Path, port: int):
    """The sandbox's Bitmovin emulator on ``port`` as ``answers`` must ask it (with the stack's key)."""
    work = project / ".sandbox"
    return sandbox.bitmovin_service(
        PYTHON, work, port, sandbox.EMULATOR_API_KEY, work / "bitmovin-emulator.json"
    )


def test_up_without_pulumi_builds_the_engine_and_down_uses_it(sandbox_project, tmp_path):
    project, env, log, (moto, listed) = sandbox_project
    bitmovin = answering(project, listed.port)
    env, engine = without_pulumi(project, env, tmp_path)
    assert shutil.which("pulumi", path=env["PATH"]) is None

    up = run_sandbox(project, env, "up")

    assert up.returncode == 0, up.stderr
    assert up.stdout.startswith(sandbox.ENGINE_NOTE + "\n")  # said before anything else happens
    assert f"Using the project's engine: {engine}" in up.stdout
    assert sandbox.answers(moto)
    assert sandbox.answers(bitmovin)
    assert "scripts/engine: building Pulumi (fake)" in up.stderr  # its progress reaches the user
    assert (tmp_path / "engine-calls").read_text() == "call\n"
    stand_in = [line for line in up.stdout.splitlines() if "stand-in serves aws" in line]
    assert len(stand_in) == 1
    assert "pulumi plugin install resource aws v" in stand_in[0]
    recorded = calls(log)
    assert [r["args"][0] for r in recorded] == ["stack", "stack", "up", "stack"]
    venv_bin, standin_bin = str(running_venv() / "bin"), str(project / "dev" / "aws_standin" / "bin")
    for record in recorded:
        assert record["path"][:3] == [venv_bin, standin_bin, str(engine.parent)]
    session = json.loads((project / ".sandbox" / "session.json").read_text())
    assert session["pulumi"] == str(engine)
    assert (project / ".sandbox" / "engine" / "bin" / "pulumi").resolve() == engine
    assert session["awsEndpoint"] == moto.url
    assert session["bitmovinApiUrl"] == bitmovin.url + "/v1"

    down = run_sandbox(project, env, "down")  # still no pulumi on PATH: the engine `up` used

    assert down.returncode == 0, down.stderr
    destroy = [r for r in calls(log) if r["args"][0] == "destroy"]
    assert len(destroy) == 1
    assert destroy[0]["path"][0] == venv_bin  # down, too, runs the venv's python3 first
    assert destroy[0]["delete"] == 200
    assert (tmp_path / "engine-calls").read_text() == "call\n"  # down never builds
    assert not sandbox.answers(moto)
    assert not sandbox.answers(bitmovin)
    assert not (project / ".sandbox" / "session.json").exists()


def test_down_without_any_cli_still_stops_both_emulators(sandbox_project, tmp_path):
    project, env, log, (moto, listed) = sandbox_project
    bitmovin = answering(project, listed.port)
    up = run_sandbox(project, env, "up")
    assert up.returncode == 0, up.stderr
    assert sandbox.answers(moto)
    assert sandbox.answers(bitmovin)
    env, engine = without_pulumi(project, env, tmp_path)
    engine.unlink()  # the CLI `up` used is gone too
    calls(log)

    down = run_sandbox(project, env, "down")

    assert down.returncode == 0, down.stderr
    assert calls(log) == []
    assert "No Pulumi CLI" in down.stdout
    assert str(project / ".sandbox" / "state") in down.stdout  # where the stack's state stays
    assert not sandbox.answers(moto)
    assert not sandbox.answers(bitmovin)
    assert sandbox.running_pid(moto) is None
    assert sandbox.running_pid(bitmovin) is None
    assert not (tmp_path / "engine-calls").exists()  # down never builds the engine


def test_an_installed_aws_plugin_is_used_instead_of_the_stand_in(tmp_path):
    plugin = tmp_path / ".pulumi" / "plugins" / "resource-aws-v7.51.1" / "pulumi-resource-aws"
    plugin.parent.mkdir(parents=True)
    plugin.write_text("#!/bin/sh\nexit 0\n")
    plugin.chmod(0o755)
    said: list[str] = []
    layout = sandbox.Layout(REPO_ROOT)
    environ = {"HOME": str(tmp_path), "PATH": "/usr/bin"}

    standin = sandbox.Sandbox(layout, environ, said.append).choose_aws_plugin("/opt/pulumi/pulumi")

    assert standin is False
    assert said == [f"pulumi-aws's plugin: {plugin}"]
    env = sandbox.pulumi_env(layout, environ, "/opt/pulumi/pulumi", standin)
    assert env["PATH"] == f"{REPO_ROOT / 'venv' / 'bin'}:/opt/pulumi:/usr/bin"
    assert "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION" not in env  # the engine may download as usual
