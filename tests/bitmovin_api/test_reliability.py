"""Layer 2: retries, timeouts, the retry budget, exactly-once create and secret hygiene under faults.

Every test drives the provider (configured like a stack would configure it) against the in-process
emulator and injects the named faults of ``dev.support.fault_scenarios`` (or the emulator's ``fail``,
``delay``, ``drop_connection`` directly); the emulator's request log is the witness of what was sent.
The provider pauses on a ``RecordingClock``: every pause it decides on (backoff, ``Retry-After``,
``X-RateLimit-Reset``, the settle loop) is recorded and skipped, and elapsed times are read on that
clock, which is fully virtual: it advances by the recorded pauses only, so a loaded machine cannot change
what the provider decides. Only the server stalls that make a socket read time out are real, and the
tests about them measure real time as well (``Outcome.real_seconds``). Backoff is made tiny (the provider has no config key for it). ``bitmovin:createSettleSeconds``
(how long the provider keeps looking for the output of a create whose outcome was lost) is 0 unless a
test needs it.

An autouse fixture checks, after every test, that the API key occurs in no captured log record
(urllib3 at DEBUG logs every retry) and nowhere on stdout/stderr; ``attempt`` checks every raised
error (its chain as Python prints it, and its formatted traceback) and every returned result.
"""

from __future__ import annotations

import functools
import logging
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bitmovin_api.client import BitmovinClient
from bitmovin_api.errors import BitmovinApiError
from bitmovin_api.http_policy import HttpPolicy
from dev.bitmovin_emulator import EmulatorOptions
from dev.support.fault_scenarios import PERSISTENT_FAULTS, create_faults, retried_faults
from dev.support.provider_factory import configured_provider
from dev.support.testing import BUCKET, ORG_ID, OTHER_ORG_ID, ROLE_ARN, RecordingClock
from providers import provider_config
from providers.analytics_output import AnalyticsS3RoleBasedOutputProvider, ProviderConfigError
from providers.create_reconciler import CreateFailedError
from providers.output_model import CREATION_TOKEN_KEY, user_name

pytestmark = [pytest.mark.layer2, pytest.mark.usefixtures("no_bitmovin_env")]

KEY = "SeCrEt-reliability-key-7f3a9c2e41b8d6f0"
# As create records it: without a tenant, the key's account names the output's organization.
STATE = {
    "bucket_name": BUCKET,
    "role_arn": ROLE_ARN,
    "external_id_mode": "GLOBAL",
    "api_key_account_id": EmulatorOptions().account_id(KEY),
}
# Real socket timeouts: short, yet far above what a request to the in-process emulator takes on a
# loaded machine, and SLOW (a server stall) far enough beyond READ_TIMEOUT for the client to look once
# before a stalled server acts.
READ_TIMEOUT = 0.3
SLOW = 0.6
RETRIED = retried_faults(SLOW)
CREATE_FAULTS = create_faults(SLOW)


# -- fixtures and helpers ----------------------------------------------------------------------


def test_the_test_clock_is_virtual():
    """It advances only by recorded pauses and advance(): real time passing changes nothing."""
    clock = RecordingClock()
    seen: list[float] = []
    clock.on_sleep = seen.append
    assert clock.monotonic() == 0.0
    time.sleep(0.01)
    assert clock.monotonic() == 0.0
    clock.sleep(1.5)
    clock.advance(2.0)
    assert clock.monotonic() == 3.5
    assert clock.sleeps == seen == [1.5]  # advance() is not a pause of the client


@pytest.fixture
def clock() -> RecordingClock:
    """The clock every provider of the test pauses on."""
    return RecordingClock()


@pytest.fixture(autouse=True)
def _fast_backoff_and_no_secret_in_logs(monkeypatch, caplog, capfd, clock):
    """Tiny backoff, recorded pauses, and: the key is never logged or printed."""
    monkeypatch.setattr(
        provider_config,
        "HttpPolicy",
        functools.partial(HttpPolicy, backoff_factor=0.01, backoff_jitter=0.0, backoff_max=0.2, clock=clock),
    )
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    yield
    out, err = capfd.readouterr()
    assert KEY not in out
    assert KEY not in err
    assert KEY not in caplog.text
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in repr(record.args)
        assert KEY not in (record.exc_text or "")


SETTINGS = {
    "connectTimeoutSeconds": "1",
    "readTimeoutSeconds": str(READ_TIMEOUT),
    "maxRetries": "3",
    "retryBudgetSeconds": "5",
    "createSettleSeconds": "0",  # look for a lost create once; tests that wait set it
}


def configured(emulator, **settings: str) -> AnalyticsS3RoleBasedOutputProvider:
    """This module's stack config (``SETTINGS``, then ``settings``) for the emulator."""
    return configured_provider(emulator.base_url, KEY, **{**SETTINGS, **settings})


def checked(provider, **inputs: Any) -> dict[str, Any]:
    result = provider.check({}, {"bucket_name": BUCKET, "role_arn": ROLE_ARN, **inputs})
    assert result.failures == []
    return result.inputs


def seed(emulator, org: str | None = None, **fields: Any) -> dict[str, Any]:
    """An existing output, stored without HTTP."""
    body = {"bucketName": BUCKET, "roleArn": ROLE_ARN, "externalIdMode": "GLOBAL", **fields}
    return emulator.outputs.create(body, org) if org else emulator.outputs.create(body)


def assert_secret_free(error: BaseException) -> None:
    """The key is in no error of the chain as Python reports it (causes, unsuppressed contexts), nor in
    its formatted traceback."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        for text in (str(current), repr(current), repr(current.args), repr(getattr(current, "__dict__", {}))):
            assert KEY not in text, f"API key leaked through {type(current).__name__}"
        pending.append(current.__cause__)
        if not current.__suppress_context__:
            pending.append(current.__context__)
    assert KEY not in "".join(traceback.format_exception(error))


@dataclass
class Outcome:
    value: Any
    error: Exception | None
    elapsed: float  # on the test clock: the recorded pauses (virtual time)
    sleeps: list[float]  # the pauses the provider decided on, in order
    real_seconds: float  # wall time: socket timeouts and server stalls are real


def attempt(clock: RecordingClock, call: Callable[[], Any]) -> Outcome:
    """Run one provider call; whatever it returns or raises must not contain the key."""
    start, first_sleep, real_start = clock.monotonic(), len(clock.sleeps), time.monotonic()

    def outcome(value: Any, error: Exception | None) -> Outcome:
        return Outcome(
            value,
            error,
            clock.monotonic() - start,
            clock.sleeps[first_sleep:],
            time.monotonic() - real_start,
        )

    try:
        value = call()
    except Exception as error:
        assert_secret_free(error)
        return outcome(None, error)
    assert KEY not in repr(value)
    assert KEY not in repr(getattr(value, "__dict__", {}))
    return outcome(value, None)


def call_for(provider, operation: str, output_id: str) -> Callable[[], Any]:
    if operation == "get":
        return lambda: provider.read(output_id, STATE)
    return lambda: provider.delete(output_id, STATE)


def marked(emulator, name: str, org: str | None = None) -> list[dict[str, Any]]:
    """Outputs carrying this test's marker (a unique name; Bitmovin's carries the token's tag)."""
    outputs = emulator.outputs.list(org) if org else emulator.outputs.list()
    return [output for output in outputs if user_name(output.get("name"), name) == name]


def settle(emulator) -> None:
    """Wait until the POST was handled by the server: a request delayed "before" is logged only then."""
    emulator.requests.wait_for(route="create", timeout=SLOW + 3)


# -- GET and DELETE: what is retried ----------------------------------------------------------


@pytest.mark.parametrize("injection", RETRIED.values(), ids=lambda i: i.name)
@pytest.mark.parametrize("operation", ["get", "delete"])
def test_get_and_delete_are_retried_then_succeed(emulator, caplog, clock, operation, injection):
    provider = configured(emulator)
    existing = seed(emulator)
    injection.arm(emulator, operation)

    outcome = attempt(clock, call_for(provider, operation, existing["id"]))

    assert outcome.error is None, outcome.error
    records = emulator.requests.filter(route=operation)
    # A retried DELETE that finds the output gone confirms that with one list request, after reading
    # the key's account (to compare with the state's).
    confirmations = [
        *emulator.requests.filter(route="list"),
        *emulator.requests.filter(route="account_information"),
    ]
    assert len(records) == injection.faults + 1
    assert len(emulator.requests) == len(records) + len(confirmations)
    assert len(confirmations) == (2 if operation == "delete" and records[-1].status == 404 else 0)
    assert [record.fault is not None for record in records] == [True] * injection.faults + [False]
    assert sum(outcome.sleeps) >= injection.min_wait  # e.g. Retry-After: 1 -> a pause of 1.0 s
    if operation == "get":
        assert outcome.value.id == existing["id"]
        assert records[-1].status == 200
    else:
        assert emulator.outputs.get(existing["id"]) is None
        # After a fault *after* processing the retry finds it gone: a confirmed 404 counts as deleted.
        assert records[-1].status in (200, 404)
    assert any("Incremented Retry" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
@pytest.mark.parametrize("operation", ["get", "delete"])
def test_other_statuses_are_not_retried(emulator, clock, operation, status):
    provider = configured(emulator)
    existing = seed(emulator)
    emulator.fail(operation, status, times=None)

    outcome = attempt(clock, call_for(provider, operation, existing["id"]))

    assert emulator.requests.count(route=operation) == 1
    if status == 404:  # a Bitmovin 404 confirmed by one list request: gone / already deleted
        assert [r.route for r in emulator.requests] == [operation, "account_information", "list"]
        assert outcome.error is None
        if operation == "get":
            assert outcome.value.id is None
            assert outcome.value.outs == {}
    else:
        assert emulator.requests.count() == 1
        assert isinstance(outcome.error, BitmovinApiError)
        assert outcome.error.status == status
        assert f"HTTP {status}" in str(outcome.error)


# -- budget, maxRetries, timeouts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "expected_status", "min_requests"),
    [
        ("persistent-503", 503, 3),
        # The wait is cut to what is left of the budget, then one last attempt is made.
        ("429-retry-after-beyond-budget", 429, 2),
        ("persistent-drop", None, 3),
    ],
    ids=["persistent-503", "429-retry-after-beyond-budget", "persistent-drop"],
)
@pytest.mark.parametrize("operation", ["get", "delete"])
def test_retry_budget_bounds_the_total_time(emulator, clock, operation, fault, expected_status, min_requests):
    budget = 1.0
    provider = configured(emulator, maxRetries="20", retryBudgetSeconds=str(budget))
    existing = seed(emulator)
    PERSISTENT_FAULTS[fault].arm(emulator, operation)

    outcome = attempt(clock, call_for(provider, operation, existing["id"]))

    assert isinstance(outcome.error, BitmovinApiError)
    assert outcome.error.status == expected_status
    if expected_status is not None:
        assert f"HTTP {expected_status}" in str(outcome.error)
    assert outcome.elapsed < budget + 1.0
    # Retried, but fewer times than maxRetries allows: the budget ended the call.
    assert min_requests <= emulator.requests.count(route=operation) <= 20


@pytest.mark.parametrize(
    "fault", ["503", "429-retry-after-1", "drop-before"], ids=["503", "429-retry-after-1", "drop"]
)
@pytest.mark.parametrize("operation", ["get", "delete"])
def test_max_retries_zero_disables_retries(emulator, clock, operation, fault):
    provider = configured(emulator, maxRetries="0")
    existing = seed(emulator)
    RETRIED[fault].arm(emulator, operation)

    outcome = attempt(clock, call_for(provider, operation, existing["id"]))

    assert isinstance(outcome.error, BitmovinApiError)
    assert emulator.requests.count() == 1
    assert outcome.elapsed < 0.9  # not even the Retry-After wait


@pytest.mark.parametrize(("read_timeout", "times_out"), [(READ_TIMEOUT, True), (3.0, False)])
def test_read_timeout_is_configurable(emulator, clock, read_timeout, times_out):
    provider = configured(emulator, readTimeoutSeconds=str(read_timeout), maxRetries="0")
    existing = seed(emulator)
    delay = emulator.delay("get", SLOW)

    outcome = attempt(clock, lambda: provider.read(existing["id"], STATE))

    assert delay.hits == 1
    if times_out:
        assert isinstance(outcome.error, BitmovinApiError)
        assert "timed out" in str(outcome.error)
        assert f"read timeout={read_timeout}" in str(outcome.error)
        assert outcome.real_seconds < SLOW
    else:
        assert outcome.error is None
        assert outcome.value.id == existing["id"]
        assert outcome.real_seconds >= SLOW
    assert outcome.elapsed == 0  # no pause: maxRetries 0


def test_a_get_that_times_out_is_reported_as_a_timeout(emulator, clock):
    # requests reports an exhausted read timeout as ConnectionError(MaxRetryError(ReadTimeoutError)).
    provider = configured(emulator, maxRetries="0")
    existing = seed(emulator)
    emulator.delay("get", SLOW)
    outcome = attempt(clock, lambda: provider.read(existing["id"], STATE))
    assert isinstance(outcome.error, BitmovinApiError)
    assert outcome.error.summary.startswith("timed out")


# -- create: never re-sent, never duplicated -------------------------------------------------


@pytest.mark.parametrize("fault", CREATE_FAULTS.values(), ids=lambda f: f.name)
def test_create_is_never_resent_and_leaves_one_output_or_says_nothing_was_created(emulator, clock, fault):
    provider = configured(emulator)
    name = f"rel-{uuid.uuid4().hex[:10]}"
    inputs = checked(provider, name=name, custom_data={"team": "video"})
    fault.arm(emulator, "create")

    outcome = attempt(clock, lambda: provider.create(inputs))
    at_return = marked(emulator, name)
    settle(emulator)

    posts = emulator.requests.filter(route="create")
    assert len(posts) == 1, "the POST was sent again"
    if outcome.error is None:
        assert [output["id"] for output in at_return] == [outcome.value.id]
        assert CREATION_TOKEN_KEY not in repr(outcome.value.outs)
        assert outcome.value.outs["custom_data"] == {"team": "video"}
    else:
        assert isinstance(outcome.error, CreateFailedError)
        assert at_return == []
        assert "nothing was created" in str(outcome.error).lower()
        if not fault.outcome_known:  # should the server act later, the user can find that output
            token = posts[0].body["customData"][CREATION_TOKEN_KEY]
            assert f"{CREATION_TOKEN_KEY}={token}" in str(outcome.error)
    if not fault.acts_late:  # a starved machine may look only after the late server acted
        assert (outcome.error is None) == fault.server_acted
    if fault.outcome_known:  # a 4xx proves nothing was created: no lookup after the POST
        assert [record.route for record in emulator.requests] == ["account_information", "list", "create"]
    if not fault.acts_late:
        assert marked(emulator, name) == at_return
    if fault.server_acted:
        assert (
            at_return[0]["customData"][CREATION_TOKEN_KEY] == posts[0].body["customData"][CREATION_TOKEN_KEY]
        )


def test_a_create_the_server_handles_after_the_client_gave_up_is_adopted_within_the_settle_time(
    emulator, clock
):
    # The POST is held SLOW s before it is processed; the client gives up after READ_TIMEOUT s and
    # keeps looking for createSettleSeconds, long enough to see the late output and adopt it. Its
    # first pause lasts (really) until the late server acted, as a real pause of that length would;
    # the test clock itself only counts the pause.
    provider = configured(emulator, createSettleSeconds=str(SLOW + 1.5))
    name = f"rel-{uuid.uuid4().hex[:10]}"
    inputs = checked(provider, name=name)
    CREATE_FAULTS["timeout-before"].arm(emulator, "create")
    clock.on_sleep = lambda _seconds: settle(emulator)

    outcome = attempt(clock, lambda: provider.create(inputs))

    assert outcome.error is None, outcome.error
    assert [output["id"] for output in marked(emulator, name)] == [outcome.value.id]
    assert emulator.requests.count(route="create") == 1
    assert outcome.real_seconds >= SLOW - 0.1  # the server really held the POST that long
    assert outcome.sleeps in ([], [0.25])  # found after the first pause (or at once on a starved machine)
    assert outcome.elapsed == sum(outcome.sleeps)


def test_a_create_the_server_handles_after_the_settle_time_is_named_by_its_token(emulator, clock):
    # With createSettleSeconds=0 the provider gives up before the server acts: "nothing was created"
    # is true when it returns, and the error names the token the late output will carry.
    provider = configured(emulator)
    name = f"rel-{uuid.uuid4().hex[:10]}"
    inputs = checked(provider, name=name)
    CREATE_FAULTS["timeout-before"].arm(emulator, "create")

    outcome = attempt(clock, lambda: provider.create(inputs))
    at_return = marked(emulator, name)
    settle(emulator)

    assert emulator.requests.count(route="create") == 1
    later = marked(emulator, name)
    if outcome.error is None:  # a starved machine may look only after the server acted: adopted
        assert [output["id"] for output in at_return] == [outcome.value.id]
        return
    text = str(outcome.error)
    assert at_return == []
    assert "nothing was created" in text.lower()
    [late] = later
    assert f"{CREATION_TOKEN_KEY}={late['customData'][CREATION_TOKEN_KEY]}" in text


def test_a_lost_create_is_looked_for_until_the_settle_time_with_growing_pauses(emulator, clock):
    provider = configured(emulator, createSettleSeconds="2")
    inputs = checked(provider, name=f"rel-{uuid.uuid4().hex[:10]}")
    CREATE_FAULTS["503-before"].arm(emulator, "create")
    # Every look takes real time, as on a loaded machine: the settle loop counts only its own pauses.
    emulator.delay("list", 0.1, times=None)

    outcome = attempt(clock, lambda: provider.create(inputs))

    assert isinstance(outcome.error, CreateFailedError)
    assert "within 2 s" in str(outcome.error)
    assert outcome.sleeps == [0.25, 0.5, 1.0, 0.25]  # the last pause ends at the settle deadline
    assert outcome.elapsed == 2.0
    # One look before the POST, one right after it, and one after every pause.
    assert emulator.requests.count(route="list") == len(outcome.sleeps) + 2


@pytest.mark.parametrize(
    ("route", "arm"),
    [
        ("list", lambda emu: emu.fail("list", 503)),
        ("list", lambda emu: emu.drop_connection("list", when="before")),
        ("list", lambda emu: emu.fail("list", 429, headers={"Retry-After": "0"})),
        ("custom_data", lambda emu: emu.fail("custom_data", 502)),
    ],
    ids=["list-503", "list-drop", "list-429", "custom-data-502"],
)
def test_reconcile_lookup_is_retried_and_still_adopts(emulator, clock, route, arm):
    provider = configured(emulator)
    name = f"rel-{uuid.uuid4().hex[:10]}"
    inputs = checked(provider, name=name)
    CREATE_FAULTS["503-after"].arm(emulator, "create")
    emulator.delay("list", 0.001)  # lets the look before the POST through: the fault is for the reconcile
    arm(emulator)

    outcome = attempt(clock, lambda: provider.create(inputs))

    assert outcome.error is None, outcome.error
    assert [output["id"] for output in marked(emulator, name)] == [outcome.value.id]
    assert emulator.requests.count(route="create") == 1
    assert emulator.requests.count(route=route) == (3 if route == "list" else 2)


def test_reconcile_lookup_failing_says_an_output_may_exist_and_names_the_token(emulator, clock):
    provider = configured(emulator, maxRetries="20", retryBudgetSeconds="0.5")
    name = f"rel-{uuid.uuid4().hex[:10]}"
    inputs = checked(provider, name=name)
    CREATE_FAULTS["503-after"].arm(emulator, "create")
    emulator.delay("list", 0.001)  # lets the look before the POST through
    PERSISTENT_FAULTS["persistent-503"].arm(emulator, "list")

    outcome = attempt(clock, lambda: provider.create(inputs))

    assert isinstance(outcome.error, CreateFailedError)
    text = str(outcome.error)
    token = emulator.requests.filter(route="create")[0].body["customData"][CREATION_TOKEN_KEY]
    assert "may exist" in text
    assert f"{CREATION_TOKEN_KEY}={token}" in text
    assert "nothing was created" not in text.lower()
    # ... and the claim is true: the output it points at exists, carrying that token.
    [existing] = marked(emulator, name)
    assert existing["customData"][CREATION_TOKEN_KEY] == token
    assert emulator.requests.count(route="create") == 1
    assert emulator.requests.count(route="list") > 1


@pytest.mark.parametrize(
    "echo_custom_data", [False, True], ids=["custom-data-endpoint", "custom-data-echoed"]
)
@pytest.mark.parametrize("when", ["before", "after"])
def test_reconcile_never_adopts_an_output_with_another_or_no_token(emulator, clock, when, echo_custom_data):
    emulator.options.echo_custom_data = echo_custom_data
    provider = configured(emulator)
    name = f"rel-{uuid.uuid4().hex[:10]}"
    decoys = [
        seed(emulator, name=name),
        seed(emulator, name=name, customData={"team": "video"}),
        seed(emulator, name=name, customData={CREATION_TOKEN_KEY: str(uuid.uuid4())}),
        seed(emulator, name=name, customData={CREATION_TOKEN_KEY: ""}),
        seed(emulator, name=f"{name}-copy", customData={"team": "video"}),
    ]
    decoy_ids = {decoy["id"] for decoy in decoys}
    inputs = checked(provider, name=name)
    CREATE_FAULTS[f"503-{when}"].arm(emulator, "create")

    outcome = attempt(clock, lambda: provider.create(inputs))

    assert emulator.requests.count(route="create") == 1
    remaining = {output["id"] for output in emulator.outputs.list()}
    assert decoy_ids <= remaining
    if when == "before":
        assert isinstance(outcome.error, CreateFailedError)
        assert "nothing was created" in str(outcome.error).lower()
        assert remaining == decoy_ids
    else:
        assert outcome.error is None, outcome.error
        assert outcome.value.id not in decoy_ids
        assert remaining - decoy_ids == {outcome.value.id}


# -- error messages ---------------------------------------------------------------------------


def test_unauthorized_names_the_api_key_config_and_is_not_retried(emulator, clock):
    provider = configured(emulator)
    existing = seed(emulator)
    emulator.options.api_keys = {"the-right-key"}
    for operation in ("create", "get", "delete"):
        emulator.requests.clear()
        if operation == "create":
            outcome = attempt(clock, lambda: provider.create(checked(provider)))
            assert "nothing was created" in str(outcome.error).lower()
            assert outcome.error.__cause__ is None  # the look before the POST was refused: no POST
        else:
            outcome = attempt(clock, call_for(provider, operation, existing["id"]))
            assert outcome.error.status == 401
        assert "bitmovin:apiKey" in str(outcome.error)
        assert emulator.requests.count() == 1


def test_forbidden_organization_names_the_tenant_org_config_and_is_not_retried(emulator, clock):
    provider = configured(emulator)
    emulator.options.org_access = {KEY: [ORG_ID]}
    existing = seed(emulator, org=OTHER_ORG_ID)
    state = {**STATE, "tenant_org_id": OTHER_ORG_ID}
    calls = {
        "create": lambda: provider.create(checked(provider, tenant_org_id=OTHER_ORG_ID)),
        "get": lambda: provider.read(existing["id"], state),
        "delete": lambda: provider.delete(existing["id"], state),
    }
    for operation, call in calls.items():
        emulator.requests.clear()
        outcome = attempt(clock, call)
        assert "bitmovin:tenantOrgId" in str(outcome.error), operation
        assert "HTTP 403" in str(outcome.error)
        assert emulator.requests.count() == 1
    assert emulator.outputs.get(existing["id"], OTHER_ORG_ID) is not None


def test_validation_error_lists_the_rejected_fields(emulator, clock):
    emulator.options.validate_role_arn = True
    provider = configured(emulator)
    outcome = attempt(clock, lambda: provider.create({**STATE, "role_arn": "not-an-arn"}))
    text = str(outcome.error)
    assert isinstance(outcome.error, CreateFailedError)
    assert "Nothing was created" in text
    assert "HTTP 400" in text
    assert "[field roleArn:" in text
    assert len(emulator.outputs) == 0
    assert [record.route for record in emulator.requests] == ["account_information", "list", "create"]

    emulator.requests.clear()
    CREATE_FAULTS["400"].arm(emulator, "create")
    text = str(attempt(clock, lambda: provider.create(checked(provider))).error)
    assert "[field bucketName: bucket does not exist]" in text
    assert "[field roleArn: must be an IAM role ARN]" in text


def test_not_found_means_gone_for_read_and_deleted_for_delete(emulator, clock):
    provider = configured(emulator)
    missing = "cb90b80c-8867-4e3b-8479-174aa2843f62"

    read = attempt(clock, lambda: provider.read(missing, STATE))
    assert read.error is None
    assert (read.value.id, read.value.outs) == (None, {})

    deleted = attempt(clock, lambda: provider.delete(missing, STATE))
    assert deleted.error is None
    assert [(r.route, r.status) for r in emulator.requests] == [
        ("get", 404),
        ("account_information", 200),  # the key's account is the one state records
        ("list", 200),  # the confirmation that the 404 came from the outputs API
        ("delete", 404),
        ("list", 200),
    ]


# -- secret hygiene beyond the faults --------------------------------------------------------


def test_a_key_http_cannot_carry_is_rejected_without_echoing_it(emulator, clock):
    # e.g. a typographic apostrophe picked up by copy-paste: not Latin-1, so no HTTP header can carry it
    bad_key = KEY + "\u2019"
    provider = configured_provider(emulator.base_url, bad_key)

    failures = provider.check({}, dict(STATE)).failures
    assert any("bitmovin:apiKey" in failure.reason for failure in failures)
    assert all(KEY not in failure.reason for failure in failures)
    outcome = attempt(clock, lambda: provider.read("cb90b80c-8867-4e3b-8479-174aa2843f62", STATE))
    assert isinstance(outcome.error, ProviderConfigError)
    assert "bitmovin:apiKey" in str(outcome.error)

    # The client on its own, given such a key, fails with its own error type and without quoting it.
    client = BitmovinClient(bad_key, base_url=emulator.base_url, http=HttpPolicy(max_retries=0))
    outcome = attempt(clock, lambda: client.get_output("cb90b80c-8867-4e3b-8479-174aa2843f62"))
    assert isinstance(outcome.error, BitmovinApiError)
    assert "bitmovin:apiKey" in str(outcome.error)
    assert len(emulator.requests) == 0
