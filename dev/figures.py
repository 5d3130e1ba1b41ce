"""Print reliability and cost figures of the Bitmovin dynamic provider, measured on the local emulator.

Run it from the project root with the project's virtualenv, the one the README's test command
creates (``venv/``; CI's is ``.ci-venv/``). No network, no Pulumi CLI; about 30 s of real waits:

    venv/bin/python dev/figures.py

It starts ``dev.bitmovin_emulator`` in-process, drives
``providers.analytics_output.AnalyticsS3RoleBasedOutputProvider`` through its lifecycle and under
injected faults (the named ones of ``dev.support.fault_scenarios``, which the reliability tests use too),
and prints a plain-text report. Waits are real here: the times reported are measured wall time.

1. API requests per lifecycle operation (a preview is ``check`` + ``diff`` with unknown values);
2. per fault kind (GET, DELETE, POST and the create reconcile lookup): requests, retries spent
   (requests - 1) and the outcome;
3. duplicate outputs after all fault runs, and outputs left outside the state;
4. size of the serialized provider, import cost of the provider module, heavy modules it imports;
5. the bad inputs of ``dev/support/bad_inputs.py``, each rejected with 0 requests.

Exit status 1 if a fault run left a duplicate output, if the provider module imports
``pulumi_aws``, or if a catalogued bad input reached the API or was accepted; 0 otherwise.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pulumi.dynamic.dynamic import serialize_provider  # noqa: E402
from pulumi.runtime.rpc import UNKNOWN  # noqa: E402

from dev.bitmovin_emulator import EmulatorServer  # noqa: E402
from dev.support.bad_inputs import CASES, error_for  # noqa: E402
from dev.support.fault_scenarios import PERSISTENT_FAULTS, create_faults, retried_faults  # noqa: E402
from dev.support.provider_factory import configured_provider  # noqa: E402
from providers.analytics_output import AnalyticsS3RoleBasedOutputProvider  # noqa: E402
from providers.output_model import CREATION_TOKEN_KEY  # noqa: E402

KEY = "figures-secret-key-5d1c0e9a"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics-figures"
BUCKET = "acme-analytics"
STATE = {"bucket_name": BUCKET, "role_arn": ROLE, "external_id_mode": "GLOBAL"}
READ_TIMEOUT = 0.5
SLOW = 1.5  # server-side delay beyond the read timeout
RETRIED = retried_faults(SLOW)
CREATE = create_faults(SLOW)
HEAVY_MODULES = (
    "pulumi_aws",
    "boto3",
    "botocore",
    "bitmovin_api_sdk",
    "analytics_export",
    "dev.bitmovin_emulator",
    "werkzeug",
    "pytest",
    "grpc",
    "google.protobuf",
    "dill",
    "requests",
    "urllib3",
)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in lines)


def heading(text: str) -> None:
    print(f"\n{text}\n{'=' * len(text)}")


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


def short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- 1. lifecycle ------------------------------------------------------------------------------


def lifecycle(emulator: EmulatorServer) -> None:
    heading("1. API requests per lifecycle operation")
    provider = provider_for(emulator)
    rows: list[tuple[str, int, str]] = []

    def measure(label: str, call: Callable[[], Any]) -> Any:
        emulator.requests.clear()
        result = call()
        routes = ", ".join(f"{r.method} {r.route}={r.status}" for r in emulator.requests) or "-"
        rows.append((label, len(emulator.requests), routes))
        return result

    news = {**STATE, "name": "figures-lifecycle", "custom_data": {"team": "video"}}
    inputs = measure("check", lambda: provider.check({}, news)).inputs
    unknown = {**news, "role_arn": UNKNOWN}
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


def refused(call: Callable[[str, dict[str, Any]], Any], output_id: str) -> str:
    """Run a call that must fail; its error type is the result."""
    try:
        call(output_id, dict(STATE))
    except Exception as error:
        return type(error).__name__
    raise SystemExit(f"{call.__name__} of {output_id} was accepted but must fail")


# -- 2. faults ---------------------------------------------------------------------------------


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
    text = str(error)
    lowered = text.lower()
    named = " (token named)" if f"{CREATION_TOKEN_KEY}=" in text else ""
    if "nothing was created" in lowered:
        return f"failed: nothing was created{named}"
    if "may exist" in lowered:
        return f"failed: an output may exist{named}"
    status = getattr(error, "status", None)
    if status:
        return f"error HTTP {status}"
    return "error: timed out" if "timed out" in lowered else f"error: {short(text, 40)}"


def get_and_delete_faults(emulator: EmulatorServer, runs: list[Run]) -> None:
    provider = provider_for(emulator)
    budgeted = provider_for(emulator, retryBudgetSeconds="2", maxRetries="20")
    faults: list[
        tuple[str, str, Callable[[EmulatorServer, str], Any], AnalyticsS3RoleBasedOutputProvider]
    ] = [
        ("GET", "429 Retry-After: 1", RETRIED["429-retry-after-1"].arm, provider),
        ("GET", "429 X-RateLimit-Reset: 1", RETRIED["429-x-ratelimit-reset-1"].arm, provider),
        ("GET", "429 X-RateLimit-Reset: <epoch+1>", RETRIED["429-x-ratelimit-reset-epoch"].arm, provider),
        ("GET", "502", RETRIED["502"].arm, provider),
        ("GET", "503", RETRIED["503"].arm, provider),
        ("GET", "504", RETRIED["504"].arm, provider),
        ("GET", "503 x3", lambda emu, route: emu.fail(route, 503, times=3), provider),
        ("GET", "drop before", RETRIED["drop-before"].arm, provider),
        ("GET", "drop after", RETRIED["drop-after"].arm, provider),
        ("GET", f"read timeout ({SLOW}s > {READ_TIMEOUT}s)", RETRIED["read-timeout"].arm, provider),
        ("GET", "500 (not retried)", lambda emu, route: emu.fail(route, 500), provider),
        ("GET", "persistent 503, budget 2s", PERSISTENT_FAULTS["persistent-503"].arm, budgeted),
        ("DELETE", "503 before", RETRIED["503"].arm, provider),
        ("DELETE", "503 after processing", RETRIED["503-after-processing"].arm, provider),
        ("DELETE", "drop after processing", RETRIED["drop-after"].arm, provider),
        ("DELETE", "429 Retry-After: 1", RETRIED["429-retry-after-1"].arm, provider),
    ]
    for method, label, arm, chosen in faults:
        emulator.reset()
        existing = seed(emulator)
        route = "get" if method == "GET" else "delete"
        arm(emulator, route)
        start = time.monotonic()
        try:
            if method == "GET":
                result = chosen.read(existing["id"], STATE)
                outcome = "ok" if result.id == existing["id"] else "gone"
            else:
                chosen.delete(existing["id"], STATE)
                last = emulator.requests.filter(route="delete")[-1].status
                outcome = "ok (404 after retry = deleted)" if last == 404 else "ok"
        except Exception as error:
            outcome = describe_error(error)
        elapsed = time.monotonic() - start
        runs.append(Run(method, label, emulator.requests.count(route=route), 0, outcome, elapsed))


def on_create(name: str) -> Callable[[EmulatorServer], Any]:
    """Arm the named POST fault."""
    return functools.partial(CREATE[name].arm, route="create")


def lost_create_then(
    route: str, arm: Callable[[EmulatorServer, str], Any]
) -> Callable[[EmulatorServer], Any]:
    """A 503 after the POST took effect, then ``arm`` on the reconcile lookup's ``route``."""
    return lambda emu: (on_create("503-after")(emu), arm(emu, route))


SETTLE = 2.0  # bitmovin:createSettleSeconds of the POST runs: longer than SLOW - READ_TIMEOUT

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
    ("503 after + list 503 once", lost_create_then("list", RETRIED["503"].arm), SETTLE),
    ("503 after + customData drop once", lost_create_then("custom_data", RETRIED["drop-before"].arm), SETTLE),
    (
        "503 after + list 503 forever (budget 1s)",
        lost_create_then("list", PERSISTENT_FAULTS["persistent-503"].arm),
        SETTLE,
    ),
    ("503 before + 3 decoys, same name", None, SETTLE),  # decoys seeded below
]


def post_faults(emulator: EmulatorServer, runs: list[Run]) -> None:
    for label, arm, settle in POST_FAULTS:
        emulator.clear_faults()
        emulator.requests.clear()
        provider = provider_for(
            emulator,
            retryBudgetSeconds="1" if "forever" in label else "10",
            maxRetries="20",
            createSettleSeconds=str(settle),
        )
        marker = f"figures-{uuid.uuid4().hex[:10]}"
        if arm is None:
            for custom in (None, {"team": "video"}, {CREATION_TOKEN_KEY: str(uuid.uuid4())}):
                seed(emulator, name=marker, **({"customData": custom} if custom else {}))
            on_create("503-before")(emulator)
        else:
            arm(emulator)
        inputs = provider.check({}, {**STATE, "name": marker}).inputs
        start = time.monotonic()
        returned_id = None
        message = ""
        try:
            created = provider.create(inputs)
            returned_id = created.id
            outcome = f"adopted {created.id[:8]}"
        except Exception as error:
            message = str(error)
            outcome = describe_error(error)
        elapsed = time.monotonic() - start
        # A POST delayed "before" is handled (and logged) only after the delay: wait for it, so that
        # its effect is counted in section 3 and its log entry does not land in the next run.
        emulator.requests.wait_for(route="create", timeout=SLOW + 3)
        lookups = sum(emulator.requests.count(route=r) for r in ("list", "custom_data", "get"))
        posts = emulator.requests.filter(route="create")
        token = posts[0].body["customData"][CREATION_TOKEN_KEY] if posts else None
        runs.append(Run("POST", label, len(posts), lookups, outcome, elapsed, token, returned_id, message))


def faults(emulator: EmulatorServer) -> list[Run]:
    heading("2. Retries per fault kind (requests on the faulted route; retries = requests - 1)")
    print(
        f"  bitmovin:readTimeoutSeconds={READ_TIMEOUT}, default backoff and maxRetries; POST runs use\n"
        f"  bitmovin:createSettleSeconds={SETTLE:g} unless the row says otherwise. 'lookups' = list, customData\n"
        "  and get requests the provider made to find the output of a POST whose outcome was lost.\n"
    )
    runs: list[Run] = []
    get_and_delete_faults(emulator, runs)
    emulator.reset()
    post_faults(emulator, runs)
    rows = [
        (
            r.operation,
            r.fault,
            r.requests,
            r.requests - 1,
            r.lookups if r.operation == "POST" else "-",
            r.outcome,
            f"{r.elapsed:.2f}s",
        )
        for r in runs
    ]
    print(table(("op", "fault", "requests", "retries", "lookups", "outcome", "time"), rows))
    resent = [r for r in runs if r.operation == "POST" and r.requests != 1]
    print(f"\n  POSTs re-sent: {len(resent)} (every POST fault run sent exactly one POST: {not resent})")
    return runs


# -- 3. duplicates -----------------------------------------------------------------------------


def duplicates(emulator: EmulatorServer, runs: list[Run]) -> int:
    heading("3. Duplicate outputs after all fault runs")
    by_token: dict[str, list[dict[str, Any]]] = {}
    for output in emulator.outputs.list():
        token = (output.get("customData") or {}).get(CREATION_TOKEN_KEY)
        by_token.setdefault(str(token), []).append(output)
    duplicate_count = 0
    orphans: list[tuple[str, str]] = []
    for run in runs:
        if run.token is None:
            continue
        mine = by_token.get(run.token, [])
        duplicate_count += max(0, len(mine) - 1)
        for output in mine:
            if output["id"] != run.returned_id:
                announced = f"{CREATION_TOKEN_KEY}={run.token}" in run.message
                orphans.append(
                    (
                        run.fault,
                        "announced by the error (token named)"
                        if announced
                        else f"NOT announced: the provider said '{run.outcome}'",
                    )
                )
    print(f"  duplicate outputs (more than one output for one create): {duplicate_count}")
    print(f"  outputs that exist but are not in state: {len(orphans)}")
    for fault, note in orphans:
        print(f"    - POST {fault}: {note}")
    if any("NOT announced" in note for _, note in orphans):
        print(
            "    (an unannounced output outside the state is one the user cannot find from the error: a\n"
            "     re-run of `pulumi up` would add a second output for the same resource)"
        )
    return duplicate_count


# -- 4. serialized provider and import cost ------------------------------------------------------


def import_cost(emulator: EmulatorServer) -> bool:
    heading("4. Serialized provider and import cost")
    plain = serialize_provider(AnalyticsS3RoleBasedOutputProvider())
    configured = provider_for(emulator)
    configured.check({}, dict(STATE))
    serialized_configured = serialize_provider(configured)
    raw = base64.b64decode(serialized_configured)
    print(
        f"  serialize_provider(AnalyticsS3RoleBasedOutputProvider()): {len(plain)} base64 chars ({len(base64.b64decode(plain))} bytes)"
    )
    print(
        f"  same after configure() with a key: {len(serialized_configured)} chars; key inside: {KEY.encode() in raw}"
    )

    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def wall(code: str, repeat: int = 3) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    baseline = wall("pass")
    pulumi_only = wall("import pulumi")
    module = wall("import providers.analytics_output")
    probe = (
        "import json, sys, time\n"
        "before = set(sys.modules)\n"
        "t = time.perf_counter()\n"
        "import providers.analytics_output\n"
        "elapsed = time.perf_counter() - t\n"
        "print(json.dumps({'elapsed': elapsed, 'modules': sorted(sys.modules), 'new': len(set(sys.modules) - before)}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    data = json.loads(result.stdout)
    loaded = set(data["modules"])
    print(f"  python -c 'pass':                               {baseline * 1000:6.0f} ms (interpreter start)")
    print(f"  python -c 'import pulumi':                      {pulumi_only * 1000:6.0f} ms")
    print(f"  python -c 'import providers.analytics_output':  {module * 1000:6.0f} ms (median of 3)")
    print(
        f"  import of the provider module alone, in-process: {data['elapsed'] * 1000:5.0f} ms, {data['new']} modules loaded"
    )
    rows = [(name, "yes" if name in loaded else "no") for name in HEAVY_MODULES]
    print(table(("module", "imported by providers.analytics_output"), rows))
    aws = "pulumi_aws" in loaded
    print(f"\n  pulumi_aws imported: {aws} (must be False)")
    return not aws


# -- 5. bad inputs -----------------------------------------------------------------------------


def bad_inputs(emulator: EmulatorServer) -> bool:
    heading("5. Bad inputs rejected with zero requests")
    rows = []
    ok = True
    for case in CASES:
        emulator.reset()
        try:
            message = error_for(case, emulator.base_url)
            verdict = "rejected"
        except AssertionError:
            message, verdict = "", "ACCEPTED"
        except Exception as error:
            message, verdict = f"{type(error).__name__}: {error}", "CRASHED"
        sent = len(emulator.requests)
        ok = ok and verdict == "rejected" and sent == 0
        rows.append(
            (
                case.kind,
                case.key,
                short(repr(case.shown_value), 24),
                case.why,
                sent,
                verdict,
                short(message.split("\n")[0], 60),
            )
        )
    print(table(("kind", "key", "value", "why", "requests", "verdict", "first line of the error"), rows))
    rejected = sum(1 for row in rows if row[5] == "rejected" and row[4] == 0)
    by_kind = {kind: sum(1 for row in rows if row[0] == kind) for kind in dict.fromkeys(r[0] for r in rows)}
    print(f"\n  catalogue: {len(rows)} cases ({', '.join(f'{n} {kind}' for kind, n in by_kind.items())})")
    print(f"  {rejected}/{len(rows)} bad inputs rejected with 0 requests")
    return ok


def main() -> int:
    for name in ("BITMOVIN_API_KEY", "BITMOVIN_API_URL"):
        os.environ.pop(name, None)
    started = time.monotonic()
    print("Bitmovin Analytics S3 role-based output provider: figures (local emulator, no network)")
    with EmulatorServer() as emulator:
        lifecycle(emulator)
        emulator.reset()
        runs = faults(emulator)
        duplicate_count = duplicates(emulator, runs)
        emulator.reset()
        import_ok = import_cost(emulator)
        emulator.reset()
        inputs_ok = bad_inputs(emulator)
    failures = [
        *(["duplicate outputs"] if duplicate_count else []),
        *([] if import_ok else ["pulumi_aws imported by the provider module"]),
        *([] if inputs_ok else ["a bad input reached the API or was accepted"]),
    ]
    print(
        f"\nTotal time {time.monotonic() - started:.1f}s. Result: {'FAIL: ' + '; '.join(failures) if failures else 'OK'}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
