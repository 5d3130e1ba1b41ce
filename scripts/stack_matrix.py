"""Print the stacks CI runs for, as a JSON list for a GitHub Actions matrix.

    python scripts/stack_matrix.py                      # ["acme-prod", "dev"]
    python scripts/stack_matrix.py acme-prod            # only these (each must have a stack file)
    python scripts/stack_matrix.py --github-output      # appends stacks=[...] to $GITHUB_OUTPUT

The list is every ``Pulumi.<stack>.yaml`` of the project except local-only stacks (named ``local``,
or whose ``bitmovin:apiUrl`` / ``aws:endpoints`` point at a loopback host; rule in
``fleet/stacks.py``). Needs only PyYAML. Exit status 2 on an unknown or local-only stack name.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fleet.stacks import StackFileError, deployable, discover  # noqa: E402


def matrix(project_dir: Path, requested: list[str]) -> list[str]:
    """Deployable stack names, or the requested ones after checking each is deployable."""
    stacks = discover(project_dir)
    names = [stack.name for stack in deployable(stacks)]
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
