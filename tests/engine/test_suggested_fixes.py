"""Layer 6: every kind of fix the project prints, run as printed through the real CLI in bash.

Each test sets a stack of the real program up as the bad input describes (a secret with ``--secret``,
its value on standard input), takes the fix from the message the code produces for it
(``dev.support.bad_inputs.error_for``, the constant messages about the API key), runs it with bash in
the project directory as a person would paste it, and reads back what it left
(``pulumi config --json --show-secrets``): the value at the key meant, whether it is a secret, the
misspelt key gone, and whether the program's rules (or the provider's, for ``bitmovin:`` keys) now
accept the config. A fix that shows a placeholder (``'<value>'``) must leave a config that is still
refused, never one that is accepted with the placeholder in it. Kinds: ``dev.support.fix_commands``;
tests/analytics_export/test_fix_commands.py checks every printed fix is of one of them.

Also proved here: ``pulumi config set`` with no value reads it from standard input when that is not a
terminal (how the docs and fixes set a secret without a command line), keeping the value exactly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from analytics_export.errors import ConfigError
from analytics_export.settings import PLAINTEXT_API_KEY, settings_from_config
from dev.support.bad_inputs import CASES, BadInput, Kind, error_for
from dev.support.engine import EngineStack, copy_program, engine_env, skip_without_engine
from dev.support.fix_commands import KINDS, fix_commands, fix_kind
from providers import provider_config

pytestmark = [pytest.mark.layer6, skip_without_engine()]

PROJECT = "bitmovin-analytics-export"
STACK = "fixes"
API_URL = "https://api.bitmovin.com/v1"  # the rules make no request
ORIGINAL_KEY = "fix-test-key-9c2e41"
BASH = shutil.which("bash") or "/bin/bash"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> EngineStack:
    """One selected stack of a copy of the real program; each test leaves its config as it found it."""
    root = tmp_path_factory.mktemp("fixes")
    project = copy_program(root / "project")
    engine = EngineStack(project, engine_env(root / "home"), STACK).init()
    engine.ok("stack", "select", STACK)
    engine.config_set("aws:region", "eu-central-1")
    return engine


@pytest.fixture
def clean(stack: EngineStack) -> Iterator[EngineStack]:
    """The stack, its file put back as it was after the test (secure values keep their salt)."""
    stack_file = stack.project / f"Pulumi.{STACK}.yaml"
    before = stack_file.read_text()
    yield stack
    stack_file.write_text(before)


def config(stack: EngineStack) -> dict[str, dict[str, Any]]:
    """The stack's config as the program sees it (``Pulumi.yaml``'s defaults too), secrets revealed."""
    return json.loads(stack.ok("config", *stack.stack_args(), "--json", "--show-secrets"))


def set_input(stack: EngineStack, key: str, value: str, *, secret: bool) -> None:
    """As a person sets it: the value on standard input, never on the command line (``--plaintext``:
    the CLI refuses a value of a key named like a secret otherwise)."""
    stack.ok("config", "set", *stack.stack_args(), "--secret" if secret else "--plaintext", key, stdin=value)


def run_fix(stack: EngineStack, command: str, stdin: str = "") -> None:
    """``command`` exactly as printed, in bash, in the project directory (the stack is selected)."""
    result = subprocess.run(
        [BASH, "-c", command],
        cwd=stack.project,
        env=stack.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"


def the_fix(message: str) -> str:
    """The one fix command of ``message`` (the last backticked ``pulumi config`` command)."""
    commands = fix_commands(message)
    assert commands, message
    return commands[-1]


def program_problems(entries: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What the program's rules say about the config the fix left (the keys they name)."""
    raw = {
        key: entry["value"]
        for key, entry in entries.items()
        if key != provider_config.API_KEY_CONFIG and entry["value"] != ""
    }
    secrets = frozenset(key for key, entry in entries.items() if entry["secret"])
    try:
        settings_from_config(raw, project=PROJECT, stack=STACK, secret_keys=secrets)
    except ConfigError as error:
        return [problem.key for problem in error.problems]
    return []


def provider_problems(entries: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    values = {key: entry["value"] for key, entry in entries.items()}
    return provider_config.resolve(values.get, {}, values).problems


def case(key: str, why: str) -> BadInput:
    (found,) = [c for c in CASES if c.key == key and c.why == why]
    return found


def set_up(stack: EngineStack, bad: BadInput) -> None:
    for key, value in bad.extra.items():
        set_input(stack, key, str(value), secret=False)
    set_input(stack, bad.key, str(bad.value), secret=bad.secret)


# -- the CLI reads a value from standard input -------------------------------------------------------


def test_config_set_without_a_value_reads_standard_input_exactly(clean):
    run_fix(clean, "pulumi config set --secret bitmovin:apiKey", stdin=f"{ORIGINAL_KEY}\n")
    entry = config(clean)[provider_config.API_KEY_CONFIG]
    assert entry == {**entry, "value": ORIGINAL_KEY, "secret": True}
    assert ORIGINAL_KEY not in (clean.project / f"Pulumi.{STACK}.yaml").read_text()


# -- each kind of fix ----------------------------------------------------------------------------------

SECRET_MOVES = [
    ("bitmovin:apikey", "misspelt API key, in plain text", provider_config.API_KEY_CONFIG),
    ("bitmovin:api_key", "misspelt API key, a secret", provider_config.API_KEY_CONFIG),
    ("externalID", "misspelled secret key", f"{PROJECT}:externalId"),
    # the provider cannot tell a secret from a plain value: it moves any value as a secret
    (
        "bitmovin:tenantOrgID",
        "misspelt key nothing reads (a component used from another project)",
        "bitmovin:tenantOrgId",
    ),
]


@pytest.mark.parametrize(("key", "why", "target"), SECRET_MOVES)
def test_a_secret_moves_to_the_key_meant_unchanged_and_secret(clean, key, why, target):
    bad = case(key, why)
    set_up(clean, bad)
    fix = the_fix(error_for(bad, API_URL))
    run_fix(clean, fix)
    left = config(clean)
    assert not [k for k in left if k.rpartition(":")[2] == bad.key.rpartition(":")[2]]  # the typo is gone
    assert left[target]["value"] == bad.value  # not '[secret]', not empty
    assert left[target]["secret"] is True
    assert bad.key not in program_problems(left)
    if target == provider_config.API_KEY_CONFIG:
        assert provider_problems(left) == ()
    assert fix_kind(fix) == "move secret"


def test_a_plain_text_api_key_is_re_saved_as_the_same_secret(clean):
    set_input(clean, provider_config.API_KEY_CONFIG, ORIGINAL_KEY, secret=False)
    fix = PLAINTEXT_API_KEY.fix
    run_fix(clean, fix)
    entry = config(clean)[provider_config.API_KEY_CONFIG]
    assert (entry["value"], entry["secret"]) == (ORIGINAL_KEY, True)
    assert fix_kind(fix) == "re-save as secret"


def test_the_missing_key_fix_prompts_and_stores_what_is_typed(clean):
    (fix,) = fix_commands(provider_config.MISSING_API_KEY)
    run_fix(clean, fix, stdin=ORIGINAL_KEY + "\n")
    left = config(clean)
    assert (
        left[provider_config.API_KEY_CONFIG]["value"],
        left[provider_config.API_KEY_CONFIG]["secret"],
    ) == (
        ORIGINAL_KEY,
        True,
    )
    assert provider_problems(left) == ()
    assert fix_kind(fix) == "prompt for secret"


@pytest.mark.parametrize(
    "why", ["non-ASCII letters in an external ID", "non-ASCII letters in a secret external ID"]
)
def test_a_generated_external_id_is_stored_and_valid(clean, why):
    bad = case("externalId", why)
    set_up(clean, bad)
    fix = the_fix(error_for(bad, API_URL))
    run_fix(clean, fix)
    left = config(clean)
    entry = left[f"{PROJECT}:externalId"]
    assert entry["secret"] is bad.secret
    assert entry["value"] != bad.value
    assert program_problems(left) == []
    assert fix_kind(fix) == ("generate secret" if bad.secret else "generate plain")


PLAIN = [
    ("bucketName", "uppercase and underscore", "set plain", f"{PROJECT}:bucketName", "acme-exports"),
    ("aclPermission", "public ACL while public access is blocked", "remove", None, None),
    (
        "bitmovin:tenantOrgID",
        "misspelt key: the output would land in the key's own organization",
        "move plain",
        "bitmovin:tenantOrgId",
        "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
    ),
]


@pytest.mark.parametrize(("key", "why", "kind", "target", "expected"), PLAIN)
def test_a_plain_fix_leaves_a_config_the_rules_accept(clean, key, why, kind, target, expected):
    bad = case(key, why)
    set_up(clean, bad)
    fix = the_fix(error_for(bad, API_URL))
    run_fix(clean, fix)
    left = config(clean)
    if target is not None:
        assert (left[target]["value"], left[target]["secret"]) == (expected, False)
    if target != f"{PROJECT}:{bad.key}":
        assert not [k for k in left if k.rpartition(":")[2] == bad.key.rpartition(":")[2]]
    assert program_problems(left) == []
    assert fix_kind(fix) == kind


PLACEHOLDERS = [
    ("bucketName", "too short", Kind.STACK_CONFIG),
    ("bitmovin:readTimeoutSeconds", "timeout is not a number", Kind.PROVIDER_CONFIG),
]


@pytest.mark.parametrize(("key", "why", "kind"), PLACEHOLDERS)
def test_a_placeholder_run_as_printed_is_still_refused(clean, key, why, kind):
    """A person may paste it unchanged: the shell must run it, and the rules must refuse what it stores."""
    bad = case(key, why)
    assert bad.kind == kind
    set_up(clean, bad)
    fix = the_fix(error_for(bad, API_URL))
    run_fix(clean, fix)
    left = config(clean)
    assert any("<" in entry["value"] for entry in left.values())  # the placeholder itself was stored
    assert program_problems(left) or provider_problems(left)
    assert fix_kind(fix) == "set placeholder"


def test_a_plain_value_that_may_not_be_shown_is_moved_unseen_and_refused_where_it_goes(clean):
    bad = case(
        "bitmovin:tenantOrgID",
        "misspelt key whose value is no organization id (moved unseen, then refused where it goes)",
    )
    set_up(clean, bad)
    fix = the_fix(error_for(bad, API_URL))
    run_fix(clean, fix)
    left = config(clean)
    assert bad.key not in left
    assert (left["bitmovin:tenantOrgId"]["value"], left["bitmovin:tenantOrgId"]["secret"]) == (
        bad.value,
        False,
    )
    assert program_problems(left) == ["bitmovin:tenantOrgId"]  # refused with its own message now
    assert fix_kind(fix) == "move plain unseen"


def test_every_kind_is_run_here():
    """The kinds the tests above run are all the kinds there are (a new kind needs a test here)."""
    run_here = {"move secret", "re-save as secret", "prompt for secret", "generate secret", "generate plain"}
    run_here |= {"move plain unseen"}
    run_here |= {kind for *_, kind, _target, _expected in PLAIN} | {"set placeholder"}
    assert run_here == {kind for kind, _ in KINDS} - {"set plain and deploy"}


def test_the_placeholder_mask_itself_is_refused_as_a_key():
    """What the old fix stored (`'[secret]'`) no longer passes as a key at the next preview."""
    for placeholder in ("[secret]", "<your Bitmovin API key>", "<key>", "YOUR_API_KEY", "****"):
        problems = provider_config.resolve({provider_config.API_KEY_CONFIG: placeholder}.get, {}).problems
        assert problems, placeholder
