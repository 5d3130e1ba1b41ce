"""Layer 1: every fix command the project prints is of a kind the real CLI runs in a test.

tests/engine/test_suggested_fixes.py runs one fix of each kind (``dev.support.fix_commands.KINDS``)
through the real ``pulumi`` and checks the stack config it leaves; this makes sure no message prints
a fix of another shape (one that would, say, store a placeholder or put a secret on a command line).
Scanned: every message of the bad-input catalogue as the code renders it, and the fixed messages
about the API key (missing, plain text, HTTP 401, verify's).
"""

from __future__ import annotations

import pytest

from analytics_export.settings import PLAINTEXT_API_KEY
from bitmovin_api import errors as api_errors
from dev.support.bad_inputs import CASES, error_for
from dev.support.fix_commands import KINDS, fix_commands, fix_kind
from providers import provider_config
from verify import bitmovin_checks

pytestmark = pytest.mark.layer1


def printed_messages() -> list[tuple[str, str]]:
    api_url = "https://api.bitmovin.com/v1"
    messages = [(f"{case.kind} {case.key}={case.value!r}", error_for(case, api_url)) for case in CASES]
    messages += [
        ("missing API key", provider_config.MISSING_API_KEY),
        ("plain-text API key", str(PLAINTEXT_API_KEY)),
        ("HTTP 401", api_errors._HINTS[401]),
        ("verify without a key", bitmovin_checks.KEY_FIX),
        ("placeholder key", str(provider_config.api_key_problem("[secret]"))),
    ]
    return messages


def test_every_printed_fix_is_of_a_kind_the_engine_test_runs():
    unknown = [
        f"{where}: {command}"
        for where, message in printed_messages()
        for command in fix_commands(message)
        if fix_kind(command) is None
    ]
    assert not unknown, "fix commands of no known kind:\n" + "\n".join(unknown)


def test_the_messages_print_fixes_of_every_kind_but_the_deploy():
    """Not vacuous: the scanned messages hold each kind (the one with `pulumi up` is verify's)."""
    printed = {fix_kind(command) for _, message in printed_messages() for command in fix_commands(message)}
    assert printed == {kind for kind, _ in KINDS} - {"set plain and deploy"}


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("pulumi config get a | pulumi config set --secret b && pulumi config rm a", "move secret"),
        (
            "pulumi config get bitmovin:apiKey | pulumi config set --secret bitmovin:apiKey",
            "re-save as secret",
        ),
        (
            "python3 -c 'import uuid; print(uuid.uuid4())' | pulumi config set --secret externalId",
            "generate secret",
        ),
        ("pulumi config set --secret bitmovin:apiKey", "prompt for secret"),
        ("pulumi config rm a && pulumi config set b 45", "move plain"),
        ("pulumi config get a | pulumi config set b && pulumi config rm a", "move plain unseen"),
        ("pulumi config rm a && pulumi config set --secret b '[secret]'", None),  # the key-destroying fix
        ("pulumi config set bitmovin:readTimeoutSeconds <value>", None),  # a shell redirection
        ("pulumi config set --secret bitmovin:apiKey <key>", None),
        ('pulumi config set --secret b "$(pulumi config get a)"', None),  # the value in `ps`
        ("pulumi config set bucketName 'bitmovin-analytics-dev-<your account id>'", "set placeholder"),
    ],
)
def test_kinds(command, kind):
    assert fix_kind(command) == kind
