"""``python -m fleet``: preview, update, refresh or print the outputs of many stacks at once.

    python -m fleet preview                    # every stack of the backend with a Pulumi.<stack>.yaml,
                                               # except local-only ones
    python -m fleet preview acme-prod globex   # only these
    python -m fleet up --yes                   # up and refresh change stacks: they need --yes
    python -m fleet preview --refresh --expect-no-changes   # drift check from a laptop
    python -m fleet outputs                    # secret outputs are shown as [secret]
    python -m fleet preview --project-dir DIR  # the stacks of another copy of the project

``--help`` (:data:`EPILOG`) says which stacks run, what local-only means and the exit status. Stack
names and options may come in any order. Ctrl-C starts no further stack, lets the running ``pulumi``
processes cancel cleanly, prints the partial report and exits 130.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TextIO

from pulumi.automation import errors as auto_errors

from bitmovin_api.terminal_text import shown
from fleet import report
from fleet.errors import PulumiCliMissing, StackFileError, UsageError
from fleet.runner import Operation, Options, Target, error_line, run_fleet
from fleet.stacks import StackFile, discover
from fleet.workspace import StackOpener, local_opener

PROJECT_DIR = Path(__file__).resolve().parent.parent
MAX_PARALLEL = 16
CHANGING = (Operation.UP, Operation.REFRESH)
STACK_NAME = re.compile(r"^([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$")

Opener = Callable[[Path], StackOpener]

OPERATIONS = {
    Operation.PREVIEW: "show what `pulumi up` would change; changes nothing",
    Operation.UP: "deploy: create, update or replace what changed (needs --yes)",
    Operation.REFRESH: "read every resource back and update the state to match (needs --yes)",
    Operation.OUTPUTS: "print each stack's outputs; secret ones as [secret]",
}
EPILOG = """\
operations:
{operations}

which stacks run:
  The stacks named on the command line, or else every stack that has a Pulumi.<stack>.yaml in
  --project-dir and exists in the backend (`pulumi stack ls`), except local-only ones. A stack file
  without a stack in the backend (such as the example Pulumi.dev.yaml before `pulumi stack init dev`)
  is skipped with a note; name it to run it anyway.

local-only stacks:
  Sandboxes against local emulators (./sandbox): a stack named `local`, or whose bitmovin:apiUrl or
  any aws:endpoints URL points at localhost, *.localhost, 127.0.0.0/8, ::1 or 0.0.0.0. CI never runs
  them; the fleet runs them only when named or with --include-local.

exit status:
  0 every stack succeeded; 1 a stack failed, was locked or does not exist; 2 bad usage, nothing to
  run or no Pulumi CLI; 130 interrupted (Ctrl-C).
""".format(operations="\n".join(f"  {operation.value:<8} {text}" for operation, text in OPERATIONS.items()))


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fleet",
        description="Run one Pulumi operation on every stack of this project (one per Bitmovin "
        "organization), a few at a time, with one report per organization.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "operation",
        choices=[operation.value for operation in Operation],
        help="what to run on each stack (see operations below)",
    )
    parser.add_argument(
        "stacks",
        nargs="*",
        help="stack names (default: every stack file with a stack in the backend, except local-only ones)",
    )
    parser.add_argument(
        "--parallel", type=int, default=4, help=f"stacks at a time, 1-{MAX_PARALLEL} (default 4)"
    )
    parser.add_argument("--yes", action="store_true", help="confirm up/refresh of every selected stack")
    parser.add_argument("--refresh", action="store_true", help="preview/up: refresh the state first")
    parser.add_argument("--expect-no-changes", action="store_true", help="fail a stack that would change")
    parser.add_argument("--diff", action="store_true", help="show a detailed diff")
    parser.add_argument("--include-local", action="store_true", help="also run local-only stacks")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_DIR,
        help="the Pulumi project whose Pulumi.<stack>.yaml files are the fleet (default: this project)",
    )
    # Intermixed: stack names may stand anywhere, e.g. `up --yes acme-prod globex`.
    return parser.parse_intermixed_args(list(argv))


def select_targets(
    stack_files: Sequence[StackFile],
    names: Sequence[str],
    include_local: bool,
    existing: Collection[str] | None = None,
) -> list[Target]:
    """Named stacks (a name without a stack file is allowed: its config may live in the backend or
    ESC), or every stack file, local-only ones only with ``include_local``, and only those of
    ``existing`` (the backend's stacks) when it is given."""
    by_name = {stack.name: stack for stack in stack_files}
    if names:
        return [
            Target(name, by_name[name].tenant_org_id if name in by_name else "")
            for name in dict.fromkeys(names)
        ]
    return [
        Target(stack.name, stack.tenant_org_id)
        for stack in stack_files
        if (include_local or not stack.local_only) and (existing is None or stack.name in existing)
    ]


def backend_stacks(open_stack: StackOpener) -> set[str]:
    """The stacks the backend has (``pulumi stack ls``); a listing that fails is reported like bad
    usage (not logged in, another backend), with the CLI's own line."""
    try:
        return open_stack.existing()
    except auto_errors.CommandError as error:
        raise UsageError(f"cannot list the stacks of this backend: {error_line(error)}") from None


def check_usage(args: argparse.Namespace, operation: Operation) -> None:
    if not 1 <= args.parallel <= MAX_PARALLEL:
        raise UsageError(f"--parallel must be between 1 and {MAX_PARALLEL}, got {args.parallel}")
    if operation in CHANGING and not args.yes:
        raise UsageError(
            f"`{operation.value}` changes every selected stack; run `python -m fleet preview` first, "
            f"then add --yes"
        )
    if operation is Operation.OUTPUTS and (args.refresh or args.expect_no_changes or args.diff):
        raise UsageError("--refresh, --expect-no-changes and --diff do not apply to outputs")
    if operation is Operation.REFRESH and (args.refresh or args.diff):
        raise UsageError("refresh takes neither --refresh nor --diff")
    for name in args.stacks:
        if not STACK_NAME.match(name):
            raise UsageError(
                f"{name!r} is not a stack name: letters, digits, '-', '_' and '.', "
                "optionally as <organization>/<stack> or <organization>/<project>/<stack>"
            )


def main(
    argv: Sequence[str] | None = None,
    *,
    opener: Opener = local_opener,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = parse_args(sys.argv[1:] if argv is None else argv)
    operation = Operation(args.operation)
    try:
        check_usage(args, operation)
        stack_files = discover(args.project_dir)
        if not stack_files and not args.stacks:
            raise UsageError(f"no stacks to run: add a Pulumi.<stack>.yaml to {args.project_dir}")
        if not args.stacks and not args.include_local:
            for stack in stack_files:
                if stack.local_only:
                    print(
                        f"fleet: skipping local-only stack {stack.name} ({shown(stack.local_reason or '')})",
                        file=err,
                    )
        open_stack = opener(args.project_dir)
        existing = None if args.stacks else backend_stacks(open_stack)
        targets = select_targets(stack_files, args.stacks, args.include_local, existing)
        for stack in stack_files:
            if (
                existing is not None
                and stack.name not in existing
                and (args.include_local or not stack.local_only)
            ):
                print(
                    f"fleet: skipping {stack.name}: {stack.path.name} has no stack in this backend (create it "
                    f"with `pulumi stack init {stack.name}`, or name it to run it anyway)",
                    file=err,
                )
        if not targets:
            raise UsageError(
                f"no stacks to run: no stack file in {args.project_dir} has a stack in this backend; "
                "create one with `pulumi stack init '<stack>'`"
            )
    except (UsageError, StackFileError, PulumiCliMissing) as error:
        print(f"fleet: {shown(str(error))}", file=err)
        return 2
    options = Options(refresh=args.refresh, expect_no_changes=args.expect_no_changes, diff=args.diff)
    results = run_fleet(
        targets, operation, open_stack, out, parallel=args.parallel, options=options, clock=clock
    )
    print(report.render(results, operation), file=out)
    return report.exit_code(results)
