"""Entry point of ``venv/bin/python -m verify``; see ``verify.cli``.

verify needs the project's dependencies (boto3, pulumi, requests, PyYAML from ``requirements.txt``);
run with another Python, it says so in one line and exits 2 instead of printing a traceback.
"""

import sys
from importlib.util import find_spec

VENV_HINT = (
    "run it with the project's venv: `venv/bin/python -m verify ...` from the project directory "
    "(create the venv with `python3 -m venv venv && venv/bin/pip install -r requirements.txt`)"
)


def _missing(name: str | None) -> int:
    print(f"verify: this Python has no module {name!r}: {VENV_HINT}", file=sys.stderr)
    return 2


def run() -> int:
    try:
        from verify.cli import main
    except ModuleNotFoundError as error:
        return _missing(error.name)
    for name in ("boto3", "pulumi"):  # imported only when needed: fail before any work, not half-way
        if find_spec(name) is None:
            return _missing(name)
    return main()


if __name__ == "__main__":
    raise SystemExit(run())
