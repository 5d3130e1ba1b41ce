"""Run one operation over many stacks in a bounded thread pool and collect one result per stack.

The Automation API blocks and runs every operation as its own ``pulumi`` process, so threads are
enough. Selecting a stack (``pulumi stack select``) writes the workspace's current-stack file, so
selections are serialized; the operations themselves overlap. Stacks are reached only through
``open_stack(name)``, which tests replace with stand-ins.
"""

from __future__ import annotations

import contextlib
import enum
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from pulumi.automation import errors as auto_errors

from bitmovin_api.redaction import SECRET_MASK
from bitmovin_api.terminal_text import shown

CHANGE_KINDS = ("create", "update", "replace", "delete", "same")
MAX_LINE = 2000  # characters of one printed line; pulumi's own lines are far shorter


class Operation(enum.StrEnum):
    PREVIEW = "preview"
    UP = "up"
    REFRESH = "refresh"
    OUTPUTS = "outputs"


class Status(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    LOCKED = "locked"  # another update holds the stack's lock
    MISSING = "missing"  # no such stack in the backend
    INTERRUPTED = "interrupted"  # running when the fleet was interrupted (Ctrl-C): pulumi cancelled it
    NOT_STARTED = "not started"  # queued when the fleet was interrupted: never touched


class FleetStack(Protocol):
    """The part of ``pulumi.automation.Stack`` the fleet uses."""

    def preview(self, **kwargs: Any) -> Any: ...
    def up(self, **kwargs: Any) -> Any: ...
    def refresh(self, **kwargs: Any) -> Any: ...
    def outputs(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Target:
    """A stack to run, and the organization it belongs to (for the report)."""

    stack: str
    organization: str


@dataclass
class StackResult:
    stack: str
    organization: str
    status: Status
    seconds: float
    changes: dict[str, int] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class Options:
    refresh: bool = False  # preview/up: refresh state first (`--refresh`)
    expect_no_changes: bool = False  # preview/up/refresh: fail if anything would change
    diff: bool = False


class LinePrinter:
    """Writes whole lines from many threads, each prefixed with its stack name."""

    def __init__(self, stream: TextIO, width: int) -> None:
        self._stream = stream
        self._width = width
        self._lock = threading.Lock()

    def line(self, stack: str, text: str) -> None:
        """One line: ``text`` (``pulumi``'s output, a stack output, an error) escaped and bounded, so
        no escape sequence or newline of a provider's or server's text reaches the terminal or CI log."""
        with self._lock:
            self._stream.write(f"{stack:<{self._width}} | {shown(text.rstrip(chr(10)), MAX_LINE)}\n")
            self._stream.flush()

    def for_stack(self, stack: str) -> Callable[[str], None]:
        return lambda text: self.line(stack, text)


def change_counts(op_map: Mapping[Any, int] | None) -> dict[str, int]:
    """``{OpType.CREATE: 2}`` or ``{"create": 2}`` -> ``{"create": 2}``; other kinds kept by name."""
    counts: dict[str, int] = {}
    for kind, count in (op_map or {}).items():
        name = getattr(kind, "value", kind)
        counts[str(name)] = counts.get(str(name), 0) + int(count)
    return counts


def error_line(error: BaseException) -> str:
    """The most telling line of a CLI failure (its first ``error:`` line), at most 300 characters.

    ``str(CommandError)`` is ``code: …``, ``stdout: …``, ``stderr: …``; those labels are dropped.
    """
    lines = []
    for raw in str(error).splitlines():
        line = raw.strip()
        for label in ("stdout:", "stderr:"):
            line = line.removeprefix(label).strip()
        if line and not line.startswith("code:"):
            lines.append(line)
    chosen = next((line for line in lines if line.lower().startswith("error:")), None)
    return (chosen or (lines[-1] if lines else type(error).__name__))[:300]


def format_output_value(value: Any) -> str:
    """An output as one line; a secret output is never printed (``OutputValue.secret``)."""
    if getattr(value, "secret", False):
        return SECRET_MASK
    plain = getattr(value, "value", value)
    return plain if isinstance(plain, str) else repr(plain)


def _flags(options: Options, operation: Operation) -> dict[str, bool]:
    """Only the flags that are on, so older SDKs without a keyword are not handed it."""
    flags = {"expect_no_changes": options.expect_no_changes}
    if operation in (Operation.PREVIEW, Operation.UP):
        flags |= {"refresh": options.refresh, "diff": options.diff}
    return {name: True for name, on in flags.items() if on}


def _run_operation(
    stack: FleetStack, operation: Operation, options: Options, emit: Callable[[str], None]
) -> dict[str, int]:
    kwargs: dict[str, Any] = {"on_output": emit, "on_error": emit, "color": "never"}
    kwargs |= _flags(options, operation)
    if operation is Operation.PREVIEW:
        return change_counts(stack.preview(**kwargs).change_summary)
    if operation is Operation.UP:
        return change_counts(stack.up(**kwargs).summary.resource_changes)
    if operation is Operation.REFRESH:
        return change_counts(stack.refresh(**kwargs).summary.resource_changes)
    for name, value in sorted(stack.outputs().items()):
        emit(f"{name} = {format_output_value(value)}")
    return {}


def run_stack(
    target: Target,
    operation: Operation,
    open_stack: Callable[[str], FleetStack],
    printer: LinePrinter,
    options: Options,
    select_lock: threading.Lock,
    clock: Callable[[], float],
    stop: threading.Event | None = None,
) -> StackResult:
    """One stack's operation; every failure becomes a result, never an exception. Once ``stop`` is
    set (the fleet was interrupted) a stack that has not started is not started, and one that fails
    counts as interrupted: its ``pulumi`` got the same Ctrl-C and cancelled."""
    emit = printer.for_stack(target.stack)
    started = clock()
    stop = stop or threading.Event()

    def result(status: Status, changes: dict[str, int] | None = None, message: str = "") -> StackResult:
        if stop.is_set() and status is not Status.OK:
            status, message = Status.INTERRUPTED, message or "interrupted"
        return StackResult(
            target.stack, target.organization, status, clock() - started, changes or {}, message
        )

    if stop.is_set():
        return StackResult(target.stack, target.organization, Status.NOT_STARTED, 0.0)
    try:
        with select_lock:
            stack = open_stack(target.stack)
        changes = _run_operation(stack, operation, options, emit)
    except auto_errors.ConcurrentUpdateError as error:
        message = "another update of this stack is running (or one that crashed left its lock)"
        emit(f"locked: {message}; {error_line(error)}")
        return result(Status.LOCKED, message=message)
    except auto_errors.StackNotFoundError:
        message = f"no stack {target.stack} in this backend: `pulumi stack init {target.stack}` creates it"
        emit(message)
        return result(Status.MISSING, message=message)
    except auto_errors.CommandError as error:
        message = error_line(error)
        emit(f"failed: {message}")
        return result(Status.FAILED, message=message)
    except Exception as error:  # a bug or an unexpected API error must not hide the other stacks
        message = f"{type(error).__name__}: {error}"[:300]
        emit(f"failed: {message}")
        return result(Status.FAILED, message=message)
    emit(f"{operation.value} finished")
    return result(Status.OK, changes)


def run_fleet(
    targets: Sequence[Target],
    operation: Operation,
    open_stack: Callable[[str], FleetStack],
    stream: TextIO,
    *,
    parallel: int = 4,
    options: Options | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[StackResult]:
    """Run ``operation`` on every target, at most ``parallel`` at a time; results in target order.

    On Ctrl-C (KeyboardInterrupt in this thread) no further stack starts; the running ones get the
    terminal's SIGINT too, so their ``pulumi`` cancels cleanly, and they are waited for (a second
    Ctrl-C stops waiting). Every stack still gets a result: see ``interrupted``.
    """
    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    width = max((len(target.stack) for target in targets), default=0)
    printer = LinePrinter(stream, width)
    select_lock, stop = threading.Lock(), threading.Event()
    options = options or Options()
    started: set[int] = set()
    done: dict[int, StackResult] = {}

    def job(index: int, target: Target) -> None:
        started.add(index)
        done[index] = run_stack(target, operation, open_stack, printer, options, select_lock, clock, stop)

    pool = ThreadPoolExecutor(max_workers=min(parallel, max(len(targets), 1)))
    try:
        with _interrupts_deferred():  # a Ctrl-C inside submit would lose track of a started thread
            for index, target in enumerate(targets):
                pool.submit(job, index, target)
        pool.shutdown(wait=True)
    except KeyboardInterrupt:
        stop.set()
        printer.line("fleet", "interrupted: no further stack starts; waiting for the running ones to cancel")
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            pool.shutdown(wait=False, cancel_futures=True)
    return [
        done.get(index)
        or StackResult(
            target.stack,
            target.organization,
            Status.INTERRUPTED if index in started else Status.NOT_STARTED,
            0.0,
        )
        for index, target in enumerate(targets)
    ]


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold a SIGINT that arrives inside the block and deliver it right after (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending:
        signal.raise_signal(signal.SIGINT)


def interrupted(results: Sequence[StackResult]) -> bool:
    """True when the run was cut short by Ctrl-C."""
    return any(result.status in (Status.INTERRUPTED, Status.NOT_STARTED) for result in results)
