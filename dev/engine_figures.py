"""Engine figures: the provider-only stack through the real Pulumi engine, against a trivial one.

    PATH="$(scripts/engine | tail -n 1):$PATH" venv/bin/python dev/engine_figures.py [--runs 5]

Same engine, same run, alternating: ``pulumi preview`` and ``pulumi up`` (a create on a fresh stack)
of ``tests/engine_project`` (both Bitmovin dynamic resources, against the in-process emulator) and
of a trivial dynamic provider whose create returns its inputs. Prints the medians and their ratio,
``python -m fleet up`` over 4 stacks with ``--parallel 4`` against ``--parallel 1``, the Bitmovin
requests per engine operation (from the emulator's log) and the size of ``__provider`` in a real
state file. Needs the engine on PATH; run from the project directory.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dev.bitmovin_emulator import EmulatorServer
from dev.support.engine import (
    EngineStack,
    FleetProject,
    copy_engine_project,
    engine_env,
    engine_missing_reason,
)

API_KEY = "engine-figures-key"
TRIVIAL_PROGRAM = '''"""A dynamic provider that does nothing: the engine's own cost."""

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class Provider(ResourceProvider):
    def create(self, props):
        return CreateResult("trivial-id", props)


class Trivial(Resource):
    def __init__(self, name, props):
        super().__init__(Provider(), name, props)


pulumi.export("id", Trivial("trivial", {"value": "x"}).id)
'''


def trivial_project(target: Path) -> Path:
    """A copy of the engine test project whose program is the trivial provider."""
    project = copy_engine_project(target, dirs=())
    (project / "__main__.py").write_text(TRIVIAL_PROGRAM)
    return project


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def stacks(root: Path, emulator: EmulatorServer, run: int) -> tuple[EngineStack, EngineStack]:
    """A fresh stack of each project (so that every `up` is a create)."""
    ours = EngineStack(
        copy_engine_project(root / f"ours-{run}"), engine_env(root / f"home-ours-{run}"), "fig"
    )
    ours.init()
    ours.config_set("bitmovin:apiKey", API_KEY, secret=True)
    ours.config_set("bitmovin:apiUrl", emulator.base_url)
    trivial = EngineStack(
        trivial_project(root / f"trivial-{run}"), engine_env(root / f"home-tr-{run}"), "fig"
    )
    return ours, trivial.init()


def compare(root: Path, emulator: EmulatorServer, runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {
        key: [] for key in ("preview ours", "preview trivial", "up ours", "up trivial")
    }
    for run in range(runs):
        ours, trivial = stacks(root, emulator, run)
        pairs = (
            [("trivial", trivial), ("ours", ours)] if run % 2 == 0 else [("ours", ours), ("trivial", trivial)]
        )
        for label, stack in pairs:
            times[f"preview {label}"].append(timed(lambda s=stack: s.ok("preview", *s.stack_args())))
        for label, stack in pairs:
            times[f"up {label}"].append(timed(lambda s=stack: s.up()))
        for _, stack in pairs:
            stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
    return times


def requests_per_operation(root: Path, emulator: EmulatorServer) -> dict[str, list[str]]:
    ours, _ = stacks(root, emulator, 999)
    counted: dict[str, list[str]] = {}
    for label, args in (
        ("preview", ("preview", *ours.stack_args())),
        ("up (create)", ("up", *ours.stack_args(), "--yes", "--skip-preview")),
        ("up (no change)", ("up", *ours.stack_args(), "--yes", "--skip-preview")),
        ("refresh", ("refresh", *ours.stack_args(), "--yes", "--skip-preview")),
        ("destroy", ("destroy", *ours.stack_args(), "--yes", "--skip-preview")),
    ):
        emulator.requests.clear()
        ours.ok(*args)
        counted[label] = [f"{r.method} {r.route}" for r in emulator.requests]
        if label == "up (create)":
            pickled = ours.pickled_provider("S3RoleBasedOutput")
            counted["__provider bytes (pickled)"] = [str(len(pickled))]
    return counted


def fleet_parallelism(root: Path, emulator: EmulatorServer, runs: int) -> dict[int, list[float]]:
    """``python -m fleet up --yes`` over 4 fresh stacks, ``--parallel 4`` against ``--parallel 1``."""
    fleet = FleetProject(root / "fleet", emulator, api_key=API_KEY, secret_value="figures-secret")
    seconds: dict[int, list[float]] = {4: [], 1: []}
    for run in range(runs):
        for parallel in (4, 1) if run % 2 == 0 else (1, 4):
            names = [f"r{run}p{parallel}-{n}" for n in ("acme", "globex", "initech", "umbrella")]
            for name in names:
                fleet.add_stack(name)
            seconds[parallel].append(
                timed(lambda n=names, p=parallel: fleet.fleet_ok("up", *n, "--yes", "--parallel", str(p)))
            )
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="alternating runs per figure (median; default 5)")
    args = parser.parse_args()
    if reason := engine_missing_reason():
        print(f"engine_figures: {reason}", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="engine-figures-") as tmp,
        EmulatorServer(api_keys={API_KEY}) as emulator,
    ):
        root = Path(tmp)
        times = compare(root, emulator, args.runs)
        medians = {key: statistics.median(values) for key, values in times.items()}
        print(f"median of {args.runs}, same engine, alternating:")
        for operation in ("preview", "up"):
            ours, trivial = medians[f"{operation} ours"], medians[f"{operation} trivial"]
            print(
                f"  pulumi {operation:7} ours {ours:.2f} s, trivial {trivial:.2f} s, ratio {ours / trivial:.2f}x"
            )
        fleet = fleet_parallelism(root, emulator, args.runs)
        four, one = statistics.median(fleet[4]), statistics.median(fleet[1])
        print(
            f"  fleet up, 4 stacks: --parallel 4 {four:.1f} s, --parallel 1 {one:.1f} s, ratio {four / one:.2f}"
        )
        print("Bitmovin requests per engine operation:")
        for label, requests in requests_per_operation(root, emulator).items():
            print(
                f"  {label}: {len(requests) if 'bytes' not in label else requests[0]} {requests if 'bytes' not in label else ''}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
