"""Measure ``python -m verify`` against the emulators and print sample output for the README.

Run from the project root (no network, no Pulumi CLI, no accounts; about 30 s):

    .venv/bin/python dev/verify_figures.py [--runs 3]

It builds the closed loop of ``dev/support/aws_loop.py``: a moto server with IAM enforced, set up as the program
deploys (bucket with public access block, ownership, encryption, versioning and the TLS-only policy; the
role with the trust and write policies of ``analytics_export.policies``), and the Bitmovin emulator acting
as Bitmovin toward it (pace: QUEUED 1 s, 1 s per hour of data). Then it runs ``python -m verify`` as a
subprocess, read-only and with ``--export --poll-seconds 1``, and prints:

1. the text output of one run of each (stderr progress lines included, marked ``stderr |``), and of an
   ``--export`` run against a second stack whose trust policy requires another external ID;
2. wall time of the whole command and of each part (verify's own ``--json`` ``seconds``), median of
   ``--runs``;
3. requests per API call as verify counts them (every HTTP attempt) and as the Bitmovin emulator logged
   them.

moto answers the APIs it lacks (IAM policy simulation, Access Analyzer) with HTTP 500 / an HTML page;
verify reports them as not checked, after botocore's standard retries (AWS_MAX_ATTEMPTS, default 3).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dev.bitmovin_emulator import EmulatorServer  # noqa: E402
from dev.support.aws_loop import (  # noqa: E402
    MotoServer,
    actor_config,
    create_accounts,
    deploy,
    tls_client_view_of_bucket_policies,
)

API_KEY = "figures-api-key-not-a-secret"
LICENSE = "figures-license-not-a-secret"


def run_verify(env: dict[str, str], *args: str) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "verify", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr, time.perf_counter() - started


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in lines)


def prepare(
    moto: Any, emulator: Any, accounts: Any
) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """Deploy a correct and a drifted stack; the environment and arguments verify runs with."""
    deployment = deploy(moto, emulator, accounts, tls_only=True)
    work = Path(tempfile.mkdtemp(prefix="verify-figures-"))
    outputs = work / "outputs.json"
    outputs.write_text(json.dumps(deployment.stack_outputs(), indent=2))
    config = work / "Pulumi.acme-prod.yaml"
    config.write_text(
        "config:\n  aws:region: eu-central-1\n  bitmovin-analytics-export:exportPrefix: analytics/\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": accounts.admin.access_key_id,
        "AWS_SECRET_ACCESS_KEY": accounts.admin.secret_access_key,
        "AWS_ENDPOINT_URL": moto.url,
        "BITMOVIN_API_KEY": API_KEY,
        "BITMOVIN_API_URL": emulator.base_url,
        "BITMOVIN_ANALYTICS_LICENSE_KEY": LICENSE,
    }
    base = ["--outputs-file", str(outputs), "--config-file", str(config)]
    modes = {"read-only": base, "--export": [*base, "--export", "--poll-seconds", "1"]}
    drifted = deploy(
        moto,
        emulator,
        accounts,
        bucket="acme-analytics-drifted",
        role_name="bitmovin-analytics-export-drifted",
        tls_only=True,
        trusted_external_id="0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    )
    drifted_outputs = work / "drifted.json"
    drifted_outputs.write_text(json.dumps(drifted.stack_outputs(), indent=2))
    drifted_config = work / "Pulumi.acme-staging.yaml"
    drifted_config.write_text(config.read_text())
    drifted_args = ["--outputs-file", str(drifted_outputs), "--config-file", str(drifted_config)]
    return env, modes, [*drifted_args, "--export", "--poll-seconds", "1"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per mode (default 3)")
    runs = parser.parse_args().runs
    quiet = io.StringIO()  # moto prints a line for every API it lacks
    with MotoServer() as moto, EmulatorServer() as emulator, tls_client_view_of_bucket_policies():
        moto.reset()
        accounts = create_accounts(moto)
        moto.enforce_iam()
        options = emulator.options.exports
        options.aws = actor_config(moto, accounts)
        options.queue_seconds = options.hour_seconds = 1.0
        env, modes, drifted_args = prepare(moto, emulator, accounts)
        samples: dict[str, tuple[int, str, str]] = {}
        walls: dict[str, list[float]] = {mode: [] for mode in modes}
        parts: dict[str, dict[str, list[float]]] = {mode: {} for mode in modes}
        counted: dict[str, dict[str, int]] = {}
        logged: dict[str, Counter[str]] = {}
        with contextlib.redirect_stdout(quiet):
            for mode, args in modes.items():
                code, out, err, _ = run_verify(env, *args)
                samples[mode] = (code, out, err)
                for _ in range(runs):
                    emulator.requests.clear()
                    code, out, err, wall = run_verify(env, *args, "--json")
                    if code != 0:
                        raise SystemExit(f"verify {mode} failed:\n{out}\n{err}")
                    document = json.loads(out)
                    walls[mode].append(wall)
                    for part, seconds in document["seconds"].items():
                        parts[mode].setdefault(part, []).append(seconds)
                    counted[mode] = document["requests"]
                    logged[mode] = Counter(f"{r.method} {r.route}" for r in emulator.requests)
            code, out, err, _ = run_verify(env, *drifted_args)
            samples["--export (trust policy with another external ID)"] = (code, out, err)
    report(samples, walls, parts, counted, logged, runs)
    return 0


def report(
    samples: dict[str, tuple[int, str, str]],
    walls: dict[str, list[float]],
    parts: dict[str, dict[str, list[float]]],
    counted: dict[str, dict[str, int]],
    logged: dict[str, Counter[str]],
    runs: int,
) -> None:
    modes = list(walls)
    print("1. Sample output (text form)\n")
    for mode, (code, out, err) in samples.items():
        print(f"--- python -m verify {mode} (exit {code}) ---")
        for line in err.splitlines():
            print(f"stderr | {line}")
        print(out)
    print(f"2. Durations against the emulators, median of {runs} runs (seconds)\n")
    names = sorted({part for mode in parts.values() for part in mode})
    rows = [
        [part, *[f"{statistics.median(parts[m][part]):.3f}" if part in parts[m] else "-" for m in modes]]
        for part in names
    ]
    rows.append(["whole command (subprocess)", *[f"{statistics.median(walls[m]):.2f}" for m in modes]])
    print(table(["part", *modes], rows))
    print("\n3. Requests per run (verify's count of HTTP attempts)\n")
    calls = sorted({name for mode in counted.values() for name in mode})
    print(table(["call", *modes], [[c, *[counted[m].get(c, 0) for m in modes]] for c in calls]))
    print("\n   Bitmovin emulator's request log per run\n")
    routes = sorted({name for mode in logged.values() for name in mode})
    print(table(["request", *modes], [[r, *[logged[m].get(r, 0) for m in modes]] for r in routes]))


if __name__ == "__main__":
    raise SystemExit(main())
