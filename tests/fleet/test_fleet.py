"""Layer 1: the fleet command's logic, without a Pulumi CLI.

Stacks are stand-ins injected through the opener (what ``pulumi.automation.Stack`` would be); they
raise the Automation API's real error classes, built from ``CommandResult`` objects like the ones the
API builds from a failed ``pulumi`` process. Durations come from an injected clock that the stand-ins
advance, so nothing sleeps. One test drives the real Automation API with an empty ``PATH`` to prove
the missing-CLI message.
"""

from __future__ import annotations

import io
import re
import shutil
import signal
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pulumi.automation import OpType
from pulumi.automation._cmd import CommandResult
from pulumi.automation.errors import CommandError, ConcurrentUpdateError, StackNotFoundError

from dev.support import REPO_ROOT
from dev.support.testing import ORG_ID
from fleet import cli, report
from fleet.runner import Operation, Options, Status, Target, change_counts, run_fleet
from fleet.workspace import INSTALL_URL, PulumiCliMissing, local_opener

pytestmark = pytest.mark.layer1

ACME = ORG_ID  # the organization of the acme-* stacks
GLOBEX = "9b2f4c1e-0d6a-4b8e-8f3a-6c5d4e3b2a10"
LOCK_STDERR = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or "
    "delete the lock file with `pulumi cancel`.\n  s3://state/.pulumi/locks/org/project/acme-prod/x.json"
)


class ThreadClock:
    """A clock per thread: a stand-in stack 'takes' seconds by advancing its worker thread's time."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self) -> float:
        return getattr(self._local, "now", 0.0)

    def advance(self, seconds: float) -> None:
        self._local.now = self() + seconds


class StandInStack:
    """Behaves like ``pulumi.automation.Stack`` for one operation."""

    def __init__(self, name: str, clock: ThreadClock, *, changes=None, seconds=1.0, error=None, outputs=None):
        self.name, self.clock = name, clock
        self.changes = changes if changes is not None else {OpType.SAME: 9}
        self.seconds, self.error, self._outputs = seconds, error, outputs or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.hook = None  # called inside the operation (e.g. to meet other stacks at a barrier)

    def _operation(self, kind: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((kind, {k: v for k, v in kwargs.items() if k not in ("on_output", "on_error")}))
        kwargs["on_output"](f"Previewing update ({self.name})")
        kwargs["on_error"]("warning: something on stderr")
        if self.hook:
            self.hook()
        self.clock.advance(self.seconds)
        if self.error is not None:
            raise self.error

    def preview(self, **kwargs: Any) -> Any:
        self._operation("preview", kwargs)
        return SimpleNamespace(stdout="", stderr="", change_summary=self.changes)

    def up(self, **kwargs: Any) -> Any:
        self._operation("up", kwargs)
        return SimpleNamespace(summary=SimpleNamespace(resource_changes=self.changes))

    def refresh(self, **kwargs: Any) -> Any:
        self._operation("refresh", kwargs)
        return SimpleNamespace(summary=SimpleNamespace(resource_changes=self.changes))

    def outputs(self) -> dict[str, Any]:
        self.calls.append(("outputs", {}))
        return self._outputs


def command_failure(cls: type[CommandError], stderr: str, stdout: str = "") -> CommandError:
    return cls(CommandResult(stdout=stdout, stderr=stderr, code=255))


def write_stacks(directory: Path, stacks: dict[str, str]) -> Path:
    (directory / "Pulumi.yaml").write_text("name: bitmovin-analytics-export\nruntime: python\n")
    for name, body in stacks.items():
        (directory / f"Pulumi.{name}.yaml").write_text(body)
    return directory


def stack_file(tenant: str | None = None, api_url: str | None = None) -> str:
    lines = ["config:", "  aws:region: eu-central-1"]
    if tenant:
        lines.append(f"  bitmovin:tenantOrgId: {tenant}")
    if api_url:
        lines.append(f"  bitmovin:apiUrl: {api_url}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(tmp_path):
    return write_stacks(
        tmp_path,
        {
            "acme-prod": stack_file(ACME),
            "acme-staging": stack_file(ACME),
            "globex": stack_file(GLOBEX),
            "sandbox": stack_file(ACME, "http://127.0.0.1:8080/v1"),
        },
    )


class Fleet:
    """Runs ``fleet.cli.main`` with stand-ins; records every open. The backend holds the stand-ins'
    stacks (``backend``: other names, as ``pulumi stack ls`` would list them)."""

    def __init__(self, stacks: dict[str, StandInStack], backend: set[str] | None = None) -> None:
        self.stacks = stacks
        self.backend = set(stacks) if backend is None else backend
        self.clock = next(iter(stacks.values())).clock if stacks else ThreadClock()
        self.opened: list[str] = []
        self.opener_calls = 0
        self.listed = 0

    def opener(self, _project_dir: Path):
        self.opener_calls += 1
        fleet = self

        class OpenStack:
            def __call__(self, name: str) -> StandInStack:
                fleet.opened.append(name)
                if name not in fleet.stacks:
                    raise command_failure(StackNotFoundError, f"error: no stack named '{name}' found")
                return fleet.stacks[name]

            def existing(self) -> set[str]:
                fleet.listed += 1
                return set(fleet.backend)

        return OpenStack()

    def run(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(list(argv), opener=self.opener, stdout=out, stderr=err, clock=self.clock)
        return code, out.getvalue(), err.getvalue()


def stand_ins(clock: ThreadClock, **overrides: dict[str, Any]) -> dict[str, StandInStack]:
    names = ("acme-prod", "acme-staging", "globex", "sandbox")
    return {name: StandInStack(name, clock, **overrides.get(name.replace("-", "_"), {})) for name in names}


# -- whole runs ------------------------------------------------------------------------------------


def test_preview_runs_every_deployable_stack_and_reports_per_organization(project):
    clock = ThreadClock()
    stacks = stand_ins(
        clock,
        acme_prod={"changes": {OpType.CREATE: 2, OpType.REPLACE: 1, OpType.SAME: 6}, "seconds": 12.5},
        globex={"changes": {"update": 1, "same": 8, "read": 3}, "seconds": 3.0},
    )
    fleet = Fleet(stacks)
    code, out, err = fleet.run("preview", "--project-dir", str(project))

    assert code == 0
    assert sorted(fleet.opened) == ["acme-prod", "acme-staging", "globex"]  # local-only left out
    assert "skipping local-only stack sandbox (bitmovin:apiUrl is http://127.0.0.1:8080/v1)" in err
    # every line of every stack arrives, prefixed with its (padded) stack name
    assert "acme-prod    | Previewing update (acme-prod)" in out
    assert "globex       | warning: something on stderr" in out
    assert "acme-staging | preview finished" in out
    acme_table = out.split(f"organization {ACME}")[1].split("organization ")[0]
    globex_table = out.split(f"organization {GLOBEX}")[1]
    assert "acme-prod" in acme_table
    assert "acme-staging" in acme_table
    assert "globex" not in acme_table
    header = acme_table.splitlines()[1].split()
    assert header == ["stack", "create", "update", "replace", "delete", "same", "other", "duration", "result"]
    assert next(line for line in acme_table.splitlines() if "acme-prod" in line).split() == [
        "acme-prod", "2", "0", "1", "0", "6", "0", "12.5s", "ok"
    ]  # fmt: skip
    assert next(line for line in globex_table.splitlines() if line.strip().startswith("globex")).split() == [
        "globex", "0", "1", "0", "0", "8", "3", "3.0s", "ok"
    ]  # fmt: skip
    assert out.rstrip().endswith("preview: 3 stack(s): 3 ok")


def test_a_locked_stack_is_reported_as_locked_and_fails_the_run(project):
    clock = ThreadClock()
    stacks = stand_ins(clock, globex={"error": command_failure(ConcurrentUpdateError, LOCK_STDERR)})
    code, out, _ = Fleet(stacks).run("preview", "--project-dir", str(project))
    assert code == 1
    row = next(line for line in out.splitlines() if line.strip().startswith("globex") and "locked" in line)
    assert "locked: another update of this stack is running" in row
    assert "globex       | locked: another update" in out
    assert "the stack is currently locked by 1 lock(s)" in out  # the CLI's own hint is streamed too
    assert "Traceback" not in out
    assert out.rstrip().endswith("preview: 3 stack(s): 1 locked, 2 ok")


def test_service_backend_conflict_is_also_locked():
    clock = ThreadClock()
    error = command_failure(
        ConcurrentUpdateError, "error: [409] Conflict: Another update is currently in progress."
    )
    results = run_fleet(
        [Target("acme-prod", ACME)],
        Operation.UP,
        lambda _name: StandInStack("acme-prod", clock, error=error),
        io.StringIO(),
        clock=clock,
    )
    assert results[0].status is Status.LOCKED


def test_failures_become_results_and_never_stop_the_other_stacks(project):
    clock = ThreadClock()
    program_error = command_failure(
        CommandError,
        stderr="",
        stdout="Diagnostics:\n  pulumi:pulumi:Stack:\n    error: exportPrefix must end with '/'\n",
    )
    stacks = stand_ins(
        clock, acme_prod={"error": program_error}, acme_staging={"error": KeyError("bug in a stand-in")}
    )
    code, out, _ = Fleet(stacks).run("preview", "--project-dir", str(project))
    assert code == 1
    assert "failed: error: exportPrefix must end with '/'" in out
    assert "failed: KeyError: 'bug in a stand-in'" in out
    globex_row = next(
        line for line in out.splitlines() if line.strip().startswith("globex") and line.strip().endswith("ok")
    )
    assert globex_row
    assert out.rstrip().endswith("preview: 3 stack(s): 2 failed, 1 ok")


def test_a_named_stack_missing_from_the_backend_is_reported_as_missing(project):
    clock = ThreadClock()
    code, out, _ = Fleet(stand_ins(clock)).run("preview", "initech", "--project-dir", str(project))
    assert code == 1
    assert "no stack initech in this backend: `pulumi stack init initech` creates it" in out
    # no stack file: its organization is unknown here, so it is listed under the key's own
    assert f"organization {report.OWN_ORGANIZATION}" in out


def test_by_default_only_stack_files_with_a_stack_in_the_backend_run(project):
    """A stack file whose stack was never created (the committed example Pulumi.dev.yaml in a fresh
    clone) is skipped with the command that creates it, not reported missing; named, it runs."""
    clock = ThreadClock()
    fleet = Fleet(stand_ins(clock), backend={"acme-prod", "globex", "sandbox"})
    code, out, err = fleet.run("preview", "--project-dir", str(project))
    assert code == 0, out + err
    assert sorted(fleet.opened) == ["acme-prod", "globex"]
    assert (
        "fleet: skipping acme-staging: Pulumi.acme-staging.yaml has no stack in this backend (create it with "
        "`pulumi stack init acme-staging`, or name it to run it anyway)"
    ) in err
    assert "missing" not in out
    assert out.rstrip().endswith("preview: 2 stack(s): 2 ok")

    fleet.opened.clear()
    assert fleet.run("preview", "acme-staging", "--project-dir", str(project))[0] == 0
    assert fleet.opened == ["acme-staging"]  # named: run, whatever the backend lists


def test_the_backend_names_stacks_of_other_organizations_by_their_last_segment():
    from fleet.workspace import LocalStacks

    listing = [
        SimpleNamespace(name="globex"),
        SimpleNamespace(name="acme/bitmovin-analytics-export/acme-prod"),
    ]
    workspace = SimpleNamespace(list_stacks=lambda: listing)
    assert LocalStacks(workspace).existing() == {"globex", "acme-prod"}


def test_the_committed_stack_files_of_a_fresh_clone_are_not_run(tmp_path):
    """A fresh clone: Pulumi.dev.yaml (the example) and Pulumi.local.yaml (the sandbox), no stack yet."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.local.yaml"):
        shutil.copy2(REPO_ROOT / name, tmp_path / name)
    fleet = Fleet(stand_ins(ThreadClock()), backend=set())
    code, out, err = fleet.run("preview", "--project-dir", str(tmp_path))
    assert code == 2
    assert fleet.opened == []
    assert out == ""
    assert "fleet: skipping local-only stack local (the stack is named 'local')" in err
    assert "fleet: skipping dev: Pulumi.dev.yaml has no stack in this backend" in err
    assert "no stacks to run: no stack file in" in err
    assert "`pulumi stack init '<stack>'`" in err


def test_a_backend_that_cannot_be_listed_stops_before_any_stack(project):
    fleet = Fleet(stand_ins(ThreadClock()))

    def not_logged_in() -> set[str]:
        raise command_failure(
            CommandError,
            "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
        )

    original = fleet.opener

    def opener(project_dir):
        stacks = original(project_dir)
        stacks.existing = not_logged_in
        return stacks

    fleet.opener = opener
    code, out, err = fleet.run("preview", "--project-dir", str(project))
    assert code == 2
    assert fleet.opened == []
    assert out == ""
    assert "fleet: cannot list the stacks of this backend: error: PULUMI_ACCESS_TOKEN must be set" in err


def test_help_describes_every_operation_which_stacks_run_and_local_only(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.parse_args(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for operation, words in {
        "preview": "changes nothing",
        "up": "deploy",
        "refresh": "update the state",
        "outputs": "[secret]",
    }.items():
        (line,) = [line for line in text.splitlines() if line.strip().startswith(f"{operation} ")]
        assert words in line, line
    assert "local-only stacks:" in text
    assert "a stack named `local`, or whose bitmovin:apiUrl or" in text
    assert "127.0.0.0/8" in text
    assert "exists in the backend (`pulumi stack ls`)" in text
    assert "--include-local" in text
    assert "exit status:" in text


def test_named_stacks_only_and_local_only_when_asked(project):
    clock = ThreadClock()
    fleet = Fleet(stand_ins(clock))
    assert fleet.run("preview", "globex", "globex", "--project-dir", str(project))[0] == 0
    assert fleet.opened == ["globex"]
    fleet.opened.clear()
    code, _, err = fleet.run("preview", "--include-local", "--project-dir", str(project))
    assert code == 0
    assert sorted(fleet.opened) == ["acme-prod", "acme-staging", "globex", "sandbox"]
    assert "skipping" not in err


def test_flags_reach_the_automation_api_only_when_set(project):
    clock = ThreadClock()
    stacks = stand_ins(clock)
    fleet = Fleet(stacks)
    fleet.run("preview", "globex", "--project-dir", str(project))
    assert stacks["globex"].calls == [("preview", {"color": "never"})]
    stacks["globex"].calls.clear()
    fleet.run(
        "preview", "globex", "--refresh", "--expect-no-changes", "--diff", "--project-dir", str(project)
    )
    assert stacks["globex"].calls == [
        ("preview", {"color": "never", "refresh": True, "expect_no_changes": True, "diff": True})
    ]
    stacks["globex"].calls.clear()
    fleet.run("refresh", "globex", "--yes", "--expect-no-changes", "--project-dir", str(project))
    assert stacks["globex"].calls == [("refresh", {"color": "never", "expect_no_changes": True})]
    stacks["globex"].calls.clear()
    assert fleet.run("up", "globex", "--yes", "--project-dir", str(project))[0] == 0
    assert stacks["globex"].calls == [("up", {"color": "never"})]


def test_outputs_are_printed_per_stack_with_secrets_masked(project):
    clock = ThreadClock()
    values = {
        "roleArn": SimpleNamespace(value="arn:aws:iam::123456789012:role/x", secret=False),
        "externalId": SimpleNamespace(value="very-secret-custom-id", secret=True),
        "retention": SimpleNamespace(value=90, secret=False),
    }
    stacks = stand_ins(clock, globex={"outputs": values})
    code, out, _ = Fleet(stacks).run("outputs", "globex", "--project-dir", str(project))
    assert code == 0
    assert "globex | roleArn = arn:aws:iam::123456789012:role/x" in out
    assert "globex | externalId = [secret]" in out
    assert "globex | retention = 90" in out
    assert "very-secret-custom-id" not in out
    row = next(line for line in out.splitlines() if line.strip().startswith("globex") and "ok" in line)
    assert row.split()[1:7] == ["-"] * 6  # outputs change nothing: no counts


def test_text_from_stacks_and_pulumi_reaches_the_terminal_escaped_and_bounded(project):
    """Stack outputs, ``pulumi``'s lines and its errors are someone else's text: no escape sequence or
    newline of theirs may reach the terminal or a CI log (a forged ``::error::`` line)."""
    clock = ThreadClock()
    hostile = "a\x1b[2J\n::error::forged \u202eevil"
    stacks = stand_ins(
        clock,
        globex={"outputs": {"name": SimpleNamespace(value=hostile + "x" * 5000, secret=False)}},
        acme_prod={"error": command_failure(CommandError, f"error: {hostile}")},
    )
    fleet = Fleet(stacks)
    _, outputs, _ = fleet.run("outputs", "globex", "--project-dir", str(project))
    _, failed, _ = fleet.run("preview", "acme-prod", "--project-dir", str(project))
    for out in (outputs, failed):
        assert "\x1b" not in out
        assert "\u202e" not in out
        assert not [line for line in out.splitlines() if line.startswith("::")], out
    assert "globex | name = a\\x1b[2J\\n::error::forged \\u202eevil" in outputs
    assert max(len(line) for line in outputs.splitlines()) < 2100
    assert "failed: error: a\\x1b[2J" in failed


# -- usage and the CLI ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["up"], "`up` changes every selected stack; run `python -m fleet preview` first, then add --yes"),
        (["refresh"], "`refresh` changes every selected stack"),
        (["preview", "--parallel", "0"], "--parallel must be between 1 and 16, got 0"),
        (["preview", "--parallel", "17"], "--parallel must be between 1 and 16, got 17"),
        (["outputs", "--refresh"], "do not apply to outputs"),
        (["preview", "acme prod"], "'acme prod' is not a stack name"),
        (["preview", "a/b/c/d"], "'a/b/c/d' is not a stack name"),
    ],
)
def test_bad_usage_stops_before_any_stack_is_touched(project, argv, message):
    fleet = Fleet(stand_ins(ThreadClock()))
    code, out, err = fleet.run(*argv, "--project-dir", str(project))
    assert code == 2
    assert message in err
    assert fleet.opener_calls == 0
    assert fleet.opened == []
    assert out == ""


def test_a_project_without_stack_files_says_so(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: x\nruntime: python\n")
    code, _, err = Fleet({}).run("preview", "--project-dir", str(tmp_path))
    assert code == 2
    assert "no stacks to run: add a Pulumi.<stack>.yaml" in err


def test_missing_cli_is_one_line_with_where_to_get_it(project):
    def opener(_project_dir):
        raise PulumiCliMissing(
            "the Pulumi CLI is needed (no `pulumi` on PATH); install it from " + INSTALL_URL
        )

    err = io.StringIO()
    code = cli.main(
        ["preview", "--project-dir", str(project)], opener=opener, stdout=io.StringIO(), stderr=err
    )
    assert code == 2
    lines = [line for line in err.getvalue().splitlines() if not line.startswith("fleet: skipping")]
    assert lines == [f"fleet: the Pulumi CLI is needed (no `pulumi` on PATH); install it from {INSTALL_URL}"]


def test_real_automation_api_without_cli_becomes_the_one_line_message(project, monkeypatch, tmp_path_factory):
    """The Automation API itself raises a bare FileNotFoundError here; the opener translates it."""
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty-path")))
    with pytest.raises(PulumiCliMissing) as caught:
        local_opener(project)
    assert (
        str(caught.value) == f"the Pulumi CLI is needed (no `pulumi` on PATH); install it from {INSTALL_URL}"
    )
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_other_missing_files_are_not_mistaken_for_the_cli(project, monkeypatch):
    def broken_workspace(**_kwargs):
        raise FileNotFoundError(2, "No such file or directory", "/nonexistent/Pulumi.yaml")

    monkeypatch.setattr("pulumi.automation.LocalWorkspace", broken_workspace)
    with pytest.raises(FileNotFoundError):
        local_opener(project)


# -- the thread pool ---------------------------------------------------------------------------------


def test_stacks_run_in_parallel_up_to_the_bound():
    """With --parallel 2, pairs of stacks meet at a two-party barrier (so they did overlap) and the
    number of operations in flight never exceeds two."""
    clock = ThreadClock()
    barrier = threading.Barrier(2, timeout=10)
    in_flight, peak, lock = [0], [0], threading.Lock()
    stacks = {}
    for index in range(6):
        stack = StandInStack(f"s{index}", clock)

        def meet() -> None:
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            barrier.wait()
            with lock:
                in_flight[0] -= 1

        stack.hook = meet
        stacks[stack.name] = stack
    results = run_fleet(
        [Target(name, "") for name in stacks],
        Operation.PREVIEW,
        stacks.__getitem__,
        io.StringIO(),
        parallel=2,
    )
    assert [result.status for result in results] == [Status.OK] * 6  # a lone stack would break the barrier
    assert peak[0] == 2
    assert [result.stack for result in results] == list(stacks)  # results come back in target order


def test_lines_from_many_threads_are_never_interleaved():
    clock = ThreadClock()

    class Chatty(StandInStack):
        def preview(self, **kwargs: Any) -> Any:
            for index in range(200):
                kwargs["on_output"](f"line {index} of {self.name}")
            return SimpleNamespace(change_summary={})

    out = io.StringIO()
    names = [f"stack-{index}" for index in range(4)]
    run_fleet([Target(n, "") for n in names], Operation.PREVIEW, lambda n: Chatty(n, clock), out, parallel=4)
    body = [line for line in out.getvalue().splitlines() if "line " in line]
    assert len(body) == 800
    for line in body:
        prefix, text = line.split(" | ", 1)
        assert text.endswith(f"of {prefix.strip()}")


def test_change_counts_accepts_enum_and_string_kinds():
    assert change_counts({OpType.CREATE: 1, OpType.SAME: 3}) == {"create": 1, "same": 3}
    assert change_counts({"create-replacement": 2}) == {"create-replacement": 2}
    assert change_counts(None) == {}


def test_options_default_to_nothing_extra():
    assert Options() == Options(refresh=False, expect_no_changes=False, diff=False)


# -- argument order and Ctrl-C ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("up", "--yes", "acme-prod", "globex"),
        ("up", "acme-prod", "--yes", "globex", "--parallel", "2"),
        ("up", "acme-prod", "globex", "--yes"),
    ],
)
def test_stack_names_may_stand_anywhere_on_the_command_line(project, argv):
    fleet = Fleet(stand_ins(ThreadClock()))
    code, out, err = fleet.run(*argv, "--project-dir", str(project))
    assert (code, err) == (0, "")
    assert sorted(fleet.opened) == ["acme-prod", "globex"]
    assert "up: 2 stack(s): 2 ok" in out


class Watched(io.StringIO):
    """Output that tells when a given text has been written."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.seen = text, threading.Event()

    def write(self, chunk: str) -> int:
        if self.text in chunk:
            self.seen.set()
        return super().write(chunk)


def test_ctrl_c_starts_no_further_stack_waits_for_the_running_one_and_reports(project):
    """One stack at a time: the first is running when Ctrl-C arrives (its pulumi, which got the same
    SIGINT, ends as cancelled); the queued ones never start; the report is printed; exit 130."""
    stacks = stand_ins(ThreadClock())
    out = Watched("interrupted: no further stack starts")

    def interrupted_while_running():
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # the terminal's Ctrl-C
        assert out.seen.wait(30), "the fleet did not notice the interrupt"
        raise command_failure(CommandError, "error: update canceled")

    stacks["acme-prod"].hook = interrupted_while_running
    fleet = Fleet(stacks)
    code = cli.main(
        ["up", "--yes", "--parallel", "1", "--project-dir", str(project)],
        opener=fleet.opener,
        stdout=out,
        stderr=io.StringIO(),
        clock=fleet.clock,
    )
    text = out.getvalue()
    assert code == 130
    assert fleet.opened == ["acme-prod"]  # nothing queued was touched
    assert stacks["acme-staging"].calls == stacks["globex"].calls == []
    assert re.search(r"^\s+acme-prod\s.*interrupted: error: update canceled$", text, re.MULTILINE), text
    assert re.search(r"^\s+globex\s.*not started$", text, re.MULTILINE), text
    assert "up: 3 stack(s): 1 interrupted, 2 not started" in text
