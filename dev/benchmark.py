"""Every figure the README and docs quote, measured on the local emulators (no network, no accounts).

Run from the project root with the project's virtualenv (``venv/``; CI's is ``.ci-venv/``):

    venv/bin/python dev/benchmark.py [provider|verify|engine|program] [--runs 5] [--starts 15]

No argument runs every part that can run here; ``engine`` and ``program`` (the whole program's
``pulumi up`` with and without its dynamic resource, pulumi-aws served by ``dev/aws_standin``) need
the engine on PATH
(``PATH="$(scripts/engine | tail -n 1):$PATH"``), and without it says so in one line.

- ``provider`` (about 40 s): ``AnalyticsS3RoleBasedOutputProvider`` in-process against the Bitmovin
  emulator: API requests per lifecycle operation; requests, retries and outcome per injected fault
  (the named scenarios of ``dev.support.fault_scenarios``) and duplicate outputs after them; the bad
  inputs of ``dev.support.bad_inputs``, each to be rejected with 0 requests; the size of the serialized
  provider; its start-up cost: the median of ``--starts`` alternating starts of the real provider host
  (``python -m pulumi.dynamic``) to the first Check response, against a trivial dynamic provider.
- ``verify`` (about 40 s): ``python -m verify`` against the closed loop of ``dev.support.aws_loop``
  (moto with IAM enforced, the emulator acting as Bitmovin): sample output, durations, requests.
- ``engine`` (minutes): ``pulumi preview`` and ``up`` of ``tests/engine_project`` against a trivial
  dynamic provider, ``python -m fleet up`` with ``--parallel 4`` against ``--parallel 1``, Bitmovin
  requests per engine operation and the size of ``__provider`` in a real state file.

Waits are real: times are wall time, medians of alternating runs because the machine is shared.
Exit status 1 if a fault run left a duplicate output, a bad input reached the API or was accepted, or
the provider modules import what check and diff never need (``pulumi_aws``, ``requests``...).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
from google.protobuf import struct_pb2  # noqa: E402
from pulumi.dynamic.dynamic import serialize_provider  # noqa: E402
from pulumi.runtime import rpc  # noqa: E402
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc  # noqa: E402

from dev.bitmovin_emulator import EmulatorServer  # noqa: E402
from dev.support import aws_loop, engine  # noqa: E402
from dev.support.bad_inputs import CASES, error_for  # noqa: E402
from dev.support.fault_scenarios import PERSISTENT_FAULTS, create_faults, retried_faults  # noqa: E402
from dev.support.provider_factory import configured_provider  # noqa: E402
from providers import output_model  # noqa: E402
from providers.analytics_output import TYPE_TOKEN, AnalyticsS3RoleBasedOutputProvider  # noqa: E402
from providers.output_model import CREATION_TOKEN_KEY  # noqa: E402

KEY = "benchmark-key-not-a-secret"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics-benchmark"
BUCKET = "acme-analytics"
STATE = {"bucket_name": BUCKET, "role_arn": ROLE, "external_id_mode": "GLOBAL"}
READ_TIMEOUT, SLOW, SETTLE = 0.5, 1.5, 2.0  # SLOW: a server delay beyond the read timeout
RETRIED, CREATE = retried_faults(SLOW), create_faults(SLOW)
# What check and diff never use: the provider modules must not import them at start (lazy imports).
NOT_AT_START = ("pulumi_aws", "boto3", "requests", "urllib3", "bitmovin_api.client", "dev")
TRIVIAL_PROVIDER = """
from pulumi.dynamic import CheckResult, CreateResult, ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

class Provider(ResourceProvider):
    def check(self, olds, news):
        return CheckResult(news, [])

    def create(self, props):
        return CreateResult("trivial-id", props)
"""
TRIVIAL_PROGRAM = (
    '"""A dynamic provider that does nothing: the engine\'s own cost."""\nimport pulumi\n'
    + TRIVIAL_PROVIDER
    + "\nclass Trivial(pulumi.dynamic.Resource):\n    def __init__(self, name, props):\n"
    + "        super().__init__(Provider(), name, props)\n\n"
    + 'pulumi.export("id", Trivial("trivial", {"value": "x"}).id)\n'
)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in lines)


def heading(text: str) -> None:
    print(f"\n{text}\n{'=' * len(text)}")


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def alternating(runs: int, calls: dict[str, Callable[[], tuple[float, ...]]]) -> dict[str, tuple[float, ...]]:
    """Each call's figures over ``runs`` rounds, the order reversed every other round: their medians."""
    samples: dict[str, list[tuple[float, ...]]] = {label: [] for label in calls}
    for run in range(runs):
        for label in list(calls) if run % 2 == 0 else reversed(list(calls)):
            samples[label].append(calls[label]())
    return {
        label: tuple(map(statistics.median, zip(*values, strict=True))) for label, values in samples.items()
    }


def short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- provider: requests per lifecycle operation --------------------------------------------------


def provider_for(emulator: EmulatorServer, **settings: str) -> AnalyticsS3RoleBasedOutputProvider:
    """Default backoff and maxRetries, a short read timeout; ``settings`` override."""
    defaults = {
        "connectTimeoutSeconds": "2",
        "readTimeoutSeconds": str(READ_TIMEOUT),
        "retryBudgetSeconds": "10",
    }
    return configured_provider(emulator.base_url, KEY, **{**defaults, **settings})


def seed(emulator: EmulatorServer, **fields: Any) -> dict[str, Any]:
    return emulator.outputs.create(
        {"bucketName": BUCKET, "roleArn": ROLE, "externalIdMode": "GLOBAL", **fields}
    )


def refused(call: Callable[[str, dict[str, Any]], Any], output_id: str) -> str:
    """Run a call that must fail; its error type is the result."""
    try:
        call(output_id, dict(STATE))
    except Exception as error:
        return type(error).__name__
    raise SystemExit(f"{call.__name__} of {output_id} was accepted but must fail")


def lifecycle(emulator: EmulatorServer) -> None:
    heading("API requests per lifecycle operation (a preview is check + diff with unknown values)")
    provider = provider_for(emulator)
    rows: list[tuple[str, int, str]] = []

    def measure(label: str, call: Callable[[], Any]) -> Any:
        emulator.requests.clear()
        result = call()
        routes = ", ".join(f"{r.method} {r.route}={r.status}" for r in emulator.requests) or "-"
        rows.append((label, len(emulator.requests), routes))
        return result

    news = {**STATE, "name": "benchmark-lifecycle", "custom_data": {"team": "video"}}
    unknown = {**news, "role_arn": rpc.UNKNOWN}
    inputs = measure("check", lambda: provider.check({}, news)).inputs
    measure("preview of a new output (check with unknowns)", lambda: provider.check({}, unknown))
    created = measure("create", lambda: provider.create(inputs))
    measure("diff (no change)", lambda: provider.diff(created.id, created.outs, inputs))
    measure(
        "preview of a change (check + diff, unknown role_arn)",
        lambda: provider.diff(created.id, created.outs, provider.check(created.outs, unknown).inputs),
    )
    measure("read (refresh)", lambda: provider.read(created.id, created.outs))
    changed = provider.check(created.outs, {**news, "bucket_name": "acme-analytics-2"}).inputs
    measure("diff (change -> replace)", lambda: provider.diff(created.id, created.outs, changed))
    replacement = measure(
        "replace (create new, then delete old)",
        lambda: (provider.create(changed), provider.delete(created.id, created.outs))[0],
    )
    measure("delete", lambda: provider.delete(replacement.id, replacement.outs))
    measure("delete (already gone)", lambda: provider.delete(replacement.id, replacement.outs))
    measure("read (gone: leaves state)", lambda: provider.read(replacement.id, replacement.outs))
    kept = seed(emulator)
    emulator.fail("*", 404, body="<html>Not Found</html>", content_type="text/html", times=2)
    measure("read, gateway 404 (refused: stays in state)", lambda: refused(provider.read, kept["id"]))
    measure("delete, gateway 404 (refused: not deleted)", lambda: refused(provider.delete, kept["id"]))
    emulator.fail("get", 302, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    measure("read, 302 redirect (refused: not followed)", lambda: refused(provider.read, kept["id"]))
    print(table(("operation", "requests", "requests sent (method route=status)"), rows))


# -- provider: a create's cost by organization size ----------------------------------------------

ORGANIZATION_SIZES = (0, 1_000, 10_000)
MAX_CREATE_REQUESTS = 3


def organization(size: int, name: str, tagged: str, planted: bool) -> list[dict[str, Any]]:
    """``size`` outputs: half named like ours, half whose names contain ours; ``planted``: all named
    around the tagged name the create sends (only someone who computed the tag can make those)."""
    same = {"bucketName": BUCKET, "roleArn": ROLE, "externalIdMode": "GLOBAL"}
    names = (f"x {tagged}",) if planted else (name, f"x-{name}-y")
    return [{**same, "name": names[n % len(names)]} for n in range(size)]


def create_cost(emulator: EmulatorServer) -> bool:
    heading(f"One create's requests and time by organization size (goal: at most {MAX_CREATE_REQUESTS})")
    provider = provider_for(emulator)
    rows, worst = [], 0
    for name_filter, planted in (
        ("exact", False),
        ("substring", False),
        ("exact", True),
        ("substring", True),
    ):
        for size in ORGANIZATION_SIZES:
            for leftover in (False, True):
                emulator.reset()
                emulator.options.name_filter = name_filter
                news = {**STATE, "name": "benchmark", "creation_key": f"p/s//{TYPE_TOKEN}::cost"}
                inputs = provider.check({}, news).inputs
                body = output_model.api_body(inputs, output_model.creation_token(inputs))
                emulator.outputs.create_many(organization(size, "benchmark", body["name"], planted))
                # What a create killed with its CLI left.
                left = emulator.outputs.create({**body, "type": "S3_ROLE_BASED"})["id"] if leftover else None
                emulator.requests.clear()
                started = time.perf_counter()
                created = provider.create(inputs)
                seconds = time.perf_counter() - started
                routes = Counter(r.route for r in emulator.requests)
                worst = max(worst, len(emulator.requests))
                result = "taken over" if created.id == left else "created"
                rows.append(
                    (
                        name_filter,
                        "around the tag" if planted else "same and containing",
                        f"{size:,}",
                        "yes" if leftover else "no",
                        len(emulator.requests),
                        f"{seconds:.3f}",
                        result,
                        ", ".join(f"{route} {count}" for route, count in routes.items()),
                    )
                )
    print(table(("filter", "names", "outputs", "leftover", "requests", "seconds", "result", "routes"), rows))
    print(
        "  names: half named like ours, half containing ours; or all containing the tagged name the create\n"
        "  sends (planted: only who computed the tag can). leftover: the output a create killed with its CLI\n"
        "  left, the newest. With names planted around the tag and a substring filter the leftover lies\n"
        "  beyond the one page read: a new output is made (docs/bitmovin-api.md)."
    )
    return worst <= MAX_CREATE_REQUESTS


# -- provider: faults and duplicates -------------------------------------------------------------


@dataclass
class Run:
    operation: str
    fault: str
    requests: int  # on the operation's own route
    lookups: int  # reconcile requests (list, customData, get) after a lost POST
    outcome: str
    elapsed: float
    token: str | None = None  # the creation token the POST carried
    returned_id: str | None = None
    message: str = ""  # the error text, if the call failed


def describe_error(error: Exception) -> str:
    text, named = str(error).lower(), " (token named)" if f"{CREATION_TOKEN_KEY}=" in str(error) else ""
    if "nothing was created" in text:
        return f"failed: nothing was created{named}"
    if "may exist" in text:
        return f"failed: an output may exist{named}"
    if status := getattr(error, "status", None):
        return f"error HTTP {status}"
    return "error: timed out" if "timed out" in text else f"error: {short(str(error), 40)}"


GET_SCENARIOS = ("429-retry-after-1", "429-x-ratelimit-reset-1", "429-x-ratelimit-reset-epoch", "502", "503")
GET_SCENARIOS += ("504", "drop-before", "drop-after", "read-timeout")


def get_and_delete_faults(emulator: EmulatorServer) -> list[Run]:
    plain, budgeted = provider_for(emulator), provider_for(emulator, retryBudgetSeconds="2", maxRetries="20")
    faults: list[
        tuple[str, str, Callable[[EmulatorServer, str], Any], AnalyticsS3RoleBasedOutputProvider]
    ] = [
        *(("GET", name, RETRIED[name].arm, plain) for name in GET_SCENARIOS),
        ("GET", "503 x3", lambda emu, route: emu.fail(route, 503, times=3), plain),
        ("GET", "500 (not retried)", lambda emu, route: emu.fail(route, 500), plain),
        ("GET", "persistent 503, budget 2s", PERSISTENT_FAULTS["persistent-503"].arm, budgeted),
        ("DELETE", "503 before", RETRIED["503"].arm, plain),
        ("DELETE", "503 after processing", RETRIED["503-after-processing"].arm, plain),
        ("DELETE", "drop after processing", RETRIED["drop-after"].arm, plain),
        ("DELETE", "429 Retry-After: 1", RETRIED["429-retry-after-1"].arm, plain),
    ]
    runs = []
    for method, label, arm, provider in faults:
        emulator.reset()
        existing, route = seed(emulator), method.lower()
        arm(emulator, route)
        start = time.monotonic()
        try:
            if method == "GET":
                outcome = "ok" if provider.read(existing["id"], STATE).id == existing["id"] else "gone"
            else:
                provider.delete(existing["id"], STATE)
                last = emulator.requests.filter(route="delete")[-1].status
                outcome = "ok (404 after retry = deleted)" if last == 404 else "ok"
        except Exception as error:
            outcome = describe_error(error)
        runs.append(
            Run(method, label, emulator.requests.count(route=route), 0, outcome, time.monotonic() - start)
        )
    return runs


def on_create(name: str, then: tuple[str, Callable[[EmulatorServer, str], Any]] | None = None) -> Any:
    """Arm the named POST fault (and ``then``'s fault on the reconcile lookup's route)."""
    return lambda emu: (CREATE[name].arm(emu, route="create"), then and then[1](emu, then[0]))


POST_FAULTS: list[tuple[str, Callable[[EmulatorServer], Any] | None, float]] = [
    *((f"{s} after processing", on_create(f"{s}-after"), SETTLE) for s in (500, 502, 503, 504)),
    *((f"{s} before processing", on_create(f"{s}-before"), SETTLE) for s in (500, 502, 503, 504)),
    (f"timeout, server acted ({SLOW}s delay after)", on_create("timeout-after"), SETTLE),
    (f"timeout, server acts later ({SLOW}s delay before)", on_create("timeout-before"), SETTLE),
    (f"same, createSettleSeconds=0 ({SLOW}s delay before)", on_create("timeout-before"), 0.0),
    ("drop after processing", on_create("drop-after"), SETTLE),
    ("drop before processing", on_create("drop-before"), SETTLE),
    ("429 Retry-After: 1", on_create("429-before"), SETTLE),
    ("400 validation", on_create("400"), SETTLE),
    ("503 after + list 503 once", on_create("503-after", ("list", RETRIED["503"].arm)), SETTLE),
    (
        "503 after + customData drop once",
        on_create("503-after", ("custom_data", RETRIED["drop-before"].arm)),
        SETTLE,
    ),
    (
        "503 after + list 503 forever (budget 1s)",
        on_create("503-after", ("list", PERSISTENT_FAULTS["persistent-503"].arm)),
        SETTLE,
    ),
    ("503 before + 3 decoys, same name", None, SETTLE),  # decoys seeded below
]


def post_faults(emulator: EmulatorServer) -> list[Run]:
    runs = []
    for label, arm, settle in POST_FAULTS:
        emulator.clear_faults()
        emulator.requests.clear()
        budget = "1" if "forever" in label else "10"
        provider = provider_for(
            emulator, retryBudgetSeconds=budget, maxRetries="20", createSettleSeconds=str(settle)
        )
        marker = f"benchmark-{uuid.uuid4().hex[:10]}"
        if arm is None:
            for custom in (None, {"team": "video"}, {CREATION_TOKEN_KEY: str(uuid.uuid4())}):
                seed(emulator, name=marker, **({"customData": custom} if custom else {}))
            arm = on_create("503-before")
        arm(emulator)
        inputs = provider.check({}, {**STATE, "name": marker}).inputs
        start, returned_id, message = time.monotonic(), None, ""
        try:
            returned_id = provider.create(inputs).id
            outcome = f"adopted {returned_id[:8]}"
        except Exception as error:
            message, outcome = str(error), describe_error(error)
        elapsed = time.monotonic() - start
        # A POST delayed "before" is handled (and logged) only after the delay: wait for it, so that its
        # effect is counted among the duplicates and its log entry does not land in the next run.
        emulator.requests.wait_for(route="create", timeout=SLOW + 3)
        lookups = sum(emulator.requests.count(route=r) for r in ("list", "custom_data", "get"))
        posts = emulator.requests.filter(route="create")
        token = posts[0].body["customData"][CREATION_TOKEN_KEY] if posts else None
        runs.append(Run("POST", label, len(posts), lookups, outcome, elapsed, token, returned_id, message))
    return runs


def faults(emulator: EmulatorServer) -> list[Run]:
    heading("Retries per fault kind (requests on the faulted route; retries = requests - 1)")
    print(
        f"  bitmovin:readTimeoutSeconds={READ_TIMEOUT}, default backoff and maxRetries; POST runs use\n"
        f"  bitmovin:createSettleSeconds={SETTLE:g} unless the row says otherwise. 'lookups' = list, customData\n"
        "  and get requests the provider made to find the output of a POST whose outcome was lost.\n"
    )
    runs = get_and_delete_faults(emulator)
    emulator.reset()
    runs += post_faults(emulator)
    rows = [
        (
            r.operation,
            r.fault,
            r.requests,
            max(r.requests - 1, 0),
            r.lookups if r.operation == "POST" else "-",
            r.outcome,
            f"{r.elapsed:.2f}s",
        )
        for r in runs
    ]
    print(table(("op", "fault", "requests", "retries", "lookups", "outcome", "time"), rows))
    resent = [r for r in runs if r.operation == "POST" and r.requests > 1]
    print(f"\n  POSTs re-sent: {len(resent)} (no POST fault run sent a POST twice: {not resent})")
    return runs


def duplicates(emulator: EmulatorServer, runs: list[Run]) -> int:
    heading("Duplicate outputs after all fault runs")
    by_token: dict[str, list[dict[str, Any]]] = {}
    for output in emulator.outputs.list():
        by_token.setdefault(str((output.get("customData") or {}).get(CREATION_TOKEN_KEY)), []).append(output)
    mine = [(run, by_token.get(run.token, [])) for run in runs if run.token is not None]
    duplicate_count = sum(max(0, len(outputs) - 1) for _, outputs in mine)
    orphans = [
        (
            run.fault,
            "announced by the error (token named)"
            if f"{CREATION_TOKEN_KEY}={run.token}" in run.message
            else f"NOT announced: the provider said '{run.outcome}'",
        )
        for run, outputs in mine
        for output in outputs
        if output["id"] != run.returned_id
    ]
    print(f"  duplicate outputs (more than one output for one create): {duplicate_count}")
    print(f"  outputs that exist but are not in state: {len(orphans)}")
    for fault, note in orphans:
        print(f"    - POST {fault}: {note}")
    return duplicate_count


# -- provider: bad inputs, size and start-up cost ------------------------------------------------


def bad_inputs(emulator: EmulatorServer) -> bool:
    heading("Bad inputs rejected with zero requests")
    failed = []
    for case in CASES:
        emulator.reset()
        try:
            error_for(case, emulator.base_url)
            verdict = "rejected"
        except AssertionError:
            verdict = "ACCEPTED"
        except Exception as error:
            verdict = f"CRASHED ({type(error).__name__})"
        if verdict != "rejected" or emulator.requests:
            failed.append(
                f"{case.key}={short(repr(case.shown_value), 24)}: {verdict}, {len(emulator.requests)} requests"
            )
    by_kind = Counter(case.kind for case in CASES)
    print(f"  catalogue: {len(CASES)} cases ({', '.join(f'{n} {kind}' for kind, n in by_kind.items())})")
    print(f"  {len(CASES) - len(failed)}/{len(CASES)} bad inputs rejected with 0 requests")
    for line in failed:
        print(f"    - {line}")
    return not failed


def first_check_seconds(provider: str, props: dict[str, Any], bytecode: Path) -> tuple[float, float]:
    """Start the provider host as the engine does, Configure it, and time it to the first Check reply:
    wall time, and the host's CPU time (less sensitive to other work on a shared machine).

    Compiled modules are cached in ``bytecode`` (as in a user's checkout after the first run, even where
    PYTHONDONTWRITEBYTECODE is set), so that the figure does not include compiling the sources."""
    drop = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "BITMOVIN_")) and k not in drop
    }
    env.update(
        PULUMI_PROJECT="bitmovin-analytics-export", PULUMI_CONFIG="{}", PYTHONPYCACHEPREFIX=str(bytecode)
    )
    args, news = struct_pb2.Struct(), struct_pb2.Struct()
    args.update({"bitmovin:apiKey": rpc.wrap_rpc_secret(KEY)})
    news.update({**props, "__provider": provider})
    started = time.perf_counter()
    host = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:1"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        with grpc.insecure_channel(f"127.0.0.1:{int(host.stdout.readline())}") as channel:  # type: ignore[union-attr]
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            stub.Configure(provider_pb2.ConfigureRequest(args=args), wait_for_ready=True, timeout=30)
            reply = stub.Check(
                provider_pb2.CheckRequest(
                    urn="urn:pulumi:dev::p::pulumi-python:dynamic:Resource::r", news=news
                ),
                timeout=30,
            )
        seconds = time.perf_counter() - started
    finally:
        host.kill()
        _, host.returncode, usage = os.wait4(host.pid, 0)
    if reply.failures:
        raise SystemExit(f"the start-up Check failed: {reply.failures}")
    return seconds, usage.ru_utime + usage.ru_stime


def size_and_startup(emulator: EmulatorServer, starts: int) -> bool:
    heading("Serialized provider and start-up cost")
    plain = serialize_provider(AnalyticsS3RoleBasedOutputProvider())
    configured = provider_for(emulator)
    configured.check({}, dict(STATE))
    with_key = serialize_provider(configured)
    print(
        f"  serialize_provider(AnalyticsS3RoleBasedOutputProvider()): {len(plain)} base64 chars ({len(base64.b64decode(plain))} bytes)"
    )
    print(
        f"  same after configure() with a key: {len(with_key)} chars; key inside: {KEY.encode() in base64.b64decode(with_key)}"
    )
    probe = "import sys, providers.analytics_output, providers.output_reference; print(' '.join(sys.modules))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    )
    imported = sorted(name for name in loaded if name.split(".")[0] in NOT_AT_START or name in NOT_AT_START)
    print(
        f"  the provider modules import at start: {', '.join(imported) or 'none of ' + ', '.join(NOT_AT_START)}"
    )
    serialize = TRIVIAL_PROVIDER + "print(serialize_provider(Provider()))"
    trivial = subprocess.run(
        [sys.executable, "-c", serialize], capture_output=True, text=True, check=True
    ).stdout.strip()
    calls = {"ours": (plain, {**STATE, "name": "benchmark-startup"}), "trivial": (trivial, {"value": "x"})}
    with tempfile.TemporaryDirectory(prefix="benchmark-bytecode-") as bytecode:
        for provider, props in calls.values():  # fills the bytecode cache
            first_check_seconds(provider, props, Path(bytecode))
        medians = alternating(
            starts,
            {
                label: functools.partial(first_check_seconds, *call, Path(bytecode))
                for label, call in calls.items()
            },
        )
    print(f"  provider host start to the first Check reply, median of {starts} alternating starts:")
    for index, kind in enumerate(("wall time", "host CPU time")):
        ours, base = medians["ours"][index], medians["trivial"][index]
        print(
            f"    {kind:13}  ours {ours * 1000:.0f} ms, trivial dynamic provider {base * 1000:.0f} ms: "
            f"{(ours - base) * 1000:+.0f} ms, ratio {ours / base:.2f}x"
        )
    return not imported


def provider_figures(args: argparse.Namespace) -> list[str]:
    print("Bitmovin Analytics S3 role-based output provider (in-process, local emulator)")
    with EmulatorServer() as emulator:
        lifecycle(emulator)
        emulator.reset()
        cost_ok = create_cost(emulator)
        emulator.reset()
        runs = faults(emulator)
        duplicate_count = duplicates(emulator, runs)
        emulator.reset()
        inputs_ok = bad_inputs(emulator)
        emulator.reset()
        imports_ok = size_and_startup(emulator, args.starts)
    return [
        *(["duplicate outputs"] if duplicate_count else []),
        *([] if cost_ok else [f"a create cost more than {MAX_CREATE_REQUESTS} requests"]),
        *([] if inputs_ok else ["a bad input reached the API or was accepted"]),
        *([] if imports_ok else ["the provider modules import what check and diff never need"]),
    ]


# -- verify --------------------------------------------------------------------------------------


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


def verify_stacks(moto: Any, emulator: Any, accounts: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A correct stack and one whose trust policy requires another external ID; verify's env and args."""
    work = Path(tempfile.mkdtemp(prefix="benchmark-verify-"))
    config = "config:\n  aws:region: eu-central-1\n  bitmovin-analytics-export:exportPrefix: analytics/\n"
    modes: dict[str, list[str]] = {}
    for mode, stack, deployed in (
        ("read-only", "acme-prod", aws_loop.deploy(moto, emulator, accounts, tls_only=True)),
        (
            "drifted",
            "acme-staging",
            aws_loop.deploy(
                moto,
                emulator,
                accounts,
                bucket="acme-analytics-drifted",
                role_name="bitmovin-analytics-export-drifted",
                tls_only=True,
                trusted_external_id="0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
            ),
        ),
    ):
        (work / f"{stack}.json").write_text(json.dumps(deployed.stack_outputs(), indent=2))
        (work / f"Pulumi.{stack}.yaml").write_text(config)
        modes[mode] = [
            "--outputs-file",
            str(work / f"{stack}.json"),
            "--config-file",
            str(work / f"Pulumi.{stack}.yaml"),
        ]
    export = ["--export", "--poll-seconds", "1"]
    modes = {
        "read-only": modes["read-only"],
        "--export": [*modes["read-only"], *export],
        "drifted": [*modes["drifted"], *export],
    }
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": accounts.admin.access_key_id,
        "AWS_SECRET_ACCESS_KEY": accounts.admin.secret_access_key,
        "AWS_ENDPOINT_URL": moto.url,
        "BITMOVIN_API_KEY": KEY,
        "BITMOVIN_API_URL": emulator.base_url,
        "BITMOVIN_ANALYTICS_LICENSE_KEY": "benchmark-license-not-a-secret",
    }
    return env, modes


def verify_figures(args: argparse.Namespace) -> list[str]:
    print("python -m verify against the emulators (moto with IAM enforced, the emulator acting as Bitmovin;")
    print(
        "QUEUED 1 s, 1 s per hour of data). moto implements neither the IAM policy simulator nor Access Analyzer."
    )
    walls: dict[str, list[float]] = {}
    parts: dict[str, dict[str, list[float]]] = {}
    counted: dict[str, dict[str, int]] = {}
    logged: dict[str, Counter[str]] = {}
    with (
        aws_loop.MotoServer() as moto,
        EmulatorServer() as emulator,
        aws_loop.tls_client_view_of_bucket_policies(),
    ):
        moto.reset()
        accounts = aws_loop.create_accounts(moto)
        moto.enforce_iam()
        options = emulator.options.exports
        options.aws = aws_loop.actor_config(moto, accounts)
        options.queue_seconds = options.hour_seconds = 1.0
        env, modes = verify_stacks(moto, emulator, accounts)
        with contextlib.redirect_stdout(io.StringIO()):  # moto prints a line for every API it lacks
            samples = {mode: run_verify(env, *argv)[:3] for mode, argv in modes.items()}
            for mode in ("read-only", "--export"):
                for _ in range(args.runs):
                    emulator.requests.clear()
                    code, out, err, wall = run_verify(env, *modes[mode], "--json")
                    if code != 0:
                        raise SystemExit(f"verify {mode} failed:\n{out}\n{err}")
                    document = json.loads(out)
                    walls.setdefault(mode, []).append(wall)
                    for part, seconds in document["seconds"].items():
                        parts.setdefault(mode, {}).setdefault(part, []).append(seconds)
                    counted[mode] = document["requests"]
                    logged[mode] = Counter(f"{r.method} {r.route}" for r in emulator.requests)
    heading("Sample output (text form)")
    for mode, (code, out, err) in samples.items():
        print(
            f"--- python -m verify {' '.join(Path(a).name for a in modes[mode])} [{mode}] (exit {code}) ---"
        )
        print("".join(f"stderr | {line}\n" for line in err.splitlines()) + out)
    heading(f"Durations, median of {args.runs} runs (seconds)")
    names = sorted({part for mode in parts.values() for part in mode})
    rows = [
        [p, *[f"{statistics.median(parts[m][p]):.3f}" if p in parts[m] else "-" for m in walls]]
        for p in names
    ]
    rows.append(["whole command (subprocess)", *[f"{statistics.median(walls[m]):.2f}" for m in walls]])
    print(table(["part", *walls], rows))
    heading("Requests per run (verify's count of HTTP attempts; the Bitmovin emulator's log)")
    calls = sorted({name for mode in counted.values() for name in mode})
    print(table(["call", *counted], [[c, *[counted[m].get(c, 0) for m in counted]] for c in calls]))
    routes = sorted({name for mode in logged.values() for name in mode})
    print(table(["emulator log", *logged], [[r, *[logged[m].get(r, 0) for m in logged]] for r in routes]))
    return []


# -- whole program -----------------------------------------------------------------------------

# Prepended to a project copy's __main__.py: the same program with the Bitmovin output replaced by
# plain values, so the engine registers every AWS resource and no dynamic resource (the baseline).
WITHOUT_DYNAMIC_RESOURCE = """\
import pulumi as _pulumi
import analytics_export.component as _component


class _NoOutput:
    \"\"\"Stands where the dynamic resource was: its outputs as constants, no resource.\"\"\"

    def __init__(self, _name, _opts=None, **_inputs):
        self.id = _pulumi.Output.from_input("benchmark-no-output")
        self.external_id = _pulumi.Output.from_input("benchmark-external-id")
        self.external_id_mode = _pulumi.Output.from_input("GLOBAL")


_component.AnalyticsS3RoleBasedOutput = _NoOutput
"""


def program_figures(args: argparse.Namespace) -> list[str]:
    """``pulumi up`` of the whole local stack (stand-in for pulumi-aws) with and without the output."""
    from dev.support.whole_program import whole_program

    print("The whole program's local stack through the real engine, pulumi-aws served by dev/aws_standin")
    seconds: dict[str, list[float]] = {"with the output": [], "without": []}
    requests: dict[str, tuple[int, int, int]] = {}
    labels = list(seconds)
    with tempfile.TemporaryDirectory(prefix="benchmark-program-") as tmp:
        for run in range(args.runs):
            for label in labels if run % 2 else labels[::-1]:
                # A fresh stack, moto (reset: its backends are the process's) and emulator each time,
                # so every `up` creates everything.
                with whole_program(Path(tmp) / f"{run}-{labels.index(label)}") as program:
                    if label == "without":
                        main = program.stack.project / "__main__.py"
                        main.write_text(WITHOUT_DYNAMIC_RESOURCE + main.read_text())
                    program.clear_logs()
                    seconds[label].append(timed(program.stack.up))
                    requests[label] = (
                        len(program.emulator.requests),
                        len(program.aws_log.requests),
                        len(program.aws_log.writes()),
                    )
    heading(f"pulumi up of the local stack (a create), median of {args.runs}, alternating")
    medians = {label: statistics.median(values) for label, values in seconds.items()}
    for label, median in medians.items():
        bitmovin, aws, writes = requests[label]
        print(
            f"  {label:16} {median:.2f} s; Bitmovin requests {bitmovin}, AWS requests {aws} ({writes} writes)"
        )
    print(
        f"  ratio with/without the dynamic resource: {medians['with the output'] / medians['without']:.2f}x"
    )
    return []


# -- engine --------------------------------------------------------------------------------------


def engine_stacks(
    root: Path, emulator: EmulatorServer, run: int
) -> tuple[engine.EngineStack, engine.EngineStack]:
    """A fresh stack of ``tests/engine_project`` and of the trivial program (so that every `up` is a create)."""
    ours = engine.EngineStack(
        engine.copy_engine_project(root / f"ours-{run}"), engine.engine_env(root / f"home-o{run}"), "fig"
    )
    ours.init()
    ours.config_set("bitmovin:apiKey", KEY, secret=True)
    ours.config_set("bitmovin:apiUrl", emulator.base_url)
    project = engine.copy_engine_project(root / f"trivial-{run}", dirs=())
    (project / "__main__.py").write_text(TRIVIAL_PROGRAM)
    return ours, engine.EngineStack(project, engine.engine_env(root / f"home-t{run}"), "fig").init()


def engine_figures(args: argparse.Namespace) -> list[str]:
    print("The real Pulumi engine (same engine, same run, alternating)")
    with (
        tempfile.TemporaryDirectory(prefix="benchmark-engine-") as tmp,
        EmulatorServer(api_keys={KEY}) as emulator,
    ):
        root = Path(tmp)
        seconds: dict[str, list[float]] = {}
        for run in range(args.runs):
            pairs = list(zip(("ours", "trivial"), engine_stacks(root, emulator, run), strict=True))
            pairs = pairs if run % 2 else pairs[::-1]
            for operation, call in (
                ("preview", lambda s: s.ok("preview", *s.stack_args())),
                ("up", lambda s: s.up()),
            ):
                for label, stack in pairs:
                    seconds.setdefault(f"{operation} {label}", []).append(timed(lambda s=stack, c=call: c(s)))
            for _, stack in pairs:
                stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
        medians = {key: statistics.median(values) for key, values in seconds.items()}
        heading(
            f"pulumi preview and up (a create): provider-only stack vs a trivial dynamic provider, median of {args.runs}"
        )
        for operation in ("preview", "up"):
            ours, base = medians[f"{operation} ours"], medians[f"{operation} trivial"]
            print(f"  pulumi {operation:7} ours {ours:.2f} s, trivial {base:.2f} s, ratio {ours / base:.2f}x")
        fleet = engine.FleetProject(root / "fleet", emulator, api_key=KEY, secret_value="benchmark-secret")

        def fleet_up(parallel: int) -> tuple[float]:
            names = [
                f"p{parallel}-{uuid.uuid4().hex[:6]}-{n}" for n in ("acme", "globex", "initech", "umbrella")
            ]
            for name in names:
                fleet.add_stack(name)
            return (timed(lambda: fleet.fleet_ok("up", *names, "--yes", "--parallel", str(parallel))),)

        fleet_medians = alternating(args.runs, {"4": lambda: fleet_up(4), "1": lambda: fleet_up(1)})
        (four,), (one,) = fleet_medians["4"], fleet_medians["1"]
        print(
            f"  python -m fleet up, 4 stacks: --parallel 4 {four:.1f} s, --parallel 1 {one:.1f} s, ratio {four / one:.2f}"
        )
        heading("Bitmovin requests per engine operation (the emulator's log)")
        ours, _ = engine_stacks(root, emulator, 999)
        for label, argv in (
            ("preview", ("preview",)),
            ("up (create)", ("up", "--yes", "--skip-preview")),
            ("up (no change)", ("up", "--yes", "--skip-preview")),
            ("refresh", ("refresh", "--yes", "--skip-preview")),
            ("destroy", ("destroy", "--yes", "--skip-preview")),
        ):
            emulator.requests.clear()
            ours.ok(*argv[:1], *ours.stack_args(), *argv[1:])
            print(
                f"  {label}: {len(emulator.requests)} {[f'{r.method} {r.route}' for r in emulator.requests]}"
            )
            if label == "up (create)":
                pickled = ours.pickled_provider("S3RoleBasedOutput")
    print(f"  __provider in a real state file: {len(pickled)} bytes pickled")
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "part",
        nargs="?",
        choices=("provider", "verify", "engine", "program"),
        help="default: every part that can run",
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="timed runs per verify/engine figure (median; default 5)"
    )
    parser.add_argument(
        "--starts", type=int, default=15, help="provider host starts per provider (median; default 15)"
    )
    args = parser.parse_args(argv)
    for name in ("BITMOVIN_API_KEY", "BITMOVIN_API_URL"):
        os.environ.pop(name, None)
    parts = {
        "provider": provider_figures,
        "verify": verify_figures,
        "engine": engine_figures,
        "program": program_figures,
    }
    started, failures = time.monotonic(), []
    for name in [args.part] if args.part else list(parts):
        if name in ("engine", "program") and (reason := engine.engine_missing_reason()):
            print(f"\nbenchmark engine: not run: {reason}")
            failures += ["engine not run"] if args.part else []
            continue
        print(f"\n## {name}\n")
        failures += parts[name](args)
    print(
        f"\nTotal time {time.monotonic() - started:.1f}s. Result: {'FAIL: ' + '; '.join(failures) if failures else 'OK'}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
