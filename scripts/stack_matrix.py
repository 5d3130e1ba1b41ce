"""Print the stacks CI runs for, as a JSON list for a GitHub Actions matrix.

    python scripts/stack_matrix.py                      # ["acme-prod", "dev"]
    python scripts/stack_matrix.py acme-prod            # only these (each must have a stack file)
    python scripts/stack_matrix.py --github-output      # appends stacks=[...] to $GITHUB_OUTPUT
    python scripts/stack_matrix.py --github-output -- acme-prod   # names after `--` (workflows do)

The list is every ``Pulumi.<stack>.yaml`` of the project except local-only stacks (named ``local``,
or whose ``bitmovin:apiUrl`` / ``aws:endpoints`` point at a loopback host; rule in
``fleet/stacks.py``). Needs only PyYAML. Exit status 2, with one ``stack_matrix:`` line on stderr and
nothing written to ``$GITHUB_OUTPUT``, on a name that is not a stack name (``fleet/stacks.py``'s
characters, letters, digits, ``_``, ``.`` and ``-``, but never ``-`` first, so no name reads as an
option), an unknown or local-only stack name, or a deployable stack named ``<x>-drift`` (reserved for
the drift environments); argparse's own usage errors exit 2 too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fleet.stacks import StackFileError, deployable, discover  # noqa: E402

# fleet/stacks.py's stack-name characters, without a leading '-': a name never reads as an option.
STACK_NAME = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*")
DRIFT_SUFFIX = "-drift"  # the drift check runs in the environment <stack>-drift (.github/workflows/drift.yml)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a stack name CI runs, or None."""
    if name.startswith("-"):
        return f"{name!r} looks like an option, not a stack name (stack names never start with '-')"
    if not STACK_NAME.fullmatch(name):
        return f"{name!r} is not a stack name (letters, digits, '_', '.' and '-' only)"
    return None


def matrix(project_dir: Path, requested: list[str]) -> list[str]:
    """Deployable stack names, or the requested ones after checking each is deployable."""
    for name in requested:
        problem = name_problem(name)
        if problem:
            raise ValueError(problem)
    stacks = discover(project_dir)
    names = [stack.name for stack in deployable(stacks)]
    for name in names:
        problem = name_problem(name)
        if problem:
            raise ValueError(f"stack file of {problem}; rename it")
        if name.endswith(DRIFT_SUFFIX) and name.removesuffix(DRIFT_SUFFIX) in names:
            raise ValueError(
                f"stack {name} would share the GitHub environment {name} with the drift check of stack "
                f"{name.removesuffix(DRIFT_SUFFIX)}; rename it"
            )
    if not requested:
        return names
    local = {stack.name: stack.local_reason for stack in stacks if stack.local_only}
    for name in requested:
        if name in local:
            raise ValueError(f"stack {name} is local-only ({local[name]}); CI never runs it")
        if name not in names:
            raise ValueError(
                f"no stack file Pulumi.{name}.yaml; known stacks: {', '.join(names) or '(none)'}"
            )
    return list(dict.fromkeys(requested))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", help="only these stacks (default: every deployable stack)")
    parser.add_argument("--github-output", action="store_true", help="append stacks=<json> to $GITHUB_OUTPUT")
    parser.add_argument("--project-dir", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        names = matrix(args.project_dir, args.stacks)
    except (ValueError, StackFileError) as error:
        print(f"stack_matrix: {error}", file=sys.stderr)
        return 2
    line = json.dumps(names)
    print(line)
    if args.github_output:
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
            output.write(f"stacks={line}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
